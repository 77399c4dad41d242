import type { KeyLimits, SharedGrant } from './types.js';

/**
 * The degraded mode's budget for one key: this instance's share, `1/N` of each limit, N being the
 * instances it last saw alive. Buckets refill continuously like the shared ones. A bucket starts
 * EMPTY when the instance already spent through Redis (what the others spent in this window is
 * unknown; empty keeps the sum under the limit) and full at 1/N when Redis was never reached.
 * Concurrency is `max(1, floor(maxConcurrent / N))`: a share of 0 would refuse the key outright.
 */
interface Bucket {
  level: number;
  at: number;
  cap: number;
  windowMs: number;
}

function refill(b: Bucket, now: number): void {
  b.level = Math.min(b.cap, b.level + ((now - b.at) * b.cap) / b.windowMs);
  b.at = now;
}

/** Float sums of many small refills land a hair below a whole unit; that hair is not a wait. */
const EPSILON = 1e-9;

function waitFor(b: Bucket, need: number): number {
  const n = Math.min(need, b.cap);
  return b.level >= n - EPSILON ? 0 : Math.ceil(((n - b.level) * b.windowMs) / b.cap);
}

/** A provider's request budget as its x-ratelimit headers tell it: capacity, and a lower bound of its refill per ms. */
export interface ProviderBudget {
  cap: number;
  perMs: number;
}

/**
 * The provider budget after one answer's headers (each -1 when absent), for the share's own bucket:
 * the same lower bound of the rate as LOWER in key-scripts.ts (requests spent within the reset
 * window), never below what `previous` knew of the same capacity; before any rate is known, a minute's
 * window, as LOWER assumes.
 */
export function providerBudget(previous: ProviderBudget | null, cap: number, remaining: number, resetMs: number): ProviderBudget | null {
  if (!(cap > 0 && remaining >= 0)) return previous;
  const bound = resetMs > 0 && cap - remaining - 1 > 0 ? (cap - remaining - 1) / resetMs : 0;
  return { cap, perMs: Math.max(previous?.cap === cap ? previous.perMs : 0, bound) || cap / 60_000 };
}

export class LocalShare {
  private buckets: { r: Bucket | null; t: Bucket | null; d: Bucket | null; h: Bucket | null } = { r: null, t: null, d: null, h: null };
  private inFlight = 0;
  private maxConcurrent = 0;
  /** Requests and tokens granted since the last `takeSpent`: charged to the shared buckets once Redis is back. */
  private spentRequests = 0;
  private spentTokens = 0;

  constructor(
    private readonly limits: KeyLimits,
    private readonly maxConcurrentTotal: number,
  ) {}

  /**
   * Sizes the share for `instances` (≥ 1) starting at `now`; `startEmpty` after shared spending.
   * `provider`: the request budget the provider's headers told (capacity, refill per ms), when known:
   * it gets its 1/N bucket too, as `limits` do.
   */
  reset(instances: number, now: number, startEmpty: boolean, provider: ProviderBudget | null = null): void {
    const n = Math.max(1, instances);
    const make = (limit: number | undefined, windowMs: number): Bucket | null =>
      limit && limit > 0 ? { level: startEmpty ? 0 : limit / n, at: now, cap: limit / n, windowMs } : null;
    this.buckets = {
      r: make(this.limits.rpm, 60_000), t: make(this.limits.tpm, 60_000), d: make(this.limits.rpd, 86_400_000),
      h: provider && provider.cap > 0 && provider.perMs > 0 ? make(provider.cap, provider.cap / provider.perMs) : null,
    };
    this.maxConcurrent = this.maxConcurrentTotal > 0 ? Math.max(1, Math.floor(this.maxConcurrentTotal / n)) : 0;
  }

  acquire(leaseId: string, estTokens: number, now: number): SharedGrant {
    if (this.maxConcurrent > 0 && this.inFlight >= this.maxConcurrent) return { ok: false, reason: 'concurrency', waitMs: 0, local: true };
    const { r, t, d, h } = this.buckets;
    let wait = 0;
    for (const [b, need] of [[r, 1], [t, estTokens], [d, 1], [h, 1]] as const) {
      if (!b) continue;
      refill(b, now);
      wait = Math.max(wait, waitFor(b, need));
    }
    if (wait > 0) return { ok: false, reason: 'budget', waitMs: wait, local: true };
    if (r) r.level -= 1;
    if (t) t.level -= estTokens;
    if (d) d.level -= 1;
    if (h) h.level -= 1;
    this.inFlight++;
    this.spentRequests++;
    this.spentTokens += estTokens;
    return { ok: true, lease: { id: leaseId, estTokens, local: true } };
  }

  /** What was spent locally since the last call, and forgets it. */
  takeSpent(): { requests: number; tokens: number } {
    const spent = { requests: Math.max(0, this.spentRequests), tokens: Math.max(0, this.spentTokens) };
    this.spentRequests = 0;
    this.spentTokens = 0;
    return spent;
  }

  settle(estTokens: number, usedTokens: number, unsent: boolean, now: number): void {
    this.inFlight = Math.max(0, this.inFlight - 1);
    this.spentTokens += usedTokens - estTokens;
    if (unsent) this.spentRequests--;
    const { r, t } = this.buckets;
    if (t) {
      refill(t, now);
      t.level = Math.min(t.cap, t.level + estTokens - usedTokens);
    }
    if (unsent && r) {
      refill(r, now);
      r.level = Math.min(r.cap, r.level + 1);
    }
  }
}
