import { CappedCounters, Count, KeyCounters, ModelCounters } from './counters.js';
import type { ErrorCodeOrOk } from './deps.js';
import { Distribution, Tally } from './distribution.js';
import { RecentRing } from './recent.js';

/** Caps on names that come from outside (error codes and retry reasons are small sets in practice). */
const MAX_KEYS = 1_000;
const MAX_ERROR_CODES = 100;
const MAX_RETRY_REASONS = 200;
/** Batch sizes above this are counted as this in the batch-size histogram (OpenAI takes 2,048 inputs). */
const MAX_BATCH_SIZE = 100_000;

export class PriorityCounters {
  requests = 0;
  readonly queueWait = new Distribution();
}

/**
 * Every figure a board counts, as plain fields and preallocated objects. The recording methods are
 * the hot path: field updates, `Map.get` on names already seen, histogram records — nothing else.
 */
export class MetricsState {
  totalRequests = 0;
  succeeded = 0;
  failed = 0;
  /** Sum of each settled request's attempts (per request: a batch member counts its batch's call). */
  attempts = 0;
  retries = 0;
  /** HTTP attempts by outcome, over every key (`keys` splits them per key). */
  attemptsOk = 0;
  attemptsFailed = 0;
  attemptsRateLimited = 0;
  /** 429s avoided: dispatch held a request back because a key's budget was spent. */
  pacingCount = 0;
  batches = 0;
  batchedRequests = 0;

  readonly latency = new Distribution();
  /** Index = priority level: 0 high, 1 normal, 2 low. */
  readonly priorities: readonly [PriorityCounters, PriorityCounters, PriorityCounters] = [
    new PriorityCounters(),
    new PriorityCounters(),
    new PriorityCounters(),
  ];
  readonly queueWait = new Tally();
  readonly backoff = new Tally();
  readonly batchSizes = new Distribution(MAX_BATCH_SIZE);
  readonly models: CappedCounters<ModelCounters>;
  readonly keys = new CappedCounters(MAX_KEYS, () => new KeyCounters());
  readonly errors = new CappedCounters(MAX_ERROR_CODES, () => new Count());
  readonly retryReasons = new CappedCounters(MAX_RETRY_REASONS, () => new Count());
  readonly recent: RecentRing;

  constructor(maxModels: number, recentSize: number) {
    this.models = new CappedCounters(maxModels, () => new ModelCounters());
    this.recent = new RecentRing(recentSize);
  }

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
  ): void {
    const ok = outcome === 'ok';
    this.totalRequests++;
    if (ok) this.succeeded++;
    else {
      this.failed++;
      this.errors.get(outcome).n++;
    }
    this.attempts += attempts;
    this.latency.record(latencyMs);
    this.queueWait.record(queueWaitMs);
    // A level out of range (a caller's bug) counts as normal rather than throwing on the hot path.
    const level = priority === 0 || priority === 2 ? priority : 1;
    const p = this.priorities[level];
    p.requests++;
    p.queueWait.record(queueWaitMs);
    const m = this.models.get(model);
    m.requests++;
    if (ok) m.succeeded++;
    else m.failed++;
    if (inputTokens > 0) m.inputTokens += inputTokens;
    if (outputTokens > 0) m.outputTokens += outputTokens;
    this.recent.write(requestId, model, level, outcome, attempts, latencyMs, keyName);
  }

  attemptFinished(keyName: string, outcome: 'ok' | 'failed' | 'rateLimited'): void {
    const k = this.keys.get(keyName);
    k.attempts++;
    if (outcome === 'ok') {
      k.succeeded++;
      this.attemptsOk++;
    } else if (outcome === 'rateLimited') {
      k.rateLimited++;
      this.attemptsRateLimited++;
    } else {
      k.failed++;
      this.attemptsFailed++;
    }
  }

  retryScheduled(reason: string): void {
    this.retries++;
    this.retryReasons.get(reason).n++;
  }

  backoffSlept(ms: number): void {
    this.backoff.record(ms);
  }

  pacingAvoided(): void {
    this.pacingCount++;
  }

  batchFlushed(size: number): void {
    this.batches++;
    this.batchedRequests += size;
    this.batchSizes.record(size);
  }

  /** Zeroes every figure, histograms included. */
  clear(): void {
    this.totalRequests = 0;
    this.succeeded = 0;
    this.failed = 0;
    this.attempts = 0;
    this.retries = 0;
    this.attemptsOk = 0;
    this.attemptsFailed = 0;
    this.attemptsRateLimited = 0;
    this.pacingCount = 0;
    this.batches = 0;
    this.batchedRequests = 0;
    this.latency.reset();
    for (const p of this.priorities) {
      p.requests = 0;
      p.queueWait.reset();
    }
    this.queueWait.reset();
    this.backoff.reset();
    this.batchSizes.reset();
    this.models.clear();
    this.keys.clear();
    this.errors.clear();
    this.retryReasons.clear();
    this.recent.clear();
  }
}
