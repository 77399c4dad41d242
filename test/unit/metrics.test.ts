import { describe, expect, it } from 'vitest';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import hdr from 'hdr-histogram-js';
import { Distribution } from '../../src/metrics/distribution.js';
import { createMetrics, type LiveView } from '../../src/metrics/index.js';
import { SwitchboardError } from '../../src/errors.js';
import type { BoardState, BreakerState, KeyState } from '../../src/types.js';

function liveView(
  keys: Array<{ name: string; state?: KeyState; inFlight?: number }> = [],
  breaker: Partial<LiveView['breaker']> & { state?: BreakerState } = {},
): LiveView {
  const state: BoardState = {
    provider: 'openai',
    breaker: breaker.state ?? 'closed',
    strategy: 'round-robin',
    queue: { depth: 0, size: 100, byPriority: { high: 0, normal: 0, low: 0 } },
    inFlight: 0,
    maxConcurrent: 5,
    actors: 1,
    keys: keys.map((k) => ({
      name: k.name,
      state: k.state ?? 'ready',
      inFlight: k.inFlight ?? 0,
      maxConcurrent: 5,
      untilMs: null,
      remainingRequests: null,
      remainingTokens: null,
    })),
    batchers: [],
  };
  return {
    provider: 'openai',
    breaker: { state: 'closed', failureCount: 0, failureThreshold: 5, resetTimeoutMs: 30_000, trips: 0, ...breaker },
    state,
  };
}

const T0 = Date.parse('2026-01-01T00:00:00.000Z');

function setup(options: { recentSize?: number; maxModels?: number; enabled?: boolean } = {}) {
  let now = T0;
  const live = liveView([{ name: 'k1' }, { name: 'k2' }]);
  const metrics = createMetrics({ enabled: options.enabled ?? true, provider: 'openai', live: () => live, now: () => now, ...options });
  return { metrics, live, advance: (ms: number) => (now += ms) };
}

