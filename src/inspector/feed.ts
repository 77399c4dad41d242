import type { AnyActorRef, Subscription } from 'xstate';
import { publicText } from '../keys/redact.js';
import type { Router } from '../router/router.js';
import type { Board } from '../supervisor/index.js';
import type { Provider } from '../types.js';

/** One state change of one actor, as the inspector sends it: names and numbers, never a snapshot. */
export interface InspectorTransition {
  provider: Provider;
  /** The child's id under the supervisor: `breaker`, `key:<name>`, `batcher:<model>`, `retry:<requestId>`. */
  actor: string;
  /** Absent when the actor appeared (spawned, or seen for the first time). */
  from?: string;
  /** The new state; `removed` when a key slot went away, `stopped` when a retry ended unsettled. */
  to: string;
  /** Clock time, ms. */
  at: number;
  /** A few whitelisted context figures (failure count, wait, batch size …). */
  detail?: Record<string, string | number | null>;
}

interface Tracked {
  ref: AnyActorRef;
  sub: Subscription;
  state: string;
  detail: Record<string, string | number | null>;
}

const FINAL = new Set(['succeeded', 'failed']);

/** Context figures safe to show, per kind of actor (reasons are codes, scrubbed and cut anyway). */
function pickDetail(actor: string, context: Record<string, unknown> | undefined): Record<string, string | number | null> {
  if (!context) return {};
  const text = (v: unknown) => (typeof v === 'string' ? publicText(v).slice(0, 80) : null);
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
  if (actor === 'breaker') return { failureCount: num(context.failureCount), trips: num(context.trips) };
  if (actor.startsWith('key:')) return { untilMs: num(context.untilMs), reason: text(context.reason) };
  if (actor.startsWith('batcher:')) return { pending: num(context.count), reason: text(context.reason) };
  if (actor.startsWith('retry:')) return { retries: num(context.retries), delayMs: num(context.delayMs), reason: text(context.reason) };
  return {};
}

const valueOf = (snapshot: { value?: unknown }): string => (typeof snapshot.value === 'string' ? snapshot.value : JSON.stringify(snapshot.value ?? null));

/**
 * Follows every actor of one board: the root's snapshots tell when children come and go (a batcher
 * spawned, a retry started or stopped, a key replaced); each child's snapshots tell its state.
 * Only a change of state value is reported, so a breaker counting failures costs a string compare.
 */
export class BoardTracker {
  readonly children = new Map<string, Tracked>();
  private readonly rootSub: Subscription;
  private closed = false;

  constructor(
    readonly provider: Provider,
    readonly board: Board,
    private readonly now: () => number,
    private readonly emit: (t: InspectorTransition) => void,
  ) {
    this.sync(false);
    this.rootSub = board.actor.subscribe({
      next: () => this.sync(true),
      error: () => this.close(),
      complete: () => this.close(),
    });
  }

  /** Live retry actors by state (they are not in `board.state()`). */
  retries(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [id, t] of this.children) if (id.startsWith('retry:')) out[t.state] = (out[t.state] ?? 0) + 1;
    return out;
  }

  private sync(announce: boolean): void {
    if (this.closed) return;
    const children = this.board.actor.getSnapshot().children as Record<string, AnyActorRef | undefined>;
    for (const [id, ref] of Object.entries(children)) {
      if (!ref) continue;
      const known = this.children.get(id);
      if (known?.ref === ref) continue;
      if (known) known.sub.unsubscribe();
      this.track(id, ref, announce, known?.state);
    }
    for (const [id, t] of this.children) {
      if (children[id]) continue;
      t.sub.unsubscribe();
      this.children.delete(id);
      if (id.startsWith('key:')) this.emit({ provider: this.provider, actor: id, from: t.state, to: 'removed', at: this.now() });
      else if (id.startsWith('retry:') && !FINAL.has(t.state)) this.emit({ provider: this.provider, actor: id, from: t.state, to: 'stopped', at: this.now() });
    }
  }

  private track(id: string, ref: AnyActorRef, announce: boolean, previous: string | undefined): void {
    const snap = ref.getSnapshot() as { value?: unknown; context?: Record<string, unknown> };
    const entry: Tracked = { ref, sub: { unsubscribe() {} }, state: valueOf(snap), detail: pickDetail(id, snap.context) };
    this.children.set(id, entry);
    if (announce) {
      this.emit({ provider: this.provider, actor: id, ...(previous !== undefined ? { from: previous } : {}), to: entry.state, at: this.now(), detail: entry.detail });
    }
    entry.sub = ref.subscribe({
      next: (s: { value?: unknown; context?: Record<string, unknown> }) => {
        const to = valueOf(s);
        entry.detail = pickDetail(id, s.context);
        if (to === entry.state) return;
        const from = entry.state;
        entry.state = to;
        this.emit({ provider: this.provider, actor: id, from, to, at: this.now(), detail: entry.detail });
      },
      error: () => {},
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.rootSub.unsubscribe();
    for (const t of this.children.values()) t.sub.unsubscribe();
    this.children.clear();
  }
}

/** The throttled summary: `router.state()` plus the breaker's figures, retry actors and a few totals. */
export function summarize(router: Router, trackers: Map<Provider, BoardTracker>, now: number): Record<string, unknown> {
  const providers: Record<string, unknown> = {};
  for (const [name, board] of router.boards) {
    const state = board.state();
    const report = board.report();
    const tracker = trackers.get(name);
    providers[name] = {
      ...state,
      breakerDetail: { failureCount: report.circuitBreaker.failureCount, trips: report.circuitBreaker.trips, resetTimeoutMs: report.circuitBreaker.resetTimeoutMs, failureThreshold: report.circuitBreaker.failureThreshold },
      retries: tracker?.retries() ?? {},
      totals: {
        requests: report.summary.totalRequests, succeeded: report.summary.succeeded, failed: report.summary.failed,
        retries: report.summary.retries, p50LatencyMs: report.summary.p50LatencyMs, p95LatencyMs: report.summary.p95LatencyMs,
      },
      keyTotals: Object.fromEntries(Object.entries(report.keys).map(([k, v]) => [k, { attempts: v.attempts, rateLimited: v.rateLimited, failed: v.failed }])),
      errors: report.errors,
    };
  }
  return { now, providers };
}
