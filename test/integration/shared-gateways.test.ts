import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../src/sim/index.js';
import { startCountingProxy, type CountingProxy } from '../support/counting-proxy.js';
import { CLI, health, startGatewayProcess, waitUntil, type GatewayProcess } from '../support/gateway.js';
import { inspectClient, useSharedRedis } from '../support/shared.js';

/**
 * Separate `switchboard serve` processes sharing keys through a real redis-server, in front of
 * one simulator (real time), and `--workers N` (node:cluster).
 */
let sim: Simulator;
let dir: string;
const running: GatewayProcess[] = [];

const shared = useSharedRedis({
  cleanup: async () => {
    await Promise.all(running.splice(0).map((g) => g.stop('SIGKILL')));
    sim.reset();
    sim.configure({ defaults: { latencyMs: null }, keys: {} });
  },
});
beforeAll(async () => {
  sim = await startSimulator({ seed: 1 });
  dir = mkdtempSync(path.join(tmpdir(), 'sb-shared-gw-'));
});
afterAll(async () => {
  await sim?.stop();
  rmSync(dir, { recursive: true, force: true });
});

let n = 0;
function configFile(openai: Record<string, unknown>): string {
  const file = path.join(dir, `config-${++n}.json`);
  writeFileSync(file, JSON.stringify({ providers: { openai } }));
  return file;
}

/** The config names the key's variable, never the secret: every process gets it in its environment. */
const KEY_VAR = 'SB_SHARED_TEST_KEY';

async function gateways(count: number, file: string, secret: string): Promise<GatewayProcess[]> {
  const started = await Promise.all(Array.from({ length: count }, () => startGatewayProcess(['--port', '0', '--config', file, '--redis', shared.redis.url], { [KEY_VAR]: secret })));
  running.push(...started);
  // Every process connected and counted by the others.
  await waitUntil(async () => (await Promise.all(started.map((g) => health(g.url)))).every((h) => h.providers.openai?.shared?.instances === count), 10_000, 'every gateway to see the others');
  return started;
}

async function chat(url: string, content: string): Promise<number> {
  const res = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content }], max_tokens: 8 }),
  });
  await res.text();
  return res.status;
}

describe('gateway processes sharing through Redis (real redis-server, simulator on loopback)', () => {
  it('three processes on one key with limits.rpm: 0 requests over the limit the simulator enforces, every chat answered', { timeout: 90_000 }, async () => {
    const secret = 'sk-gw-shared-rpm-00001';
    sim.configure({ keys: { [secret]: { rateLimit: { requestsPerMinute: 90 } } } });
    // A generous command timeout: this test is about sharing, not about a loaded machine making one
    // gateway's link look slow (a degraded instance spends its 1/N beside the others: see docs/SCALE-OUT.md).
    const sharedConfig = { redis: shared.redis.url, timeoutMs: 1_000 };
    const g = await gateways(3, configFile({ baseUrl: sim.urls.openai, shared: sharedConfig, keys: [{ env: KEY_VAR, name: 'k', limits: { rpm: 90 } }] }), secret);
    for (const x of g) expect((await health(x.url)).providers.openai.shared).toMatchObject({ mode: 'redis', instances: 3 });
    const statuses = await Promise.all(Array.from({ length: 94 }, (_, i) => chat(g[i % 3]!.url, `m${i}`)));
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    expect(sim.stats().providers.openai.rateLimited).toBe(0);
    expect(sim.stats().providers.openai.requests).toBe(94);
    // Nothing the gateways wrote to Redis names the key: scan every key and value.
    const c = await inspectClient(shared.redis.url);
    const dump: string[] = [];
    for await (const batch of c.scanIterator({ COUNT: 100 })) {
      for (const key of batch as unknown as string[]) {
        // Read as values (DUMP may compress a long string, hiding what it holds).
        const type = await c.type(key);
        if (type === 'hash') dump.push(key, JSON.stringify(await c.hGetAll(key)));
        else if (type === 'zset') dump.push(key, JSON.stringify(await c.zRangeWithScores(key, 0, -1)));
        else if (type === 'string') dump.push(key, String(await c.get(key)));
        else dump.push(key, type);
      }
    }
    await c.close();
    expect(dump.length).toBeGreaterThan(2);
    for (const fragment of [secret, secret.slice(-12), secret.slice(0, 12)]) expect(dump.join('\n')).not.toContain(fragment);
  });

  it('keeps maxConcurrent 2 across three processes at the provider', async () => {
    const proxy: CountingProxy = await startCountingProxy(sim.url);
    try {
      sim.configure({ defaults: { latencyMs: 40 } });
      const base = `${proxy.url}${new URL(sim.urls.openai).pathname}`;
      const g = await gateways(3, configFile({ baseUrl: base, keys: [{ env: KEY_VAR, name: 'k', maxConcurrent: 2 }] }), 'sk-gw-shared-conc-0001');
      const statuses = await Promise.all(Array.from({ length: 15 }, (_, i) => chat(g[i % 3]!.url, `c${i}`)));
      expect(statuses.filter((s) => s !== 200)).toEqual([]);
      expect(proxy.peak).toBeLessThanOrEqual(2);
      expect(proxy.total).toBe(15);
    } finally {
      await proxy.stop();
    }
  });

  it('a process killed mid-run (SIGKILL): the others finish every request, and its lease comes back', async () => {
    const secret = 'sk-gw-shared-kill-0001';
    sim.configure({ keys: { [secret]: { latencyMs: 1_500 } } });
    const g = await gateways(3, configFile({ baseUrl: sim.urls.openai, timeoutMs: 2_000, retry: { maxRetries: 0 }, keys: [{ env: KEY_VAR, name: 'k', maxConcurrent: 1 }] }), secret);
    const victim = g[2]!;
    const lost = chat(victim.url, 'doomed').catch(() => 0);
    await sim.waitForRequests(1, 5_000);
    await victim.stop('SIGKILL');
    await lost;
    // The victim's lease (attempt timeout 2 s + 5 s) still holds the key's only place: the others
    // wait for it to expire, then finish.
    const t0 = Date.now();
    const statuses = await Promise.all([chat(g[0]!.url, 'a'), chat(g[1]!.url, 'b')]);
    expect(statuses).toEqual([200, 200]);
    expect(Date.now() - t0).toBeLessThan(12_000);
    expect((await health(g[0]!.url)).providers.openai.shared.instances).toBeGreaterThanOrEqual(2);
  }, 30_000);

  it('--workers 3 with --sim: one port, one simulator, three instances sharing through Redis', async () => {
    const gw = await startGatewayProcess(['--port', '0', '--sim', '--workers', '3', '--redis', shared.redis.url], {}, 20_000);
    running.push(gw);
    expect(gw.lines[0]).toMatch(/3 worker processes/);
    await waitUntil(async () => (await health(gw.url)).providers.openai?.shared?.instances === 3, 10_000, 'three workers');
    const statuses = await Promise.all(Array.from({ length: 12 }, (_, i) => chat(gw.url, `w${i}`)));
    expect(statuses.every((s) => s === 200)).toBe(true);
    expect(await gw.stop('SIGTERM')).toBe(0);
  }, 40_000);

  it('refuses --workers without Redis, exit code 2, naming Redis', async () => {
    const child = spawn(process.execPath, [CLI, 'serve', '--port', '0', '--sim', '--workers', '2'], { cwd: tmpdir(), env: { PATH: process.env.PATH ?? '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    expect(code).toBe(2);
    expect(err).toMatch(/Redis/);
  });
});
