import { Counter, Gauge, Registry, Summary } from 'prom-client';
import type { LiveView } from './types.js';
import type { MetricsState } from './state.js';
import { ConfigError } from '../errors.js';
import { metricDefs, type MetricDef, type SummarySource } from './prometheus-defs.js';

type Labels = Record<string, string>;

/** One board as the registry sees it: its label values, its counters, and its live view. */
export interface ScrapeSource {
  readonly labels: Labels;
  readonly state: MetricsState;
  live(): LiveView;
}

type PromMetric = Gauge<string> | Counter<string> | ScrapedSummary;

/** The metric objects of one registry, shared by every board registered into it. */
interface MetricSet {
  readonly registry: Registry;
  /** `provider` then the boards' own label names, sorted; the same for every board of the set. */
  readonly labelNames: readonly string[];
  readonly sources: Set<ScrapeSource>;
  readonly metrics: PromMetric[];
  /** Each board's live view, read once per scrape: every collect of one scrape runs in one tick. */
  liveCache: Map<ScrapeSource, LiveView> | null;
}

const sets = new WeakMap<Registry, MetricSet>();

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
/** Label names the metrics use themselves, so a board's own labels cannot take them. */
const RESERVED = new Set(['provider', 'priority', 'outcome', 'reason', 'key', 'state', 'model', 'direction', 'quantile']);

/**
 * A Prometheus summary whose quantiles, sum and count are read at scrape time from the boards'
 * HDR histograms and exact sums (nothing is observed per request). Quantiles cover everything
 * since the board's last stats reset, not a sliding window.
 */
class ScrapedSummary extends Summary<string> {
  private readonly metricName: string;
  private readonly metricHelp: string;

  constructor(
    config: { name: string; help: string; labelNames: string[]; registers: Registry[] },
    private readonly produce: (emit: (labels: Labels, source: SummarySource) => void) => void,
    private readonly quantiles: readonly number[],
  ) {
    super(config);
    this.metricName = config.name;
    this.metricHelp = config.help;
  }

  override async get(): ReturnType<Summary<string>['get']> {
    const values: Array<{ labels: Labels; value: number; metricName?: string }> = [];
    this.produce((labels, src) => {
      for (const q of this.quantiles) values.push({ labels: { ...labels, quantile: String(q) }, value: src.percentile(q * 100) });
      values.push({ metricName: `${this.metricName}_sum`, labels, value: src.sum });
      values.push({ metricName: `${this.metricName}_count`, labels, value: src.count });
    });
    const out = { name: this.metricName, help: this.metricHelp, type: 'summary', values, aggregator: 'sum' };
    return out as unknown as Awaited<ReturnType<Summary<string>['get']>>;
  }
}

function liveOf(set: MetricSet, source: ScrapeSource): LiveView {
  if (set.liveCache === null) {
    set.liveCache = new Map();
    queueMicrotask(() => {
      set.liveCache = null;
    });
  }
  let live = set.liveCache.get(source);
  if (live === undefined) {
    live = source.live();
    set.liveCache.set(source, live);
  }
  return live;
}

function createMetric(set: MetricSet, def: MetricDef): PromMetric {
  const config = {
    name: def.name,
    help: def.help,
    labelNames: [...set.labelNames, ...def.labels],
    registers: [set.registry],
  };
  const each = (fn: (base: Labels, source: ScrapeSource, live: LiveView) => void): void => {
    for (const source of set.sources) fn(source.labels, source, liveOf(set, source));
  };
  if (def.kind === 'summary') {
    return new ScrapedSummary(
      config,
      (emit) => each((base, source, live) => def.fill(source.state, live, (extra, src) => emit({ ...base, ...extra }, src))),
      def.quantiles,
    );
  }
  if (def.kind === 'counter') {
    return new Counter({
      ...config,
      collect() {
        this.reset();
        each((base, source, live) => def.fill(source.state, live, (extra, v) => this.inc({ ...base, ...extra }, v)));
      },
    });
  }
  return new Gauge({
    ...config,
    collect() {
      this.reset();
      each((base, source, live) => def.fill(source.state, live, (extra, v) => this.set({ ...base, ...extra }, v)));
    },
  });
}

/**
 * A board's own label names, sorted.
 * @throws `SB_CONFIG` (`metrics.labels`) on a name Prometheus refuses or one the metrics use themselves.
 */
export function labelNamesOf(labels: Labels): string[] {
  const names = Object.keys(labels).sort();
  for (const name of names) {
    if (!LABEL_NAME.test(name) || RESERVED.has(name) || name.startsWith('__')) {
      throw new ConfigError(
        `createSupervisor: expected \`metrics.labels\` to have Prometheus label names other than ${[...RESERVED].join(', ')}, got ${JSON.stringify(name)} (string)`,
        'metrics.labels',
      );
    }
  }
  return names;
}

/**
 * Registers a board's metrics into `registry`. The first board of a registry creates the metric
 * objects; later boards reuse them, and on every scrape each metric's `collect` runs over all the
 * boards, each writing the values for its own label values (`provider`, plus `labels`). Returns
 * the function that takes the board out (the last one out unregisters the metrics).
 *
 * @throws `SB_CONFIG` (`metrics.labels`) when the labels are not valid label names, differ in names
 * from the other boards of the registry, or equal another board's (two boards would write the same
 * series: give them a distinguishing label).
 */
export function attachToRegistry(registry: Registry, source: ScrapeSource): () => void {
  const { provider: _provider, ...own } = source.labels;
  const labelNames = ['provider', ...labelNamesOf(own)];
  let set = sets.get(registry);
  if (set === undefined) {
    set = { registry, labelNames, sources: new Set(), metrics: [], liveCache: null };
    try {
      for (const def of metricDefs) set.metrics.push(createMetric(set, def));
    } catch (err) {
      // A name already taken in this registry by something else: leave the registry as it was.
      for (const metric of set.metrics) registry.removeSingleMetric(nameOf(metric));
      throw err;
    }
    sets.set(registry, set);
  } else {
    if (set.labelNames.join() !== labelNames.join()) {
      throw new ConfigError(
        `createSupervisor: expected \`metrics.labels\` to have the label names of the other boards on this registry (${set.labelNames.slice(1).join(', ') || 'none'}), got ${JSON.stringify(own)} (object)`,
        'metrics.labels',
      );
    }
    const signature = labelNames.map((n) => source.labels[n]).join('\u0000');
    for (const other of set.sources) {
      if (labelNames.map((n) => other.labels[n]).join('\u0000') === signature) {
        throw new ConfigError(
          `createSupervisor: expected \`metrics.labels\` to tell this board apart from another board on the same registry, got ${JSON.stringify(source.labels)} (object)`,
          'metrics.labels',
        );
      }
    }
  }
  set.sources.add(source);
  const owner = set;
  return () => {
    if (!owner.sources.delete(source) || owner.sources.size > 0) return;
    for (const metric of owner.metrics) {
      // Only remove what is still ours: something else may have taken the name since.
      if (registry.getSingleMetric(nameOf(metric)) === metric) registry.removeSingleMetric(nameOf(metric));
    }
    if (sets.get(registry) === owner) sets.delete(registry);
  };
}

function nameOf(metric: PromMetric): string {
  return (metric as unknown as { name: string }).name;
}
