import { describe, expect, it } from 'vitest';
import { SharedBudget } from '../../src/shared/index.js';
import type { SharedEvent } from '../../src/shared/types.js';
import { inspectClient, nextEvent, useSharedRedis } from '../support/shared.js';

// Each test starts from a live, empty server.
const shared = useSharedRedis({ prefix: 'd', reset: 'restart' });

const SECRET = 'sk-degraded-test-0002';

describe('degraded mode: Redis down or slow (real redis-server, killed and restarted)', () => {
  it('answers from a 1/N share when Redis is killed, never throws, and says so; restored on the same port', async () => {
    const instances = shared.fresh();
    const keys = [{ name: 'k', secret: SECRET, maxConcurrent: 4, limits: { rpm: 60 } }];
    const [a, b] = [await instances.make(keys), await instances.make(keys)];
    expect(a.report()).toMatchObject({ mode: 'redis', instances: 2 });
    const events: SharedEvent[] = [];
    a.on((e) => events.push(e));
    const degraded = nextEvent(a, (e) => e.type === 'degraded', 2_000);
    await shared.redis.kill();
    const g = await a.acquire('k', 1);
    await degraded;
    expect(a.report().mode).toBe('degraded');
    // Two instances were alive: this one may spend 1/2 of rpm 60 = 30/min, and having spent
    // through Redis in this window already, its share starts empty: one request per 2 s.
    expect(g).toMatchObject({ ok: false, reason: 'budget', local: true });
    expect((g as { waitMs: number }).waitMs).toBeGreaterThan(1_900);
    expect((g as { waitMs: number }).waitMs).toBeLessThanOrEqual(2_000);
    // And 1/2 of maxConcurrent 4 in flight at once.
    expect(await b.acquire('k', 1)).toMatchObject({ ok: false, local: true });
    await expect(a.settle('k', { id: 'x', estTokens: 1, local: false }, 1)).resolves.toBe(0);
    await expect(a.disable('k')).resolves.toBeUndefined();
    await expect(a.breaker.trip()).resolves.toBeNull();
    expect(await a.breaker.probe()).toEqual({ ok: true, lease: null });

    const restored = [a, b].map((x) => nextEvent(x, (e) => e.type === 'restored', 10_000));
    await shared.redis.restart();
    await Promise.all(restored);
    expect(a.report().mode).toBe('redis');
    expect(events.map((e) => e.type).filter((t) => t === 'degraded' || t === 'restored')).toEqual(['degraded', 'restored']);
    // What happened while degraded was replayed: the key disabled on A is disabled for B too.
    expect(await b.acquire('k', 1)).toMatchObject({ ok: false, reason: 'disabled' });
  });

  it('spends at most 1/N of concurrency while degraded', async () => {
    const instances = shared.fresh();
    const keys = [{ name: 'k', secret: SECRET, maxConcurrent: 4 }];
    const [a] = [await instances.make(keys), await instances.make(keys)];
    const degraded = nextEvent(a, (e) => e.type === 'degraded', 2_000);
    await shared.redis.kill();
    const answers = await Promise.all([1, 2, 3, 4].map(() => a.acquire('k', 1)));
    await degraded;
    expect(answers.filter((g) => g.ok)).toHaveLength(2);
    expect(answers.filter((g) => !g.ok)[0]).toMatchObject({ reason: 'concurrency', local: true });
  });

  it('charges what it spent locally while degraded to the shared bucket once Redis is back', async () => {
    const instances = shared.fresh();
    const keys = [{ name: 'k', secret: SECRET, limits: { rpm: 10 } }];
    await shared.redis.kill();
    // Started while Redis is down: alone as far as it knows, its local share is the whole rpm.
    const a = new SharedBudget({
      shared: { redis: shared.redis.url, namespace: instances.namespace, timeoutMs: 1_000 }, provider: 'openai', baseUrl: 'http://127.0.0.1:1/v1', keys,
      attemptTimeoutMs: 1_000, breaker: { failureThreshold: 3, resetTimeoutMs: 30_000, halfOpenProbes: 1 },
    }).start();
    try {
      const degraded = nextEvent(a, (e) => e.type === 'degraded', 5_000);
      const grants = await Promise.all(Array.from({ length: 10 }, () => a.acquire('k', 1)));
      expect(grants.every((g) => g.ok)).toBe(true);
      await degraded;
      const restored = nextEvent(a, (e) => e.type === 'restored', 10_000);
      await shared.redis.restart();
      await restored;
      // The ten local grants went out: another instance finds the key's minute spent.
      const b = await instances.make(keys);
      expect(await b.acquire('k', 1)).toMatchObject({ ok: false, reason: 'budget' });
    } finally {
      await a.stop();
    }
  });

  it('refuses while degraded with failClosed', async () => {
    const instances = shared.fresh();
    const a = await instances.make([{ name: 'k', secret: SECRET }], { shared: { redis: shared.redis.url, namespace: instances.namespace, timeoutMs: 1_000, failClosed: true } });
    await shared.redis.kill();
    expect(await a.acquire('k', 1)).toMatchObject({ ok: false, reason: 'failClosed' });
  });

  it('goes degraded when a command takes longer than timeoutMs, then comes back', async () => {
    const instances = shared.fresh();
    const a = await instances.make([{ name: 'k', secret: SECRET, limits: { rpm: 600 } }], { shared: { redis: shared.redis.url, namespace: instances.namespace, timeoutMs: 50 } });
    const c = await inspectClient(shared.redis.url);
    const degraded = nextEvent(a, (e) => e.type === 'degraded', 2_000);
    const restored = nextEvent(a, (e) => e.type === 'restored', 10_000);
    // Every other client's commands wait 400 ms on the server: slower than timeoutMs.
    await c.sendCommand(['CLIENT', 'PAUSE', '400', 'ALL']);
    const t0 = performance.now();
    const g = await a.acquire('k', 1);
    expect(performance.now() - t0).toBeLessThan(300);
    expect(g).toMatchObject({ local: true });
    expect(await degraded).toMatchObject({ type: 'degraded' });
    await restored;
    expect(a.report().mode).toBe('redis');
    await c.close();
  });
});
