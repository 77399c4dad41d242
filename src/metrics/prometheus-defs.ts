import type { LiveView } from './types.js';
import type { MetricsState } from './state.js';
import type { BreakerState } from './deps.js';
import type { KeyState } from '../types.js';

type Labels = Record<string, string>;

/** What a summary reads at scrape time: exact sum and count, percentiles (0–100) from a histogram. */
export interface SummarySource {
  readonly sum: number;
  readonly count: number;
  percentile(p: number): number;
}

const NO_QUANTILES: SummarySource['percentile'] = () => 0;

interface ValueDef {
  kind: 'gauge' | 'counter';
  name: string;
  help: string;
  /** Label names beyond the board's own (`provider`, …). */
  labels: readonly string[];
  fill(s: MetricsState, live: LiveView, put: (labels: Labels, value: number) => void): void;
}

interface SummaryDef {
  kind: 'summary';
  name: string;
  help: string;
  labels: readonly string[];
  quantiles: readonly number[];
  fill(s: MetricsState, live: LiveView, put: (labels: Labels, source: SummarySource) => void): void;
}

export type MetricDef = ValueDef | SummaryDef;

const BREAKER: Readonly<Record<BreakerState, number>> = { closed: 0, open: 1, halfOpen: 2, forcedOpen: 3, disabled: 4 };
const KEY_STATES: readonly KeyState[] = ['ready', 'cooling', 'exhausted', 'disabled'];
const PRIORITIES = ['high', 'normal', 'low'] as const;
const NONE: Labels = {};

/**
 * Every `switchboard_*` metric, read at scrape time. Times are milliseconds like the rest of
 * Switchboard. Counters are "since the last stats reset" (a reset reads as a counter reset);
 * breaker trips are the breaker's own and survive it.
 */
