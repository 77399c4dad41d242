import type { LiveView } from './types.js';
import type { Report } from './deps.js';
import type { PriorityName } from '../types.js';
import { percent, round2 } from './distribution.js';
import type { MetricsState } from './state.js';

const PRIORITY_NAMES: readonly PriorityName[] = ['high', 'normal', 'low'];

/** Sets an own property even for a name like `__proto__` (model names come from callers). */
function put<T>(target: Record<string, T>, name: string, value: T): void {
  if (name === '__proto__') Object.defineProperty(target, name, { value, enumerable: true, writable: true, configurable: true });
  else target[name] = value;
}

/** `report().shared` of a board that shares nothing. */
const SHARED_OFF: Report['shared'] = Object.freeze({ mode: 'off', instances: 1, scriptMsP50: 0, scriptMsP99: 0 });

/**
 * docs/ARCHITECTURE.md §6's report from the counted figures and the board's live view (breaker, key states).
 * Keys come from the live view (a key never used yet shows zeros) plus any key counted since the
 * last reset that the board no longer has (removed): it shows state `disabled`, `inFlight` 0.
 * `details.recent` lists the ring buffer oldest first, newest last.
 */
export function buildReport(
  s: MetricsState,
  includeDetails: boolean,
  live: LiveView,
  generatedAt: number,
  since: number,
): Report {
  const byPriority = {} as Report['byPriority'];
  for (let level = 0; level < 3; level++) {
    const p = s.priorities[level as 0 | 1 | 2];
    byPriority[PRIORITY_NAMES[level]!] = {
      requests: p.requests,
      queueWaitP50Ms: p.queueWait.percentile(50),
      queueWaitP99Ms: p.queueWait.percentile(99),
    };
  }

  const models: Report['models'] = {};
  for (const [name, m] of s.models.map) {
    put(models, name, {
      requests: m.requests,
      succeeded: m.succeeded,
      failed: m.failed,
      inputTokens: m.inputTokens,
      outputTokens: m.outputTokens,
    });
  }

  const keys: Report['keys'] = {};
  for (const k of live.state.keys) {
    const c = s.keys.map.get(k.name);
    put(keys, k.name, {
      attempts: c?.attempts ?? 0,
      succeeded: c?.succeeded ?? 0,
      failed: c?.failed ?? 0,
      rateLimited: c?.rateLimited ?? 0,
      state: k.state,
      inFlight: k.inFlight,
    });
  }
  for (const [name, c] of s.keys.map) {
    if (Object.hasOwn(keys, name)) continue;
    put(keys, name, { attempts: c.attempts, succeeded: c.succeeded, failed: c.failed, rateLimited: c.rateLimited, state: 'disabled', inFlight: 0 });
  }

  const errors: Report['errors'] = {};
  for (const [code, c] of s.errors.map) put(errors, code, c.n);

  const report: Report = {
    generatedAt: new Date(generatedAt).toISOString(),
    since: new Date(since).toISOString(),
    summary: {
      totalRequests: s.totalRequests,
      succeeded: s.succeeded,
      failed: s.failed,
      successRate: percent(s.succeeded, s.totalRequests),
      attempts: s.attempts,
      retries: s.retries,
      retryRate: percent(s.retries, s.totalRequests),
      avgLatencyMs: s.latency.count === 0 ? 0 : round2(s.latency.sum / s.latency.count),
      p50LatencyMs: s.latency.percentile(50),
      p95LatencyMs: s.latency.percentile(95),
      p99LatencyMs: s.latency.percentile(99),
    },
    byPriority,
    models,
    keys,
    errors,
    circuitBreaker: {
      state: live.breaker.state,
      failureCount: live.breaker.failureCount,
      failureThreshold: live.breaker.failureThreshold,
      resetTimeoutMs: live.breaker.resetTimeoutMs,
      trips: live.breaker.trips,
    },
    shared: live.shared?.report ?? SHARED_OFF,
    batching: {
      batches: s.batches,
      batchedRequests: s.batchedRequests,
      avgBatchSize: s.batches === 0 ? 0 : round2(s.batchedRequests / s.batches),
      httpCallsSaved: Math.max(0, s.batchedRequests - s.batches),
    },
  };

  if (includeDetails) {
    const recent: NonNullable<Report['details']>['recent'] = [];
    for (const r of s.recent.entries()) {
      recent.push({
        requestId: r.requestId,
        model: r.model,
        priority: PRIORITY_NAMES[r.priority]!,
        keyName: r.keyName,
        outcome: r.outcome,
        attempts: r.attempts,
        latencyMs: r.latencyMs,
      });
    }
    report.details = { queueWaitMs: s.queueWait.snapshot(), backoffDelaysMs: s.backoff.snapshot(), recent };
  }
  return report;
}
