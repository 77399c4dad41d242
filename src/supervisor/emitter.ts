import type { Logger, SwitchboardEvents, SwitchboardEventType } from '../types.js';

type Listener<K extends SwitchboardEventType> = (payload: SwitchboardEvents[K]) => void;

/**
 * The board's listeners (docs/ARCHITECTURE.md §7): kept here, not in XState's `emit`, each called in try/catch —
 * a throwing listener goes to the logger and never disturbs the runtime. Callers check `has(type)`
 * before building a payload, so nobody listening costs nothing.
 */
export class Emitter {
  private readonly listeners = new Map<string, Set<(payload: never) => void>>();

  constructor(private readonly logger: Logger | undefined) {}

  on<K extends SwitchboardEventType>(type: K, fn: Listener<K>): () => void {
    let set = this.listeners.get(type);
    if (!set) {
      set = new Set();
      this.listeners.set(type, set);
    }
    set.add(fn as (payload: never) => void);
    return () => {
      set!.delete(fn as (payload: never) => void);
      if (set!.size === 0) this.listeners.delete(type);
    };
  }

  has(type: SwitchboardEventType): boolean {
    return this.listeners.has(type);
  }

  emit<K extends SwitchboardEventType>(type: K, payload: SwitchboardEvents[K]): void {
    const set = this.listeners.get(type);
    if (!set) return;
    for (const fn of set) {
      try {
        (fn as Listener<K>)(payload);
      } catch (error) {
        try {
          this.logger?.error?.({ err: error instanceof Error ? error.message : String(error), event: type }, 'switchboard: an event listener threw');
        } catch {
          // A throwing logger must not disturb the runtime either.
        }
      }
    }
  }

  clear(): void {
    this.listeners.clear();
  }
}
