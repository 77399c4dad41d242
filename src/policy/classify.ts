import { BadResponseError, TransportError } from '../errors.js';
import { providerErrorFor } from '../providers/error-kind.js';
import type { ProviderAdapter } from '../providers/types.js';
import type { HttpResponse } from '../transport/types.js';
import { BodyTooLargeError } from '../transport/undici.js';
import { providerWaitMs } from './retry-after.js';

/**
 * What one failed attempt means (docs/ARCHITECTURE.md §2 "What is retried", "What the breaker counts"):
 * - `rateLimited` (429): cool the key for the provider's wait, move the request to another key;
 * - `invalidKey` (401, Gemini 400 API_KEY_INVALID): disable the key, fail over at once;
 * - `quotaExhausted` (a per-day quota): the key is exhausted until its reset, fail over;
 * - `retryable`: 408, 409, 500, 502, 503, 504, 529, connection errors, attempt timeouts,
 *   a bad 2xx body, `x-should-retry: true`;
 * - `fatal`: everything else (other 4xx, `x-should-retry: false`).
 */
export type FailureKind = 'rateLimited' | 'invalidKey' | 'quotaExhausted' | 'retryable' | 'fatal';

export interface AttemptFailure {
  kind: FailureKind;
  status: number | null;
  /** For metrics and events: `status_503`, `rate_limited`, `timeout`, `connection`, `bad_response` … */
  reason: string;
  /** The provider's own wait from THIS answer, ms. */
  retryAfterMs: number | null;
  /** Whether the breaker counts it as a failure (else it is neutral). */
  breakerFailure: boolean;
  error: Error;
}

const RETRYABLE_STATUS = new Set([408, 409, 500, 502, 503, 504, 529]);

export function classifyResponse(res: HttpResponse, adapter: ProviderAdapter, now: number, keyName: string): AttemptFailure {
  const parsed = adapter.parseError(res);
  const status = res.status;
  const retryAfterMs = providerWaitMs(res.headers, parsed.retryAfterMs, now);
  const shouldRetry = res.headers['x-should-retry'];
  const breakerFailure = status >= 500 || status === 408;
  let kind: FailureKind;
  if (status === 401 || parsed.invalidKey) kind = 'invalidKey';
  else if (status === 429 && parsed.quotaExhausted) kind = 'quotaExhausted';
  else if (shouldRetry === 'false') kind = 'fatal';
  else if (status === 429) kind = 'rateLimited';
  else if (shouldRetry === 'true' || RETRYABLE_STATUS.has(status)) kind = 'retryable';
  else kind = 'fatal';
  const error = providerErrorFor(adapter.provider, parsed, {
    status,
    message: parsed.message,
    providerCode: parsed.providerCode,
    retryable: kind === 'retryable' || kind === 'rateLimited',
    retryAfterMs,
    keyName,
  });
  return { kind, status, reason: status === 429 ? 'rate_limited' : `status_${status}`, retryAfterMs, breakerFailure, error };
}

/**
 * A 2xx whose body broke the parser: retried, and neutral for the breaker — unless the provider
 * said `x-should-retry: false`, which is never retried (docs/ARCHITECTURE.md §2).
 */
export function classifyBadBody(error: BadResponseError, headers?: Record<string, string>): AttemptFailure {
  const kind = headers?.['x-should-retry'] === 'false' ? 'fatal' : 'retryable';
  return { kind, status: error.status, reason: 'bad_response', retryAfterMs: null, breakerFailure: false, error };
}

/** No answer at all: a connection error or our attempt timeout. Retried; a breaker failure. */
export function classifyThrown(error: unknown, timedOut: boolean): AttemptFailure {
  if (timedOut) {
    return { kind: 'retryable', status: null, reason: 'timeout', retryAfterMs: null, breakerFailure: true, error: new TransportError('ATTEMPT_TIMEOUT', 'attempt timed out') };
  }
  if (error instanceof BadResponseError) return classifyBadBody(error);
  if (error instanceof BodyTooLargeError) return classifyBadBody(new BadResponseError(error.message, error.status));
  const err = error instanceof Error ? error : new TransportError('UNKNOWN', String(error));
  const code = (err as { code?: unknown }).code;
  const reason = typeof code === 'string' && /TIMEOUT/i.test(code) ? 'timeout' : 'connection';
  return { kind: 'retryable', status: null, reason, retryAfterMs: null, breakerFailure: true, error: err };
}
