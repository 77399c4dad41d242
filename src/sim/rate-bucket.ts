import type { RateLimitKnobs } from './types.js';

/**
 * A token bucket that refills continuously: it holds at most `capacity` tokens, starts full, and
 * gains `capacity / windowMs` tokens per millisecond of the clock. `requestsPerSecond: 50` is a
 * bucket of 50 refilled over 1 s: 60 requests at once get 50 answers and 10 429s, and 20 ms later
 * one more request fits.
 */
export class TokenBucket {
  private level: number;
  private at: number;

  constructor(readonly capacity: number, private readonly windowMs: number, now: number) {
    this.level = capacity;
    this.at = now;
  }

  remaining(now: number): number {
    this.refill(now);
    return this.level;
  }

  /** Milliseconds until `n` tokens are available (0 when they are). */
  msUntil(n: number, now: number): number {
    this.refill(now);
    const need = Math.min(n, this.capacity) - this.level;
    return need <= 0 ? 0 : (need * this.windowMs) / this.capacity;
  }

  msUntilFull(now: number): number {
    return this.msUntil(this.capacity, now);
  }

  take(n: number, now: number): void {
    this.refill(now);
    this.level = Math.max(0, this.level - n);
  }

  private refill(now: number): void {
    if (now > this.at) this.level = Math.min(this.capacity, this.level + ((now - this.at) * this.capacity) / this.windowMs);
    this.at = Math.max(this.at, now);
  }
}

/** What the rate-limit headers report, whichever provider renders them. */
export interface RateView {
  limitRequests: number;
  remainingRequests: number;
  resetRequestsMs: number;
  limitTokens: number;
  remainingTokens: number;
  resetTokensMs: number;
}

/** With no bucket configured, headers report this full budget and nothing is ever limited. */
const NOMINAL = { requests: 10_000, tokens: 2_000_000 };

export type Admission = { ok: true } | { ok: false; limit: 'requests' | 'tokens'; retryAfterMs: number };

/** One key's request and token buckets, built from its `rateLimit` knobs. */
export class KeyLimiter {
  private readonly requests: TokenBucket | null;
  private readonly tokens: TokenBucket | null;

  constructor(knobs: RateLimitKnobs | null, now: number) {
    const rps = knobs?.requestsPerSecond;
    const rpm = knobs?.requestsPerMinute;
    this.requests = rps ? new TokenBucket(rps, 1000, now) : rpm ? new TokenBucket(rpm, 60_000, now) : null;
    this.tokens = knobs?.tokensPerMinute ? new TokenBucket(knobs.tokensPerMinute, 60_000, now) : null;
  }

  /** Takes one request and `tokens` tokens from the buckets, or says which ran out and for how long. */
  admit(tokens: number, now: number): Admission {
    const r = this.requests?.msUntil(1, now) ?? 0;
    if (r > 0) return { ok: false, limit: 'requests', retryAfterMs: r };
    const t = this.tokens?.msUntil(tokens, now) ?? 0;
    if (t > 0) return { ok: false, limit: 'tokens', retryAfterMs: t };
    this.requests?.take(1, now);
    this.tokens?.take(tokens, now);
    return { ok: true };
  }

  view(now: number): RateView {
    return {
      limitRequests: this.requests?.capacity ?? NOMINAL.requests,
      remainingRequests: this.requests ? Math.floor(this.requests.remaining(now)) : NOMINAL.requests,
      resetRequestsMs: this.requests?.msUntilFull(now) ?? 0,
      limitTokens: this.tokens?.capacity ?? NOMINAL.tokens,
      remainingTokens: this.tokens ? Math.floor(this.tokens.remaining(now)) : NOMINAL.tokens,
      resetTokensMs: this.tokens?.msUntilFull(now) ?? 0,
    };
  }
}

const DAY_MS = 86_400_000;

/** Requests per UTC day of the clock; the count starts over at midnight UTC. */
export class DailyQuota {
  private day = -1;
  private used = 0;

  /** True when `limit` requests were already counted today. */
  exhausted(limit: number, now: number): boolean {
    this.roll(now);
    return this.used >= limit;
  }

  take(now: number): void {
    this.roll(now);
    this.used++;
  }

  private roll(now: number): void {
    const day = Math.floor(now / DAY_MS);
    if (day !== this.day) {
      this.day = day;
      this.used = 0;
    }
  }

  msUntilReset(now: number): number {
    return (Math.floor(now / DAY_MS) + 1) * DAY_MS - now;
  }
}
