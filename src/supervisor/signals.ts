import type { Entry } from './entry.js';

/**
 * One 'abort' listener per signal, however many requests share it: a service that passes one
 * shutdown signal to thousands of requests adds no listener per request (and no
 * MaxListenersExceededWarning). The listener goes when the last request on it settles.
 */
export class SignalWatch {
  private readonly watched = new WeakMap<AbortSignal, { entries: Set<Entry>; listener: () => void }>();

  constructor(private readonly onAbort: (entry: Entry, signal: AbortSignal) => void) {}

  add(signal: AbortSignal, entry: Entry): void {
    let w = this.watched.get(signal);
    if (!w) {
      const entries = new Set<Entry>();
      const listener = () => {
        this.watched.delete(signal);
        for (const e of entries) this.onAbort(e, signal);
        entries.clear();
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
