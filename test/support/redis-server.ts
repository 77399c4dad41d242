import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

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
  return (await freePorts(1))[0]!;
}

/** `count` distinct free loopback ports (all held open until every one is known). */
export async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const srv = createServer();
      servers.push(srv);
      await new Promise<void>((resolve, reject) => {
        srv.once('error', reject);
        srv.listen(0, '127.0.0.1', () => resolve());
      });
    }
    return servers.map((srv) => (srv.address() as { port: number }).port);
  } finally {
    await Promise.all(servers.map((srv) => new Promise<void>((resolve) => srv.close(() => resolve()))));
  }
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

/** Polls `ask` until it answers true (a turn of I/O between tries), bounded by `boundMs`. */
async function waitFor(what: string, boundMs: number, ask: () => Promise<boolean>, child?: ChildProcess): Promise<void> {
  const deadline = Date.now() + boundMs;
  let last: unknown;
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null) throw new Error(`${what}: redis-server exited with code ${child.exitCode}`);
    try {
      if (await ask()) return;
    } catch (err) {
      last = err;
    }
    // Readiness is a socket event away; a turn of I/O between tries, bounded by `boundMs`.
    await new Promise<void>((r) => setTimeout(r, 10));
  }
  throw new Error(`${what}: not within ${boundMs} ms${last === undefined ? '' : `: ${String(last)}`}`);
}

function waitForPing(port: number, child: ChildProcess, boundMs: number): Promise<void> {
  return waitFor(`redis-server on port ${port} answering PING`, boundMs, async () => (await rawCommand(port, ['PING'], 200)).startsWith('+PONG'), child);
}

function spawnRedis(port: number, args: string[]): ChildProcess {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--loglevel', 'warning', ...args], {
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

/** `args`: more `redis-server` options (a cluster node's). */
export async function startRedis(options: { port?: number; readyWithinMs?: number; args?: string[] } = {}): Promise<RedisServer> {
  const port = options.port ?? (await freePort());
  const bound = options.readyWithinMs ?? 5_000;
  const args = options.args ?? [];
  let child = spawnRedis(port, args);
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
      child = spawnRedis(port, args);
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

/** A Redis Cluster of real `redis-server` processes (masters only), formed by `redis-cli --cluster create`. */
export interface RedisCluster {
  nodes: RedisServer[];
  /** For node-redis: `createCluster({ rootNodes })`. */
  rootNodes: Array<{ url: string }>;
  /** Stops every node and removes their cluster config files. */
  stop(): Promise<void>;
}

function redisCli(args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('redis-cli', args, { timeout: timeoutMs }, (err, stdout, stderr) => {
      if (!err) return resolve(stdout);
      const hint = (err as NodeJS.ErrnoException).code === 'ENOENT' ? ' (is redis-cli on PATH? npm test runs .ci/install-redis.sh)' : '';
      reject(new Error(`redis-cli ${args.slice(0, 2).join(' ')} failed${hint}: ${err.message}\n${stdout}${stderr}`));
    });
  });
}

/**
 * Starts `nodes` cluster-enabled servers on free ports (the cluster bus on a free port of its own,
 * `--cluster-port`, rather than port + 10000), forms the cluster with `redis-cli --cluster create`
 * (slots split evenly, no replicas), and waits until every node reports `cluster_state:ok`.
 */
export async function startRedisCluster(options: { nodes?: number; readyWithinMs?: number } = {}): Promise<RedisCluster> {
  const count = options.nodes ?? 3;
  const bound = options.readyWithinMs ?? 15_000;
  const dir = mkdtempSync(path.join(tmpdir(), 'sb-redis-cluster-'));
  const nodes: RedisServer[] = [];
  const stop = async () => {
    await Promise.all(nodes.map((n) => n.stop()));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const ports = await freePorts(count * 2);
    for (let i = 0; i < count; i++) {
      const [port, bus] = [ports[2 * i]!, ports[2 * i + 1]!];
      const args = ['--cluster-enabled', 'yes', '--cluster-config-file', path.join(dir, `nodes-${port}.conf`), '--cluster-port', String(bus)];
      nodes.push(await startRedis({ port, args }));
    }
    await redisCli(['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', '0', '--cluster-yes'], bound);
    for (const n of nodes) await waitFor(`cluster node ${n.port} reporting cluster_state:ok`, bound, async () => (await n.raw('CLUSTER', 'INFO')).includes('cluster_state:ok'));
  } catch (err) {
    await stop();
    throw err;
  }
  return { nodes, rootNodes: nodes.map((n) => ({ url: n.url })), stop };
}
