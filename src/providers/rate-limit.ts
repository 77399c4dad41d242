import { parseDuration } from '../policy/retry-after.js';
import type { RateLimitInfo } from './types.js';

function num(v: string | undefined): number | null {
  if (v === undefined || v.trim() === '') return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}

function durationAt(v: string | undefined, now: number): number | null {
  if (v === undefined) return null;
  const d = parseDuration(v);
  return d === null ? null : now + d;
}

/** An RFC 3339 instant (`2026-01-01T00:00:30Z`, offsets and fractions allowed) as epoch ms. */
function instant(v: string | undefined): number | null {
  if (v === undefined || v.trim() === '') return null;
  const t = Date.parse(v.trim());
  return Number.isNaN(t) ? null : t;
}

/**
 * OpenAI and Groq: `x-ratelimit-{limit,remaining,reset}-{requests,tokens}`, resets as Go-like
 * durations (`6m0s`, `1.5s`, `12ms`, `2m59.56s`) from `now` — platform.openai.com/docs/guides/rate-limits,
 * console.groq.com/docs/rate-limits (Groq's request window is per day, its token window per minute).
 * Null when the answer carries no remaining count.
 */
export function parseOpenAIRateLimit(h: Record<string, string>, now: number): RateLimitInfo | null {
  const remainingRequests = num(h['x-ratelimit-remaining-requests']);
  const remainingTokens = num(h['x-ratelimit-remaining-tokens']);
  if (remainingRequests === null && remainingTokens === null) return null;
  return {
    limitRequests: num(h['x-ratelimit-limit-requests']),
    remainingRequests,
    resetRequestsAt: durationAt(h['x-ratelimit-reset-requests'], now),
    limitTokens: num(h['x-ratelimit-limit-tokens']),
    remainingTokens,
    resetTokensAt: durationAt(h['x-ratelimit-reset-tokens'], now),
  };
}

interface Budget {
  limit: number | null;
  remaining: number | null;
  resetAt: number | null;
}

function anthropicBudget(h: Record<string, string>, kind: string): Budget {
  return {
    limit: num(h[`anthropic-ratelimit-${kind}-limit`]),
    remaining: num(h[`anthropic-ratelimit-${kind}-remaining`]),
    resetAt: instant(h[`anthropic-ratelimit-${kind}-reset`]),
  };
}

/** The budget that runs out first: fewer remaining; on a tie the later reset (both must refill). */
function tighter(a: Budget, b: Budget): Budget {
  if (a.remaining === null) return b;
  if (b.remaining === null) return a;
  if (a.remaining !== b.remaining) return a.remaining < b.remaining ? a : b;
  return (b.resetAt ?? -Infinity) > (a.resetAt ?? -Infinity) ? b : a;
}

/**
 * Anthropic: `anthropic-ratelimit-{requests,tokens,input-tokens,output-tokens}-{limit,remaining,reset}`,
 * resets as RFC 3339 instants (docs.anthropic.com/en/api/rate-limits), returned as absolute epoch ms
 * (the simulator dates them from the same clock). For tokens the most constraining of `tokens` and
 * `input-tokens` is taken: whichever has fewer remaining. `now` is unused (resets are absolute) and
 * kept for the adapter signature. Null when the answer carries no remaining count.
 */
export function parseAnthropicRateLimit(h: Record<string, string>, _now: number): RateLimitInfo | null {
  const requests = anthropicBudget(h, 'requests');
  const tokens = tighter(anthropicBudget(h, 'tokens'), anthropicBudget(h, 'input-tokens'));
  if (requests.remaining === null && tokens.remaining === null) return null;
  return {
    limitRequests: requests.limit,
    remainingRequests: requests.remaining,
    resetRequestsAt: requests.resetAt,
    limitTokens: tokens.limit,
    remainingTokens: tokens.remaining,
    resetTokensAt: tokens.resetAt,
  };
}
