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

/**
 * OpenAI and Groq: `x-ratelimit-{limit,remaining,reset}-{requests,tokens}`, resets as durations
 * (`6m0s`, `1.5s`, `12ms`) — platform.openai.com/docs/guides/rate-limits, console.groq.com/docs/rate-limits.
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
