import type { SwitchboardError } from '../errors.js';
import type { Dispatcher } from './dispatcher.js';
import type { Entry } from './entry.js';

/** No answer uses more tokens than this; a provider figure above it (or not a number) counts as none. */
const MAX_TOKENS = 1e9;
const OK = 'ok' as const;

/**
 * Settlement: every accepted request settles exactly once (docs/ARCHITECTURE.md §2) — here and only here. It
 * frees what the request held (deadline, signal listener, queue place, concurrency slot, attempt,
 * retry actor, batch place), counts it, tells the listeners and wakes the queue.
 */
export function settleOk(d: Dispatcher, entry: Entry, value: unknown, inputTokens: number, outputTokens: number, now: number = d.host.clock.now()): void {
  if (entry.phase === 'settled') return;
  release(d, entry);
  record(d, entry, OK, inputTokens, outputTokens, now);
  entry.span?.end(OK, entry.attempts, entry.lastKeyName);
  if (d.host.emitter.has('request.settled')) emitSettled(d, entry, OK);
  entry.resolve(value);
  afterSettle(d);
}

export function settleError(d: Dispatcher, entry: Entry, error: Error): void {
  if (entry.phase === 'settled') return;
  if (entry.kind === 'batch') {
    // A failed shared call fails each member still waiting on it.
    finishBatch(d, entry);
    for (const s of entry.slices) {
      s.member.attempts = Math.max(s.member.attempts, entry.attempts);
      settleError(d, s.member, error);
    }
    return;
  }
  release(d, entry);
  const code = (error as SwitchboardError).code ?? 'SB_PROVIDER';
  record(d, entry, code, 0, 0);
  entry.span?.end(code, entry.attempts, entry.lastKeyName);
  if (d.host.emitter.has('request.settled')) emitSettled(d, entry, code);
  entry.reject(error);
  afterSettle(d);
}

/** A request refused at admission: it held nothing, so it only counts, tells and rejects (the fail-fast path). */
export function settleRefused(d: Dispatcher, entry: Entry, error: SwitchboardError): void {
  entry.phase = 'settled';
  record(d, entry, error.code, 0, 0);
  entry.span?.end(error.code, entry.attempts, entry.lastKeyName);
  if (d.host.emitter.has('request.settled')) emitSettled(d, entry, error.code);
  entry.reject(error);
}

/** A batch entry is done (its members settle on their own): free its slot. */
export function finishBatch(d: Dispatcher, batch: Entry): void {
  if (batch.phase === 'settled') return;
  release(d, batch);
  d.batches.returned(batch.model);
  if (d.active.size === 0) d.becameIdle();
  d.pump();
}

function release(d: Dispatcher, entry: Entry): void {
  const was = entry.phase;
  entry.phase = 'settled';
  d.active.delete(entry);
  d.deadlines.cancel(entry.deadline);
  entry.deadline = null;
  if (entry.signal) d.signals.remove(entry.signal, entry);
  entry.signal = null;
  if (was === 'queued') d.queue.remove(entry);
  // A request holds its concurrency slot from its first dispatch until it settles (members never
  // hold one: their batch does).
  if (entry.dispatchedAt >= 0 && entry.kind !== 'member') d.inFlight--;
  if (entry.attempt) entry.attempt.ctl.abort(entry.lastError ?? new Error('request settled'));
  if (entry.retry) {
    d.host.stopRetry(entry.retry.id);
    entry.retry = null;
  }
  if (entry.kind === 'member') d.batches.leave(entry);
}

function afterSettle(d: Dispatcher): void {
  if (d.active.size === 0) d.becameIdle();
  d.pump();
}

/**
 * Counts a settled request. A request refused as invalid (`SB_CONFIG`) is not counted: it never was
 * a request to the provider (the router does not count it either). Token counts a provider gets
 * wrong (not finite) count as none rather than poisoning the totals.
 */
export function record(d: Dispatcher, entry: Entry, outcome: 'ok' | SwitchboardError['code'], inputTokens: number, outputTokens: number, now: number = d.host.clock.now()): void {
  const metrics = d.host.metrics;
  if (!metrics.enabled || entry.kind === 'batch' || outcome === 'SB_CONFIG') return;
  if (!(inputTokens >= 0 && inputTokens <= MAX_TOKENS)) inputTokens = 0;
  if (!(outputTokens >= 0 && outputTokens <= MAX_TOKENS)) outputTokens = 0;
  const wait = entry.dispatchedAt >= 0 ? entry.dispatchedAt - entry.createdAt : now - entry.createdAt;
  metrics.requestSettled(entry.requestId, entry.model, entry.level, outcome, entry.attempts, now - entry.createdAt, wait, entry.lastKeyName, inputTokens, outputTokens);
}

function emitSettled(d: Dispatcher, entry: Entry, outcome: string): void {
  d.host.emitter.emit('request.settled', { requestId: entry.requestId, outcome, attempts: entry.attempts, latencyMs: d.host.clock.now() - entry.createdAt });
}
