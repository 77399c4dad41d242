import type { KeyRuntime } from '../keys/key-runtime.js';
import type { SharedGrant } from '../keys/key-pool.js';
import { sendAttempt } from './attempt.js';
import type { Dispatcher } from './dispatcher.js';
import type { Entry } from './entry.js';

/**
 * The `SharedBudget` step (see src/keys/key-pool.ts), taken only when one is configured: the key
 * was picked and reserved locally; the attempt goes once the shared budget grants it. A refusal
 * gives the key back and the request waits `waitMs` (holding its slot, in `awaitingKey`) before it
 * asks for a key again; its deadline still bounds it.
 */
export function awaitSharedGrant(d: Dispatcher, entry: Entry, key: KeyRuntime, secret: string, probe: boolean): void {
  entry.phase = 'awaitingKey';
  const onGrant = (g: SharedGrant): void => {
    if (g.granted && entry.phase === 'awaitingKey') return sendAttempt(d, entry, key, secret, probe, g.lease);
    d.pool.release(key, entry.tokens);
    d.gate.released(probe);
    if (g.granted) return d.pool.shared?.settle(g.lease, 0);
    if (entry.phase !== 'awaitingKey') return d.pump();
    const timer = d.host.clock.setTimeout(() => {
      d.sharedWaits.delete(timer);
      if (entry.phase === 'awaitingKey') d.awaitKey(entry, false);
    }, Math.max(0, g.waitMs));
    d.sharedWaits.add(timer);
    d.pump();
  };
  let grant: SharedGrant | Promise<SharedGrant>;
  try {
    grant = d.pool.acquireShared(key, entry.tokens);
  } catch {
    grant = { granted: false, waitMs: 0 };
  }
  if (grant instanceof Promise) grant.then(onGrant, () => onGrant({ granted: false, waitMs: 0 }));
  else onGrant(grant);
}
