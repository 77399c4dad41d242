import type { Registry } from 'prom-client';
import { ConfigError } from '../errors.js';
import type { Provider } from './deps.js';
import type { LiveView, MetricsRecorder } from './types.js';
import { createDisabledRecorder, Recorder } from './recorder.js';
import { labelNamesOf } from './prometheus.js';

export type { LiveView, MetricsRecorder } from './types.js';
export { startSchedule, validateSchedule } from './schedule.js';
export type { ScheduleOptions, ScheduleTarget, ScheduleHandle, ReportSink } from './schedule.js';

export interface CreateMetricsOptions {
  /** `false`: a no-op recorder (reports still valid, with zero counts). */
  enabled: boolean;
  /** A prom-client Registry to share (e.g. one per gateway); default a private `new Registry()`. Never the global one. */
  registry?: Registry;
  provider: Provider;
  /** Extra constant labels on every series of this board (to tell apart two boards of one provider on one registry). */
  labels?: Record<string, string>;
  /** Size of the recent-requests ring buffer; default 100. */
  recentSize?: number;
  /** Distinct model names counted before the rest go under `"(other)"`; default 1,000. */
  maxModels?: number;
  /** The board's live view (breaker, keys, queue), read at report and scrape time. */
  live: () => LiveView;
  /** Clock for `since` and `generatedAt` (ms since the epoch); default `Date.now`. */
  now?: () => number;
}

function checkCount(value: unknown, field: string, min: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    const shown = typeof value === 'string' ? JSON.stringify(value) : String(value);
    throw new ConfigError(`createSupervisor: expected \`${field}\` to be an integer >= ${min}, got ${shown} (${typeof value})`, field);
  }
  return value;
}

/**
 * Creates a board's metrics recorder (docs/ARCHITECTURE.md §6): counters per request, per attempt, per model,
 * per key and per error code, HDR-histogram percentiles of latency and per-priority queue wait,
 * a ring buffer of recent requests, and Prometheus metrics read at scrape time.
 *
 * Call `dispose()` when the board stops: it takes the board out of the (possibly shared) registry.
 *
 * @throws `SB_CONFIG` on a bad `recentSize`, `maxModels` or `labels` (or labels that clash with
 * another board on the same registry).
 */
export function createMetrics(options: CreateMetricsOptions): MetricsRecorder {
  const now = options.now ?? Date.now;
  if (!options.enabled) return createDisabledRecorder(now);
  const labels = options.labels ?? {};
  labelNamesOf(labels);
  return new Recorder({
    provider: options.provider,
    registry: options.registry,
    labels,
    recentSize: checkCount(options.recentSize ?? 100, 'metrics.recentSize', 0),
    maxModels: checkCount(options.maxModels ?? 1_000, 'metrics.maxModels', 1),
    live: options.live,
    now,
  });
}
