import type { SharedBudget as PoolSeam, SharedGrant as PoolGrant } from '../keys/key-pool.js';
import type { RateLimitInfo } from '../providers/types.js';
import type { SharedBudget } from './shared-budget.js';
import type { SharedBreakerState, SharedEvent, SharedLease } from './types.js';

/**
 * Between one board and its `SharedBudget`: the key pool's seam (acquire → grant or wait, settle,
 * observe), the events other instances publish turned into events to this board's own actors, and
 * this board's own key and breaker changes sent out. A remote event applied to a local actor makes
 * that actor change too; `applying` keeps such an echo from being published back.
 */
export interface BridgeTargets {
  /** A key's state decided elsewhere: send it to the key's slot actor. */
  keyState(keyName: string, state: 'disabled' | 'cooling' | 'exhausted', waitMs: number, reason?: string): void;
  /** The shared breaker moved: send `breaker.sync` to the breaker actor. */
  breakerSync(state: SharedBreakerState, waitMs: number, trips?: number): void;
  /** A lease on the key was released: the first request waiting for one asks again (`all`: every one). */
  wake(keyName: string, all: boolean): void;
  /** The shared budget has no room on the key for `waitMs` (its exact refill): the key's slot cools that long, locally. */
  pace(keyName: string, waitMs: number): void;
  /** `shared.degraded` / `shared.restored` on `board.on`. */
  link(type: 'shared.degraded' | 'shared.restored', payload: { reason?: string }): void;
}

/** What the key pool holds between acquire and settle. */
interface BridgeLease {
  keyName: string;
  lease: SharedLease;
}

/**
 * Per key, this instance asks Redis one request at a time, and remembers the answer: after a
 * refusal for budget the key cools locally until its exact refill (no request asks again before),
 * after one for concurrency it waits for a release (or the oldest lease's expiry). A burst of
 * requests thus costs one round trip per grant, not one per request per refill — a herd of
 * scripts would itself make Redis slow, and slow is degraded.
 */
interface KeyGate {
  tail: Promise<unknown>;
  /** Refused for budget: nothing to ask before this instant (board clock). */
  pacedUntil: number;
  /** Refused for concurrency: nothing to ask before a release, or this instant (the oldest lease's expiry). */
  leasesUntil: number;
  /**
   * Releases seen on the key (`released` events and our own settles). A release that arrives while
   * a refusal for concurrency is on its way back (Pub/Sub and the script's answer come over two
   * connections, in either order) would otherwise be lost: the refusal would then set a wait until
   * the oldest lease's expiry, and every request on the key would sleep that long.
   */
  releases: number;
}

export class SharedBridge implements PoolSeam {
  private applying = 0;
  private readonly off: () => void;
  /** One entry per local half-open probe in flight: its shared probe lease, or null (none needed or none given). */
  private readonly probes: Array<string | null> = [];
  private readonly gates = new Map<string, KeyGate>();

  constructor(
    readonly budget: SharedBudget,
    private readonly targets: BridgeTargets,
    private readonly now: () => number,
  ) {
    this.off = budget.on((e) => this.onShared(e));
  }

  /** The key pool's seam: a lease on `keyName` for `tokens`, or how long to wait. Never rejects. */
  async acquire(keyName: string, tokens: number, probe: boolean): Promise<PoolGrant> {
    if (probe) {
      // Exactly one entry per local probe, whatever happens: the probe's end pops it (probeEnded).
      const p = await this.budget.breaker.probe().catch(() => ({ ok: true as const, lease: null }));
      this.probes.push(p.ok ? p.lease : null);
      if (!p.ok) {
        // Another instance holds the half-open places (or it opened again): follow it, fail fast.
        this.apply(() => this.targets.breakerSync(p.state, p.waitMs));
        return { granted: false, waitMs: p.waitMs, refusal: 'circuitOpen' };
      }
      if (p.lease === null && this.budget.mode === 'redis') this.apply(() => this.targets.breakerSync('closed', 0));
    }
    let gate = this.gates.get(keyName);
    if (!gate) this.gates.set(keyName, (gate = { tail: Promise.resolve(), pacedUntil: 0, leasesUntil: 0, releases: 0 }));
    const g = gate;
    const answer = g.tail.then(() => this.acquireKey(keyName, tokens, g));
    g.tail = answer.catch(() => undefined);
    return answer;
  }

