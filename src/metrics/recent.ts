import type { ErrorCodeOrOk } from './deps.js';

/** One slot of the recent-requests ring; preallocated once, overwritten in place. */
export interface RecentSlot {
  requestId: string;
  model: string;
  priority: 0 | 1 | 2;
  keyName: string | null;
  outcome: ErrorCodeOrOk;
  attempts: number;
  latencyMs: number;
}

/**
 * A fixed-size ring of the last `size` settled requests. Every slot object is created up front
 * and only its fields are overwritten, so writing never allocates and never grows.
 */
export class RecentRing {
  readonly size: number;
  private readonly slots: RecentSlot[];
  private next = 0;
  private filled = 0;

  constructor(size: number) {
    this.size = size;
    this.slots = new Array<RecentSlot>(size);
    for (let i = 0; i < size; i++) {
      this.slots[i] = { requestId: '', model: '', priority: 1, keyName: null, outcome: 'ok', attempts: 0, latencyMs: 0 };
    }
  }

  write(
    requestId: string,
    model: string,
    priority: 0 | 1 | 2,
    outcome: ErrorCodeOrOk,
    attempts: number,
    latencyMs: number,
    keyName: string | null,
  ): void {
    if (this.size === 0) return;
    const slot = this.slots[this.next]!;
    slot.requestId = requestId;
    slot.model = model;
    slot.priority = priority;
    slot.keyName = keyName;
    slot.outcome = outcome;
    slot.attempts = attempts;
    slot.latencyMs = latencyMs;
    this.next = this.next + 1 === this.size ? 0 : this.next + 1;
    if (this.filled < this.size) this.filled++;
  }

  /** How many slots hold a request (never more than `size`). */
  get length(): number {
    return this.filled;
  }

  /** The held slots, oldest first and newest last. */
  *entries(): IterableIterator<RecentSlot> {
    const start = this.filled < this.size ? 0 : this.next;
    for (let i = 0; i < this.filled; i++) yield this.slots[(start + i) % this.size]!;
  }

  clear(): void {
    this.next = 0;
    this.filled = 0;
    for (const slot of this.slots) {
      slot.requestId = '';
      slot.model = '';
      slot.keyName = null;
    }
  }
}
