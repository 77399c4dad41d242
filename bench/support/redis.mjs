// A redis-server of the benchmark's own (free loopback port, no persistence), never the machine's
// 6379. Resolves once it answers PING; `stop()` kills it. The binary must be on PATH
// (.ci/install-redis.sh installs Debian's).
import { spawn } from 'node:child_process';
import { connect, createServer } from 'node:net';

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function ping(port) {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    const done = (ok) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(200, () => done(false));
    s.on('connect', () => s.write('*1\r\n$4\r\nPING\r\n'));
    s.on('data', (d) => done(d.toString().startsWith('+PONG')));
    s.on('error', () => done(false));
  });
}

export async function startRedis() {
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--loglevel', 'warning'], { stdio: 'ignore' });
  const reap = () => child.kill('SIGKILL');
  process.on('exit', reap);
  const failed = new Promise((_, reject) => child.once('error', (e) => reject(new Error(`cannot start redis-server (run .ci/install-redis.sh): ${e.message}`))));
  const deadline = Date.now() + 5_000;
  for (;;) {
    if (await Promise.race([ping(port), failed])) break;
    if (Date.now() > deadline) throw new Error(`redis-server on port ${port} not ready within 5 s`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    stop: () =>
      new Promise((resolve) => {
        process.off('exit', reap);
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
      }),
  };
}
