import { Roster } from '../queue/roster.js';
import type { Entry } from './entry.js';

/** An entry is watched on one signal at most (`entry.signal`): its rosters share the slot. */
const WATCHED = Symbol('watched on a signal');

/**
 * One 'abort' listener per signal, however many requests share it: a service that passes one
 * shutdown signal to thousands of requests adds no listener per request (and no
 * MaxListenersExceededWarning). The listener goes when the last request on it settles. The
 * requests on a signal are a Roster, not a Set: a signal shared by every request would otherwise
 * churn one Set per request (see src/queue/roster.ts; measured: 1.4 MB promoted per young
 * collection with a Set, under a closed loop of 64 on one signal).
 */
export class SignalWatch {
  private readonly watched = new WeakMap<AbortSignal, { entries: Roster<Entry>; listener: () => void }>();

  constructor(private readonly onAbort: (entry: Entry, signal: AbortSignal) => void) {}

  add(signal: AbortSignal, entry: Entry): void {
    let w = this.watched.get(signal);
    if (!w) {
      const entries = new Roster<Entry>(WATCHED);
      const listener = () => {
        this.watched.delete(signal);
        for (const e of [...entries]) this.onAbort(e, signal);
      };
      w = { entries, listener };
      this.watched.set(signal, w);
      signal.addEventListener('abort', listener, { once: true });
    }
    w.entries.add(entry);
  }

  remove(signal: AbortSignal, entry: Entry): void {
    const w = this.watched.get(signal);
    if (!w) return;
    w.entries.delete(entry);
    if (w.entries.size === 0) {
      signal.removeEventListener('abort', w.listener);
      this.watched.delete(signal);
    }
  }
}
