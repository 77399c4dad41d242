// Starts `switchboard serve` (dist/src/cli/main.js) as its own process, with a temporary config file
// that points openai at an upstream (the simulator in its own process). Reads the URL from the
// first stdout line ("Switchboard gateway listening on http://127.0.0.1:PORT").
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { procCpuUs } from './proc.mjs';

const main = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));
export const KEY_ENV = 'SWITCHBOARD_BENCH_OPENAI_KEY';

/** The config file the gateway gets (the key by environment variable name, as the example file does). */
export function gatewayConfig({ upstream, maxConcurrent = 64, queueSize = 1000 }) {
  return {
    comment: 'written by bench/support/gateway-process.mjs',
    providers: {
      openai: {
        baseUrl: upstream,
        keys: [{ env: KEY_ENV, name: 'k1', maxConcurrent }],
        queue: { size: queueSize, maxConcurrent },
      },
    },
  };
}

export async function startGatewayProcess(options) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sb-bench-'));
  const file = path.join(dir, 'switchboard.config.json');
  const config = gatewayConfig(options);
  writeFileSync(file, JSON.stringify(config, null, 2));
  const env = { ...process.env, [KEY_ENV]: 'sk-bench-gateway-0000' };
  for (const k of Object.keys(env)) if (k.startsWith('SWITCHBOARD_') && k !== KEY_ENV) delete env[k];
  const args = [main, 'serve', '--port', '0', '--config', file];
  // cwd: the temporary directory, so that no .env of the working tree is loaded (no real keys).
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env, cwd: dir });
  // A benchmark that dies (an exception, process.exit) must not leave its gateway running.
  const reap = () => child.kill('SIGKILL');
  process.on('exit', reap);
  child.once('exit', () => process.off('exit', reap));
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
    if (stderr.length > 8192) stderr = stderr.slice(-8192);
  });
  const url = await new Promise((resolve, reject) => {
    let buf = '';
    const onData = (d) => {
      buf += d;
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      child.stdout.off('data', onData);
      child.stdout.resume(); // the rest of the banner is not needed, but must not fill the pipe
      const m = /(https?:\/\/[^\s]+)/.exec(buf.slice(0, nl));
      if (m) resolve(m[1].replace(/\/$/, ''));
      else reject(new Error(`gateway: unexpected first line: ${buf.slice(0, nl)}`));
    };
    child.stdout.on('data', onData);
    child.once('exit', (code) => reject(new Error(`gateway exited with ${code}: ${stderr.trim()}`)));
  });
  return {
    url,
    pid: child.pid,
    config,
    command: `node dist/src/cli/main.js serve --port 0 --config <tmp>/switchboard.config.json`,
    cpuUs: () => procCpuUs(child.pid),
    stop: () =>
      new Promise((resolve) => {
        const done = () => {
          rmSync(dir, { recursive: true, force: true });
          resolve();
        };
        if (child.exitCode !== null || child.signalCode !== null) return done();
        const t = setTimeout(() => child.kill('SIGKILL'), 15_000);
        child.once('exit', () => {
          clearTimeout(t);
          done();
        });
        child.kill('SIGTERM');
      }),
  };
}
