import { describe, expect, it } from 'vitest';
import { Registry, register as globalRegistry } from 'prom-client';
import { createMetrics, type LiveView } from '../../src/metrics/index.js';
import type { BoardState, BreakerState, KeyState, Provider } from '../../src/types.js';

interface Knobs {
  breaker: BreakerState;
  trips: number;
  inFlight: number;
  depth: { high: number; normal: number; low: number };
  keys: Array<{ name: string; state: KeyState; inFlight: number }>;
}

/** A board's live view that the test can change between scrapes. */
function board(provider: Provider, knobs: Partial<Knobs> = {}) {
  const k: Knobs = { breaker: 'closed', trips: 0, inFlight: 0, depth: { high: 0, normal: 0, low: 0 }, keys: [], ...knobs };
  const live = (): LiveView => {
    const state: BoardState = {
      provider,
      breaker: k.breaker,
      strategy: 'round-robin',
      queue: { depth: k.depth.high + k.depth.normal + k.depth.low, size: 100, byPriority: { ...k.depth } },
      inFlight: k.inFlight,
      maxConcurrent: 5,
      actors: 1,
      keys: k.keys.map((key) => ({ ...key, maxConcurrent: 5, untilMs: null, remainingRequests: null, remainingTokens: null })),
      batchers: [],
    };
    return { provider, breaker: { state: k.breaker, failureCount: 0, failureThreshold: 5, resetTimeoutMs: 30_000, trips: k.trips }, state };
  };
  return { knobs: k, live };
}

