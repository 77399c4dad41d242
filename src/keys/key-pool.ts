import type { ActorRefFrom } from 'xstate';
import type { keySlotMachine } from '../../machines/key-slot.machine.js';
import type { RateLimitInfo } from '../providers/types.js';
import type { KeySpec } from '../supervisor/commands.js';
import type { Priority, StrategyFn, StrategyName } from '../types.js';
import { hasBudget, hasOwnBudget, isProbed, isUsable, keyState, localReadyAt, newKeyRuntime, PROBE_WINDOW_MS, type KeyRuntime } from './key-runtime.js';
import { pickCustom, STRATEGIES } from './strategies.js';

/**
 * A budget shared with other processes (src/shared/, docs/SCALE-OUT.md). The pool picks a key locally first — state, concurrency and the key's own buckets — and
 * only then, when a `SharedBudget` is configured, asks it for a grant:
 *
 * - `acquire(keyName, estimatedTokens)` answers at once (a local fast path, e.g. a lease still
 *   covering this request) or with a promise. `{ granted: true, lease }` lets the attempt go;
 *   `{ granted: false, waitMs }` gives the key back and the request waits `waitMs` (or takes
 *   another key that frees meanwhile). The request's deadline bounds the wait (`SB_TIMEOUT`).
 * - `settle(lease, usedTokens)` is called once per granted attempt when it ends, with the tokens
 *   the provider reported (the estimate when it reported none, 0 when the attempt got no answer).
 *
 * - `probe`: the attempt holds a local half-open probe place; the shared breaker must grant one too
 *   (`refusal: 'circuitOpen'` when it does not). `refusal: 'failClosed'`: the shared budget cannot
 *   answer and must not be overspent (`SB_NO_KEYS`). `concurrency`: the wait is for a lease held
 *   elsewhere (a release wakes it early, see `Dispatcher.wakeShared`).
 * - `observe(keyName, budget)` sees every answer's rate-limit headers.
 *
 * It is called from `Dispatcher.dispatch` (src/supervisor/dispatcher.ts), through
 * `KeyPool.acquireShared`. With no `SharedBudget` the path stays synchronous, as fast as before.
 */
export interface SharedBudget {
  acquire(keyName: string, estimatedTokens: number, probe: boolean): SharedGrant | Promise<SharedGrant>;
  settle(lease: unknown, usedTokens: number): void;
  observe?(keyName: string, budget: RateLimitInfo | null): void;
  /** True while the shared budget paces by the provider's headers (false: degraded, this instance's own view applies). */
  pacesHeaders?(): boolean;
}

export type SharedGrant =
  | { granted: true; lease: unknown }
  | { granted: false; waitMs: number; refusal?: 'circuitOpen' | 'failClosed'; concurrency?: boolean };

type Slot = ActorRefFrom<typeof keySlotMachine>;

/** What a pick needs to know of the request. */
export interface PickRequest {
  model: string;
  level: 0 | 1 | 2;
  tokens: number;
}

const PRIORITY_NAMES = ['high', 'normal', 'low'] as const;

/**
 * The keys of one board (docs/ARCHITECTURE.md §1 "Plain code holds the counting"): pick, reserve, release,
 * budgets. Which keys exist, their `maxConcurrent` and limits come from the supervisor's snapshot
 * (`sync`); whether a key may be used is its slot machine's state; the counters are plain fields.
 */
export class KeyPool {
  readonly keys: KeyRuntime[] = [];
  /** Set by `useShared`; null: nothing shared (the default, and the unchanged fast path). */
  shared: SharedBudget | null = null;
  private readonly cursor = { next: 0 };
  private budgetCheck: (key: KeyRuntime, now: number, tokens: number) => boolean = hasBudget;
  // The predicate strategies call, made once: the instant and token estimate of the pick at hand
  // sit in fields, so a pick allocates no closure.
  private pickAt = 0;
  private pickTokens = 0;
  private readonly canTake = (k: KeyRuntime): boolean =>
    k.inFlight < k.maxConcurrent && keyState(k) === 'ready' && this.budgetCheck(k, this.pickAt, this.pickTokens);

  constructor(private readonly onStrategyError: (error: unknown) => void) {}

  /**
   * Shares the keys' budgets with other instances. The provider's headers then pace through the
   * shared budget (a continuously refilling bucket across all instances, exact waits) instead of
   * this instance's view of them (which waits for a whole reset and knows only its own requests) —
   * except while the shared budget is degraded, when this instance's own header pacing is back.
   */
  useShared(shared: SharedBudget): void {
    this.shared = shared;
    this.budgetCheck = (k, now, tokens) => (shared.pacesHeaders?.() ? hasOwnBudget(k, now, tokens) : hasBudget(k, now, tokens));
  }

