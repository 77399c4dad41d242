import { AuthError, NoKeysError, RetriesExhaustedError, type SwitchboardError } from '../errors.js';
import { isUsable, keyState, type KeyRuntime } from '../keys/key-runtime.js';
import type { AttemptFailure } from '../policy/classify.js';
import { msUntilPacificMidnight } from '../policy/pacific.js';
import { coolingMs, decide } from '../policy/retry-policy.js';
import type { ParsedChat } from '../providers/types.js';
import type { EmbedReply, RichChatReply, Usage } from '../types.js';
import type { Dispatcher } from './dispatcher.js';
import type { Attempt, Entry } from './entry.js';
import { settleError, settleOk } from './settlement.js';

/**
 * A successful attempt: tell the breaker (only when that changes something), then settle. `early`:
 * the chat reply already built and handed to the request's reply hook (attempt.ts), settled as it is.
 */
export function onSuccess(d: Dispatcher, entry: Entry, attempt: Attempt, parsed: unknown, early: RichChatReply | null = null, now: number = d.host.clock.now()): void {
  const key = attempt.key;
  d.gate.succeeded(attempt.probe);
  if (d.host.metrics.enabled) d.host.metrics.attemptFinished(key.name, 'ok');
  entry.retry?.ref.send({ type: 'attempt.succeeded' });
  switch (entry.kind) {
    case 'stream': {
      const u = (parsed as { usage: Usage | null }).usage;
      if (u) d.pool.settleTokens(key, entry.tokens, u.inputTokens + u.outputTokens, now);
      return settleOk(d, entry, parsed, u?.inputTokens ?? 0, u?.outputTokens ?? 0, now);
    }
    case 'batch':
      return d.batches.settle(entry, key, parsed as { embeddings: number[][]; usage: { inputTokens: number } | null });
    case 'chat': {
      const p = parsed as ParsedChat;
      if (p.usage) d.pool.settleTokens(key, entry.tokens, p.usage.inputTokens + p.usage.outputTokens, now);
      return settleOk(d, entry, early ?? chatReply(d, entry, key, p), p.usage?.inputTokens ?? 0, p.usage?.outputTokens ?? 0, now);
    }
    default: {
      const e = parsed as { embeddings: number[][]; usage: EmbedReply['usage'] };
      const reply: EmbedReply = {
        requestId: entry.requestId, provider: d.host.adapter.provider, model: entry.model, embeddings: e.embeddings,
        usage: e.usage, keyName: key.name, attempts: entry.attempts, batched: false,
      };
      return settleOk(d, entry, reply, e.usage?.inputTokens ?? 0, 0, now);
    }
  }
}

/** The reply to a chat, from the parsed answer. */
export function chatReply(d: Dispatcher, entry: Entry, key: KeyRuntime, p: ParsedChat): RichChatReply {
  const reply: RichChatReply = {
    id: p.id, requestId: entry.requestId, provider: d.host.adapter.provider, model: p.model || entry.model, text: p.text,
    finishReason: p.finishReason, usage: p.usage, keyName: key.name, attempts: entry.attempts, raw: p.raw,
  };
  if (p.toolCalls && p.toolCalls.length > 0) reply.toolCalls = p.toolCalls;
  return reply;
}

/**
 * A failed attempt: the breaker and the key slot are told what happened (each decides its own
 * state), the retry policy says retry / failover / fail, and the retry machine's guard decides
 * whether a retry is still allowed.
 */
