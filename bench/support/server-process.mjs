// Starts a server in its own process (`node --import cpu-report.mjs <script> ...args`) with an IPC
// channel, waits for the first stdout line that holds its URL, and reads its CPU (µs, from the
// process itself) on demand. Used for the fast upstream, the minimal gateway and `switchboard serve`.
import { spawn } from 'node:child_process';
import { pathToFileURL } from 'node:url';

const preload = pathToFileURL(new URL('./cpu-report.mjs', import.meta.url).pathname).href;

/**
 * `script` and `args` as for `node`; `env` the whole environment; `cwd` where it runs; `onStderr`
 * sees each piece the process writes to stderr. The first stdout line must hold an http URL (a
 * JSON line { url, ... } is answered whole as `ready`).
 */
export async function startServerProcess({ name, script, args = [], env = process.env, cwd, nodeFlags = [], onStderr }) {
  const child = spawn(process.execPath, [...nodeFlags, '--import', preload, script, ...args], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'], env, cwd });
  // A benchmark that dies (an exception, process.exit) must not leave its servers running.
  const reap = () => child.kill('SIGKILL');
  process.on('exit', reap);
  child.once('exit', () => process.off('exit', reap));
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
    if (stderr.length > 8192) stderr = stderr.slice(-8192);
    onStderr?.(String(d));
    if (process.env.BENCH_VERBOSE === '1') process.stderr.write(`[${name}] ${d}`);
  });
  const ready = await new Promise((resolve, reject) => {
    let buf = '';
    const onData = (d) => {
      buf += d;
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      child.stdout.off('data', onData);
      child.stdout.resume(); // the rest (a banner) is not needed, but must not fill the pipe
      const line = buf.slice(0, nl).trim();
      if (line.startsWith('{')) return resolve(JSON.parse(line));
      const m = /(https?:\/\/[^\s]+)/.exec(line);
      if (m) resolve({ url: m[1].replace(/\/$/, '') });
      else reject(new Error(`${name}: unexpected first line: ${line}`));
    };
    child.stdout.on('data', onData);
    child.once('exit', (code, signal) => reject(new Error(`${name} exited with ${signal ?? code}: ${stderr.trim()}`)));
  });
  let nextId = 0;
  /** Sends `{ type, ...extra }` and answers the first reply of that type with the same id. */
  const ask = (type, extra = {}) =>
    new Promise((resolve, reject) => {
      const id = ++nextId;
      const timer = setTimeout(() => {
        child.off('message', on);
        reject(new Error(`${name}: no answer to ${type}`));
      }, 10_000);
      const on = (m) => {
        if (m?.type === type && m.id === id) {
          clearTimeout(timer);
          child.off('message', on);
          resolve(m);
        }
      };
      child.on('message', on);
      child.send({ type, id, ...extra });
    });
  return {
    ...ready,
    name,
    pid: child.pid,
    ask,
    /** The process's own CPU so far (user + system), µs. */
    cpuUs: async () => (await ask('cpu')).cpuUs,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const t = setTimeout(() => child.kill('SIGKILL'), 15_000);
        child.once('exit', () => {
          clearTimeout(t);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}
