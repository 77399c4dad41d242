import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BREAKER_READ, HEARTBEAT, PROBE, PROBE_RESULT, TRIP } from '../../src/shared/breaker-scripts.js';
import { keyId, keyNames } from '../../src/shared/ids.js';
import { ACQUIRE, KEY_EVENT, LOWER, RESYNC, SETTLE } from '../../src/shared/key-scripts.js';
import { script } from '../../src/shared/link.js';
import type { SharedKeySpec, SharedLease } from '../../src/shared/types.js';
import { inspectClient, nextEvent, TEST_BASE_URL, untilRedisPassed, useSharedCluster } from '../support/shared.js';
import { until } from '../support/sim-board.js';

/**
 * The shared budget on a real Redis Cluster (three `redis-server --cluster-enabled yes` masters
 * formed by `redis-cli --cluster create`), through a node-redis cluster client the application
 * passes in (`shared.redis = createCluster(…)`). Every script touches one hash tag, so each runs
 * on the master of its slot; a CROSSSLOT (or any failed script) would put the instance in degraded
 * mode and answer from its local share, which every test here rules out.
 */
const shared = useSharedCluster();
const SHAS = [ACQUIRE, SETTLE, KEY_EVENT, LOWER, RESYNC, HEARTBEAT, TRIP, PROBE, PROBE_RESULT, BREAKER_READ].map((source, n) => script(String(n), source).sha);

type NodeClient = Awaited<ReturnType<typeof inspectClient>>;
/** A plain client per node, for what only that node can say (its keys, scripts, stats). */
let nodes: Array<{ port: number; c: NodeClient }>;
beforeAll(async () => {
  nodes = await Promise.all(shared.cluster.nodes.map(async (n) => ({ port: n.port, c: await inspectClient(n.url) })));
});
afterAll(async () => {
  await Promise.all((nodes ?? []).map((n) => n.c.close()));
});

/** One key per master: candidate secrets until each master owns the hash tag of one key's state. */
async function keysOnEveryNode(namespace: string, spec: Omit<SharedKeySpec, 'name' | 'secret'>): Promise<Array<SharedKeySpec & { port: number; tag: string }>> {
  const byPort = new Map<number, SharedKeySpec & { port: number; tag: string }>();
  for (let n = 0; byPort.size < nodes.length; n++) {
    if (n > 200) throw new Error('no key found for every node');
    const secret = `sk-cluster-test-${String(n).padStart(4, '0')}`;
    const names = keyNames(namespace, 'openai', keyId('openai', TEST_BASE_URL, secret));
    const slot = Number(await nodes[0]!.c.sendCommand(['CLUSTER', 'KEYSLOT', names.state]));
    const port = shared.client.getSlotMaster(slot).port;
    if (!byPort.has(port)) byPort.set(port, { ...spec, name: `k${byPort.size}`, secret, port, tag: names.state.slice(0, names.state.indexOf('}') + 1) });
  }
  return [...byPort.values()];
}

const info = async (c: NodeClient, section: string) => String(await c.sendCommand(['INFO', section]));

