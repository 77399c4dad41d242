import type { Clock } from './types.js';

/**
 * Real timers. Each timer is unref'd, so an idle supervisor never holds the process open; while
 * work is pending, the dispatcher holds one `keepAlive` handle instead (see below).
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return t;
  },
  clearTimeout(id) {
    clearTimeout(id as NodeJS.Timeout);
  },
};

const KEEP_ALIVE_MS = 2 ** 31 - 1;

/**
 * Keeps the process alive while a board has work pending (a request queued, in flight, backing
 * off, or collecting in a batch window) and lets it exit when idle: one ref'd timer held between
 * `hold()` and `release()`, so a script's `await board.embed(...)` is not cut off while the clock's
 * own (unref'd) timers run. Only for the real clock: a simulated clock holds nothing open.
 */
export class KeepAlive {
  private handle: NodeJS.Timeout | null = null;

  constructor(private readonly enabled: boolean) {}

  /**
   * One interval for the board's life, ref'd while busy and unref'd while idle: a request that
   * finds the board idle (one request at a time) then costs a flag, not a timer created and cleared.
   */
  hold(): void {
    if (!this.enabled) return;
    if (this.handle === null) this.handle = setInterval(noop, KEEP_ALIVE_MS);
    else this.handle.ref();
  }

  release(): void {
    this.handle?.unref();
  }

  /** The board stopped: the interval goes. */
  dispose(): void {
    if (this.handle === null) return;
    clearInterval(this.handle);
    this.handle = null;
  }
}

function noop(): void {}

interface PendingTimer {
  id: number;
  at: number;
  seq: number;
  fn: () => void;
}

/**
 * A simulated clock for tests (and the examples' `--fast` mode). Time moves only when told:
 * `await clock.tickAsync(ms)` runs every timer due within `ms` in time order — including timers
 * created while stepping — and lets microtasks and pending I/O callbacks run between steps.
 *
 * ```ts
 * const clock = createTestClock(Date.parse('2026-01-01T00:00:00Z'));
 * const board = createSupervisor({ clock, ... });
 * await clock.tickAsync(30_000);
 * ```
 */
export interface TestClock extends Clock {
  /** Moves time forward by `ms`, firing due timers in order, with a macrotask turn between each. */
  tickAsync(ms: number): Promise<void>;
  /** Runs timers until none are left due within `limitMs` (default 10 minutes). */
  runAllAsync(limitMs?: number): Promise<void>;
  /** Fires due timers synchronously, without yielding (for pure-machine tests). */
  increment(ms: number): void;
  /** Sets the time (only forward); does not fire timers. */
  set(ms: number): void;
  /** Yields a few macrotask turns so promise chains and socket callbacks settle. */
  flush(turns?: number): Promise<void>;
  pending(): number;
  /** When the earliest pending timer is due, or null. */
  nextAt(): number | null;
}

const macrotask = () => new Promise<void>((resolve) => setImmediate(resolve));

export function createTestClock(start = Date.parse('2026-01-01T00:00:00.000Z')): TestClock {
  let now = start;
  let nextId = 1;
  let seq = 0;
  const timers = new Map<number, PendingTimer>();

  const earliestDue = (limit: number): PendingTimer | null => {
    let best: PendingTimer | null = null;
    for (const t of timers.values()) {
      if (t.at > limit) continue;
      if (!best || t.at < best.at || (t.at === best.at && t.seq < best.seq)) best = t;
    }
    return best;
  };

  /** Fires every timer due by `limit` in time order, new ones included, a macrotask turn between each. */
  const runUntil = async (limit: number): Promise<void> => {
    await clock.flush();
    for (;;) {
      const t = earliestDue(limit);
      if (!t) break;
      timers.delete(t.id);
      if (t.at > now) now = t.at;
      t.fn();
      await clock.flush();
    }
  };

  const clock: TestClock = {
    now: () => now,
    setTimeout(fn, ms) {
      const id = nextId++;
      timers.set(id, { id, at: now + Math.max(0, Number.isFinite(ms) ? ms : 0), seq: seq++, fn });
      return id;
    },
    clearTimeout(id) {
      timers.delete(id as number);
    },
    async tickAsync(ms) {
      const target = now + ms;
      await runUntil(target);
      now = target;
      await clock.flush();
    },
    runAllAsync: (limitMs = 600_000) => runUntil(now + limitMs),
    increment(ms) {
      const target = now + ms;
      for (;;) {
        const t = earliestDue(target);
        if (!t) break;
        timers.delete(t.id);
        if (t.at > now) now = t.at;
        t.fn();
      }
      now = target;
    },
    set(ms) {
      if (ms > now) now = ms;
    },
    async flush(turns = 3) {
      for (let i = 0; i < turns; i++) await macrotask();
    },
    pending: () => timers.size,
    nextAt: () => earliestDue(Infinity)?.at ?? null,
  };
  return clock;
}