  private async acquireKey(keyName: string, tokens: number, gate: KeyGate): Promise<PoolGrant> {
    const now = this.now();
    // Known without asking: the request gives the key back and takes another, or waits for one.
    if (gate.pacedUntil > now) return { granted: false, waitMs: 0 };
    if (gate.leasesUntil > now) return { granted: false, waitMs: gate.leasesUntil - now, concurrency: true };
    const releasesBefore = gate.releases;
    const g = await this.budget.acquire(keyName, tokens);
    if (g.ok) return { granted: true, lease: { keyName, lease: g.lease } satisfies BridgeLease };
    if (g.reason === 'failClosed') return { granted: false, waitMs: 0, refusal: 'failClosed' };
    if (g.reason === 'disabled') {
      // Disabled elsewhere, the message still on its way: the slot learns it now; the request takes another key.
      this.apply(() => this.targets.keyState(keyName, 'disabled', 0, 'disabled on another instance'));
      return { granted: false, waitMs: 0 };
    }
    if (g.reason === 'concurrency') {
      // A place came free while the refusal was on its way: ask again at once.
      if (gate.releases !== releasesBefore) return { granted: false, waitMs: 0, concurrency: true };
      gate.leasesUntil = this.now() + g.waitMs;
      return { granted: false, waitMs: g.waitMs, concurrency: true };
    }
    if (g.reason === 'cooling' || g.reason === 'exhausted') this.apply(() => this.targets.keyState(keyName, g.reason as 'cooling', g.waitMs));
    else {
      gate.pacedUntil = this.now() + g.waitMs;
      this.apply(() => this.targets.pace(keyName, g.waitMs));
    }
    return { granted: false, waitMs: 0 };
  }

  /** A lease on the key came free (here or elsewhere): the first request waiting for one asks again. */
  private wakeKey(keyName: string, all = false): void {
    const gate = this.gates.get(keyName);
    if (gate) {
      gate.leasesUntil = 0;
      gate.releases++;
    }
    this.targets.wake(keyName, all);
  }

  /** Ends a granted attempt with the tokens the provider reported. */
  settle(lease: unknown, usedTokens: number): void {
    const l = lease as BridgeLease | null;
    if (!l?.lease) return;
    // Our own release is never published back to us: the next local waiter for this key asks now
    // (every one when this was the key's probe).
    void this.budget.settle(l.keyName, l.lease, Number.isFinite(usedTokens) ? Math.max(0, usedTokens) : l.lease.estTokens).then((r) => this.wakeKey(l.keyName, r === 2));
  }

  pacesHeaders(): boolean {
    return this.budget.mode === 'redis';
  }

  /** Every answer's rate-limit headers (absolute instants on the board's clock) lower the shared budget. */
  observe(keyName: string, info: RateLimitInfo | null): void {
    if (!info || (info.remainingRequests === null && info.remainingTokens === null)) return;
    const now = this.now();
    const rel = (at: number | null) => (at === null ? null : Math.max(0, at - now));
    void this.budget.lowerFromHeaders(keyName, {
      limitRequests: info.limitRequests,
      remainingRequests: info.remainingRequests,
      resetRequestsMs: rel(info.resetRequestsAt),
      limitTokens: info.limitTokens,
      remainingTokens: info.remainingTokens,
      resetTokensMs: rel(info.resetTokensAt),
    });
  }

  /** This board's key slot changed (a 401, a 429, a quota): tell the others. A local pacing pause is not news. */
  localKeyState(keyName: string, state: string, waitMs: number, reason: string | null): void {
    if (this.applying > 0) return;
    if (state === 'disabled') void this.budget.disable(keyName, reason ?? undefined);
    else if (state === 'exhausted') void this.budget.exhaust(keyName, waitMs, reason ?? undefined);
    else if (state === 'cooling' && reason !== 'budget') void this.budget.cool(keyName, waitMs, reason ?? undefined);
  }

  /** This board's breaker moved on its own: an opening opens it for all. */
  localBreaker(state: string, was: string): void {
    if (this.applying > 0 || state !== 'open' || was === 'open') return;
    void this.budget.breaker.trip().then((view) => {
      // It was already open elsewhere, until later: follow that.
      if (view && view.state === 'open') this.apply(() => this.targets.breakerSync('open', view.waitMs, view.trips));
    });
  }

  /** A local half-open probe ended: its shared probe lease (if it had one) reports the outcome. */
  probeEnded(outcome: 'ok' | 'failed' | 'released'): void {
    const lease = this.probes.shift() ?? null;
    if (lease === null) return;
    void this.budget.breaker.probeResult(lease, outcome).then((view) => {
      if (view && view.state !== 'halfOpen') this.apply(() => this.targets.breakerSync(view.state, view.waitMs, view.trips));
    });
  }

  /** What the report and the metrics read: `report().shared` and the round trips in seconds. */
  live() {
    return { report: this.budget.report(), roundTrips: this.budget.roundTrips.seconds };
  }

  stop(): Promise<void> {
    this.off();
    return this.budget.stop();
  }

  private apply(fn: () => void): void {
    this.applying++;
    try {
      fn();
    } finally {
      this.applying--;
    }
  }

  private onShared(e: SharedEvent): void {
    switch (e.type) {
      case 'key':
        if (e.state === 'released') return this.wakeKey(e.keyName, e.all === true);
        return this.apply(() => this.targets.keyState(e.keyName, e.state as 'disabled', e.waitMs, e.reason));
      case 'breaker':
        return this.apply(() => this.targets.breakerSync(e.state, e.waitMs, e.trips));
      case 'degraded':
        return this.targets.link('shared.degraded', { reason: e.reason });
      case 'restored':
        return this.targets.link('shared.restored', {});
    }
  }
}
