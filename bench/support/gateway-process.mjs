// The server processes the benchmarks measure against, each in its own process with its CPU read
// by the process itself (cpu-report.mjs):
//  - startFastUpstream(): the canned-body upstream (fast-upstream.mjs);
//  - startMinimalGateway(upstreams): the limit for a gateway in Node (minimal-gateway.mjs);
//  - startByteRelay({ upstream }): a process that only copies bytes (byte-relay.mjs), the floor;
//  - startGatewayProcess(options): `switchboard serve` (dist/src/cli/main.js) with a temporary config
//    file that points openai at an upstream.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServerProcess } from './server-process.mjs';

const main = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));
export const KEY_ENV = 'SWITCHBOARD_BENCH_OPENAI_KEY';

/**
 * The environment for a server process: no provider key, base URL or SWITCHBOARD_* setting of the
 * caller's leaks in (only what the benchmark sets).
 */
export function cleanEnv(extra = {}) {
  const env = { ...process.env };
  for (const k of Object.keys(env)) {
    if (k.startsWith('SWITCHBOARD_') || /_(API_KEY|API_KEYS|BASE_URL)$/.test(k) || /^(OPENAI|ANTHROPIC|CLAUDE|GROQ|GEMINI|GOOGLE)_/.test(k)) delete env[k];
  }
  return { ...env, ...extra };
}

export async function startFastUpstream() {
  const s = await startServerProcess({ name: 'fast upstream', script: fileURLToPath(new URL('./fast-upstream.mjs', import.meta.url)), env: cleanEnv() });
  return {
    ...s,
    command: 'node bench/support/fast-upstream.mjs',
    /** { requests, byRoute, cpuUs } so far. */
    stats: async () => {
      const { requests, byRoute, cpuUs } = await s.ask('stats');
      return { requests, byRoute, cpuUs };
    },
    reset: () => s.ask('reset'),
  };
}

export async function startMinimalGateway({ upstreams, connections = 64, nodeFlags = [] }) {
  const config = { upstreams, connections };
  const s = await startServerProcess({ name: 'minimal gateway', script: fileURLToPath(new URL('./minimal-gateway.mjs', import.meta.url)), args: [JSON.stringify(config)], env: cleanEnv(), nodeFlags });
  return { ...s, config, command: 'node bench/support/minimal-gateway.mjs <config>' };
}

/** The byte relay (byte-relay.mjs) in front of `upstream`: the floor for any process on the path. */
export async function startByteRelay({ upstream, nodeFlags = [] }) {
  const s = await startServerProcess({ name: 'byte relay', script: fileURLToPath(new URL('./byte-relay.mjs', import.meta.url)), args: [JSON.stringify({ upstream })], env: cleanEnv(), nodeFlags });
  return { ...s, command: 'node bench/support/byte-relay.mjs <config>' };
}

/** The config file the gateway gets (the key by environment variable name, as the example file does). */
export function gatewayConfig({ upstream, maxConcurrent = 64, queueSize = 1000, extra = {} }) {
  return {
    comment: 'written by bench/support/gateway-process.mjs',
    providers: {
      openai: {
        baseUrl: upstream,
        keys: [{ env: KEY_ENV, name: 'k1', maxConcurrent }],
        queue: { size: queueSize, maxConcurrent },
        ...extra,
      },
    },
  };
}

export async function startGatewayProcess(options) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sb-bench-'));
  const file = path.join(dir, 'switchboard.config.json');
  const config = gatewayConfig(options);
  writeFileSync(file, JSON.stringify(config, null, 2));
  // cwd: the temporary directory, so that no .env of the working tree is loaded (no real keys).
  let s;
  try {
    s = await startServerProcess({
      name: 'switchboard serve',
      script: main,
      args: ['serve', '--port', '0', '--config', file],
      env: cleanEnv({ [KEY_ENV]: 'sk-bench-gateway-0000' }),
      cwd: dir,
      nodeFlags: options.nodeFlags ?? [],
    });
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    ...s,
    config,
    command: 'node dist/src/cli/main.js serve --port 0 --config <tmp>/switchboard.config.json',
    stop: async () => {
      await s.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