describe('metrics report', () => {
  it('counts 5 successes and 2 failures of one model as 7 requests at 71.43%', () => {
    const { metrics, live } = setup();
    for (let i = 0; i < 5; i++) metrics.requestSettled(`ok-${i}`, 'gpt-4o-mini', 1, 'ok', 1, 100, 0, 'k1', 10, 5);
    metrics.requestSettled('t', 'gpt-4o-mini', 1, 'SB_TIMEOUT', 1, 60_000, 0, 'k1', 0, 0);
    metrics.requestSettled('p', 'gpt-4o-mini', 1, 'SB_PROVIDER', 1, 50, 0, 'k1', 0, 0);
    const report = metrics.report(false, live);
    expect(report.summary).toMatchObject({ totalRequests: 7, succeeded: 5, failed: 2, successRate: 71.43, attempts: 7 });
    expect(report.errors).toEqual({ SB_TIMEOUT: 1, SB_PROVIDER: 1 });
    expect(report.models).toEqual({ 'gpt-4o-mini': { requests: 7, succeeded: 5, failed: 2, inputTokens: 50, outputTokens: 25 } });
    expect(report.details).toBeUndefined();
  });

  it('reads latency percentiles from the histogram and the average from the exact sum', () => {
    const { metrics, live } = setup();
    for (let ms = 1; ms <= 100; ms++) metrics.requestSettled(`r${ms}`, 'm', 1, 'ok', 1, ms, 0, 'k1', 0, 0);
    const { summary } = metrics.report(false, live);
    expect(summary).toMatchObject({ avgLatencyMs: 50.5, p50LatencyMs: 50, p95LatencyMs: 95, p99LatencyMs: 99 });
  });

  it('reads the same percentiles as hdr-histogram-js recording every value itself', () => {
    const ours = new Distribution();
    const theirs = hdr.build({ bitBucketSize: 32, autoResize: false, lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000, numberOfSignificantValueDigits: 3 });
    let x = 12_345;
    for (let i = 0; i < 50_000; i++) {
      x = (x * 1_103_515_245 + 12_345) % 2_147_483_648;
      const ms = i % 2 === 0 ? x % 2_000 : x % 3_600_001;
      ours.record(ms);
      theirs.recordValue(ms);
    }
    for (const p of [0, 1, 25, 50, 75, 90, 95, 99, 99.9, 100]) {
      const expected = Math.min(Math.max(theirs.getValueAtPercentile(p), ours.min), ours.max);
      expect([p, ours.percentile(p)]).toEqual([p, expected]);
    }
  });

  it('never reads a percentile outside the exact min and max', () => {
    const { metrics, live } = setup();
    metrics.requestSettled('r', 'm', 1, 'ok', 1, 0.4, 0, 'k1', 0, 0);
    expect(metrics.report(false, live).summary).toMatchObject({ avgLatencyMs: 0.4, p50LatencyMs: 0.4, p99LatencyMs: 0.4 });
  });

  it('keeps queue wait per priority', () => {
    const { metrics, live } = setup();
    for (let i = 0; i < 10; i++) {
      metrics.requestSettled(`h${i}`, 'm', 0, 'ok', 1, 10, 5, 'k1', 0, 0);
      metrics.requestSettled(`n${i}`, 'm', 1, 'ok', 1, 10, 200, 'k1', 0, 0);
    }
    metrics.requestSettled('l', 'm', 2, 'ok', 1, 10, 12_000, 'k1', 0, 0);
    const report = metrics.report(true, live);
    expect(report.byPriority).toEqual({
      high: { requests: 10, queueWaitP50Ms: 5, queueWaitP99Ms: 5 },
      normal: { requests: 10, queueWaitP50Ms: 200, queueWaitP99Ms: 200 },
      // 3 significant digits above 2,048 ms, clamped to the exact max.
      low: { requests: 1, queueWaitP50Ms: 12_000, queueWaitP99Ms: 12_000 },
    });
    expect(report.details?.queueWaitMs).toEqual({ min: 5, max: 12_000, avg: 669.05, count: 21 });
  });

  it('counts attempts per key, with state and in-flight from the live view', () => {
    const { metrics } = setup();
    const live = liveView([{ name: 'k1', state: 'cooling', inFlight: 2 }, { name: 'k2' }]);
    for (let i = 0; i < 3; i++) metrics.attemptFinished('k1', 'ok');
    metrics.attemptFinished('k1', 'failed');
    metrics.attemptFinished('k1', 'rateLimited');
    metrics.attemptFinished('k1', 'rateLimited');
    metrics.attemptFinished('gone', 'ok');
    const { keys } = metrics.report(false, live);
    expect(keys).toEqual({
      k1: { attempts: 6, succeeded: 3, failed: 1, rateLimited: 2, state: 'cooling', inFlight: 2 },
      k2: { attempts: 0, succeeded: 0, failed: 0, rateLimited: 0, state: 'ready', inFlight: 0 },
      gone: { attempts: 1, succeeded: 1, failed: 0, rateLimited: 0, state: 'disabled', inFlight: 0 },
    });
  });

  it('takes the circuit breaker from the live view', () => {
    const { metrics } = setup();
    const live = liveView([], { state: 'open', failureCount: 5, trips: 2 });
    expect(metrics.report(false, live).circuitBreaker).toEqual({
      state: 'open',
      failureCount: 5,
      failureThreshold: 5,
      resetTimeoutMs: 30_000,
      trips: 2,
    });
  });

  it('counts retries, the retry rate, and the backoff delays actually slept', () => {
    const { metrics, live } = setup();
    metrics.requestSettled('a', 'm', 1, 'ok', 3, 3_000, 0, 'k1', 0, 0);
    metrics.requestSettled('b', 'm', 1, 'ok', 1, 10, 0, 'k1', 0, 0);
    metrics.requestSettled('c', 'm', 1, 'ok', 1, 10, 0, 'k1', 0, 0);
    metrics.retryScheduled('status_503');
    metrics.retryScheduled('rate_limited');
    metrics.backoffSlept(1_000);
    metrics.backoffSlept(250);
    const report = metrics.report(true, live);
    expect(report.summary).toMatchObject({ totalRequests: 3, attempts: 5, retries: 2, retryRate: 66.67 });
    expect(report.details?.backoffDelaysMs).toEqual({ min: 250, max: 1_000, avg: 625, count: 2 });
  });

  it('counts batches, their average size and the HTTP calls they saved', () => {
    const { metrics, live } = setup();
    metrics.batchFlushed(10);
    metrics.batchFlushed(3);
    expect(metrics.report(false, live).batching).toEqual({ batches: 2, batchedRequests: 13, avgBatchSize: 6.5, httpCallsSaved: 11 });
  });

  it('counts at most 1,000 distinct models by default and the rest under "(other)"', () => {
    const { metrics, live } = setup();
    for (let i = 0; i < 1_005; i++) metrics.requestSettled(`r${i}`, `model-${i}`, 1, 'ok', 1, 1, 0, null, 1, 1);
    metrics.requestSettled('again', 'model-0', 1, 'ok', 1, 1, 0, null, 0, 0);
    const { models, summary } = metrics.report(false, live);
    expect(Object.keys(models)).toHaveLength(1_001);
    expect(models['model-0']?.requests).toBe(2);
    expect(models['model-999']?.requests).toBe(1);
    expect(models['model-1000']).toBeUndefined();
    expect(models['(other)']).toEqual({ requests: 5, succeeded: 5, failed: 0, inputTokens: 5, outputTokens: 5 });
    expect(summary.totalRequests).toBe(1_006);
  });

  it('counts a model named like an Object.prototype property as its own entry', () => {
    const { metrics, live } = setup();
    metrics.requestSettled('a', '__proto__', 1, 'ok', 1, 1, 0, null, 0, 0);
    metrics.requestSettled('b', 'constructor', 1, 'ok', 1, 1, 0, null, 0, 0);
    const { models } = metrics.report(false, live);
    expect(Object.keys(models)).toEqual(['__proto__', 'constructor']);
    expect(JSON.parse(JSON.stringify(models)).__proto__.requests).toBe(1);
  });

  it('honours a smaller maxModels', () => {
    const { metrics, live } = setup({ maxModels: 2 });
    for (const m of ['a', 'b', 'c', 'd']) metrics.requestSettled(m, m, 1, 'ok', 1, 1, 0, null, 0, 0);
    expect(Object.keys(metrics.report(false, live).models)).toEqual(['a', 'b', '(other)']);
  });

  it('lists recent requests oldest first, newest last, never more than recentSize', () => {
    const { metrics, live } = setup({ recentSize: 3 });
    for (let i = 1; i <= 5; i++) metrics.requestSettled(`r${i}`, 'm', 2, i === 5 ? 'SB_ABORTED' : 'ok', i, i * 10, 0, i === 4 ? null : 'k1', 0, 0);
    expect(metrics.report(true, live).details?.recent).toEqual([
      { requestId: 'r3', model: 'm', priority: 'low', keyName: 'k1', outcome: 'ok', attempts: 3, latencyMs: 30 },
      { requestId: 'r4', model: 'm', priority: 'low', keyName: null, outcome: 'ok', attempts: 4, latencyMs: 40 },
      { requestId: 'r5', model: 'm', priority: 'low', keyName: 'k1', outcome: 'SB_ABORTED', attempts: 5, latencyMs: 50 },
    ]);
  });

  it('takes generatedAt and since from the injected clock', () => {
    const { metrics, live, advance } = setup();
    advance(90_000);
    const report = metrics.report(false, live);
    expect(report.since).toBe('2026-01-01T00:00:00.000Z');
    expect(report.generatedAt).toBe('2026-01-01T00:01:30.000Z');
  });

  it('reports zeros, with details all zeros, before any request', () => {
    const { metrics, live } = setup();
    const report = metrics.report(true, live);
    expect(report.summary).toEqual({
      totalRequests: 0, succeeded: 0, failed: 0, successRate: 0, attempts: 0, retries: 0, retryRate: 0,
      avgLatencyMs: 0, p50LatencyMs: 0, p95LatencyMs: 0, p99LatencyMs: 0,
    });
    expect(report.details).toEqual({
      queueWaitMs: { min: 0, max: 0, avg: 0, count: 0 },
      backoffDelaysMs: { min: 0, max: 0, avg: 0, count: 0 },
      recent: [],
    });
    expect(report.batching).toEqual({ batches: 0, batchedRequests: 0, avgBatchSize: 0, httpCallsSaved: 0 });
  });

  it('reset zeroes every figure, histograms included, and moves since', () => {
    const { metrics, live, advance } = setup();
    metrics.requestSettled('a', 'm', 0, 'SB_TIMEOUT', 2, 5_000, 900, 'k1', 3, 4);
    metrics.attemptFinished('k1', 'failed');
    metrics.retryScheduled('timeout');
    metrics.backoffSlept(1_000);
    metrics.batchFlushed(4);
    const before = metrics.report(true, live);
    advance(60_000);
    metrics.reset();
    advance(1_000);
    const fresh = setup().metrics.report(true, live);
    const after = metrics.report(true, live);
    expect(after.since).toBe('2026-01-01T00:01:00.000Z');
    expect({ ...after, since: '', generatedAt: '' }).toEqual({ ...fresh, since: '', generatedAt: '' });
    expect(before.summary.totalRequests).toBe(1);
    metrics.requestSettled('b', 'm', 0, 'ok', 1, 7, 3, 'k1', 0, 0);
    expect(metrics.report(false, live).summary).toMatchObject({ totalRequests: 1, p50LatencyMs: 7, p99LatencyMs: 7 });
    expect(metrics.report(false, live).byPriority.high).toEqual({ requests: 1, queueWaitP50Ms: 3, queueWaitP99Ms: 3 });
  });

  it('rejects a bad recentSize or maxModels with SB_CONFIG', () => {
    const live = () => liveView();
    const bad = [
      () => createMetrics({ enabled: true, provider: 'openai', live, recentSize: -1 }),
      () => createMetrics({ enabled: true, provider: 'openai', live, maxModels: 0 }),
      () => createMetrics({ enabled: true, provider: 'openai', live, maxModels: 1.5 }),
    ];
    for (const make of bad) {
      expect(make).toThrow(SwitchboardError);
      expect(make).toThrow(/createSupervisor: expected `metrics\.(recentSize|maxModels)` to be an integer >= \d, got/);
    }
  });
});