  /**
   * Follows the supervisor's key set. A key re-added under the same name keeps its runtime (its
   * in-flight counters stay right) with a fresh slot and fresh budgets. Returns the keys whose slot
   * is new, for the caller to watch.
   */
  sync(specs: readonly KeySpec[], defaultMax: number, slotOf: (name: string) => Slot | undefined, now: number): KeyRuntime[] {
    const fresh: KeyRuntime[] = [];
    const next: KeyRuntime[] = [];
    for (const spec of specs) {
      const slot = slotOf(spec.name);
      if (!slot) continue;
      let key = this.keys.find((k) => k.name === spec.name);
      if (!key || key.slot !== slot) {
        const made = newKeyRuntime(spec.name, spec.maxConcurrent, defaultMax, spec.limits, slot, now);
        if (key) {
          made.inFlight = key.inFlight;
          made.inFlightTokens = key.inFlightTokens;
          Object.assign(key, made);
        } else key = made;
        fresh.push(key);
      }
      key.ownMax = spec.maxConcurrent;
      key.maxConcurrent = spec.maxConcurrent ?? defaultMax;
      key.index = next.length;
      next.push(key);
    }
    this.keys.length = 0;
    this.keys.push(...next);
    return fresh;
  }

  /** Whether any key can ever take a request again (else the request fails `SB_NO_KEYS` / `SB_AUTH`). */
  /**
   * The earliest instant a usable key is ready again: `now` when one is ready, else the end of the
   * shortest cooling; Infinity when every key is disabled or exhausted.
   */
  earliestReadyAt(now: number): number {
    let at = Infinity;
    for (const k of this.keys) {
      const snap = k.slot.getSnapshot();
      if (snap.value === 'ready') return now;
      if (snap.value === 'cooling') at = Math.min(at, snap.context.untilMs ?? now);
    }
    return at;
  }

  anyUsable(): boolean {
    for (const k of this.keys) if (isUsable(k)) return true;
    return false;
  }

  /**
   * A key for the request now, or null (wait). `preferred` (the key of the last attempt) goes first
   * when it can take it; then the strategy in force chooses among the keys able to take it.
   */
  pick(req: PickRequest, preferred: string | null, strategy: StrategyName | StrategyFn, now: number): KeyRuntime | null {
    this.pickAt = now;
    this.pickTokens = req.tokens;
    if (preferred !== null) {
      for (const k of this.keys) if (k.name === preferred && this.canTake(k)) return k;
    }
    if (typeof strategy === 'function') {
      const request = { model: req.model, priority: PRIORITY_NAMES[req.level] as Priority, estimatedTokens: req.tokens };
      return pickCustom(strategy, this.keys, this.canTake, request, now, this.onStrategyError);
    }
    return STRATEGIES[strategy](this.keys, this.canTake, this.cursor, now);
  }

  /** Takes the key's place and budget for one attempt. Returns true when it starts the key's probe. */
  reserve(key: KeyRuntime, tokens: number, now: number): boolean {
    const probe = key.inFlight === 0 && !isProbed(key);
    if (probe) key.probeStartedAt = now;
    key.inFlight++;
    key.inFlightTokens += tokens;
    key.rpm?.take(1, now);
    key.rpd?.take(1, now);
    key.tpm?.take(tokens, now);
    return probe;
  }

  /** Gives back the attempt's place (its budget is spent; `settleTokens` corrects the token estimate). */
  release(key: KeyRuntime, tokens: number): void {
    key.inFlight--;
    key.inFlightTokens -= tokens;
  }

  /** The provider reported `used` tokens for an attempt reserved at `estimated`: correct the bucket. */
  settleTokens(key: KeyRuntime, estimated: number, used: number, now: number): void {
    if (!key.tpm || !(used >= 0)) return;
    if (used < estimated) key.tpm.give(estimated - used, now);
    else if (used > estimated) key.tpm.take(used - estimated, now);
  }

  /** Every answer, success included, tells the key's remaining budget and its reset. */
  readBudget(key: KeyRuntime, budget: RateLimitInfo | null): void {
    if (this.shared?.observe) this.shared.observe(key.name, budget);
    // The key's first answer: its slot machine records that its budget is known (one event per key).
    if (!isProbed(key)) key.slot.send({ type: 'key.answered' });
    if (!budget) return;
    key.limitRequests = budget.limitRequests ?? key.limitRequests;
    key.remainingRequests = budget.remainingRequests;
    key.resetRequestsAt = budget.resetRequestsAt;
    key.limitTokens = budget.limitTokens ?? key.limitTokens;
    key.remainingTokens = budget.remainingTokens;
    key.resetTokensAt = budget.resetTokensAt;
  }

  /**
   * When a request of `tokens` that found no key could next get one from the keys' own clocks: the
   * earliest instant a ready key below its `maxConcurrent` has room in its buckets, or a fresh
   * key's probe window ends. Null when only a key event (a release, a slot turning ready) can help.
   */
  wakeAt(tokens: number, now: number): number | null {
    let at: number | null = null;
    for (const k of this.keys) {
      if (k.inFlight >= k.maxConcurrent || keyState(k) !== 'ready') continue;
      let t = localReadyAt(k, now, tokens);
      if (t <= now && k.inFlight > 0 && !isProbed(k)) t = k.probeStartedAt + PROBE_WINDOW_MS;
      if (t > now && (at === null || t < at)) at = t;
    }
    return at;
  }

  /** Asks the shared budget, when one is configured (see `SharedBudget`). */
  acquireShared(key: KeyRuntime, tokens: number, probe = false): SharedGrant | Promise<SharedGrant> {
    return this.shared ? this.shared.acquire(key.name, tokens, probe) : GRANTED;
  }
}

const GRANTED: SharedGrant = { granted: true, lease: null };
