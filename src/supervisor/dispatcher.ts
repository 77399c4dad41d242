import type { SupervisorContext } from '../../machines/supervisor.machine.js';
import { KeepAlive } from '../clock.js';
import { AbortedError, NoKeysError, QueueFullError, ShutdownError, TimeoutError, type SwitchboardError } from '../errors.js';
import type { KeyRuntime } from '../keys/key-runtime.js';
import { KeyPool } from '../keys/key-pool.js';
import type { ResolvedConfig } from '../options.js';
import type { BreakerState } from '../types.js';
import { PriorityQueue } from '../queue/priority-queue.js';
import { Timeouts } from '../queue/timeouts.js';
import { onAttemptTimeout, sendAttempt } from './attempt.js';
import { awaitSharedGrant } from './shared-grant.js';
import { BatchCollector } from './batch-collector.js';
import type { BreakerGate } from './breaker-gate.js';
import { LEVEL_NAMES, type Entry } from './entry.js';
import { noKeysError } from './outcome.js';
import { settleError, settleRefused } from './settlement.js';
import type { DispatcherHost } from './host.js';
import { SignalWatch } from './signals.js';
import { Roster } from '../queue/roster.js';

/**
 * The hot path (docs/ARCHITECTURE.md §1), wired in one visible order: admission → queue → pick a key (key pool)
 * → breaker gate → reserve → attempt (attempt.ts) → outcome (outcome.ts: breaker, key slot, retry
 * policy, retry machine) → settlement (settlement.ts). Batch members pass through the batch
 * collector first. Plain code and counters; the live configuration is read from the supervisor's
 * snapshot (`configure`), never kept as a copy of its own.
 */
export class Dispatcher {
  cfg!: ResolvedConfig;
  lifecycle = 'running';
  readonly queue = new PriorityQueue<Entry>();
  readonly active = new Roster<Entry>();
  readonly keyWaiters: Entry[] = [];
  inFlight = 0;
  peakInFlight = 0;
  readonly pool: KeyPool;
  gate!: BreakerGate; // set by the actor bridge once the breaker child exists
  readonly batches = new BatchCollector(this);
  readonly deadlines: Timeouts<Entry>;
  readonly attemptTimeouts: Timeouts<Entry>;
  readonly signals = new SignalWatch((entry, signal) => settleError(this, entry, new AbortedError(signal.reason)));
  private readonly keepAlive: KeepAlive;
  private wake: { at: number; timer: unknown } | null = null;
  /** Requests waiting on a shared refusal: timer → the entry, and the key when it waits for a lease (concurrency). */
  readonly sharedWaits = new Map<unknown, { entry: Entry; keyName: string | null }>();
  /** Set when the board shares through Redis: its own key and breaker changes go out (src/shared/board-bridge.ts). */
  keyStateHook: ((keyName: string, state: string, context: { untilMs: number | null; waitMs: number; reason: string | null }) => void) | null = null;
  breakerHook: ((state: BreakerState, was: BreakerState) => void) | null = null;
  private pumping = false;
  private pumpAgain = false;
  private readonly idleWaiters: Array<() => void> = [];

  constructor(readonly host: DispatcherHost) {
    this.deadlines = new Timeouts(host.clock, (e) => settleError(this, e, new TimeoutError(e.timeoutMs, e.lastError ?? undefined)));
    this.attemptTimeouts = new Timeouts(host.clock, onAttemptTimeout);
    this.keepAlive = new KeepAlive(host.realClock);
    this.pool = new KeyPool((error) => host.logger?.warn?.({ err: String((error as Error)?.message ?? error) }, 'switchboard: the strategy function threw'));
  }

  /** The supervisor's snapshot changed: the configuration, key set and lifecycle in force from now on. */
  configure(context: SupervisorContext, lifecycle: string, slotOf: (name: string) => KeyRuntime['slot'] | undefined): KeyRuntime[] {
    this.cfg = context.config;
    this.lifecycle = lifecycle;
    return this.pool.sync(context.keys, this.cfg.queue.maxConcurrent, slotOf, this.host.clock.now());
  }

