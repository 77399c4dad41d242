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
  private sumMs = 0;

  record(ms: number): void {
    const us = Math.min(60_000_000, Math.max(1, Math.round(ms * 1000)));
    this.hist.recordValue(us);
    this.sumMs += ms;
  }

  /** The same samples in seconds, as a Prometheus summary reads them (sum, count, quantiles 0–100). */
  readonly seconds: { readonly sum: number; readonly count: number; percentile(p: number): number } = (() => {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- getters need the instance
    const rt = this;
    return {
      get sum() {
        return rt.sumMs / 1000;
      },
      get count() {
        return rt.hist.totalCount;
      },
      percentile: (p: number) => (rt.hist.totalCount === 0 ? 0 : rt.hist.getValueAtPercentile(p) / 1e6),
    };
  })();

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
    this.sumMs = 0;
  }
}
