import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../src/sim/index.js';
import { createSupervisor, type Board } from '../../src/supervisor/index.js';
import type { SupervisorOptions } from '../../src/options.js';
import { startCountingProxy, type CountingProxy } from '../support/counting-proxy.js';
import { useSharedRedis } from '../support/shared.js';

/**
 * Several boards in one process sharing keys through a real redis-server, against the simulator on
 * real time (Redis's clock is real; the simulator's buckets must run on the same time).
 */
let sim: Simulator;
const boards: Board[] = [];
const chat = (b: Board, content = 'hi') => b.chat({ model: 'gpt-4o-mini', messages: [{ role: 'user', content }], maxTokens: 8 });

const shared = useSharedRedis({
  cleanup: async () => {
    await Promise.all(boards.splice(0).map((b) => b.stop({ drain: false })));
    sim.reset();
    sim.configure({ defaults: { latencyMs: null, outage: null, rateLimit: null, script: null }, openai: { script: null, outage: null, rateLimit: null }, keys: {} });
  },
});
beforeAll(async () => {
  sim = await startSimulator({ seed: 1 });
});
afterAll(async () => {
  await sim?.stop();
});

function board(options: Partial<SupervisorOptions> & { namespace: string; baseUrl?: string }): Board {
  const { namespace, ...rest } = options;
  const b = createSupervisor({
    provider: 'openai',
    baseUrl: sim.urls.openai,
    retry: { jitter: 'none', initialDelayMs: 10, maxDelayMs: 50 },
    ...rest,
    shared: { redis: shared.redis.url, namespace, timeoutMs: 1_000 },
  } as SupervisorOptions);
  boards.push(b);
  return b;
}

