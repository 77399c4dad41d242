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
  // A Map, not a WeakMap: every entry leaves at settlement (exactly once), taking its signal's
  // watch with the last one, so nothing outlives its requests; and a WeakMap's write barrier was a
  // measurable part of the gateway's per-request cost (one signal per request there).
  private readonly watched = new Map<AbortSignal, Watch>();

  constructor(private readonly onAbort: (entry: Entry, signal: AbortSignal) => void) {}

  add(signal: AbortSignal, entry: Entry): void {
    let w = this.watched.get(signal);
    if (!w) {
      w = new Watch(this, signal);
      this.watched.set(signal, w);
      signal.addEventListener('abort', w, { once: true });
    }
    w.entries.add(entry);
  }

  remove(signal: AbortSignal, entry: Entry): void {
    const w = this.watched.get(signal);
    if (!w) return;
    w.entries.delete(entry);
    if (w.entries.size === 0) {
      signal.removeEventListener('abort', w);
      this.watched.delete(signal);
    }
  }

  /** `signal` aborted: each request on it is settled (by `onAbort`). */
  aborted(w: Watch): void {
    this.watched.delete(w.signal);
    for (const e of [...w.entries]) this.onAbort(e, w.signal);
  }
}

/** The requests on one signal, and its one 'abort' listener (an object: no closure per signal). */
class Watch {
  readonly entries = new Roster<Entry>(WATCHED);

  constructor(
    private readonly owner: SignalWatch,
    readonly signal: AbortSignal,
  ) {}

  handleEvent(): void {
    this.owner.aborted(this);
  }
}
