import { createClient, createCluster } from '@redis/client';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { SharedBudget, type SharedBudgetInput } from '../../src/shared/index.js';
import type { SharedEvent, SharedKeySpec, SharedOptions } from '../../src/shared/types.js';
import { startRedis, startRedisCluster, type RedisCluster, type RedisServer } from './redis-server.js';

export type SharedInstances = ReturnType<typeof sharedInstances>;
export type ClusterClient = ReturnType<typeof createCluster>;

/** The provider endpoint every test instance belongs to (keys' ids depend on it: see keyId). */
export const TEST_BASE_URL = 'http://127.0.0.1:1/v1';

/** Instances ("boards") of the shared module on one Redis (a URL, or a client: a cluster's); stopped by `stopAll`. */
export function sharedInstances(redis: SharedOptions['redis'], namespace: string, overrides: Partial<SharedBudgetInput> = {}) {
  const made: SharedBudget[] = [];
  const heard = new Map<SharedBudget, SharedEvent[]>();
  return {
    namespace,
    /** Every event `b` emitted since it was made (its start included). */
    heard: (b: SharedBudget): SharedEvent[] => heard.get(b) ?? [],
    async make(keys: SharedKeySpec[], more: Partial<SharedBudgetInput> = {}): Promise<SharedBudget> {
      const b = new SharedBudget({
        shared: { redis, namespace, timeoutMs: 1_000 },
        provider: 'openai',
        baseUrl: TEST_BASE_URL,
        keys,
        attemptTimeoutMs: 1_000,
        breaker: { failureThreshold: 3, resetTimeoutMs: 30_000, halfOpenProbes: 1 },
        ...overrides,
        ...more,
      });
      made.push(b);
      const events: SharedEvent[] = [];
      heard.set(b, events);
      b.on((e) => events.push(e));
      b.start();
      if (!(await b.ready(5_000))) throw new Error('shared instance did not reach redis');
      return b;
    },
    async stopAll(): Promise<void> {
      await Promise.all(made.splice(0).map((b) => b.stop()));
    },
  };
}

export interface SharedRedisOptions {
  /** Namespaces are `<prefix>1`, `<prefix>2`, … (default `t`): each test its own keys and channels. */
  prefix?: string;
  /**
   * After each test, once the file's own `cleanup` ran and its instances stopped: start the server
   * again if a test killed it (default), or restart it so the next test finds it empty.
   */
  reset?: 'ensureRunning' | 'restart';
  /** The file's own after-each cleanup (its boards, processes), run first, while Redis is still up. */
  cleanup?: () => Promise<void>;
}

/**
 * The Redis side of a shared-* test file: one real redis-server for the file (beforeAll /
 * afterAll), a fresh namespace per test, and after each test everything it made stopped and the
 * server running again, in that order.
 */
export function useSharedRedis(options: SharedRedisOptions = {}) {
  let server: RedisServer | undefined;
  const redis = (): RedisServer => {
    if (!server) throw new Error('useSharedRedis: the server starts in beforeAll');
    return server;
  };
  const perTest = instancesPerTest(options.prefix ?? 't', () => redis().url);
  beforeAll(async () => {
    server = await startRedis();
  });
  afterAll(async () => {
    await server?.stop();
  });
  afterEach(async () => {
    await options.cleanup?.();
    await perTest.stopAll();
    if (options.reset === 'restart') await server?.restart();
    else await server?.ensureRunning();
  });
  return {
    /** The file's redis-server (from beforeAll on). */
    get redis(): RedisServer {
      return redis();
    },
    namespace: perTest.namespace,
    fresh: perTest.fresh,
  };
}

/**
 * The same for a Redis Cluster: three real cluster nodes for the file, and one node-redis cluster
 * client (`createCluster`) the instances are given, as an application passes its own.
 */
export function useSharedCluster(options: { prefix?: string } = {}) {
  let cluster: RedisCluster | undefined;
  let client: ClusterClient | undefined;
  const ready = () => {
    if (!cluster || !client) throw new Error('useSharedCluster: the cluster starts in beforeAll');
    return { cluster, client };
  };
  const perTest = instancesPerTest(options.prefix ?? 'c', () => ready().client);
  beforeAll(async () => {
    cluster = await startRedisCluster();
    client = createCluster({ rootNodes: cluster.rootNodes });
    client.on('error', () => undefined);
    await client.connect();
  });
  afterAll(async () => {
    await client?.close();
    await cluster?.stop();
  });
  afterEach(() => perTest.stopAll());
  return {
    get cluster(): RedisCluster {
      return ready().cluster;
    },
    get client(): ClusterClient {
      return ready().client;
    },
    namespace: perTest.namespace,
    fresh: perTest.fresh,
  };
}

/** Namespaces `<prefix>1`, `<prefix>2`, … and the instances made in them, until `stopAll`. */
function instancesPerTest(prefix: string, redis: () => SharedOptions['redis']) {
  let count = 0;
  const made: SharedInstances[] = [];
  const namespace = () => `${prefix}${++count}`;
  return {
    /** A namespace no other test of the file uses. */
    namespace,
    /** Instances in a namespace of their own, stopped after the test. */
    fresh(overrides: Partial<SharedBudgetInput> = {}): SharedInstances {
      const i = sharedInstances(redis(), namespace(), overrides);
      made.push(i);
      return i;
    },
    async stopAll(): Promise<void> {
      await Promise.all(made.splice(0).map((i) => i.stopAll()));
    },
  };
}

/** Resolves with the first event matching `pred`, rejecting after `timeoutMs`. */
export function nextEvent(b: SharedBudget, pred: (e: SharedEvent) => boolean, timeoutMs = 2_000): Promise<SharedEvent> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      off();
      reject(new Error(`no matching shared event within ${timeoutMs} ms`));
    }, timeoutMs);
    const off = b.on((e) => {
      if (!pred(e)) return;
      clearTimeout(t);
      off();
      resolve(e);
    });
  });
}

/** A plain client of the test's own, for TIME, SCAN and dumps. */
export async function inspectClient(url: string) {
  const c = createClient({ url });
  c.on('error', () => undefined);
  await c.connect();
  return c;
}

/** Redis's clock in ms. */
export async function redisNow(c: Awaited<ReturnType<typeof inspectClient>>): Promise<number> {
  const [s, us] = (await c.sendCommand(['TIME'])) as [string, string];
  return Number(s) * 1000 + Math.floor(Number(us) / 1000);
}

/**
 * Waits until Redis's own clock (`TIME`, which the scripts read and a test cannot move) has passed
 * `waitMs` from now: reads it between event-loop turns, bounded in real time. Not a sleep: it ends
 * on the condition the script's answer names.
 */
export async function untilRedisPassed(url: string, waitMs: number, boundMs = 5_000): Promise<void> {
  const c = await inspectClient(url);
  try {
    const at = (await redisNow(c)) + waitMs;
    const start = Date.now();
    while ((await redisNow(c)) <= at) {
      if (Date.now() - start > boundMs) throw new Error(`Redis's clock did not pass +${waitMs} ms within ${boundMs} ms`);
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  } finally {
    await c.close();
  }
}
