import { randomBytes } from 'node:crypto';
import { systemClock } from '../clock.js';
import type { Clock } from '../types.js';
import { readMessage } from './channel.js';
import { endpointId, endpointNames, keyId, keyNames, type EndpointNames, type KeyNames } from './ids.js';
import { ACQUIRE, KEY_EVENT, LOWER, RESYNC, SETTLE } from './key-scripts.js';
import { LinkDown, RedisLink, script } from './link.js';
import { LocalShare, providerBudget, type ProviderBudget } from './local-fallback.js';
import { HEARTBEAT_SCRIPT, Presence } from './presence.js';
import { RoundTrips } from './round-trip.js';
import { BREAKER_SCRIPTS, SharedBreaker, type BreakerConfig } from './shared-breaker.js';
import type { HeaderBudget, SharedEvent, SharedGrant, SharedKeySpec, SharedLease, SharedOptions, SharedReport } from './types.js';

const KEY_SCRIPTS = {
  acquire: script('acquire', ACQUIRE),
  settle: script('settle', SETTLE),
  keyEvent: script('keyEvent', KEY_EVENT),
  lower: script('lower', LOWER),
  resync: script('resync', RESYNC),
};

/** A lease outlives its attempt by this much, then its capacity comes back (a crashed instance). */
export const LEASE_GRACE_MS = 5_000;

export interface SharedBudgetInput {
  shared: SharedOptions;
  provider: string;
  baseUrl: string;
  keys: SharedKeySpec[];
  /** The per-attempt HTTP timeout; a lease expires after it + 5 s. */
  attemptTimeoutMs: number;
  breaker: BreakerConfig;
  /**
   * The board's clock, for the degraded mode's local share. Redis I/O, its timeouts, reconnects and
   * heartbeats run on real time whatever this is: they are about Redis's clock, which is real.
   */
  clock?: Clock;
  /** How long a lease outlives its attempt (default LEASE_GRACE_MS); tests shorten it. */
  leaseGraceMs?: number;
  logger?: { debug(...a: unknown[]): void; warn(...a: unknown[]): void };
}

interface KeyEntry {
  spec: SharedKeySpec;
  names: KeyNames;
  local: LocalShare;
  /** What the provider's headers told of its request budget, for the degraded share's own bucket. */
  provider: ProviderBudget | null;
  /** The latest key event while degraded, replayed on restore. */
  pending: { state: 'disabled' | 'cooling' | 'exhausted'; untilLocal: number; reason: string } | null;
}

/**
 * One instance's view of the budgets it shares through Redis with the other instances of the same
 * provider endpoint and namespace: per-key admission (`acquire` → a lease or the exact wait, then
 * `settle`), key events (`disable`, `cool`, `exhaust`, `lowerFromHeaders`), the shared breaker
 * (`breaker`), heartbeats, and the degraded mode. Never throws to a request: with Redis down or
 * slow it answers from a local 1/N share (or refuses with `failClosed`).
 */
export class SharedBudget {
  readonly instanceId = randomBytes(6).toString('hex');
  readonly breaker: SharedBreaker;
  readonly roundTrips = new RoundTrips();
  private readonly link: RedisLink;
  private readonly clock: Clock;
  private readonly ep: EndpointNames;
  private readonly keys = new Map<string, KeyEntry>();
  private readonly byId = new Map<string, string>();
  private readonly listeners = new Set<(e: SharedEvent) => void>();
  private readonly presence: Presence;
  private seq = 0;
  private everUp = false;
  private readyWaiters: Array<() => void> = [];

  constructor(private readonly input: SharedBudgetInput) {
    this.clock = input.clock ?? systemClock;
    const ns = input.shared.namespace ?? 'sb';
    this.ep = endpointNames(ns, input.provider, endpointId(input.provider, input.baseUrl));
    this.link = new RedisLink({
      redis: input.shared.redis,
      timeoutMs: input.shared.timeoutMs ?? 50,
      clock: systemClock,
      roundTrips: this.roundTrips,
      scripts: [...Object.values(KEY_SCRIPTS), HEARTBEAT_SCRIPT, ...Object.values(BREAKER_SCRIPTS)],
      logger: input.logger,
      onDegraded: (reason) => this.enterDegraded(reason),
      onRestore: (first) => this.resync(first),
      onRestored: () => {
        this.input.logger?.warn({ provider: input.provider }, 'shared: the Redis link is back; budgets are shared again');
        this.emit({ type: 'restored' });
      },
    });
    this.breaker = new SharedBreaker(this.link, this.ep, this.instanceId, () => this.input.breaker, () => this.leaseTtlMs());
    this.presence = new Presence(this.link, this.ep, this.instanceId);
    for (const k of input.keys) this.addKey(k);
  }