describe('disabled metrics', () => {
  it('returns a valid report with zero counts and the live breaker and keys', () => {
    const { metrics } = setup({ enabled: false });
    metrics.requestSettled('a', 'm', 0, 'ok', 1, 10, 0, 'k1', 1, 1);
    metrics.attemptFinished('k1', 'ok');
    metrics.retryScheduled('timeout');
    metrics.batchFlushed(3);
    const live = liveView([{ name: 'k1', state: 'exhausted', inFlight: 1 }], { state: 'halfOpen', trips: 1 });
    const report = metrics.report(true, live);
    expect(metrics.enabled).toBe(false);
    expect(report.summary.totalRequests).toBe(0);
    expect(report.models).toEqual({});
    expect(report.keys).toEqual({ k1: { attempts: 0, succeeded: 0, failed: 0, rateLimited: 0, state: 'exhausted', inFlight: 1 } });
    expect(report.circuitBreaker.state).toBe('halfOpen');
    expect(report.batching.batches).toBe(0);
    expect(report.details?.recent).toEqual([]);
    expect(report.since).toBe('2026-01-01T00:00:00.000Z');
  });

  it('shares its recording functions between boards and exposes no Prometheus text', async () => {
    const a = setup({ enabled: false }).metrics;
    const b = setup({ enabled: false }).metrics;
    expect(a.requestSettled).toBe(b.requestSettled);
    expect(await a.metricsText()).toBe('');
  });
});

