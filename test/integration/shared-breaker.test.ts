import { describe, expect, it } from 'vitest';
import { nextEvent, untilRedisPassed, useSharedRedis } from '../support/shared.js';

const shared = useSharedRedis({ prefix: 'b' });

const keys = [{ name: 'k', secret: 'sk-breaker-test-0001' }];

describe('the breaker shared per provider endpoint (real redis-server)', () => {
  it('publishes a trip to the other instances within 100 ms, with the reset wait on Redis time', async () => {
    const instances = shared.fresh();
    const [a, b, c] = [await instances.make(keys), await instances.make(keys), await instances.make(keys)];
    const seenB = nextEvent(b, (e) => e.type === 'breaker', 1_000);
    const seenC = nextEvent(c, (e) => e.type === 'breaker', 1_000);
    const t0 = performance.now();
    expect(await a.breaker.trip()).toMatchObject({ state: 'open', trips: 1 });
    const [eb, ec] = await Promise.all([seenB, seenC]);
    expect(performance.now() - t0).toBeLessThan(100);
    for (const e of [eb, ec]) {
      expect(e).toMatchObject({ type: 'breaker', state: 'open', trips: 1 });
      expect((e as { waitMs: number }).waitMs).toBeGreaterThan(29_000);
    }
    // A second instance reaching its threshold does not re-open (nor extend) it.
    expect(await b.breaker.trip()).toMatchObject({ state: 'open', trips: 1 });
    expect(await c.breaker.probe()).toMatchObject({ ok: false, state: 'open' });
  });

  it('lets exactly halfOpenProbes probes through across all instances, then closes for all', async () => {
    const instances = shared.fresh({ breaker: { failureThreshold: 3, resetTimeoutMs: 150, halfOpenProbes: 2 } });
    const all = [await instances.make(keys), await instances.make(keys), await instances.make(keys)];
    const [a, b, c] = all;
    await a!.breaker.trip();
    const early = await b!.breaker.probe();
    expect(early).toMatchObject({ ok: false, state: 'open' });
    await untilRedisPassed(shared.redis.url, (early as { waitMs: number }).waitMs);
    const halfOpenSeen = nextEvent(c!, (e) => e.type === 'breaker' && e.state === 'halfOpen', 1_000);
    const answers = await Promise.all(all.flatMap((x) => [x.breaker.probe(), x.breaker.probe(), x.breaker.probe()]));
    const probes = answers.filter((g) => g.ok);
    expect(probes).toHaveLength(2);
    for (const g of answers.filter((g) => !g.ok)) expect(g).toMatchObject({ ok: false, state: 'halfOpen' });
    await halfOpenSeen.catch(() => undefined); // published by whichever instance moved it; c may be that one
    const closedSeen = nextEvent(c!, (e) => e.type === 'breaker' && e.state === 'closed', 1_000);
    const leases = probes.map((g) => (g as { lease: string }).lease);
    const owners = answers.map((g, n) => ({ g, owner: all[Math.floor(n / 3)]! })).filter(({ g }) => g.ok);
    expect(await owners[0]!.owner.breaker.probeResult(leases[0]!, 'ok')).toMatchObject({ state: 'halfOpen' });
    expect(await owners[1]!.owner.breaker.probeResult(leases[1]!, 'ok')).toMatchObject({ state: 'closed' });
    const closed = await closedSeen.catch(() => null);
    // c hears it unless c itself closed it (an instance never hears its own transitions).
    if (owners[1]!.owner !== c) expect(closed).toMatchObject({ state: 'closed' });
    expect(await b!.breaker.probe()).toEqual({ ok: true, lease: null });
  });

  it('opens again for all when a probe fails', async () => {
    const instances = shared.fresh({ breaker: { failureThreshold: 3, resetTimeoutMs: 100, halfOpenProbes: 1 } });
    const [a, b] = [await instances.make(keys), await instances.make(keys)];
    await a.breaker.trip();
    const early = await a.breaker.probe();
    await untilRedisPassed(shared.redis.url, (early as { waitMs: number }).waitMs);
    const probe = await a.breaker.probe();
    expect(probe.ok).toBe(true);
    const reopened = nextEvent(b, (e) => e.type === 'breaker' && e.state === 'open', 1_000);
    expect(await a.breaker.probeResult((probe as { lease: string }).lease, 'failed')).toMatchObject({ state: 'open', trips: 2 });
    expect(await reopened).toMatchObject({ state: 'open', trips: 2 });
  });
});
