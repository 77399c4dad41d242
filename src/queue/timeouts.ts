import type { Clock } from '../types.js';

/**
 * Deadlines without a timer per request: one FIFO list per distinct duration (entries of equal
 * duration expire in admission order, so each list is sorted by construction) and ONE clock timer
 * for the earliest head. Cancelling is O(1) unlinking and never touches the timer: a timer that
 * fires with nothing due just re-arms for the new earliest head.
 */
export interface TimeoutNode<T> {
  at: number;
  owner: T;
  prev: TimeoutNode<T> | null;
  next: TimeoutNode<T> | null;
  list: List<T> | null;
}

interface List<T> {
  head: TimeoutNode<T> | null;
  tail: TimeoutNode<T> | null;
}

export class Timeouts<T> {
  private readonly lists = new Map<number, List<T>>();
  private timer: unknown = null;
  private armedAt = Infinity;

  constructor(
    private readonly clock: Clock,
    private readonly onExpire: (owner: T) => void,
  ) {}

  /** Registers `owner` to expire `durationMs` after `now` (the clock's, unless the caller has it); null for an infinite duration. */
  add(owner: T, durationMs: number, now: number = this.clock.now()): TimeoutNode<T> | null {
    if (!Number.isFinite(durationMs)) return null;
    let list = this.lists.get(durationMs);
    if (!list) {
      list = { head: null, tail: null };
      this.lists.set(durationMs, list);
    }
    const node: TimeoutNode<T> = { at: now + durationMs, owner, prev: list.tail, next: null, list };
    if (list.tail) list.tail.next = node;
    else list.head = node;
    list.tail = node;
    if (node.at < this.armedAt) this.arm(node.at);
    return node;
  }

  cancel(node: TimeoutNode<T> | null): void {
    if (!node || !node.list) return;
    const list = node.list;
    if (node.prev) node.prev.next = node.next;
    else list.head = node.next;
    if (node.next) node.next.prev = node.prev;
    else list.tail = node.prev;
    node.list = node.prev = node.next = null;
  }

  /** Clears the timer (on stop). */
  dispose(): void {
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
    this.armedAt = Infinity;
    this.lists.clear();
  }

  private arm(at: number): void {
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.armedAt = at;
    this.timer = this.clock.setTimeout(() => this.fire(), Math.max(0, at - this.clock.now()));
  }

  private fire(): void {
    this.timer = null;
    this.armedAt = Infinity;
    const now = this.clock.now();
    const due: T[] = [];
    let earliest = Infinity;
    for (const [duration, list] of this.lists) {
      while (list.head && list.head.at <= now) {
        const node = list.head;
        this.cancel(node);
        due.push(node.owner);
      }
      if (list.head) earliest = Math.min(earliest, list.head.at);
      else this.lists.delete(duration);
    }
    if (earliest < Infinity) this.arm(earliest);
    for (const owner of due) this.onExpire(owner);
  }
}