  /** Connects and subscribes; requests meanwhile use the local share. */
  start(): this {
    void this.link.subscribe(this.ep.channel, (m) => this.onMessage(m));
    this.link.start();
    return this;
  }

  /** Resolves true once Redis answered (first connection), false after `timeoutMs`. */
  ready(timeoutMs = 5_000): Promise<boolean> {
    if (this.everUp) return Promise.resolve(true);
    return new Promise((resolve) => {
      const t = setTimeout(() => resolve(false), timeoutMs);
      t.unref?.();
      this.readyWaiters.push(() => {
        clearTimeout(t);
        resolve(true);
      });
    });
  }

  on(fn: (e: SharedEvent) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  addKey(spec: SharedKeySpec): void {
    const id = keyId(this.input.provider, this.input.baseUrl, spec.secret);
    const local = new LocalShare(spec.limits ?? {}, spec.maxConcurrent ?? 0);
    local.reset(this.presence.count, this.clock.now(), false);
    this.keys.set(spec.name, { spec, names: keyNames(this.input.shared.namespace ?? 'sb', this.input.provider, id), local, pending: null, provider: null });
    this.byId.set(id, spec.name);
  }

  removeKey(name: string): void {
    const e = this.keys.get(name);
    if (!e) return;
    this.keys.delete(name);
    this.byId.delete(e.names.id);
  }

  /** Reserves one request and `estTokens` on `keyName` across all instances. Never rejects. */
  async acquire(keyName: string, estTokens: number): Promise<SharedGrant> {
    const e = this.keys.get(keyName);
    const id = `${this.instanceId}:${++this.seq}`;
    if (!e) return { ok: true, lease: { id, estTokens, local: true } };
    if (this.link.mode === 'redis') {
      try {
        const { spec, names } = e;
        const l = spec.limits ?? {};
        const reply = (await this.link.run(KEY_SCRIPTS.acquire, [names.state, names.leases], [id, estTokens, spec.maxConcurrent ?? 0, l.rpm ?? 0, l.tpm ?? 0, l.rpd ?? 0, this.leaseTtlMs()])) as [number, string | number, string];
        const [code, second, reason] = reply;
        if (code === 1) return { ok: true, lease: { id, estTokens, local: false } };
        if (code === -1) return { ok: false, reason: 'disabled', waitMs: 0 };
        return { ok: false, reason: reason as 'budget', waitMs: Number(second) };
      } catch (err) {
        if (!(err instanceof LinkDown)) throw err;
      }
    }
    if (this.input.shared.failClosed) return { ok: false, reason: 'failClosed', waitMs: 0, local: true };
    const g = e.local.acquire(id, estTokens, this.clock.now());
    if (!g.ok && g.reason === 'concurrency') return { ...g, waitMs: this.leaseTtlMs() };
    return g;
  }

  /** Releases the lease and refunds estimate − used tokens (and the request when it was never sent). */
  /** → 2 when this was the key's first answer (its probe: every waiter may go), else 1 (0: unknown lease). */
  async settle(keyName: string, lease: SharedLease, usedTokens: number, unsent = false): Promise<number> {
    const e = this.keys.get(keyName);
    if (!e) return 0;
    if (lease.local) {
      e.local.settle(lease.estTokens, usedTokens, unsent, this.clock.now());
      this.emit({ type: 'key', keyName, state: 'released', waitMs: 0 });
      return 1;
    }
    const l = e.spec.limits ?? {};
    return Number(await this.quiet(this.link.run(KEY_SCRIPTS.settle, [e.names.state, e.names.leases], [lease.id, lease.estTokens, usedTokens, l.tpm ?? 0, l.rpm ?? 0, unsent ? 1 : 0, e.spec.maxConcurrent ?? 0, this.ep.channel, this.instanceId, e.names.id])));
  }

  /** A 401: the key is dead on every instance. */
  disable(keyName: string, reason = 'invalid key'): Promise<void> {
    return this.keyEvent(keyName, 'disabled', 0, reason);
  }

  /** A 429: cooling for `waitMs` on every instance; a longer wait already there wins. */
  cool(keyName: string, waitMs: number, reason = 'rate limited'): Promise<void> {
    return this.keyEvent(keyName, 'cooling', waitMs, reason);
  }

  /** A spent per-day quota, until its reset. */
  exhaust(keyName: string, waitMs: number, reason = 'quota exhausted'): Promise<void> {
    return this.keyEvent(keyName, 'exhausted', waitMs, reason);
  }

  /** The provider's x-ratelimit headers: they only lower the shared budget (see LOWER in key-scripts.ts). */
  async lowerFromHeaders(keyName: string, h: HeaderBudget): Promise<void> {
    const e = this.keys.get(keyName);
    if (!e) return;
    const n = (v: number | null | undefined) => (v === null || v === undefined || !Number.isFinite(v) ? -1 : Math.max(0, Math.floor(v)));
    if (n(h.remainingRequests) < 0 && n(h.remainingTokens) < 0) return;
    // Kept here too, for the degraded mode's 1/N share.
    e.provider = providerBudget(e.provider, n(h.limitRequests), n(h.remainingRequests), n(h.resetRequestsMs));
    await this.quiet(this.link.run(KEY_SCRIPTS.lower, [e.names.state, e.names.leases], [n(h.limitRequests), n(h.remainingRequests), n(h.resetRequestsMs), n(h.limitTokens), n(h.remainingTokens), n(h.resetTokensMs)]));
  }

  report(): SharedReport {
    return {
      mode: this.link.mode === 'redis' ? 'redis' : 'degraded',
      instances: this.presence.count,
      scriptMsP50: this.roundTrips.percentileMs(50),
      scriptMsP99: this.roundTrips.percentileMs(99),
    };
  }

  get mode(): 'redis' | 'degraded' {
    return this.link.mode === 'redis' ? 'redis' : 'degraded';
  }

  /** Stops heartbeats (removing this instance from the count) and closes its connections. */
  async stop(): Promise<void> {
    await this.quiet(this.presence.leave());
    await this.link.stop();
  }

  private leaseTtlMs(): number {
    return this.input.attemptTimeoutMs + (this.input.leaseGraceMs ?? LEASE_GRACE_MS);
  }

  private async keyEvent(keyName: string, state: 'disabled' | 'cooling' | 'exhausted', waitMs: number, reason: string): Promise<void> {
    const e = this.keys.get(keyName);
    if (!e) return;
    if (this.link.mode !== 'redis') {
      const untilLocal = this.clock.now() + waitMs;
      if (!e.pending || e.pending.state !== 'disabled') e.pending = { state, untilLocal, reason };
      return;
    }
    await this.quiet(this.link.run(KEY_SCRIPTS.keyEvent, [e.names.state], [state, Math.max(0, Math.ceil(waitMs)), reason, this.ep.channel, this.instanceId, e.names.id]));
  }

  /** Awaits a script whose answer nobody waits for; a down link is the degraded mode's business. */
  private async quiet(run: Promise<unknown>): Promise<unknown> {
    try {
      return await run;
    } catch (err) {
      if (err instanceof LinkDown) return null;
      this.input.logger?.warn({ err: String(err) }, 'shared: script failed');
      return null;
    }
  }

  private emit(e: SharedEvent): void {
    for (const fn of this.listeners) {
      try {
        fn(e);
      } catch (err) {
        this.input.logger?.warn({ err: String(err) }, 'shared: listener threw');
      }
    }
  }

  private onMessage(raw: string): void {
    const m = readMessage(raw, this.instanceId, (id) => this.byId.get(id));
    if (m === null) return;
    if (m.type === 'instances') this.presence.counted(m.n, m.at);
    else this.emit(m);
  }

  private enterDegraded(reason: string): void {
    this.input.logger?.warn({ provider: this.input.provider, reason }, `shared: the Redis link is degraded (${reason}); spending at most 1/${this.presence.count} of each limit until it is back`);
    const now = this.clock.now();
    for (const e of this.keys.values()) e.local.reset(this.presence.count, now, this.everUp, e.provider);
    this.emit({ type: 'degraded', reason });
  }

  /** Back on Redis: heartbeat, replay what happened while degraded, and sync the local actors. */
  private async resync(first: boolean): Promise<void> {
    await this.presence.beat();
    const now = this.clock.now();
    for (const [keyName, e] of this.keys) {
      if (e.pending) {
        const p = e.pending;
        e.pending = null;
        await this.link.run(KEY_SCRIPTS.keyEvent, [e.names.state], [p.state, Math.max(0, p.untilLocal - now), p.reason, this.ep.channel, this.instanceId, e.names.id]);
      }
      const l = e.spec.limits ?? {};
      const spent = e.local.takeSpent();
      const [disabled, coolUntil, exhaustUntil, rnow] = (await this.link.run(KEY_SCRIPTS.resync, [e.names.state], [l.rpm ?? 0, l.tpm ?? 0, l.rpd ?? 0, first ? 0 : 1, spent.requests, spent.tokens])) as number[];
      if (disabled === 1) this.emit({ type: 'key', keyName, state: 'disabled', waitMs: 0 });
      else if (exhaustUntil! > rnow!) this.emit({ type: 'key', keyName, state: 'exhausted', waitMs: exhaustUntil! - rnow! });
      else if (coolUntil! > rnow!) this.emit({ type: 'key', keyName, state: 'cooling', waitMs: coolUntil! - rnow! });
    }
    const b = await this.breaker.read();
    if (b && (b.state !== 'closed' || !first)) this.emit({ type: 'breaker', ...b });
    this.everUp = true;
    for (const w of this.readyWaiters.splice(0)) w();
    this.presence.schedule();
  }
}
