import type { Clock, Provider } from '../types.js';

/**
 * One step of a scripted fault queue, consumed in order, one step per request that reaches it:
 * - `'ok'`: no injected fault (rate limits and quotas still apply).
 * - `'500'`, `'503'`, `'429'`, `'529'`, any status: that provider's own error answer for the status.
 * - `'invalid-key'`: the provider's invalid-key answer (OpenAI 401 with the masked key, Gemini 400 `API_KEY_INVALID`).
 * - `'quota'`: the provider's per-day quota answer (as if `dailyQuota` were exhausted).
 * - `'context-length'`, `'content-policy'`: the provider's own 400 for a prompt over the context
 *   window, and for content refused on policy grounds.
 * - `'reset'`: headers and part of the body, then the socket is destroyed.
 * - `'hang'`: never answers; the socket stays open until the client goes away or `stop()`.
 * - `'malformed'`: 200 whose body is not JSON (for a stream: a malformed event as the first event).
 * - `'truncated'`: 200 whose JSON is cut short, the connection ended cleanly.
 * - `'stream-reset:N'`, `'stream-hang:N'`, `'stream-malformed:N'`: for a streaming request, N good
 *   events then a reset / a hang / one malformed event and a clean end. On a non-streaming request
 *   they act as `'reset'` / `'hang'` / `'malformed'`.
 */
export type ScriptStep = string | ScriptStepObject;

export type FaultKind =
  | 'reset' | 'hang' | 'malformed' | 'truncated'
  | 'stream-reset' | 'stream-hang' | 'stream-malformed'
  | 'invalid-key' | 'quota' | 'context-length' | 'content-policy';

/** The object form of a step, for details the string form cannot say. */
export interface ScriptStepObject {
  /** An HTTP status answered in the provider's own error format. */
  status?: number;
  fault?: FaultKind;
  /** For stream faults: good events sent before the fault (default 1). */
  afterChunks?: number;
  /** The wait announced on a 429 (and on other errors when given): `retry-after`, RetryInfo. Default 1000 on 429. */
  retryAfterMs?: number;
  /** Adds `x-should-retry: true|false` to this answer. */
  shouldRetry?: boolean;
  /** Extra latency before this answer, on the clock. */
  latencyMs?: number;
}

/** Request and token budgets of one key: a token bucket each (see README "Rate limits"). */
export interface RateLimitKnobs {
  requestsPerSecond?: number;
  requestsPerMinute?: number;
  tokensPerMinute?: number;
}

/** An outage: every request answers `status` (default 503) until the clock reaches `untilMs` (absolute) or for `forMs`. */
export interface OutageKnobs {
  status?: number;
  untilMs?: number;
  forMs?: number;
}

/**
 * Behaviour knobs. They apply at three levels, most specific wins field by field:
 * `defaults` (every provider) < the provider's entry < the key's entry in `keys`.
 * `null` clears a field set at a lower level; `undefined` leaves it alone.
 */
export interface SimKnobs {
  /** Delay before the answer's headers, on the clock. Default 0 (answered synchronously). */
  latencyMs?: number | null;
  /** Delay between streamed events, on the clock. Default 0. */
  chunkDelayMs?: number | null;
  /** Probability per status, drawn from the seeded PRNG in key order: `{ 500: 0.1, 503: 0.05 }`. */
  errorRates?: Record<number, number> | null;
  /** Replaces the fault queue at this level (a key's queue is consumed before its provider's). */
  script?: ScriptStep[] | null;
  rateLimit?: RateLimitKnobs | null;
  /** Requests allowed per UTC day of the clock, per key. */
  dailyQuota?: number | null;
  /** `true` = 503 until turned off; `false`/`null` = no outage. */
  outage?: OutageKnobs | boolean | null;
  /** Adds `x-should-retry: true|false` to every error answer. */
  shouldRetry?: boolean | null;
  /** Default embedding dimensions (16) when the request names none. */
  dimensions?: number | null;
}

export interface ProviderKnobs extends SimKnobs {
  /** Keys answered with the provider's invalid-key error. */
  invalidKeys?: string[] | null;
}

export interface KeyKnobs extends SimKnobs {
  /** This key is answered with the provider's invalid-key error. */
  invalid?: boolean | null;
}

/**
 * `configure(partial)`: merged into the current configuration. Keys are matched by their value
 * as received (this is a test API); a key's knobs apply whichever provider it is sent to.
 *
 * ```ts
 * sim.configure({
 *   defaults: { latencyMs: 20 },
 *   openai: { rateLimit: { requestsPerSecond: 50 }, script: ['503', 'reset', 'ok'] },
 *   gemini: { dailyQuota: 100, invalidKeys: ['AIza-bad'] },
 *   keys: { 'sk-slow': { latencyMs: 500 }, 'sk-down': { outage: { status: 503, forMs: 60_000 } } },
 * });
 * ```
 */
export interface SimConfig {
  defaults?: SimKnobs;
  openai?: ProviderKnobs;
  anthropic?: ProviderKnobs;
  groq?: ProviderKnobs;
  gemini?: ProviderKnobs;
  keys?: Record<string, KeyKnobs>;
}

export interface SimulatorOptions extends SimConfig {
  /** Listening port; 0 (default) picks an ephemeral one. */
  port?: number;
  /** Default `127.0.0.1`. */
  host?: string;
  /** Seeds ids and `errorRates` draws. Default 1. */
  seed?: number;
  /** Every latency, pacing, bucket refill, reset instant, outage and `date` header. Default: real time. */
  clock?: Clock;
  /** Request bodies and headers kept per provider for `stats().providers[p].recent`. Default 20. */
  recordLimit?: number;
}

/** Counters shared by the totals, each provider and each key. */
export interface SimCounters {
  /** Requests that arrived (body read). */
  requests: number;
  /** Answers by HTTP status, including faulty 200s; hung requests have none. */
  byStatus: Record<string, number>;
  /** 429 answers sent. */
  rateLimited: number;
  /** Requests whose key came in `?key=` rather than a header (Gemini). */
  keyInUrl: number;
  /** Injected faults by kind (`reset`, `hang`, `malformed`, `truncated`, `stream-reset`, …, `outage`, `error-rate`). */
  faults: Record<string, number>;
  /** Connections the client closed before the answer finished (a hung request aborted, say). */
  clientClosed: number;
  streams: { started: number; completed: number; abortedByClient: number };
}

/** One request as received; secrets in headers are masked, `key` is the key value as received. */
export interface RecordedRequest {
  at: number;
  method: string;
  path: string;
  key: string | null;
  headers: Record<string, string>;
  body: unknown;
}

export interface SimStats extends SimCounters {
  providers: Record<Provider, SimCounters & { recent: RecordedRequest[] }>;
  /** Per key value as received (a test API: do not log it). */
  keys: Record<string, SimCounters & { providers: Partial<Record<Provider, number>> }>;
}
