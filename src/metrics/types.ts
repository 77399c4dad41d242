import type { BoardState, BreakerState, ErrorCodeOrOk, Provider, Report } from './deps.js';

/** What the board shows the metrics at report/scrape time (read, never pushed). */
export interface LiveView {
  provider: Provider;
  breaker: { state: BreakerState; failureCount: number; failureThreshold: number; resetTimeoutMs: number; trips: number };
  state: BoardState;
  /** Present when the board shares through Redis (`shared`): the report's `shared`, and script round trips in seconds. */
  shared?: { report: Report['shared']; roundTrips: { readonly sum: number; readonly count: number; percentile(p: number): number } } | null;
}

/**
 * The board records through this; every method takes primitives so that recording a request is a
 * few field updates with no allocation. With `metrics.enabled: false` the board holds a no-op
 * recorder and never calls it on the hot path.
 */
export interface MetricsRecorder {
  readonly enabled: boolean;
  /** A request settled (once per request; a batch's members each settle). priority: 0 high, 1 normal, 2 low. */
  requestSettled(
    requestId: string,
    model: string,
    priority: 0 | 1 | 2,
    outcome: ErrorCodeOrOk,
    attempts: number,
    latencyMs: number,
    queueWaitMs: number,
    keyName: string | null,
    inputTokens: number,
    outputTokens: number,
  ): void;
  /** One HTTP attempt ended on a key. */
  attemptFinished(keyName: string, outcome: 'ok' | 'failed' | 'rateLimited'): void;
  /** A retry was decided (reason: 'status_503', 'rate_limited', 'timeout', 'connection', 'bad_response' …). */
  retryScheduled(reason: string): void;
  /** A backoff wait actually elapsed (ms slept). */
  backoffSlept(ms: number): void;
  /** Dispatch held a request back because a key's budget was spent (a 429 avoided by pacing). */
  pacingAvoided(): void;
  /** A batch of `size` requests went out as one HTTP call. */
  batchFlushed(size: number): void;
  /** Zero every counter (breaker and key state are not ours: they stay). */
  reset(): void;
  report(includeDetails: boolean, live: LiveView): Report;
  /** Prometheus exposition text of this board's metrics (values collected at scrape time). */
  metricsText(): Promise<string>;
  /** The board stopped: take its series out of the (possibly shared) registry. Counting and `report()` still work. */
  dispose(): void;
}