/** The sample lines of a metric family, e.g. `series(text, 'switchboard_queue_depth')`. */
function series(text: string, name: string): string[] {
  return text.split('\n').filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `));
}

describe('prometheus metrics', () => {
  it('exposes switchboard_ metrics in a private registry, never the global one', async () => {
    const { live } = board('openai', { keys: [{ name: 'k1', state: 'ready', inFlight: 0 }] });
    const metrics = createMetrics({ enabled: true, provider: 'openai', live });
    metrics.requestSettled('r1', 'gpt-4o-mini', 1, 'ok', 1, 120, 4, 'k1', 10, 20);
    metrics.attemptFinished('k1', 'ok');
    const text = await metrics.metricsText();
    for (const name of [
      'switchboard_queue_depth',
      'switchboard_queue_wait_milliseconds',
      'switchboard_in_flight',
      'switchboard_requests_total',
      'switchboard_attempts_total',
      'switchboard_retries_total',
      'switchboard_rate_limited_total',
      'switchboard_rate_limits_avoided_total',
      'switchboard_breaker_state',
      'switchboard_key_state',
      'switchboard_batch_size',
      'switchboard_request_latency_milliseconds',
    ]) {
      expect(text).toContain(`# TYPE ${name} `);
    }
    expect(series(text, 'switchboard_requests_total')).toContain('switchboard_requests_total{provider="openai",outcome="ok"} 1');
    expect(text).toContain('# TYPE switchboard_request_latency_milliseconds summary');
    expect(text).toContain('switchboard_request_latency_milliseconds{provider="openai",quantile="0.5"} 120');
    expect(text).toContain('switchboard_request_latency_milliseconds_sum{provider="openai"} 120');
    expect(text).toContain('switchboard_request_latency_milliseconds_count{provider="openai"} 1');
    expect(text).toContain('switchboard_tokens_total{provider="openai",model="gpt-4o-mini",direction="output"} 20');
    expect(await globalRegistry.metrics()).not.toContain('switchboard_');
    metrics.dispose();
  });

  it('reads values at scrape time, not when they change', async () => {
    const { knobs, live } = board('openai', { keys: [{ name: 'k1', state: 'ready', inFlight: 0 }] });
    const metrics = createMetrics({ enabled: true, provider: 'openai', live });
    let text = await metrics.metricsText();
    expect(series(text, 'switchboard_queue_depth')).toContain('switchboard_queue_depth{provider="openai",priority="low"} 0');
    expect(series(text, 'switchboard_breaker_state')).toEqual(['switchboard_breaker_state{provider="openai"} 0']);

    knobs.depth.low = 7;
    knobs.inFlight = 3;
    knobs.breaker = 'forcedOpen';
    knobs.keys = [{ name: 'k1', state: 'cooling', inFlight: 2 }];
    metrics.attemptFinished('k1', 'rateLimited');
    metrics.retryScheduled('rate_limited');
    metrics.pacingAvoided();
    metrics.batchFlushed(4);
    metrics.requestSettled('r1', 'm', 2, 'SB_TIMEOUT', 2, 3_000, 1_500, 'k1', 0, 0);
    text = await metrics.metricsText();
    expect(series(text, 'switchboard_queue_depth')).toContain('switchboard_queue_depth{provider="openai",priority="low"} 7');
    expect(series(text, 'switchboard_in_flight')).toEqual(['switchboard_in_flight{provider="openai"} 3']);
    expect(series(text, 'switchboard_breaker_state')).toEqual(['switchboard_breaker_state{provider="openai"} 3']);
    expect(series(text, 'switchboard_key_state')).toEqual([
      'switchboard_key_state{provider="openai",key="k1",state="ready"} 0',
      'switchboard_key_state{provider="openai",key="k1",state="cooling"} 1',
      'switchboard_key_state{provider="openai",key="k1",state="exhausted"} 0',
      'switchboard_key_state{provider="openai",key="k1",state="disabled"} 0',
    ]);
    expect(series(text, 'switchboard_rate_limited_total')).toEqual(['switchboard_rate_limited_total{provider="openai"} 1']);
    expect(series(text, 'switchboard_rate_limits_avoided_total')).toEqual(['switchboard_rate_limits_avoided_total{provider="openai"} 1']);
    expect(series(text, 'switchboard_retries_total')).toEqual(['switchboard_retries_total{provider="openai",reason="rate_limited"} 1']);
    expect(series(text, 'switchboard_requests_total')).toContain('switchboard_requests_total{provider="openai",outcome="SB_TIMEOUT"} 1');
    expect(series(text, 'switchboard_attempts_total')).toContain('switchboard_attempts_total{provider="openai",outcome="rateLimited"} 1');
    expect(text).toContain('switchboard_queue_wait_milliseconds{provider="openai",priority="low",quantile="0.99"} 1500');
    expect(text).toContain('switchboard_batch_size{provider="openai",quantile="0.5"} 4');

    metrics.reset();
    text = await metrics.metricsText();
    expect(series(text, 'switchboard_requests_total')).toEqual(['switchboard_requests_total{provider="openai",outcome="ok"} 0']);
    metrics.dispose();
  });

  it('shares one set of metrics between two boards on one registry, told apart by provider', async () => {
    const registry = new Registry();
    const a = board('openai', { depth: { high: 1, normal: 0, low: 0 } });
    const b = board('anthropic', { depth: { high: 0, normal: 2, low: 0 }, breaker: 'open', trips: 1 });
    const openai = createMetrics({ enabled: true, provider: 'openai', live: a.live, registry });
    const count = registry.getMetricsAsArray().length;
    const anthropic = createMetrics({ enabled: true, provider: 'anthropic', live: b.live, registry });
    expect(registry.getMetricsAsArray()).toHaveLength(count);

    openai.requestSettled('o1', 'gpt-4o-mini', 0, 'ok', 1, 100, 0, 'k', 0, 0);
    anthropic.requestSettled('a1', 'claude-3-5-haiku-latest', 1, 'ok', 1, 200, 0, 'k', 0, 0);
    anthropic.requestSettled('a2', 'claude-3-5-haiku-latest', 1, 'SB_CIRCUIT_OPEN', 0, 0, 0, null, 0, 0);

    const text = await registry.metrics();
    expect(series(text, 'switchboard_requests_total')).toEqual([
      'switchboard_requests_total{provider="openai",outcome="ok"} 1',
      'switchboard_requests_total{provider="anthropic",outcome="ok"} 1',
      'switchboard_requests_total{provider="anthropic",outcome="SB_CIRCUIT_OPEN"} 1',
    ]);
    expect(series(text, 'switchboard_breaker_state')).toEqual([
      'switchboard_breaker_state{provider="openai"} 0',
      'switchboard_breaker_state{provider="anthropic"} 1',
    ]);
    expect(series(text, 'switchboard_queue_depth')).toContain('switchboard_queue_depth{provider="anthropic",priority="normal"} 2');
    expect(series(text, 'switchboard_queue_depth')).toContain('switchboard_queue_depth{provider="openai",priority="high"} 1');
    // Either board's metricsText() is the shared registry's text.
    expect(await openai.metricsText()).toBe(await anthropic.metricsText());

    openai.dispose();
    const after = await registry.metrics();
    expect(after).not.toContain('provider="openai"');
    expect(after).toContain('provider="anthropic"');
    anthropic.dispose();
    expect(registry.getMetricsAsArray()).toHaveLength(0);
  });

  it('lets a board that starts after the last one stopped register again', async () => {
    const registry = new Registry();
    createMetrics({ enabled: true, provider: 'groq', live: board('groq').live, registry }).dispose();
    const again = createMetrics({ enabled: true, provider: 'groq', live: board('groq').live, registry });
    expect(series(await registry.metrics(), 'switchboard_in_flight')).toEqual(['switchboard_in_flight{provider="groq"} 0']);
    again.dispose();
  });

  it('adds a board\'s own labels, and refuses two boards that would write the same series', async () => {
    const registry = new Registry();
    const one = createMetrics({ enabled: true, provider: 'openai', live: board('openai').live, registry, labels: { endpoint: 'a' } });
    const two = createMetrics({ enabled: true, provider: 'openai', live: board('openai').live, registry, labels: { endpoint: 'b' } });
    expect(series(await registry.metrics(), 'switchboard_in_flight')).toEqual([
      'switchboard_in_flight{provider="openai",endpoint="a"} 0',
      'switchboard_in_flight{provider="openai",endpoint="b"} 0',
    ]);
    const clash = () => createMetrics({ enabled: true, provider: 'openai', live: board('openai').live, registry, labels: { endpoint: 'a' } });
    expect(clash).toThrow(expect.objectContaining({ code: 'SB_CONFIG', field: 'metrics.labels' }));
    const otherNames = () => createMetrics({ enabled: true, provider: 'gemini', live: board('gemini').live, registry, labels: { zone: 'x' } });
    expect(otherNames).toThrow(expect.objectContaining({ code: 'SB_CONFIG', field: 'metrics.labels' }));
    const reserved = () => createMetrics({ enabled: true, provider: 'gemini', live: board('gemini').live, labels: { key: 'x' } });
    const provider = () => createMetrics({ enabled: true, provider: 'gemini', live: board('gemini').live, labels: { provider: 'x' } });
    expect(provider).toThrow(expect.objectContaining({ code: 'SB_CONFIG', field: 'metrics.labels' }));
    expect(reserved).toThrow(expect.objectContaining({ code: 'SB_CONFIG', field: 'metrics.labels' }));
    one.dispose();
    two.dispose();
  });

  it('reads each board\'s live view once per scrape', async () => {
    const b = board('openai');
    let reads = 0;
    const metrics = createMetrics({ enabled: true, provider: 'openai', live: () => (reads++, b.live()) });
    await metrics.metricsText();
    expect(reads).toBe(1);
    await metrics.metricsText();
    expect(reads).toBe(2);
    metrics.dispose();
  });
});