export function onFailure(d: Dispatcher, entry: Entry, attempt: Attempt, failure: AttemptFailure): void {
  const key = attempt.key;
  const now = d.host.clock.now();
  if (d.host.metrics.enabled) d.host.metrics.attemptFinished(key.name, failure.kind === 'rateLimited' ? 'rateLimited' : 'failed');
  entry.lastError = failure.error;
  d.gate.failed(attempt.probe, failure.breakerFailure, failure.status !== null || failure.breakerFailure ? failure.error : null);
  if (entry.phase === 'settled') return d.pump();
  const retries = entry.retry ? entry.retry.ref.getSnapshot().context.retries : 0;
  if (failure.kind === 'invalidKey') key.slot.send({ type: 'key.invalid', reason: failure.status === 401 ? 'status_401' : 'API_KEY_INVALID' });
  else if (failure.kind === 'quotaExhausted') {
    const wait = failure.retryAfterMs ?? msUntilPacificMidnight(now);
    key.slot.send({ type: 'key.quotaExhausted', untilMs: now + wait, waitMs: wait, reason: 'daily_quota' });
  } else if (failure.kind === 'rateLimited') {
    const wait = coolingMs(failure, retries, d.cfg.retry, d.host.random);
    key.slot.send({ type: 'key.rateLimited', untilMs: now + wait, waitMs: wait, reason: 'status_429' });
    // Every key cools until past this request's deadline: waiting would only end in SB_TIMEOUT, so
    // give up now with the 429 as cause, leaving the time to a fallback (the router's regular group).
    if (d.pool.earliestReadyAt(now) > entry.createdAt + entry.timeoutMs) return settleError(d, entry, new RetriesExhaustedError(entry.attempts, failure.error));
  }
  const otherReady = d.pool.keys.some((k) => k !== key && keyState(k) === 'ready');
  const decision = decide(failure, retries, d.cfg.retry, d.host.random, otherReady);
  switch (decision.action) {
    case 'failover': {
      const none: SwitchboardError = failure.kind === 'invalidKey'
        ? new AuthError(key.name, failure.error)
        : new NoKeysError(`every key's quota is exhausted (last: "${key.name}")`);
      if (!d.pool.anyUsable()) return settleError(d, entry, none);
      return d.awaitKey(entry, true);
    }
    case 'fail':
      if (entry.kind === 'batch' && failure.status === 400 && entry.slices.length > 1) return d.batches.bisect(entry);
      return settleError(d, entry, failure.error);
    case 'retry':
      return retry(d, entry, decision.delayMs, failure);
  }
}

/** Hands the failure to the request's retry machine (spawned on the first one); its guard decides. */
function retry(d: Dispatcher, entry: Entry, delayMs: number, failure: AttemptFailure): void {
  if (!entry.retry) entry.retry = d.host.spawnRetry(entry, (sleptMs) => onRetryStart(d, entry, sleptMs));
  const ref = entry.retry.ref;
  entry.phase = 'backingOff';
  ref.send({ type: 'attempt.failed', retryable: true, delayMs, reason: failure.reason });
  if (ref.getSnapshot().value === 'failed') return settleError(d, entry, new RetriesExhaustedError(entry.attempts, failure.error));
  if (d.host.metrics.enabled) d.host.metrics.retryScheduled(failure.reason);
  if (d.host.emitter.has('request.retrying')) {
    d.host.emitter.emit('request.retrying', { requestId: entry.requestId, attempt: entry.attempts + 1, delayMs, reason: failure.reason });
  }
}

/** The retry machine's backoff ended: the next attempt, on the same key when it can take it. */
function onRetryStart(d: Dispatcher, entry: Entry, sleptMs: number): void {
  if (entry.phase !== 'backingOff') return;
  if (sleptMs > 0 && d.host.metrics.enabled) d.host.metrics.backoffSlept(sleptMs);
  const refusal = d.gate.refusal();
  if (refusal) return settleError(d, entry, refusal);
  d.awaitKey(entry, false);
}

/** No usable key is left for a request that needs one: `SB_AUTH` after an invalid key, else `SB_NO_KEYS`. */
export function noKeysError(entry: Entry): SwitchboardError {
  const last = entry.lastError as (Error & { status?: number }) | null;
  return last instanceof AuthError || last?.status === 401 ? new AuthError(entry.lastKeyName ?? '?', last ?? undefined) : new NoKeysError();
}

export { isUsable };
