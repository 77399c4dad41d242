/**
 * The queue of docs/ARCHITECTURE.md §2 "Queue order and aging": three FIFO lists, one per priority, each entry's
 * rank fixed at admission (`enqueuedAt + level × agingMs`), the next one out the head with the
 * smallest rank (ties: higher priority, then arrival). O(1) push, shift and remove (a tombstone).
 * So a LOW request is never overtaken by a HIGH one that arrived more than `2 × agingMs` after it.
 */
export interface Queueable {
  level: 0 | 1 | 2;
  rank: number;
  seq: number;
  queued: boolean;
}

/**
 * A slot the head has passed is cleared at once: an entry that left the queue must not stay
 * reachable from it (the array lives long, so whatever it still holds — the request, its answer —
 * would survive the young generation's collections and be copied into the old one; under load
 * that copying was most of the supervisor's collector time).
 */
class Fifo<T extends Queueable> {
  items: Array<T | undefined> = [];
  head = 0;
  live = 0;

  peek(): T | undefined {
    const items = this.items;
    let head = this.head;
    while (head < items.length && !items[head]!.queued) items[head++] = undefined;
    if (head === items.length) {
      // Empty: start over at the front (the backing store is kept for the next pushes).
      items.length = 0;
      this.head = 0;
      return undefined;
    }
    if (head > 1024 && head * 2 > items.length) {
      this.items = items.slice(head);
      head = 0;
    }
    this.head = head;
    return this.items[head];
  }

  /** The head (just peeked) left the queue: clear its slot now, not at the next peek. */
  dropHead(): void {
    this.items[this.head++] = undefined;
  }
}

/** Smaller rank first; equal ranks by arrival — except at an infinite rank (`agingMs: Infinity`), where priority decides. */
function before(a: Queueable, b: Queueable): boolean {
  if (a.rank !== b.rank) return a.rank < b.rank;
  if (a.rank === Infinity && a.level !== b.level) return a.level < b.level;
  return a.seq < b.seq;
}

export class PriorityQueue<T extends Queueable> {
  private readonly lists: [Fifo<T>, Fifo<T>, Fifo<T>] = [new Fifo(), new Fifo(), new Fifo()];
  private seq = 0;

  get size(): number {
    return this.lists[0].live + this.lists[1].live + this.lists[2].live;
  }

  countAt(level: 0 | 1 | 2): number {
    return this.lists[level].live;
  }

  /** Admits `item` at `now`; its rank is fixed here. `agingMs: Infinity` gives strict priority. */
  push(item: T, now: number, agingMs: number): void {
    item.rank = item.level === 0 ? now : now + item.level * agingMs;
    item.seq = this.seq++;
    item.queued = true;
    const list = this.lists[item.level];
    list.items.push(item);
    list.live++;
  }

  /** The next item by rank, without removing it. */
  peek(): T | undefined {
    let best: T | undefined;
    for (let l = 0; l < 3; l++) {
      const head = this.lists[l]!.peek();
      if (head && (!best || before(head, best))) best = head;
    }
    return best;
  }

  shift(): T | undefined {
    const best = this.peek();
    if (best) {
      this.remove(best);
      this.lists[best.level].dropHead();
    }
    return best;
  }

  /** O(1): marks the item as gone; the list skips it when it reaches the head. */
  remove(item: T): boolean {
    if (!item.queued) return false;
    item.queued = false;
    this.lists[item.level].live--;
    return true;
  }

  /** Removes and returns every live item (for shutdown and an opening breaker). */
  drain(): T[] {
    const out: T[] = [];
    for (const list of this.lists) {
      for (let i = list.head; i < list.items.length; i++) {
        const item = list.items[i]!;
        if (item?.queued) {
          item.queued = false;
          out.push(item);
        }
      }
      list.items = [];
      list.head = 0;
      list.live = 0;
    }
    return out.sort((a, b) => a.seq - b.seq);
  }
}
