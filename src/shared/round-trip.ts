import hdr from 'hdr-histogram-js';
import type { Histogram } from 'hdr-histogram-js';

/**
 * Script round trips in microseconds (an HDR histogram: 3 significant digits, up to 60 s), read as
 * milliseconds for `report().shared` and in seconds for Prometheus.
 */
export class RoundTrips {
  private readonly hist: Histogram = hdr.build({
    bitBucketSize: 32,
    autoResize: false,
    lowestDiscernibleValue: 1,
    highestTrackableValue: 60_000_000,
    numberOfSignificantValueDigits: 3,
  });
  /** Listener for each sample in seconds (the Prometheus histogram), when metrics are on. */
  onSample: ((seconds: number) => void) | null = null;

  record(ms: number): void {
    const us = Math.min(60_000_000, Math.max(1, Math.round(ms * 1000)));
    this.hist.recordValue(us);
    this.onSample?.(ms / 1000);
  }

  get count(): number {
    return this.hist.totalCount;
  }

  /** The round trip at `percentile` (0–100) in ms, two decimals; 0 before any sample. */
  percentileMs(percentile: number): number {
    if (this.hist.totalCount === 0) return 0;
    return Math.round(this.hist.getValueAtPercentile(percentile) / 10) / 100;
  }

  reset(): void {
    this.hist.reset();
  }
}
