import type { ResolvedConfig } from '../options.js';
import { backoffDelay } from './backoff.js';
import type { AttemptFailure } from './classify.js';

/**
 * What to do after a failed attempt (docs/ARCHITECTURE.md §2 "What is retried"), a pure function in cockatiel's
 * spirit: policy here, state in the machines. It never counts retries: whether a `retry` is still
 * allowed is the retry machine's `canRetry` guard, the only give-up decision.
 *
 * - `failover`: another key at once (401 / invalid key / spent daily quota) — an attempt, not a retry;
 * - `retry` after `delayMs`: the provider's own wait from this failure when it sent one, else the
 *   backoff for retry `retries + 1`; a 429 moves at once (`delayMs` 0) while its key cools;
 * - `fail`: not retryable, or the provider asks to wait longer than `maxRetryAfterMs`.
 */
export type Decision = { action: 'retry'; delayMs: number } | { action: 'failover' } | { action: 'fail' };

export function decide(
  failure: AttemptFailure,
  retries: number,
  cfg: ResolvedConfig['retry'],
  random: () => number,
  otherKeyReady: boolean,
): Decision {
  switch (failure.kind) {
    case 'invalidKey':
    case 'quotaExhausted':
      return { action: 'failover' };
    case 'rateLimited':
      // The cooling key holds the wait; the request moves to whichever key is ready.
      if (!otherKeyReady && failure.retryAfterMs !== null && failure.retryAfterMs > cfg.maxRetryAfterMs) return { action: 'fail' };
      return { action: 'retry', delayMs: 0 };
    case 'retryable':
      if (failure.retryAfterMs !== null && failure.retryAfterMs > cfg.maxRetryAfterMs) return { action: 'fail' };
      return { action: 'retry', delayMs: failure.retryAfterMs ?? backoffDelay(retries + 1, cfg, random) };
    case 'fatal':
      return { action: 'fail' };
  }
}

/** How long a key cools after a 429: the provider's wait, else the backoff for the next retry. */
export function coolingMs(failure: AttemptFailure, retries: number, cfg: ResolvedConfig['retry'], random: () => number): number {
  return failure.retryAfterMs ?? backoffDelay(retries + 1, cfg, random);
}
