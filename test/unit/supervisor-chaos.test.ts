import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Step } from '../support/fake-transport.js';
import { hi, makeBoard } from '../support/board.js';

const fault = fc.constantFrom<Step>(
  200, 200, 200, 503, 500, 'reset', 'hang', 'malformed', 401, 400,
  { status: 429, headers: { 'retry-after-ms': '300' } },
  { status: 429, headers: { 'retry-after': '1' } },
  { status: 200, delayMs: 50 },
  { status: 503, delayMs: 20 },
);

const op = fc.oneof(
  fc.record({
    type: fc.constant('request' as const),
    gap: fc.integer({ min: 0, max: 120 }),
    embed: fc.boolean(),
    priority: fc.constantFrom('high' as const, 'normal' as const, 'low' as const),
    abortAfter: fc.option(fc.integer({ min: 0, max: 400 }), { nil: null }),
    timeoutMs: fc.integer({ min: 200, max: 20_000 }),
  }),
  fc.record({ type: fc.constant('config' as const), gap: fc.integer({ min: 0, max: 100 }), maxConcurrent: fc.integer({ min: 1, max: 6 }), maxRetries: fc.integer({ min: 0, max: 3 }) }),
  fc.record({ type: fc.constant('revive' as const), gap: fc.integer({ min: 0, max: 100 }) }),
);

describe('supervisor: chaos (property)', () => {
  it('settles every request exactly once and keeps every limit under random arrivals, aborts, updates and faults', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 30 }), fc.array(fault, { maxLength: 40 }), async (ops, script) => {
          const keyCap = 2;
          const { board, clock, fake } = makeBoard({
            keys: ['a', 'b', 'c'].map((name) => ({ name, secret: `sk-${name}`, maxConcurrent: keyCap })),
            queue: { maxConcurrent: 3, size: 12 },
            retry: { initialDelayMs: 50, maxDelayMs: 400, maxRetries: 2, maxRetryAfterMs: 5_000 },
            circuitBreaker: { failureThreshold: 4, resetTimeoutMs: 500 },
            batching: { batchTimeoutMs: 60, maxBatchSize: 3 },
            timeoutMs: 150,
            script,
          });
          // `cap` is the CURRENT maxConcurrent; `ceiling` the highest it has been (requests in flight
          // when it is lowered keep their slots until they settle, so only new slots obey the new cap).
          let cap = 3;
          let ceiling = 3;
          const overCap: string[] = [];
          board.on('request.dispatched', (p) => {
            // A first attempt takes a new slot: never beyond the cap in force now.
            if (p.attempt === 1 && board.state().inFlight > cap) overCap.push(`${p.requestId}: ${board.state().inFlight} in flight, cap ${cap}`);
          });
          const ids = new Set<string>();
          const settledEvents = new Map<string, number>();
          board.on('request.settled', (p) => settledEvents.set(p.requestId, (settledEvents.get(p.requestId) ?? 0) + 1));
          const pending: Array<Promise<unknown>> = [];
          let settledCount = 0;
          const check = () => {
            const s = board.state();
            expect(overCap).toEqual([]);
            expect(s.inFlight).toBeLessThanOrEqual(ceiling);
            expect(fake.inFlight).toBeLessThanOrEqual(ceiling);
            for (const k of s.keys) expect(k.inFlight).toBeLessThanOrEqual(keyCap);
            for (const name of ['a', 'b', 'c']) expect(fake.keyInFlight[name] ?? 0).toBeLessThanOrEqual(keyCap);
            expect(s.actors).toBeLessThanOrEqual(1 + 1 + s.keys.length + s.batchers.length + ceiling);
          };
          let n = 0;
          for (const o of ops) {
            await clock.tickAsync(o.gap);
            check();
            if (o.type === 'config') {
              cap = o.maxConcurrent;
              ceiling = Math.max(ceiling, cap);
              board.send({ type: 'config.update', config: { queue: { maxConcurrent: o.maxConcurrent }, retry: { maxRetries: o.maxRetries } } });
            } else if (o.type === 'revive') {
              board.send({ type: 'key.add', key: { name: 'a', secret: 'sk-a', maxConcurrent: keyCap } });
            } else {
              const ctl = new AbortController();
              const options = { priority: o.priority, signal: ctl.signal, timeoutMs: o.timeoutMs, requestId: `r${n++}` };
              ids.add(options.requestId);
              const p = o.embed ? board.embed({ model: 'text-embedding-3-small', input: `x${n}` }, options) : board.chat(hi(`m${n}`), options);
              pending.push(p.then(() => settledCount++, (e) => {
                settledCount++;
                expect(typeof e.code).toBe('string');
              }));
              if (o.abortAfter !== null) clock.setTimeout(() => ctl.abort(), o.abortAfter);
            }
            check();
          }
          await clock.tickAsync(60_000);
          check();
          expect(settledCount).toBe(pending.length);
          await Promise.all(pending);
          // Exactly once: none missing, none twice, none unknown.
          expect([...ids].filter((id) => settledEvents.get(id) !== 1).map((id) => `${id} settled ${settledEvents.get(id) ?? 0}×`)).toEqual([]);
          expect([...settledEvents.keys()].filter((id) => !ids.has(id))).toEqual([]);
          expect(board.state().queue.depth).toBe(0);
          expect(board.state().inFlight).toBe(0);
          await board.stop();
          expect(fake.inFlight).toBe(0);
        }),
        { numRuns: 200, seed: 20261129 },
      );
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  }, 120_000);
});
