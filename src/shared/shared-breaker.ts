import { BREAKER_READ, PROBE, PROBE_RESULT, TRIP } from './breaker-scripts.js';
import type { EndpointNames } from './ids.js';
import { LinkDown, script, type RedisLink } from './link.js';
import type { SharedBreakerState } from './types.js';

export const BREAKER_SCRIPTS = {
  trip: script('trip', TRIP),
  probe: script('probe', PROBE),
  probeResult: script('probeResult', PROBE_RESULT),
  read: script('breakerRead', BREAKER_READ),
};

export interface BreakerConfig {
  failureThreshold: number;
  resetTimeoutMs: number;
  halfOpenProbes: number;
}

export interface BreakerView {
  state: SharedBreakerState;
  waitMs: number;
  trips: number;
}

/** A probe slot in half-open: `lease` null when granted locally (degraded: the local breaker alone decides). */
export type ProbeGrant = { ok: true; lease: string | null } | { ok: false; state: SharedBreakerState; waitMs: number };

function view(reply: unknown): BreakerView {
  const [state, waitMs, trips] = reply as [string, number, number];
  return { state: state === 'open' || state === 'halfOpen' ? state : 'closed', waitMs: Number(waitMs), trips: Number(trips) };
}

/**
 * The breaker shared by every instance of one provider endpoint. The local breaker actor counts
 * consecutive failures and calls `trip` when it opens; in half-open every attempt asks `probe`
 * first, so `halfOpenProbes` attempts pass across all instances; `probeResult` closes or reopens
 * it for all. Every answer is also published, so the other instances' actors follow (`breaker.sync`).
 * With the link down each call answers as if alone (null / a local probe): the local breaker rules.
 */
export class SharedBreaker {
  private probeSeq = 0;

  constructor(
    private readonly link: RedisLink,
    private readonly names: EndpointNames,
    private readonly origin: string,
    private readonly cfg: () => BreakerConfig,
    private readonly leaseTtlMs: () => number,
  ) {}

  private base(): Array<string | number> {
    return [this.cfg().resetTimeoutMs, this.names.channel, this.origin];
  }

  /** Opens the breaker for all (unless already open). Null when degraded. */
  async trip(): Promise<BreakerView | null> {
    return this.call(BREAKER_SCRIPTS.trip, this.base());
  }

  async read(): Promise<BreakerView | null> {
    return this.call(BREAKER_SCRIPTS.read, []);
  }

  async probe(): Promise<ProbeGrant> {
    const lease = `${this.origin}:p${++this.probeSeq}`;
    let reply: unknown;
    try {
      reply = await this.link.run(BREAKER_SCRIPTS.probe, [this.names.breaker, this.names.probes], [...this.base(), this.cfg().halfOpenProbes, lease, this.leaseTtlMs()]);
    } catch (err) {
      if (err instanceof LinkDown) return { ok: true, lease: null };
      throw err;
    }
    const [kind, second] = reply as [string, string | number];
    if (kind === 'probe') return { ok: true, lease: String(second) };
    if (kind === 'closed') return { ok: true, lease: null };
    return { ok: false, state: kind === 'open' ? 'open' : 'halfOpen', waitMs: Number(second) };
  }

  /** A probe's outcome; `released` when the attempt ended without a verdict (cancelled). */
  async probeResult(lease: string | null, outcome: 'ok' | 'failed' | 'released'): Promise<BreakerView | null> {
    if (lease === null) return null;
    return this.call(BREAKER_SCRIPTS.probeResult, [...this.base(), this.cfg().halfOpenProbes, lease, outcome]);
  }

  private async call(s: (typeof BREAKER_SCRIPTS)[keyof typeof BREAKER_SCRIPTS], args: Array<string | number>): Promise<BreakerView | null> {
    try {
      return view(await this.link.run(s, [this.names.breaker, this.names.probes], args));
    } catch (err) {
      if (err instanceof LinkDown) return null;
      throw err;
    }
  }
}