describe('shared budgets on a Redis Cluster (three real masters, a node-redis cluster client)', () => {
  it('grants and settles on keys whose hash tags sit on three different masters, each script on its own slot', async () => {
    const i = shared.fresh();
    const keys = await keysOnEveryNode(i.namespace, { maxConcurrent: 1, limits: { rpm: 600 } });
    const [a, b] = [await i.make(keys), await i.make(keys)];
    for (const k of keys) {
      const g = await a.acquire(k.name, 10);
      expect(g, k.name).toMatchObject({ ok: true, lease: { local: false } });
      // The key's one place is taken on its master: the other instance waits for it.
      expect(await b.acquire(k.name, 10)).toMatchObject({ ok: false, reason: 'concurrency' });
      const released = nextEvent(b, (e) => e.type === 'key' && e.keyName === k.name && e.state === 'released', 2_000);
      expect(await a.settle(k.name, (g as { lease: SharedLease }).lease, 8)).toBe(2);
      await released;
      expect(await b.acquire(k.name, 10), k.name).toMatchObject({ ok: true, lease: { local: false } });
    }
    // Each key's state lives on the master its hash tag names, and nowhere else.
    for (const n of nodes) {
      const held = ((await n.c.keys(`{${i.namespace}:*`)) as string[]).filter((name) => !name.includes(':ep-'));
      const mine = keys.filter((k) => k.port === n.port);
      expect(held.sort(), `node ${n.port}`).toEqual(mine.flatMap((k) => [`${k.tag}:leases`, `${k.tag}:state`]).sort());
    }
    // On a cluster a PUBLISH reaches the subscriber's node over the cluster bus, later than on one
    // server: the join b announced is heard within that hop (at worst a's next heartbeat, 1 s).
    await until(() => a.report().instances === 2 && b.report().instances === 2, 3_000);
    expect([a.report(), b.report()]).toMatchObject([{ mode: 'redis', instances: 2 }, { mode: 'redis', instances: 2 }]);
    expect([...i.heard(a), ...i.heard(b)].filter((e) => e.type === 'degraded')).toEqual([]);
  });

  it('sends key events across instances through Pub/Sub on the cluster: a 429 cools the key on the other, a 401 disables it there', async () => {
    const i = shared.fresh();
    const keys = await keysOnEveryNode(i.namespace, { limits: { rpm: 600 } });
    const [a, b] = [await i.make(keys), await i.make(keys)];
    for (const k of keys) {
      const heard = (state: string) => nextEvent(b, (e) => e.type === 'key' && e.keyName === k.name && e.state === state, 2_000);
      const cooling = heard('cooling');
      await a.cool(k.name, 5_000);
      expect(((await cooling) as { waitMs: number }).waitMs).toBeGreaterThan(4_000);
      expect(await b.acquire(k.name, 1)).toMatchObject({ ok: false, reason: 'cooling' });
      const disabled = heard('disabled');
      await a.disable(k.name);
      expect(await disabled).toMatchObject({ type: 'key', keyName: k.name, state: 'disabled', reason: 'invalid key' });
      expect(await b.acquire(k.name, 1)).toMatchObject({ ok: false, reason: 'disabled' });
    }
    expect([...i.heard(a), ...i.heard(b)].filter((e) => e.type === 'degraded')).toEqual([]);
  });

  it('shares the breaker: a trip on one instance opens it on the other, one probe across both, and closing closes it for both', async () => {
    const i = shared.fresh({ breaker: { failureThreshold: 3, resetTimeoutMs: 150, halfOpenProbes: 1 } });
    const keys = [{ name: 'k', secret: 'sk-cluster-breaker-0001' }];
    const [a, b] = [await i.make(keys), await i.make(keys)];
    const opened = nextEvent(b, (e) => e.type === 'breaker' && e.state === 'open', 2_000);
    expect(await a.breaker.trip()).toMatchObject({ state: 'open', trips: 1 });
    expect(await opened).toMatchObject({ state: 'open', trips: 1 });
    const early = await b.breaker.probe();
    expect(early).toMatchObject({ ok: false, state: 'open' });
    await untilRedisPassed(shared.cluster.nodes[0]!.url, (early as { waitMs: number }).waitMs);
    const probes = await Promise.all([a.breaker.probe(), b.breaker.probe()]);
    expect(probes.filter((p) => p.ok)).toHaveLength(1);
    const n = probes.findIndex((p) => p.ok);
    const [owner, follower] = n === 0 ? [a, b] : [b, a];
    const closed = nextEvent(follower, (e) => e.type === 'breaker' && e.state === 'closed', 2_000);
    expect(await owner.breaker.probeResult((probes[n] as { lease: string }).lease, 'ok')).toMatchObject({ state: 'closed' });
    expect(await closed).toMatchObject({ state: 'closed', trips: 1 });
    expect(await follower.breaker.probe()).toEqual({ ok: true, lease: null });
    expect([...i.heard(a), ...i.heard(b)].filter((e) => e.type === 'degraded')).toEqual([]);
  });

  it('loads every script on every master, runs them with EVALSHA, and reloads on a master that lost them (NOSCRIPT)', async () => {
    const calls = async (c: NodeClient, command: string) => Number(/calls=(\d+)/.exec((await info(c, 'commandstats')).split('\r\n').find((l) => l.startsWith(`cmdstat_${command}:`)) ?? '')?.[1] ?? 0);
    await Promise.all(nodes.map((n) => n.c.sendCommand(['CONFIG', 'RESETSTAT'])));
    const i = shared.fresh();
    const keys = await keysOnEveryNode(i.namespace, { limits: { rpm: 600 } });
    const a = await i.make(keys);
    for (const n of nodes) {
      expect(await n.c.sendCommand(['SCRIPT', 'EXISTS', ...SHAS]), `node ${n.port}`).toEqual(SHAS.map(() => 1));
      expect(await calls(n.c, 'script|load'), `node ${n.port}: each script loaded once`).toBe(SHAS.length);
    }
    // Every master forgets its scripts: the next script on each is reloaded there, on NOSCRIPT.
    await Promise.all(nodes.map((n) => n.c.sendCommand(['SCRIPT', 'FLUSH'])));
    await Promise.all(nodes.map((n) => n.c.sendCommand(['CONFIG', 'RESETSTAT'])));
    for (const k of keys) expect(await a.acquire(k.name, 1), k.name).toMatchObject({ ok: true, lease: { local: false } });
    for (const n of nodes) {
      expect(await n.c.sendCommand(['SCRIPT', 'EXISTS', SHAS[0]!]), `node ${n.port}`).toEqual([1]);
      expect(await calls(n.c, 'script|load'), `node ${n.port}: reloaded`).toBeGreaterThanOrEqual(1);
      expect(await calls(n.c, 'evalsha'), `node ${n.port}`).toBeGreaterThanOrEqual(1);
      expect(await calls(n.c, 'eval'), 'never the script text on the hot path').toBe(0);
      expect(await info(n.c, 'errorstats')).not.toMatch(/CROSSSLOT|MOVED/);
    }
    expect(a.report().mode).toBe('redis');
    expect(i.heard(a).filter((e) => e.type === 'degraded')).toEqual([]);
  });
});
