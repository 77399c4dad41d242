import { describe, expect, it } from 'vitest';
import { SharedBridge } from '../../src/shared/board-bridge.js';
import type { SharedGrant, SharedLease } from '../../src/shared/types.js';
import { inspectClient, nextEvent, redisNow, untilRedisPassed, useSharedRedis } from '../support/shared.js';

const SECRET = 'sk-live-DO-NOT-LEAK-7f3a9c21b8e44d06';

const shared = useSharedRedis();

const granted = (g: SharedGrant): g is { ok: true; lease: SharedLease } => g.ok;

describe('shared budgets across instances (real redis-server)', () => {
  it('two instances sharing a key with rpm never grant more than the bucket allows, by Redis time', async () => {
    const i = shared.fresh();
    const keys = [{ name: 'main', secret: SECRET, limits: { rpm: 30 } }];
    const [a, b] = [await i.make(keys), await i.make(keys)];
    const c = await inspectClient(shared.redis.url);
    const start = await redisNow(c);
    let grants = 0;
    const waits: number[] = [];
    // A request stream from both instances at once, 20 rounds of 4 attempts each.
    for (let round = 0; round < 20; round++) {
      const answers = await Promise.all([a.acquire('main', 10), b.acquire('main', 10), a.acquire('main', 10), b.acquire('main', 10)]);
      for (const g of answers) {
        if (granted(g)) grants++;
        else waits.push(g.waitMs);
      }
    }
    const elapsedMs = (await redisNow(c)) - start;
    await c.close();
    // Capacity 30, refilling 0.5 per second: never more than that, whatever the interleaving.
    expect(grants).toBeLessThanOrEqual(30 + Math.floor((elapsedMs + 1) / 2_000));
    // The whole capacity but the last request, kept as the 250 ms refill margin (see waitFor).
    expect(grants).toBeGreaterThanOrEqual(29);
    // Every refusal is an exact wait (a fraction of the 2 s per request, plus the margin), never a poll hint.
    expect(waits.length).toBe(80 - grants);
    for (const w of waits) expect(w).toBeGreaterThan(0), expect(w).toBeLessThanOrEqual(2_250);
  });

  it('keeps concurrency leases across three instances at maxConcurrent, and a release wakes the others', async () => {
    const i = shared.fresh();
    const keys = [{ name: 'k', secret: SECRET, maxConcurrent: 2, limits: { rpm: 1_000 } }];
    const [a, b, c] = [await i.make(keys), await i.make(keys), await i.make(keys)];
    const answers = await Promise.all([a, b, c, a, b, c].map((x) => x.acquire('k', 1)));
    const leases = answers.map((g, n) => ({ g, n })).filter(({ g }) => g.ok);
    expect(leases).toHaveLength(2);
    for (const { g } of answers.map((g) => ({ g })).filter(({ g }) => !g.ok)) expect(g).toMatchObject({ ok: false, reason: 'concurrency' });
    const owner = [a, b, c, a, b, c][leases[0]!.n]!;
    const waiter = [a, b, c].find((x) => x !== owner)!;
    const woke = nextEvent(waiter, (e) => e.type === 'key' && e.state === 'released', 1_000);
    await owner.settle('k', (leases[0]!.g as { lease: SharedLease }).lease, 1);
    await woke;
    expect((await waiter.acquire('k', 1)).ok).toBe(true);
    expect((await c.acquire('k', 1)).ok).toBe(false);
  });

  it('does not lose a release heard while its own refusal for concurrency was on the way back', async () => {
    const i = shared.fresh();
    const keys = [{ name: 'k', secret: SECRET, maxConcurrent: 1, limits: { rpm: 1_000 } }];
    const [owner, waiter] = [await i.make(keys), await i.make(keys)];
    const held = await owner.acquire('k', 1);
    expect(held.ok).toBe(true);
    const woken: string[] = [];
    const bridge = new SharedBridge(waiter, {
      keyState: () => {},
      breakerSync: () => {},
      wake: (keyName) => void woken.push(keyName),
      pace: () => {},
      link: () => {},
    }, () => Date.now());
    // The race, made certain: the waiter's refusal (from Redis, on the command connection) is handed
    // over only after the owner's release has reached the waiter (over Pub/Sub, another connection).
    const released = nextEvent(waiter, (e) => e.type === 'key' && e.state === 'released', 2_000);
    const acquire = waiter.acquire.bind(waiter);
    let refusal: SharedGrant | null = null;
    waiter.acquire = async (keyName, tokens) => {
      const g = await acquire(keyName, tokens);
      refusal = g;
      await owner.settle('k', (held as { lease: SharedLease }).lease, 1);
      await released;
      return g;
    };
    const answer = await bridge.acquire('k', 1, false);
    expect(refusal).toMatchObject({ ok: false, reason: 'concurrency' });
    expect(woken).toEqual(['k']);
    // Ask again at once (the place is free now), not at the released lease's expiry.
    expect(answer).toEqual({ granted: false, waitMs: 0, concurrency: true });
    waiter.acquire = acquire;
    expect(await bridge.acquire('k', 1, false)).toMatchObject({ granted: true });
    await bridge.stop();
  });

  it("gives a dead instance's lease back once it expires (attempt timeout + grace)", async () => {
    const i = shared.fresh();
    const keys = [{ name: 'k', secret: SECRET, maxConcurrent: 1 }];
    const dead = await i.make(keys, { attemptTimeoutMs: 100, leaseGraceMs: 200 });
    const alive = await i.make(keys, { attemptTimeoutMs: 100, leaseGraceMs: 200 });
    expect((await dead.acquire('k', 1)).ok).toBe(true);
    await dead.stop(); // never settles: its lease is all that is left of it
    const refused = await alive.acquire('k', 1);
    expect(refused).toMatchObject({ ok: false, reason: 'concurrency' });
    const waitMs = (refused as { waitMs: number }).waitMs;
    expect(waitMs).toBeGreaterThan(0);
    expect(waitMs).toBeLessThanOrEqual(300);
    // The exact wait the script answered (the lease's expiry on Redis's clock), then it is free.
    await untilRedisPassed(shared.redis.url, waitMs);
    expect((await alive.acquire('k', 1)).ok).toBe(true);
  });

  it('lets one request at a time probe a key nothing is known of, across instances, until its first answer', async () => {
    const i = shared.fresh();
    const keys = [{ name: 'k', secret: SECRET }];
    const [a, b] = [await i.make(keys), await i.make(keys)];
    const probe = await a.acquire('k', 1);
    expect(probe.ok).toBe(true);
    expect(await b.acquire('k', 1)).toMatchObject({ ok: false, reason: 'concurrency' });
    // Its answer wakes every request waiting behind it, not one (a release of one lease would).
    const woke = nextEvent(b, (e) => e.type === 'key' && e.state === 'released' && e.all === true, 1_000);
    expect(await a.settle('k', (probe as { lease: SharedLease }).lease, 1)).toBe(2);
    await woke;
    const after = await Promise.all([a.acquire('k', 1), b.acquire('k', 1), b.acquire('k', 1)]);
    expect(after.every((g) => g.ok)).toBe(true);
  });

  it('keeps the later of two cooling waits, whichever instance reports last', async () => {
    const i = shared.fresh();
    const keys = [{ name: 'k', secret: SECRET }];
    const [a, b] = [await i.make(keys), await i.make(keys)];
    await a.cool('k', 5_000);
    await b.cool('k', 1_000);
    const g = await b.acquire('k', 1);
    expect(g).toMatchObject({ ok: false, reason: 'cooling' });
    expect((g as { waitMs: number }).waitMs).toBeGreaterThan(4_000);
  });

  it("delivers a 401's disable to the other instance's subscriber within 100 ms", async () => {
    const i = shared.fresh();
    const [a, b] = [await i.make([{ name: 'a-name', secret: SECRET }]), await i.make([{ name: 'b-name', secret: SECRET }])];
    const seen = nextEvent(b, (e) => e.type === 'key' && e.state === 'disabled', 1_000);
    const t0 = performance.now();
    await a.disable('a-name', 'invalid key');
    const e = await seen;
    expect(performance.now() - t0).toBeLessThan(100);
    // The same key under another name on B: instances agree by keyId, not by name.
    expect(e).toMatchObject({ type: 'key', keyName: 'b-name', state: 'disabled' });
    expect(await b.acquire('b-name', 1)).toMatchObject({ ok: false, reason: 'disabled' });
  });

  it('refunds estimate minus used tokens on settle, so a token bucket is charged what was used', async () => {
    const i = shared.fresh();
    const keys = [{ name: 'k', secret: SECRET, limits: { tpm: 1_000 } }];
    const [a, b] = [await i.make(keys), await i.make(keys)];
    const g = await a.acquire('k', 900);
    expect(g.ok).toBe(true);
    expect(await b.acquire('k', 500)).toMatchObject({ ok: false, reason: 'budget' });
    await a.settle('k', (g as { lease: SharedLease }).lease, 100);
    expect((await b.acquire('k', 500)).ok).toBe(true);
  });

  it("lets the provider's headers only lower the shared request budget, refilling at their rate", async () => {
    const i = shared.fresh();
    const keys = [{ name: 'k', secret: SECRET, limits: { rpm: 1_000 } }];
    const [a, b] = [await i.make(keys), await i.make(keys)];
    // 60 a minute: 2 left, full again in 59 s → refills (60 − 2 − 1) / 59 s ≈ one per 1.04 s.
    await a.lowerFromHeaders('k', { limitRequests: 60, remainingRequests: 2, resetRequestsMs: 59_000 });
    // A later, higher "remaining" (another instance's stale view) does not raise it.
    await b.lowerFromHeaders('k', { limitRequests: 60, remainingRequests: 50, resetRequestsMs: 10_000 });
    const first = await a.acquire('k', 1);
    expect(first.ok).toBe(true);
    // One left, held back by the 250 ms refill margin (see headerWait): a quarter second at this rate.
    const g = await b.acquire('k', 1);
    expect(g).toMatchObject({ ok: false, reason: 'headers' });
    expect((g as { waitMs: number }).waitMs).toBeGreaterThan(150);
    expect((g as { waitMs: number }).waitMs).toBeLessThanOrEqual(300);
    // The first answers (settled, then its headers read, as the dispatcher does): none left. A whole
    // request's refill at the provider's rate, plus the margin.
    await a.settle('k', (first as { lease: SharedLease }).lease, 1);
    await a.lowerFromHeaders('k', { limitRequests: 60, remainingRequests: 0, resetRequestsMs: 59_000 });
    const none = await a.acquire('k', 1);
    expect(none).toMatchObject({ ok: false, reason: 'headers' });
    expect((none as { waitMs: number }).waitMs).toBeGreaterThan(1_100);
    expect((none as { waitMs: number }).waitMs).toBeLessThanOrEqual(1_400);
  });

  it("takes the requests still in flight from the provider's first remaining count (they may not have arrived yet)", async () => {
    const i = shared.fresh();
    const keys = [{ name: 'k', secret: SECRET, limits: { rpm: 1_000 } }];
    const [a, b] = [await i.make(keys), await i.make(keys)];
    // Three requests out before any header is known; the first answer (settled, as the dispatcher
    // does, before its headers are read) says 8 of 10 left.
    const out: SharedGrant[] = [];
    for (const x of [a, b, a]) out.push(await x.acquire('k', 1));
    expect(out.every(granted)).toBe(true);
    await a.settle('k', (out[0] as { lease: SharedLease }).lease, 1);
    await a.lowerFromHeaders('k', { limitRequests: 10, remainingRequests: 8, resetRequestsMs: 60_000 });
    let n = 0;
    for (let k = 0; k < 10; k++) if ((await (k % 2 ? a : b).acquire('k', 1)).ok) n++;
    // 8 left as the provider counted, minus the 2 other requests it may not have seen, and the
    // last held back by the refill margin.
    expect(n).toBe(5);
  });

  it('takes the requests in flight from every later remaining count too, not only the first', async () => {
    const i = shared.fresh();
    const keys = [{ name: 'k', secret: SECRET, limits: { rpm: 1_000 } }];
    const [a, b] = [await i.make(keys), await i.make(keys)];
    await a.lowerFromHeaders('k', { limitRequests: 100, remainingRequests: 100, resetRequestsMs: 60_000 });
    // Ten granted (our level 90); one answers with a remaining of 20 (the provider's window is
    // tighter than we knew), nine still in flight: 20 − 9 = 11 left, not 20 (the last held back by
    // the refill margin: 10 granted).
    const out: SharedGrant[] = [];
    for (let k = 0; k < 10; k++) out.push(await (k % 2 ? a : b).acquire('k', 1));
    expect(out.every(granted)).toBe(true);
    await b.settle('k', (out[1] as { lease: SharedLease }).lease, 1);
    await b.lowerFromHeaders('k', { limitRequests: 100, remainingRequests: 20, resetRequestsMs: 60_000 });
    let n = 0;
    for (let k = 0; k < 20; k++) if ((await (k % 2 ? a : b).acquire('k', 1)).ok) n++;
    expect(n).toBe(10);
  });

  it('counts the instances alive by heartbeat, and forgets one that stopped', async () => {
    const i = shared.fresh();
    const keys = [{ name: 'k', secret: SECRET }];
    const [a, b, c] = [await i.make(keys), await i.make(keys), await i.make(keys)];
    expect(c.report()).toMatchObject({ mode: 'redis', instances: 3 });
    await b.stop();
    const d = await i.make(keys);
    expect(d.report().instances).toBe(3);
    expect(a.report().scriptMsP50).toBeGreaterThan(0);
    expect(a.report().scriptMsP99).toBeGreaterThanOrEqual(a.report().scriptMsP50);
  });

  it('reloads its scripts when Redis answers NOSCRIPT (a SCRIPT FLUSH, a failover) and still grants', async () => {
    const i = shared.fresh();
    const a = await i.make([{ name: 'k', secret: SECRET, limits: { rpm: 100 } }]);
    const c = await inspectClient(shared.redis.url);
    await c.sendCommand(['SCRIPT', 'FLUSH']);
    await c.close();
    expect((await a.acquire('k', 1)).ok).toBe(true);
    expect(a.report().mode).toBe('redis');
  });

  it('stores no secret in any Redis key or value', async () => {
    const i = shared.fresh();
    const keys = [{ name: 'k', secret: SECRET, maxConcurrent: 3, limits: { rpm: 10, tpm: 1_000, rpd: 100 } }];
    const [a, b] = [await i.make(keys), await i.make(keys)];
    const g = await a.acquire('k', 10);
    await a.lowerFromHeaders('k', { limitRequests: 10, remainingRequests: 5, resetRequestsMs: 1_000, limitTokens: 1_000, remainingTokens: 100, resetTokensMs: 1_000 });
    await b.cool('k', 100);
    await b.breaker.trip();
    if (g.ok) await a.settle('k', g.lease, 5);
    const c = await inspectClient(shared.redis.url);
    const dump: string[] = [];
    for await (const batch of c.scanIterator({ COUNT: 100 })) {
      for (const key of batch as unknown as string[]) {
        dump.push(key);
        const type = await c.type(key);
        if (type === 'hash') dump.push(JSON.stringify(await c.hGetAll(key)));
        else if (type === 'zset') dump.push(JSON.stringify(await c.zRangeWithScores(key, 0, -1)));
        else dump.push(String(await c.sendCommand(['DUMP', key])));
      }
    }
    await c.close();
    expect(dump.length).toBeGreaterThan(4);
    const all = dump.join('\n');
    for (const fragment of [SECRET, SECRET.slice(-12), SECRET.slice(0, 12)]) expect(all).not.toContain(fragment);
  });
});