describe('metrics hot path', () => {
  it('records 1,000,000 requests with a flat heap and a ring that never grows', () => {
    // --expose-gc at run time: vitest's workers are not started with it.
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const live = liveView([{ name: 'k1' }, { name: 'k2' }, { name: 'k3' }]);
    const metrics = createMetrics({ enabled: true, provider: 'openai', live: () => live, recentSize: 100 });
    const models = ['gpt-4o-mini', 'gpt-4o', 'text-embedding-3-small', 'o3-mini'];
    const keys = ['k1', 'k2', 'k3'];
    const outcomes = ['ok', 'ok', 'ok', 'ok', 'SB_TIMEOUT', 'ok', 'SB_PROVIDER'] as const;
    const attemptOutcomes = ['ok', 'ok', 'failed', 'rateLimited', 'ok'] as const;
    const ids = Array.from({ length: 1_000 }, (_, i) => `req-${i}`);
    // Integer latencies: a fractional number passed to any function is boxed by V8 at the call
    // site (the caller's 16 bytes, not the recorder's), which would blur what is measured here.
    const run = (n: number) => {
      for (let i = 0; i < n; i++) {
        const key = keys[i % 3]!;
        metrics.attemptFinished(key, attemptOutcomes[i % 5]!);
        metrics.requestSettled(ids[i % 1_000]!, models[i & 3]!, (i % 3) as 0 | 1 | 2, outcomes[i % 7]!, 1 + (i & 1), 20 + (i % 4_000), i % 50, key, 12, 30);
        if ((i & 15) === 0) metrics.retryScheduled('status_503');
      }
    };
    run(100_000); // warm up: every name seen, the ring full, the code optimized
    gc();
    gc();
    const start = process.memoryUsage().heapUsed;
    run(1_000_000);
    const allocated = process.memoryUsage().heapUsed - start;
    gc();
    gc();
    const retained = process.memoryUsage().heapUsed - start;
    const report = metrics.report(true, live);
    expect(report.summary.totalRequests).toBe(1_100_000);
    expect(report.details?.recent).toHaveLength(100);
    expect(report.details?.recent.at(-1)?.requestId).toBe('req-999');
    // No allocation per request: measured 0.18–0.38 MB over the million (compiled code, not per-request
    // garbage: one boxed number per request alone would be 16 MB), ≈ 30 KB retained after gc.
    expect(allocated).toBeLessThan(2_000_000);
    expect(retained).toBeLessThan(1_000_000);
  });
});
