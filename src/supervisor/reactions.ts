import type { KeyRuntime } from '../keys/key-runtime.js';
import { budgetRefillAt, keyState, keyUntil } from '../keys/key-runtime.js';
import type { BreakerState } from '../types.js';
import type { BreakerSnapshot } from './breaker-gate.js';
import type { Dispatcher } from './dispatcher.js';
import { settleError } from './settlement.js';

/**
 * What the dispatcher does when a machine changed state (the machines decide; this follows).
 */

/** The breaker changed: tell the listeners; an opening breaker fails the waiting requests at once. */
export function onBreaker(d: Dispatcher, state: BreakerState, was: BreakerState, snap: BreakerSnapshot): void {
  if (state !== was) {
    const event = state === 'open' || state === 'forcedOpen' ? 'breaker.opened' : state === 'halfOpen' ? 'breaker.halfOpen' : state === 'closed' ? 'breaker.closed' : null;
    if (event && d.host.emitter.has(event)) d.host.emitter.emit(event, { at: d.host.clock.now(), failureCount: snap.context.failureCount, trips: snap.context.trips });
    if (state === 'open' || state === 'forcedOpen') {
      const refusal = d.gate.refusal()!;
      d.rejectQueued(refusal);
      for (const w of d.keyWaiters.splice(0)) settleError(d, w, refusal);
      for (const e of [...d.active]) if (e.phase === 'backingOff' || e.phase === 'awaitingKey') settleError(d, e, refusal);
    }
  }
  d.pump();
}

/**
 * A key whose provider-reported budget is spent (net of in-flight) cools until it refills: the
 * 429 we avoid. Answers still in flight may push the refill later; the cooling is then extended.
 */
export function coolIfSpent(d: Dispatcher, key: KeyRuntime, now: number): void {
  const state = keyState(key);
  if (state !== 'ready' && state !== 'cooling') return;
  const at = budgetRefillAt(key, now, 0);
  const until = keyUntil(key);
  if (at === null || (state === 'cooling' && until !== null && until >= at)) return;
  if (state === 'ready' && d.host.metrics.enabled) d.host.metrics.pacingAvoided();
  key.slot.send({ type: 'key.budgetSpent', untilMs: at, waitMs: at - now, reason: 'budget' });
}
