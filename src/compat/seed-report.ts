import type { BoardState, Report } from '../types.js';
import { msToSeconds, seedCircuitState, type SeedCircuitState } from './attributes.js';

/** `{ min, max, avg, count }` in seconds; all zeros when nothing was recorded. */
export interface SeedTally {
  min: number;
  max: number;
  avg: number;
  count: number;
}

/**
 * `generate_report()`'s shape: the seed's snake_case names, times in seconds, rates in percent
 * rounded to 2 decimals (docs/ARCHITECTURE.md §6, last paragraph). Counted per request: a request retried three
 * times is one request, and its error (if it failed) is counted once, under its final code.
 */
export interface SeedReport {
  summary: { total_requests: number; success_rate: number; average_response_time: number; retry_rate: number };
  /** Requests per model. */
  models: Record<string, number>;
  /** Failed requests per error code (`SB_RETRIES_EXHAUSTED`, `SB_PROVIDER`, …). */
  errors: Record<string, number>;
  circuit_breaker: { state: SeedCircuitState; failure_count: number; failure_threshold: number; reset_timeout: number; trips: number };
  /** Only with `include_details`. `backoff_delays` holds the waits actually slept before retries. */
  details?: { queue_wait_times: SeedTally; backoff_delays: SeedTally };
}

/** `get_stats()`'s shape: the live counters, snake_case, seconds. */
export interface SeedStats {
  total_requests: number;
  successful_requests: number;
  failed_requests: number;
  success_rate: number;
  total_retries: number;
  retry_rate: number;
  average_response_time: number;
  /** Requests waiting in the queue now. */
  queue_size: number;
  /** Requests holding a concurrency slot now (in flight or backing off). */
  in_flight: number;
  circuit_state: SeedCircuitState;
}

function tally(t: { min: number; max: number; avg: number; count: number } | undefined): SeedTally {
  if (!t || t.count === 0) return { min: 0, max: 0, avg: 0, count: 0 };
  return { min: msToSeconds(t.min), max: msToSeconds(t.max), avg: msToSeconds(t.avg), count: t.count };
}

/** Converts the core report (camelCase, ms) to the seed's. */
export function toSeedReport(report: Report, includeDetails: boolean): SeedReport {
  const models: Record<string, number> = {};
  for (const [name, m] of Object.entries(report.models)) {
    Object.defineProperty(models, name, { value: m.requests, enumerable: true, writable: true, configurable: true });
  }
  const cb = report.circuitBreaker;
  const out: SeedReport = {
    summary: {
      total_requests: report.summary.totalRequests,
      success_rate: report.summary.successRate,
      average_response_time: msToSeconds(report.summary.avgLatencyMs),
      retry_rate: report.summary.retryRate,
    },
    models,
    errors: { ...report.errors },
    circuit_breaker: {
      state: seedCircuitState(cb.state),
      failure_count: cb.failureCount,
      failure_threshold: cb.failureThreshold,
      reset_timeout: cb.resetTimeoutMs / 1000,
      trips: cb.trips,
    },
  };
  if (includeDetails) {
    out.details = { queue_wait_times: tally(report.details?.queueWaitMs), backoff_delays: tally(report.details?.backoffDelaysMs) };
  }
  return out;
}

/** `get_stats()` from the core report and the live state. */
export function toSeedStats(report: Report, state: BoardState): SeedStats {
  const s = report.summary;
  return {
    total_requests: s.totalRequests,
    successful_requests: s.succeeded,
    failed_requests: s.failed,
    success_rate: s.successRate,
    total_retries: s.retries,
    retry_rate: s.retryRate,
    average_response_time: msToSeconds(s.avgLatencyMs),
    queue_size: state.queue.depth,
    in_flight: state.inFlight,
    circuit_state: seedCircuitState(state.breaker),
  };
}
