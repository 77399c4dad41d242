/**
 * A continuously refilling bucket (docs/ARCHITECTURE.md §2 `keys[].limits`): `capacity` units, starting full,
 * refilling `capacity / periodMs` per millisecond. Lazy: the level is computed from the clock when
 * asked, so a bucket costs no timer; the one waiting for it sets a timer to `readyAt(n)`.
 */
export class Bucket {
  private level: number;
  private at: number;
  private readonly perMs: number;

  constructor(
    readonly capacity: number,
    periodMs: number,
    now: number,
  ) {
    this.level = capacity;
    this.at = now;
    this.perMs = capacity / periodMs;
  }

  available(now: number): number {
    if (now > this.at) {
      this.level = Math.min(this.capacity, this.level + (now - this.at) * this.perMs);
      this.at = now;
    }
    return this.level;
  }

  /** Whether `n` units can go now (a request larger than the bucket goes when it is full). */
  fits(n: number, now: number): boolean {
    return this.available(now) >= Math.min(n, this.capacity);
  }

  /** Takes `n` units (the level may go below zero: a later refill pays for it). */
  take(n: number, now: number): void {
    this.available(now);
    this.level -= n;
  }

  /** Gives back `n` units (an estimate that was too high), never above capacity. */
  give(n: number, now: number): void {
    this.available(now);
    this.level = Math.min(this.capacity, this.level + n);
  }

  /** The exact instant `n` units are available (now when they are). */
  readyAt(n: number, now: number): number {
    const missing = Math.min(n, this.capacity) - this.available(now);
    return missing <= 0 ? now : now + Math.ceil(missing / this.perMs);
  }
}
