import { createClient } from '@redis/client';
import { SharedBudget, type SharedBudgetInput } from '../../src/shared/index.js';
import type { SharedEvent, SharedKeySpec } from '../../src/shared/types.js';

/** Instances ("boards") of the shared module on one Redis; stopped by `stopAll`. */
export function sharedInstances(url: string, namespace: string, overrides: Partial<SharedBudgetInput> = {}) {
  const made: SharedBudget[] = [];
  return {
    async make(keys: SharedKeySpec[], more: Partial<SharedBudgetInput> = {}): Promise<SharedBudget> {
      const b = new SharedBudget({
        shared: { redis: url, namespace, timeoutMs: 1_000 },
        provider: 'openai',
        baseUrl: 'http://127.0.0.1:1/v1',
        keys,
        attemptTimeoutMs: 1_000,
        breaker: { failureThreshold: 3, resetTimeoutMs: 30_000, halfOpenProbes: 1 },
        ...overrides,
        ...more,
      });
      made.push(b);
      b.start();
      if (!(await b.ready(5_000))) throw new Error('shared instance did not reach redis');
      return b;
    },
    async stopAll(): Promise<void> {
      await Promise.all(made.splice(0).map((b) => b.stop()));
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
