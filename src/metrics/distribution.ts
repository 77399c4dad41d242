import hdr from 'hdr-histogram-js';
import type { Histogram } from 'hdr-histogram-js';

/** Longest value a histogram resolves (1 hour, in ms); longer values count as this (the exact max stays exact). */
export const HIGHEST_TRACKABLE_MS = 3_600_000;

/** Exact `min/max/sum/count` of a series of non-negative values (ms), with no histogram. */
export class Tally {
  count = 0;
  sum = 0;
  min = 0;
  max = 0;

  record(value: number): void {
    // NaN, negative and infinite readings (a caller's bug) count as 0 rather than poisoning the sum.
    const v = value > 0 && value < Infinity ? value : 0;
    if (this.count === 0) {
      this.min = v;
      this.max = v;
    } else {
      if (v < this.min) this.min = v;
      if (v > this.max) this.max = v;
    }
    this.count++;
    this.sum += v;
  }

  reset(): void {
    this.count = 0;
    this.sum = 0;
    this.min = 0;
    this.max = 0;
  }

  /** `{ min, max, avg, count }` rounded to 2 decimals; all zeros when empty. */
  snapshot(): { min: number; max: number; avg: number; count: number } {
    return {
      min: round2(this.min),
      max: round2(this.max),
      avg: this.count === 0 ? 0 : round2(this.sum / this.count),
      count: this.count,
    };
  }
}

/**
 * HDR layout for 3 significant digits and a 1 ms unit: 2,048 sub-buckets, so values under 2,048
 * are exact, and each power of two above adds 1,024 slots of doubling width. `slotOf` is
 * hdr-histogram-js's `countsArrayIndex` with `Math.clz32` in place of `log2`/`pow`.
 */
const HALF_MAGNITUDE = 10;
const HALF = 1 << HALF_MAGNITUDE;

function slotOf(v: number): number {
  if (v < 2 * HALF) return v;
  const bucket = 31 - Math.clz32(v) - HALF_MAGNITUDE;
  return ((bucket + 1) << HALF_MAGNITUDE) + (v >>> bucket) - HALF;
}

/** The lowest value of a slot (any value of the slot lands in the same histogram count). */
function slotValue(slot: number): number {
  if (slot < 2 * HALF) return slot;
  const bucket = (slot >>> HALF_MAGNITUDE) - 1;
  return ((slot & (HALF - 1)) + HALF) * 2 ** bucket;
}

/** Merge before a slot could overflow its Int32. */
const MAX_PENDING = 2 ** 30;

/**
 * A `Tally` plus an HDR histogram (hdr-histogram-js) for percentiles, in bounded memory
 * (≈ 110 KB per distribution at the 1-hour default).
 *
 * Values are recorded as whole milliseconds rounded UP (`Math.ceil`: 0.2 ms → 1, 0 stays 0),
 * 3 significant digits: exact below 2,048 ms, within 0.1% above, capped at `highest` (1 hour).
 * A percentile is clamped into the exact `[min, max]`, so it never reads outside what was seen
 * (one 0.4 ms request reads p50 0.4, not 1).
 *
 * Recording is one `Int32Array` increment in the histogram's own slot layout (no allocation,
 * ≈ 5 ns; hdr-histogram-js's `recordValue` costs ≈ 100 ns in its `log2`/`pow`), merged into
 * the histogram with `recordValueWithCount` on the next read.
 */
export class Distribution extends Tally {
  private readonly hist: Histogram;
  private readonly highest: number;
  private readonly slots: Int32Array;
  private pending = 0;

  constructor(highest = HIGHEST_TRACKABLE_MS) {
    super();
    this.highest = Math.floor(highest);
    this.hist = hdr.build({
      bitBucketSize: 32,
      autoResize: false,
      lowestDiscernibleValue: 1,
      highestTrackableValue: this.highest,
      numberOfSignificantValueDigits: 3,
    });
    this.slots = new Int32Array(slotOf(this.highest) + 1);
  }

  override record(value: number): void {
    super.record(value);
    const v = value > 0 && value < Infinity ? Math.ceil(value) : 0;
    this.slots[slotOf(v < this.highest ? v : this.highest)]!++;
    if (++this.pending === MAX_PENDING) this.merge();
  }

  override reset(): void {
    super.reset();
    this.slots.fill(0);
    this.pending = 0;
    this.hist.reset();
  }

  /** The value at `percentile` (0–100), in ms, clamped into `[min, max]`; 0 when empty. */
  percentile(percentile: number): number {
    if (this.count === 0) return 0;
    this.merge();
    const v = this.hist.getValueAtPercentile(percentile);
    return round2(v < this.min ? this.min : v > this.max ? this.max : v);
  }

  private merge(): void {
    if (this.pending === 0) return;
    const slots = this.slots;
    for (let i = 0; i < slots.length; i++) {
      const n = slots[i]!;
      if (n !== 0) {
        this.hist.recordValueWithCount(slotValue(i), n);
        slots[i] = 0;
      }
    }
    this.pending = 0;
  }
}

export function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

/** `part / whole × 100`, rounded to 2 decimals; 0 when `whole` is 0. */
export function percent(part: number, whole: number): number {
  return whole === 0 ? 0 : round2((part / whole) * 100);
}