  /** Admits a request; the returned promise settles exactly once. Admission errors reject, never throw. */
  submit(entry: Entry, signal: AbortSignal | undefined): Promise<unknown> {
    return new Promise((resolve, reject) => {
      entry.resolve = resolve;
      entry.reject = reject;
      if (this.host.tracer !== null && entry.kind !== 'batch') entry.span = this.host.tracer.start({ requestId: entry.requestId, model: entry.model, priority: LEVEL_NAMES[entry.level]!, kind: entry.kind });
      const refusal = this.lifecycle !== 'running' ? new ShutdownError() : signal?.aborted ? new AbortedError(signal.reason) : this.gate.refusal() ?? (this.pool.anyUsable() ? null : new NoKeysError());
      if (refusal) return settleRefused(this, entry, refusal);
      if (this.active.size === 0) this.keepAlive.hold();
      this.active.add(entry);
      // The intake stamped `createdAt` in this same turn: the clock is read once per admission.
      entry.deadline = this.deadlines.add(entry, entry.timeoutMs, entry.createdAt);
      if (signal) this.signals.add((entry.signal = signal), entry);
      if (entry.kind === 'member') this.batches.join(entry, entry.batchable);
      else this.enqueue(entry, false, entry.createdAt);
    });
  }

  /** Straight to a key when nothing waits and a slot is free; else into the queue (bounded by `queue.size`). */
  enqueue(entry: Entry, bypassSize: boolean, now: number = this.host.clock.now()): void {
    if (this.queue.size === 0 && this.keyWaiters.length === 0 && this.inFlight < this.cfg.queue.maxConcurrent && !this.pumping) {
      const key = this.pool.pick(entry, null, this.cfg.strategy, now);
      if (key && this.gate.refusal() === null) return this.dispatch(entry, key, now);
    }
    const size = this.cfg.queue.size;
    if (!bypassSize && this.queue.size >= size) {
      if (this.host.emitter.has('queue.full')) this.host.emitter.emit('queue.full', { depth: this.queue.size, size });
      return settleError(this, entry, new QueueFullError(this.queue.size, size));
    }
    entry.phase = 'queued';
    this.queue.push(entry, now, this.cfg.queue.agingMs);
    if (this.host.emitter.has('request.queued')) this.host.emitter.emit('request.queued', { requestId: entry.requestId, priority: LEVEL_NAMES[entry.level]!, depth: this.queue.size });
    this.pump();
  }

  /** Fills free concurrency: requests waiting for a key first (they hold a slot), then the queue. */
  pump(): void {
    if (this.pumping) return void (this.pumpAgain = true);
    this.pumping = true;
    try {
      do {
        this.pumpAgain = false;
        this.pumpOnce();
      } while (this.pumpAgain);
    } finally {
      this.pumping = false;
    }
  }

  private pumpOnce(): void {
    const now = this.host.clock.now();
    while (this.keyWaiters.length > 0) {
      const waiter = this.keyWaiters[0]!;
      const key = waiter.phase === 'settled' ? null : this.pool.pick(waiter, waiter.lastKeyName, this.cfg.strategy, now);
      if (!key && waiter.phase !== 'settled' && this.pool.anyUsable()) return this.wakeWhenBudget(waiter.tokens, now);
      this.keyWaiters.shift();
      if (key) this.dispatch(waiter, key, now);
      else settleError(this, waiter, noKeysError(waiter));
    }
    while (this.queue.size > 0 && this.inFlight < this.cfg.queue.maxConcurrent) {
      const refusal = this.gate.refusal();
      if (refusal) return this.rejectQueued(refusal);
      const entry = this.queue.peek()!;
      const key = this.pool.pick(entry, null, this.cfg.strategy, now);
      if (!key) return this.pool.anyUsable() ? this.wakeWhenBudget(entry.tokens, now) : this.rejectQueued(new NoKeysError());
      this.queue.remove(entry);
      this.dispatch(entry, key, now);
    }
  }

