import type { ChatChunk } from '../types.js';

/** Chunks buffered for a caller that is not reading before the producer should pause. */
export const CHUNK_HIGH_WATER_MARK = 64;

/**
 * The caller's side of a streamed chat (docs/ARCHITECTURE.md §11): an async iterator fed by the dispatcher.
 * A failure ends the iteration with the error; leaving the loop (`break`, `return`) calls
 * `onLeave`, which aborts the upstream call at once. Backpressure: past `highWaterMark` buffered
 * chunks the producer awaits `whenDrained()` before reading on, so a caller that stops pulling
 * (a gateway client that reads nothing) pauses the upstream read instead of filling memory.
 */
export class ChunkStream implements AsyncIterableIterator<ChatChunk> {
  private buffer: ChatChunk[] = [];
  private head = 0;
  private ended = false;
  private error: Error | null = null;
  private closed = false;
  private waiter: { resolve: (r: IteratorResult<ChatChunk>) => void; reject: (e: Error) => void } | null = null;
  private drainWaiters: Array<() => void> = [];

  constructor(
    private readonly onLeave: () => void,
    readonly highWaterMark = CHUNK_HIGH_WATER_MARK,
  ) {}

  /** Chunks pushed and not yet taken by the caller. */
  get buffered(): number {
    return this.buffer.length - this.head;
  }

  /** True while the producer should stop reading: the caller is this far behind. */
  get full(): boolean {
    return !this.closed && this.buffered >= this.highWaterMark;
  }

  /** Resolves once the caller has taken the buffer below the mark, or left the loop. */
  whenDrained(): Promise<void> {
    if (!this.full) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  private releaseDrainWaiters(): void {
    if (this.drainWaiters.length === 0 || this.full) return;
    for (const w of this.drainWaiters.splice(0)) w();
  }

  push(chunk: ChatChunk): void {
    if (this.closed || this.ended || this.error) return;
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = null;
      w.resolve({ value: chunk, done: false });
    } else this.buffer.push(chunk);
  }

  end(): void {
    if (this.ended || this.error) return;
    this.ended = true;
    this.wake();
  }

  fail(error: Error): void {
    if (this.ended || this.error || this.closed) return;
    this.error = error;
    this.wake();
  }

  private wake(): void {
    if (!this.waiter || this.head < this.buffer.length) return;
    const w = this.waiter;
    this.waiter = null;
    if (this.error) w.reject(this.takeError());
    else w.resolve({ value: undefined, done: true });
  }

  private takeError(): Error {
    const e = this.error!;
    this.closed = true;
    this.releaseDrainWaiters();
    return e;
  }

  next(): Promise<IteratorResult<ChatChunk>> {
    if (this.head < this.buffer.length) {
      const value = this.buffer[this.head++]!;
      if (this.head === this.buffer.length) {
        this.buffer = [];
        this.head = 0;
      }
      this.releaseDrainWaiters();
      return Promise.resolve({ value, done: false });
    }
    if (this.closed) return Promise.resolve({ value: undefined, done: true });
    if (this.error) return Promise.reject(this.takeError());
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  return(): Promise<IteratorResult<ChatChunk>> {
    if (!this.closed) {
      this.closed = true;
      this.buffer = [];
      this.head = 0;
      this.releaseDrainWaiters();
      if (!this.ended && !this.error) this.onLeave();
    }
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<ChatChunk> {
    return this;
  }
}