/** Resolves with the time (performance.now()) `type` was emitted on `b`; rejects after `ms`. */
function when(b: Board, type: string, ms = 3_000): Promise<number> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${type} not emitted within ${ms} ms`)), ms);
    const off = b.on(type as never, () => {
      clearTimeout(t);
      off();
      resolve(performance.now());
    });
  });
}

async function ready(...bs: Board[]): Promise<void> {
  await Promise.all(bs.map((b) => (b as unknown as { sharedReady(): Promise<boolean> }).sharedReady()));
}

describe('boards sharing keys through Redis (real redis-server, real simulator)', () => {
  it('two boards on one key with limits.rpm: the simulator, enforcing the same limit, counts 0 over it, and a burst is spread, not refused', async () => {
    const secret = 'sk-shared-rpm-0000001';
    sim.configure({ keys: { [secret]: { rateLimit: { requestsPerMinute: 120 } } } });
    const keys = [{ name: 'k', secret, limits: { rpm: 120 } }];
    const ns1 = shared.namespace();
    const [a, b] = [board({ namespace: ns1, keys }), board({ namespace: ns1, keys })];
    await ready(a, b);
    const results = await Promise.allSettled(Array.from({ length: 126 }, (_, i) => chat(i % 2 ? a : b, `m${i}`)));
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    const stats = sim.stats();
    expect(stats.providers.openai.rateLimited).toBe(0);
    expect(stats.providers.openai.requests).toBe(126);
  });

  it('keeps a key at maxConcurrent 2 across three boards at the provider', async () => {
    const proxy: CountingProxy = await startCountingProxy(sim.url);
    try {
      sim.configure({ defaults: { latencyMs: 30 } });
      const keys = [{ name: 'k', secret: 'sk-shared-conc-000001', maxConcurrent: 2 }];
      const ns1 = shared.namespace();
      const base = `${proxy.url}${new URL(sim.urls.openai).pathname}`;
      const all = [0, 1, 2].map(() => board({ namespace: ns1, keys, baseUrl: base }));
      await ready(...all);
      const results = await Promise.allSettled(Array.from({ length: 18 }, (_, i) => chat(all[i % 3]!, `c${i}`)));
      expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
      expect(proxy.total).toBe(18);
      expect(proxy.peak).toBeLessThanOrEqual(2);
    } finally {
      await proxy.stop();
    }
  });

  it('disables a key on B within 100 ms of the 401 A received', async () => {
    const bad = 'sk-shared-401-0000001';
    sim.configure({ keys: { [bad]: { script: ['invalid-key'] } } });
    const keys = [
      { name: 'one', secret: bad },
      { name: 'two', secret: 'sk-shared-401-0000002' },
    ];
    const ns1 = shared.namespace();
    const [a, b] = [board({ namespace: ns1, keys, strategy: 'round-robin' }), board({ namespace: ns1, keys })];
    await ready(a, b);
    const onA = when(a, 'key.disabled');
    const onB = when(b, 'key.disabled');
    await chat(a); // the first key answers 401; the retry on the second succeeds
    const [ta, tb] = await Promise.all([onA, onB]);
    expect(tb - ta).toBeLessThan(100);
    expect(b.state().keys.find((k) => k.name === 'one')?.state).toBe('disabled');
    const before = sim.stats().keys[bad]?.requests ?? 0;
    await chat(b);
    expect(sim.stats().keys[bad]?.requests ?? 0).toBe(before);
  });

  it("makes B fail fast within 100 ms of A's breaker opening on 503s, with no HTTP call", async () => {
    sim.configure({ openai: { outage: true } });
    const keys = [{ name: 'k', secret: 'sk-shared-brk-0000001' }];
    const ns1 = shared.namespace();
    const breaker = { failureThreshold: 3, resetTimeoutMs: 30_000, halfOpenProbes: 1 };
    const [a, b] = [board({ namespace: ns1, keys, circuitBreaker: breaker, retry: { maxRetries: 0 } }), board({ namespace: ns1, keys, circuitBreaker: breaker })];
    await ready(a, b);
    const openedA = when(a, 'breaker.opened');
    const openedB = when(b, 'breaker.opened');
    for (let i = 0; i < 3; i++) await expect(chat(a)).rejects.toBeTruthy();
    const [ta, tb] = await Promise.all([openedA, openedB]);
    expect(tb - ta).toBeLessThan(100);
    const calls = sim.stats().providers.openai.requests;
    await expect(chat(b)).rejects.toMatchObject({ code: 'SB_CIRCUIT_OPEN' });
    expect(sim.stats().providers.openai.requests).toBe(calls);
  });

  it('lets exactly halfOpenProbes probes through across three boards when half-open', async () => {
    sim.configure({ openai: { outage: true } });
    const keys = [{ name: 'k', secret: 'sk-shared-half-000001' }];
    const ns1 = shared.namespace();
    const breaker = { failureThreshold: 2, resetTimeoutMs: 300, halfOpenProbes: 2 };
    const all = [0, 1, 2].map(() => board({ namespace: ns1, keys, circuitBreaker: breaker, retry: { maxRetries: 0 } }));
    await ready(...all);
    const halfOpen = all.map((b) => when(b, 'breaker.halfOpen', 5_000));
    for (let i = 0; i < 2; i++) await expect(chat(all[0]!)).rejects.toBeTruthy();
    await Promise.all(halfOpen);
    // Still down: every probe fails; only halfOpenProbes of the nine attempts may reach it.
    sim.configure({ openai: { latencyMs: 50 } });
    const calls = sim.stats().providers.openai.requests;
    const results = await Promise.allSettled(all.flatMap((b) => [chat(b), chat(b), chat(b)]));
    expect(sim.stats().providers.openai.requests - calls).toBe(2);
    expect(results.filter((r) => r.status === 'rejected')).toHaveLength(9);
  });

  it('goes degraded when Redis dies mid-run, fails no request for it, spends 1/N, and is restored on restart', async () => {
    const secret = 'sk-shared-deg-0000001';
    const keys = [{ name: 'k', secret, limits: { rpm: 600 } }];
    const ns1 = shared.namespace();
    const [a, b] = [board({ namespace: ns1, keys }), board({ namespace: ns1, keys })];
    await ready(a, b);
    await Promise.all([chat(a), chat(b)]);
    const degraded = when(a, 'shared.degraded');
    await shared.redis.kill();
    const results = await Promise.allSettled([chat(a), chat(b), chat(a), chat(b)]);
    await degraded;
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    expect(a.report().shared).toMatchObject({ mode: 'degraded', instances: 2 });
    const restored = when(a, 'shared.restored', 10_000);
    await shared.redis.restart();
    await restored;
    expect(a.report().shared?.mode).toBe('redis');
  });

  it('refuses with SB_NO_KEYS while degraded when failClosed is set, and serves again once Redis is back', async () => {
    const keys = [{ name: 'k', secret: 'sk-shared-closed-00001' }];
    const b = createSupervisor({
      provider: 'openai', baseUrl: sim.urls.openai, keys, retry: { maxRetries: 0 },
      shared: { redis: shared.redis.url, namespace: shared.namespace(), timeoutMs: 1_000, failClosed: true },
    });
    boards.push(b);
    await b.sharedReady();
    await chat(b);
    const degraded = when(b, 'shared.degraded');
    await shared.redis.kill();
    await expect(chat(b)).rejects.toMatchObject({ code: 'SB_NO_KEYS' });
    await degraded;
    await expect(chat(b)).rejects.toMatchObject({ code: 'SB_NO_KEYS' });
    const restored = when(b, 'shared.restored', 10_000);
    await shared.redis.restart();
    await restored;
    await expect(chat(b)).resolves.toMatchObject({ keyName: 'k' });
  });
});
