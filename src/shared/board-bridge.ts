import type { RateLimitInfo } from '../providers/types.js';
import type { SharedBudget } from './shared-budget.js';
import type { SharedBreakerState, SharedEvent, SharedLease } from './types.js';

/**
 * Between one board and its `SharedBudget`: the key pool's seam (acquire → grant or wait, settle),
 * the events the other instances publish turned into events to this board's own actors, and this
 * board's own key and breaker events sent out. A remote event applied to a local actor makes that
 * actor emit too; `applying` keeps such an echo from being published back.
 */
export interface BridgeTargets {
  /** A key's state decided elsewhere: send it to the key's slot actor. */
  keyState(keyName: string, state: 'disabled' | 'cooling' | 'exhausted', waitMs: number, reason?: string): void;
  /** The shared breaker moved: send `breaker.sync` to the breaker actor. */
  breakerSync(state: SharedBreakerState, waitMs: number): void;
  /** A lease was released elsewhere (or capacity came back): requests waiting for a key try again. */
  wake(): void;
  /** `shared.degraded` / `shared.restored` on `board.on`. */
  link(type: 'shared.degraded' | 'shared.restored', payload: { reason?: string }): void;
}

/** What the key pool holds between acquire and settle. */
export interface BridgeLease {
  keyName: string;
  lease: SharedLease;
}

export type BridgeGrant = { granted: true; lease: BridgeLease } | { granted: false; waitMs: number; refusal?: 'disabled' | 'failClosed' };

export class SharedBridge {
  private applying = 0;
  private readonly off: () => void;

  constructor(
    readonly budget: SharedBudget,
    private readonly targets: BridgeTargets,
    private readonly now: () => number,
  ) {
    this.off = budget.on((e) => this.onShared(e));
  }

  /** The key pool's seam: a lease on `keyName` for `tokens`, or how long to wait. Never rejects. */
  async acquire(keyName: string, tokens: number): Promise<BridgeGrant> {
    const g = await this.budget.acquire(keyName, tokens);
    if (g.ok) return { granted: true, lease: { keyName, lease: g.lease } };
    if (g.reason === 'disabled') {
      // Disabled elsewhere and not heard yet (a message in flight): the slot learns it now.
      this.apply(() => this.targets.keyState(keyName, 'disabled', 0, 'disabled on another instance'));
      return { granted: false, waitMs: 0, refusal: 'disabled' };
    }
    if (g.reason === 'failClosed') return { granted: false, waitMs: 0, refusal: 'failClosed' };
    if (g.reason === 'cooling' || g.reason === 'exhausted') this.apply(() => this.targets.keyState(keyName, g.reason as 'cooling', g.waitMs));
    return { granted: false, waitMs: g.waitMs };
  }

  /** Ends a granted attempt: `usedTokens` the provider reported; `unsent` when it never went out. */
  settle(lease: unknown, usedTokens: number, unsent = false): void {
    const l = lease as BridgeLease | null;
    if (!l?.lease) return;
    void this.budget.settle(l.keyName, l.lease, Math.max(0, usedTokens || 0), unsent);
  }

  /** This board's key slot changed on its own (a 401, a 429, a quota): tell the others. */
  localKeyState(keyName: string, state: 'disabled' | 'cooling' | 'exhausted', waitMs: number, reason?: string): void {
    if (this.applying > 0) return;
    if (state === 'disabled') void this.budget.disable(keyName, reason);
    else if (state === 'cooling') void this.budget.cool(keyName, waitMs, reason);
    else void this.budget.exhaust(keyName, waitMs, reason);
  }

  /** This board's breaker opened on its own failures: open it for all. */
  localBreakerOpened(): void {
    if (this.applying > 0) return;
    void this.budget.breaker.trip().then((view) => {
      // Already open elsewhere with a later end: follow it.
      if (view && view.state === 'open') this.apply(() => this.targets.breakerSync('open', view.waitMs));
    });
  }

  /** A provider answer's budget headers (absolute instants on the board's clock). */
  observeHeaders(keyName: string, info: RateLimitInfo | null): void {
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
        if (e.state === 'released') return this.targets.wake();
        return this.apply(() => this.targets.keyState(e.keyName, e.state as 'disabled', e.waitMs, e.reason));
      case 'breaker':
        return this.apply(() => this.targets.breakerSync(e.state, e.waitMs));
      case 'degraded':
        return this.targets.link('shared.degraded', { reason: e.reason });
      case 'restored':
        this.targets.link('shared.restored', {});
        return this.targets.wake();
    }
  }
}