  /**
   * Sends `entry` on `key`: takes its concurrency slot (first dispatch only), asks the breaker gate
   * (a probe place when half-open), reserves the key, asks the shared budget when there is one.
   */
  private dispatch(entry: Entry, key: KeyRuntime, now: number): void {
    if (entry.dispatchedAt < 0) {
      entry.dispatchedAt = now;
      if (++this.inFlight > this.peakInFlight) this.peakInFlight = this.inFlight;
    }
    const secret = this.host.secret(key.name);
    if (secret === undefined) return this.awaitKey(entry, false); // the key was removed since the pick
    const passage = this.gate.enter();
    if (passage === 'refused') return settleError(this, entry, this.gate.refusal() ?? new ShutdownError());
    const probe = passage === 'probe';
    this.pool.reserve(key, entry.tokens, now);
    if (this.pool.shared === null) return sendAttempt(this, entry, key, secret, probe, null, now);
    awaitSharedGrant(this, entry, key, secret, probe);
  }

  /** A request holding its slot waits for a key (after a failover, a backoff, a shared refusal). */
  awaitKey(entry: Entry, front: boolean): void {
    if (!this.pool.anyUsable()) return settleError(this, entry, noKeysError(entry));
    entry.phase = 'awaitingKey';
    void (front ? this.keyWaiters.unshift(entry) : this.keyWaiters.push(entry));
    this.pump();
  }

  /** No key can take the request now for want of budget: one timer to the exact refill instant. */
  private wakeWhenBudget(tokens: number, now: number): void {
    const at = this.pool.wakeAt(tokens, now);
    if (at === null || (this.wake && this.wake.at <= at)) return;
    if (this.wake) this.host.clock.clearTimeout(this.wake.timer);
    this.wake = { at, timer: this.host.clock.setTimeout(() => ((this.wake = null), this.pump()), at - now) };
  }

  /**
   * A lease on `keyName` was released (here or on another instance): the first request waiting for
   * one asks again now instead of at the lease's expiry. One per release (a release frees one
   * place), or `all` when the key's first answer ended its probing.
   */
  wakeShared(keyName: string, all = false): void {
    for (const [timer, w] of this.sharedWaits) {
      if (w.keyName !== keyName) continue;
      this.host.clock.clearTimeout(timer);
      this.sharedWaits.delete(timer);
      if (w.entry.phase !== 'awaitingKey') continue;
      this.awaitKey(w.entry, true);
      if (!all) return;
    }
  }

  /** Whether a new attempt could start now (the batcher's "nothing to batch with"). */
  hasFreeSlot(): boolean {
    return this.inFlight < this.cfg.queue.maxConcurrent && this.queue.size === 0 && this.keyWaiters.length === 0;
  }

  rejectQueued(error: SwitchboardError): void {
    for (const entry of this.queue.drain()) settleError(this, entry, error);
  }

  /** Called by settlement when no request is left: let the process exit, wake `whenIdle`. */
  becameIdle(): void {
    this.keepAlive.release();
    if (this.idleWaiters.length > 0) for (const w of this.idleWaiters.splice(0)) w();
  }

  whenIdle(): Promise<void> {
    return this.active.size === 0 ? Promise.resolve() : new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Rejects everything still collecting, queued or running with `SB_SHUTDOWN` (in-flight calls are aborted). */
  abortAll(): void {
    const error = new ShutdownError('supervisor stopped before the request finished');
    for (const m of this.batches.collecting()) settleError(this, m, error);
    this.rejectQueued(error);
    for (const entry of [...this.active]) settleError(this, entry, error);
  }

  dispose(): void {
    if (this.wake) this.host.clock.clearTimeout(this.wake.timer);
    this.wake = null;
    for (const t of this.sharedWaits.keys()) this.host.clock.clearTimeout(t);
    this.sharedWaits.clear();
    this.deadlines.dispose();
    this.attemptTimeouts.dispose();
    this.keepAlive.dispose();
  }
}