export const metricDefs: readonly MetricDef[] = [
  {
    kind: 'gauge', name: 'switchboard_queue_depth', help: 'Requests waiting for their first dispatch, by priority.',
    labels: ['priority'],
    fill: (_s, live, put) => {
      for (const p of PRIORITIES) put({ priority: p }, live.state.queue.byPriority[p]);
    },
  },
  {
    kind: 'gauge', name: 'switchboard_queue_size', help: 'Capacity of the queue (queue.size).', labels: [],
    fill: (_s, live, put) => put(NONE, live.state.queue.size),
  },
  {
    kind: 'gauge', name: 'switchboard_in_flight', help: 'Requests holding a concurrency slot (in flight or backing off).', labels: [],
    fill: (_s, live, put) => put(NONE, live.state.inFlight),
  },
  {
    kind: 'gauge', name: 'switchboard_max_concurrent', help: 'Concurrency limit (queue.maxConcurrent).', labels: [],
    fill: (_s, live, put) => put(NONE, live.state.maxConcurrent),
  },
  {
    kind: 'counter', name: 'switchboard_requests_total', help: 'Settled requests by outcome ("ok" or an SB_ error code).',
    labels: ['outcome'],
    fill: (s, _live, put) => {
      put({ outcome: 'ok' }, s.succeeded);
      for (const [code, c] of s.errors.map) put({ outcome: code }, c.n);
    },
  },
  {
    kind: 'counter', name: 'switchboard_attempts_total', help: 'HTTP attempts by outcome (ok, failed, rateLimited).',
    labels: ['outcome'],
    fill: (s, _live, put) => {
      put({ outcome: 'ok' }, s.attemptsOk);
      put({ outcome: 'failed' }, s.attemptsFailed);
      put({ outcome: 'rateLimited' }, s.attemptsRateLimited);
    },
  },
  {
    kind: 'counter', name: 'switchboard_key_attempts_total', help: 'HTTP attempts per key by outcome.',
    labels: ['key', 'outcome'],
    fill: (s, _live, put) => {
      for (const [key, c] of s.keys.map) {
        put({ key, outcome: 'ok' }, c.succeeded);
        put({ key, outcome: 'failed' }, c.failed);
        put({ key, outcome: 'rateLimited' }, c.rateLimited);
      }
    },
  },
  {
    kind: 'counter', name: 'switchboard_retries_total', help: 'Retries decided, by reason.', labels: ['reason'],
    fill: (s, _live, put) => {
      for (const [reason, c] of s.retryReasons.map) put({ reason }, c.n);
    },
  },
  {
    kind: 'counter', name: 'switchboard_rate_limited_total', help: '429 answers received.', labels: [],
    fill: (s, _live, put) => put(NONE, s.attemptsRateLimited),
  },
  {
    kind: 'counter', name: 'switchboard_rate_limits_avoided_total',
    help: 'Dispatches held back because a key\'s request budget was spent (429s avoided by pacing).', labels: [],
    fill: (s, _live, put) => put(NONE, s.pacingCount),
  },
  {
    kind: 'gauge', name: 'switchboard_breaker_state',
    help: 'Circuit breaker state: 0 closed, 1 open, 2 halfOpen, 3 forcedOpen, 4 disabled.', labels: [],
    fill: (_s, live, put) => put(NONE, BREAKER[live.breaker.state]),
  },
  {
    kind: 'gauge', name: 'switchboard_breaker_failures', help: 'Consecutive failures the breaker has counted.', labels: [],
    fill: (_s, live, put) => put(NONE, live.breaker.failureCount),
  },
  {
    kind: 'counter', name: 'switchboard_breaker_trips_total', help: 'Times the breaker opened (not cleared by a stats reset).', labels: [],
    fill: (_s, live, put) => put(NONE, live.breaker.trips),
  },
  {
    kind: 'gauge', name: 'switchboard_key_state', help: 'Key state, one-hot: 1 for the state the key is in.',
    labels: ['key', 'state'],
    fill: (_s, live, put) => {
      for (const k of live.state.keys) for (const state of KEY_STATES) put({ key: k.name, state }, k.state === state ? 1 : 0);
    },
  },
  {
    kind: 'gauge', name: 'switchboard_key_in_flight', help: 'Requests in flight on a key.', labels: ['key'],
    fill: (_s, live, put) => {
      for (const k of live.state.keys) put({ key: k.name }, k.inFlight);
    },
  },
  {
    kind: 'counter', name: 'switchboard_batches_total', help: 'Batches sent as one HTTP call.', labels: [],
    fill: (s, _live, put) => put(NONE, s.batches),
  },
  {
    kind: 'counter', name: 'switchboard_batched_requests_total', help: 'Requests that went out inside a batch.', labels: [],
    fill: (s, _live, put) => put(NONE, s.batchedRequests),
  },
  {
    kind: 'counter', name: 'switchboard_tokens_total', help: 'Tokens used per model (direction: input, output).',
    labels: ['model', 'direction'],
    fill: (s, _live, put) => {
      for (const [model, m] of s.models.map) {
        put({ model, direction: 'input' }, m.inputTokens);
        put({ model, direction: 'output' }, m.outputTokens);
      }
    },
  },
  {
    kind: 'summary', name: 'switchboard_request_latency_milliseconds',
    help: 'Request latency (admission to settlement) in ms; quantiles from an HDR histogram since the last stats reset.',
    labels: [], quantiles: [0.5, 0.9, 0.95, 0.99],
    fill: (s, _live, put) => put(NONE, s.latency),
  },
  {
    kind: 'summary', name: 'switchboard_queue_wait_milliseconds',
    help: 'Time waiting in the queue before the first dispatch, in ms, by priority (HDR histogram since the last stats reset).',
    labels: ['priority'], quantiles: [0.5, 0.9, 0.99],
    fill: (s, _live, put) => {
      for (let i = 0; i < 3; i++) put({ priority: PRIORITIES[i]! }, s.priorities[i as 0 | 1 | 2].queueWait);
    },
  },
  {
    kind: 'summary', name: 'switchboard_batch_size', help: 'Requests per batch (HDR histogram since the last stats reset).',
    labels: [], quantiles: [0.5, 0.9, 0.99],
    fill: (s, _live, put) => put(NONE, s.batchSizes),
  },
  {
    kind: 'summary', name: 'switchboard_backoff_milliseconds', help: 'Backoff waits actually slept before retries, in ms (sum and count).',
    labels: [], quantiles: [],
    fill: (s, _live, put) => put(NONE, { sum: s.backoff.sum, count: s.backoff.count, percentile: NO_QUANTILES }),
  },
  {
    kind: 'gauge', name: 'switchboard_shared_degraded', help: 'Shared budgets (Redis): 1 while degraded (Redis unreachable or slow, a local 1/N share in use), 0 when shared; absent without `shared`.',
    labels: [],
    fill: (_s, live, put) => {
      if (live.shared) put(NONE, live.shared.report.mode === 'degraded' ? 1 : 0);
    },
  },
  {
    kind: 'summary', name: 'switchboard_shared_round_trip_seconds', help: 'Round trips of the shared-budget Lua scripts to Redis, in seconds (HDR histogram since start).',
    labels: [], quantiles: [0.5, 0.9, 0.99],
    fill: (_s, live, put) => {
      if (live.shared) put(NONE, live.shared.roundTrips);
    },
  },
];
