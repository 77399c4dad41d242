import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, connect } from 'node:net';

/**
 * A real `redis-server` for one test file (never a mock): its own free loopback port, no
 * persistence, so a test can kill it (fault tests) and start it again on the same port.
 * The binary must be on PATH (`npm test` runs .ci/install-redis.sh first).
 */
export interface RedisServer {
  port: number;
  url: string;
  /** Kills the process (SIGKILL by default) and waits for its exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port and waits until it answers PING. */
  restart(): Promise<void>;
  /** Starts it again if a test killed it and failed before restarting it (keeps tests independent). */
  ensureRunning(): Promise<void>;
  /** Stops it for good. */
  stop(): Promise<void>;
  /** Sends one command over a fresh socket (RESP) and returns the raw reply text. */
  raw(...args: string[]): Promise<string>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

function encode(args: string[]): string {
  return `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
}

/** One command over a fresh socket; resolves with the reply bytes once a complete reply for a simple command arrived. */
function rawCommand(port: number, args: string[], timeoutMs = 1_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let data = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`redis on port ${port} did not answer ${args[0]} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('connect', () => socket.write(encode(args)));
    socket.on('data', (chunk) => {
      data += chunk.toString('utf8');
      if (data.endsWith('\r\n')) {
        clearTimeout(timer);
        socket.end();
        resolve(data);
      }
    });
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

async function waitForPing(port: number, child: ChildProcess, boundMs: number): Promise<void> {
  const deadline = Date.now() + boundMs;
  let last: unknown;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`redis-server on port ${port} exited with code ${child.exitCode}`);
    try {
      if ((await rawCommand(port, ['PING'], 200)).startsWith('+PONG')) return;
    } catch (err) {
      last = err;
    }
    // Readiness is a socket event away; a turn of I/O between tries, bounded by `boundMs`.
    await new Promise<void>((r) => setTimeout(r, 10));
  }
  throw new Error(`redis-server on port ${port} not ready after ${boundMs} ms: ${String(last)}`);
}

function spawnRedis(port: number): ChildProcess {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--loglevel', 'warning'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.on('error', (err) => {
    throw new Error(`cannot start redis-server (is it on PATH? npm test runs .ci/install-redis.sh): ${err.message}`);
  });
  return child;
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

export async function startRedis(options: { port?: number; readyWithinMs?: number } = {}): Promise<RedisServer> {
  const port = options.port ?? (await freePort());
  const bound = options.readyWithinMs ?? 5_000;
  let child = spawnRedis(port);
  await waitForPing(port, child, bound);
  const server: RedisServer = {
    port,
    url: `redis://127.0.0.1:${port}`,
    async kill(signal = 'SIGKILL') {
      const done = exited(child);
      child.kill(signal);
      await done;
    },
    async restart() {
      if (child.exitCode === null && child.signalCode === null) await server.kill();
      child = spawnRedis(port);
      await waitForPing(port, child, bound);
    },
    async ensureRunning() {
      if (child.exitCode !== null || child.signalCode !== null) await server.restart();
    },
    async stop() {
      await server.kill('SIGKILL');
    },
    raw: (...args) => rawCommand(port, args),
  };
  return server;
}
