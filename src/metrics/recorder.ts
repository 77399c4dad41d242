import { Registry } from 'prom-client';
import type { Provider, Report } from './deps.js';
import type { LiveView, MetricsRecorder } from './types.js';
import { MetricsState } from './state.js';
import { buildReport } from './report.js';
import { attachToRegistry } from './prometheus.js';

export interface RecorderOptions {
  provider: Provider;
  registry: Registry | undefined;
  labels: Record<string, string>;
  recentSize: number;
  maxModels: number;
  live: () => LiveView;
  now: () => number;
}

/** The enabled recorder: counting in `MetricsState`, reporting and scraping on demand. */
export class Recorder extends MetricsState implements MetricsRecorder {
  readonly enabled = true;
  private since: number;
  private readonly now: () => number;
  private readonly registry: Registry;
  private detach: (() => void) | null;

  constructor(options: RecorderOptions) {
    super(options.maxModels, options.recentSize);
    this.now = options.now;
    this.since = options.now();
    this.registry = options.registry ?? new Registry();
    const state: MetricsState = this;
    this.detach = attachToRegistry(this.registry, {
      labels: { provider: options.provider, ...options.labels },
      state,
      live: options.live,
    });
  }

  reset(): void {
    this.clear();
    this.since = this.now();
  }

  report(includeDetails: boolean, live: LiveView): Report {
    return buildReport(this, includeDetails, live, this.now(), this.since);
  }

  /** The registry's whole text: with a shared registry, every board in it (told apart by `provider`). */
  metricsText(): Promise<string> {
    return this.registry.metrics();
  }

  dispose(): void {
    this.detach?.();
    this.detach = null;
  }
}

let emptyState: MetricsState | null = null;

function noop(): void {}

/**
 * The recorder of a board with `metrics.enabled: false`: every recording method is one shared
 * no-op, nothing is allocated per board but this small object, and `report()` is a valid report
 * with zero counts (breaker and keys still from the live view). `metricsText()` is empty.
 */
export function createDisabledRecorder(now: () => number): MetricsRecorder {
  // One empty state for all disabled boards; it is only ever read.
  const empty = (emptyState ??= new MetricsState(0, 0));
  let since = now();
  return {
    enabled: false,
    requestSettled: noop,
    attemptFinished: noop,
    retryScheduled: noop,
    backoffSlept: noop,
    pacingAvoided: noop,
    batchFlushed: noop,
    reset() {
      since = now();
    },
    report(includeDetails, live) {
      return buildReport(empty, includeDetails, live, now(), since);
    },
    metricsText: () => Promise.resolve(''),
    dispose: noop,
  };
}
