import { createParser } from 'eventsource-parser';
import { BadResponseError, ConfigError, StreamInterruptedError, SwitchboardError } from '../errors.js';
import type { KeyRuntime } from '../keys/key-runtime.js';
import { classifyBadBody, classifyResponse, classifyThrown } from '../policy/classify.js';
import { AttemptSignal } from '../transport/attempt-signal.js';
import type { HttpRequest, HttpResponse, StreamingTransport, StreamResponse } from '../transport/types.js';
import type { ParsedChat } from '../providers/types.js';
import type { RichChatReply, RichChatRequest } from '../types.js';
import type { Dispatcher } from './dispatcher.js';
import type { Attempt, ChatEntry, Entry, StreamEntry } from './entry.js';
import { chatReply, onFailure, onSuccess } from './outcome.js';
import { coolIfSpent } from './reactions.js';
import { settleError } from './settlement.js';

export const ATTEMPT_TIMEOUT = new Error('attempt timeout');

/** Read after an await: the request may have settled meanwhile (TypeScript's narrowing cannot know). */
const isSettled = (entry: Entry): boolean => entry.phase === 'settled';

/**
 * The attempt handler (undici's dispatcher → handler split): one HTTP attempt of an entry on a
 * key that was picked and reserved, plain or streamed; its answer goes to the outcome handlers.
 * The key's place and the breaker's probe place are taken before this is called.
 */
export function sendAttempt(d: Dispatcher, entry: Entry, key: KeyRuntime, secret: string, probe: boolean, lease: unknown, now: number = d.host.clock.now()): void {
  entry.attempts++;
  entry.lastKeyName = key.name;
  entry.phase = 'inFlight';
  let request: HttpRequest;
  try {
    request = buildRequest(d, entry, secret);
  } catch (error) {
    // The request cannot be put on the wire (no translation, a value JSON cannot encode): no
    // attempt was made, and it is the caller's request that is wrong.
    entry.attempts--;
    d.pool.release(key, entry.tokens);
    d.pool.shared?.settle(lease, 0);
    d.gate.released(probe);
    const bad = error instanceof SwitchboardError ? error : new ConfigError(`the request cannot be encoded: ${(error as Error)?.message ?? error}`, 'request');
    return settleError(d, entry, bad);
  }
  const ctl = new AttemptSignal();
  const parentSpan = entry.kind === 'batch' ? entry.slices[0]?.member.span : entry.span;
  const span = parentSpan ? parentSpan.attempt(key.name, entry.attempts) : null;
  const attempt: Attempt = { key, ctl, timer: null, timedOut: false, probe, lease, span };
  entry.attempt = attempt;
  attempt.timer = d.attemptTimeouts.add(entry, d.cfg.timeoutMs, now);
  if (d.host.emitter.has('request.dispatched')) d.host.emitter.emit('request.dispatched', { requestId: entry.requestId, keyName: key.name, attempt: entry.attempts });
  if (entry.kind === 'stream') {
    void runStream(d, entry, attempt, request);
    return;
  }
  let call: Promise<HttpResponse>;
  try {
    call = d.host.transport(request, ctl.signal);
  } catch (error) {
    call = Promise.reject(error);
  }
  call.then(
    (res) => onAnswer(d, entry, attempt, res),
    (error) => onNoAnswer(d, entry, attempt, error),
  );
}

function buildRequest(d: Dispatcher, entry: Entry, secret: string): HttpRequest {
  const ctx = { baseUrl: d.host.baseUrl, secret, requestId: entry.requestId };
  if (entry.kind === 'chat') return d.host.adapter.buildChat(entry.chat as RichChatRequest, ctx);
  if (entry.kind === 'stream') return d.host.adapter.buildChatStream(entry.chat as RichChatRequest, ctx);
  return d.host.adapter.buildEmbed(entry.model, entry.inputs, ctx);
}

/** The attempt timeout fired: abort the call (its failure is then classified as a timeout). */
export function onAttemptTimeout(entry: Entry): void {
  const attempt = entry.attempt;
  if (!attempt) return;
  attempt.timer = null;
  attempt.timedOut = true;
  attempt.ctl.abort(ATTEMPT_TIMEOUT);
}

/**
 * Ends the attempt: frees the key's place (the shared lease is settled with `usedTokens`). False
 * when the entry no longer waits for this attempt (it settled, or moved on to another).
 */
function endAttempt(d: Dispatcher, entry: Entry, attempt: Attempt, usedTokens: number, status: number | null): boolean {
  d.pool.release(attempt.key, entry.tokens);
  if (attempt.span !== null) {
    attempt.span.end(status, status === null ? (attempt.timedOut ? 'attempt timeout' : 'no answer') : undefined);
    attempt.span = null;
  }
  if (attempt.lease !== null) d.pool.shared?.settle(attempt.lease, usedTokens);
  d.attemptTimeouts.cancel(attempt.timer);
  attempt.timer = null;
  if (entry.attempt !== attempt) return false;
  entry.attempt = null;
  return true;
}

function onAnswer(d: Dispatcher, entry: Entry, attempt: Attempt, res: HttpResponse): void {
  const key = attempt.key;
  const ok = res.status >= 200 && res.status < 300;
  // A 2xx the request still waits for is parsed first: a chat whose caller asked for its reply
  // early (the gateway) gets it now, before the books below are written (src/supervisor/early-reply.ts).
  let parsed: unknown;
  let bad: unknown = null;
  let early: RichChatReply | null = null;
  if (ok && entry.attempt === attempt && entry.phase !== 'settled') {
    try {
      parsed = entry.kind === 'chat' ? d.host.adapter.parseChat(res) : d.host.adapter.parseEmbed(res, (entry as { inputs: string[] }).inputs.length);
    } catch (error) {
      bad = error;
    }
    if (bad === null && entry.kind === 'chat' && entry.onReply !== null) early = replyEarly(d, entry, key, parsed as ParsedChat, res.body);
  }
  const now = d.host.clock.now();
  const mine = endAttempt(d, entry, attempt, entry.tokens, res.status);
  const budget = d.host.adapter.rateLimit(res.headers, now);
  d.pool.readBudget(key, budget);
  if (budget) coolIfSpent(d, key, now);
  if (!mine || entry.phase === 'settled') return abandoned(d, attempt);
  if (!ok) return onFailure(d, entry, attempt, classifyResponse(res, d.host.adapter, now, key.name));
  if (bad !== null) {
    const error = bad instanceof BadResponseError ? bad : new BadResponseError(String((bad as Error)?.message ?? bad), res.status);
    return onFailure(d, entry, attempt, classifyBadBody(error, res.headers));
  }
  onSuccess(d, entry, attempt, parsed, early, now);
}

/** Hands a chat's reply to its hook (once); a hook that throws is the caller's bug, logged, and the request goes on. */
function replyEarly(d: Dispatcher, entry: ChatEntry, key: KeyRuntime, p: ParsedChat, rawText: string): RichChatReply {
  const reply = chatReply(d, entry, key, p);
  const hook = entry.onReply!;
  entry.onReply = null;
  try {
    hook(reply, rawText);
  } catch (error) {
    d.host.logger?.warn?.({ err: String((error as Error)?.message ?? error) }, 'switchboard: the reply hook threw');
  }
  return reply;
}

function onNoAnswer(d: Dispatcher, entry: Entry, attempt: Attempt, error: unknown): void {
  const timedOut = attempt.timedOut && attempt.ctl.signal.reason === ATTEMPT_TIMEOUT;
  if (!endAttempt(d, entry, attempt, 0, null) || entry.phase === 'settled') return abandoned(d, attempt);
  onFailure(d, entry, attempt, classifyThrown(error, timedOut));
}

/** An attempt whose request already settled (aborted, timed out, stopped): free its probe place. */
function abandoned(d: Dispatcher, attempt: Attempt): void {
  d.gate.released(attempt.probe);
  d.pump();
}

/**
 * One streamed attempt (docs/ARCHITECTURE.md §11). A non-2xx answer is read whole and classified like any
 * other. On a 2xx, events are parsed as they arrive and handed to the caller; a failure before
 * the first chunk reached the caller is retried like any failed attempt, after it the request ends
 * with `SB_STREAM_INTERRUPTED` and the partial text. The attempt timeout is an idle timeout here:
 * re-armed on every piece of the body, so a hung stream is caught and a long one is not cut.
 */
async function runStream(d: Dispatcher, entry: StreamEntry, attempt: Attempt, request: HttpRequest): Promise<void> {
  const transport = d.host.transport as StreamingTransport;
  let res: StreamResponse;
  try {
    if (!transport.stream) throw new ConfigError('the transport cannot stream', 'transport');
    res = await transport.stream(request, attempt.ctl.signal);
  } catch (error) {
    return onNoAnswer(d, entry, attempt, error);
  }
  if (res.status < 200 || res.status >= 300) {
    let text = '';
    try {
      for await (const piece of res.body) text += piece;
    } catch (error) {
      return onNoAnswer(d, entry, attempt, error);
    }
    return onAnswer(d, entry, attempt, { status: res.status, headers: res.headers, body: text });
  }
  d.pool.readBudget(attempt.key, d.host.adapter.rateLimit(res.headers, d.host.clock.now()));
  const parser = d.host.adapter.streamParser();
  let failure: unknown = null;
  const sse = createParser({
    onEvent: (ev) => {
      if (failure !== null || entry.phase === 'settled') return;
      try {
        for (const chunk of parser.push({ event: ev.event, data: ev.data })) {
          entry.delivered = true;
          entry.partial += chunk.delta;
          if (chunk.usage) entry.streamUsage = chunk.usage;
          entry.stream.push(chunk);
        }
      } catch (error) {
        failure = error;
      }
    },
  });
  try {
    for await (const piece of res.body) {
      if (entry.phase === 'settled') break;
      d.attemptTimeouts.cancel(attempt.timer);
      attempt.timer = null;
      sse.feed(piece);
      if (failure !== null || parser.done) break;
      // Backpressure: a caller this far behind pauses the upstream read (the socket fills, the
      // provider waits). No idle timer meanwhile: a slow caller is not a hung provider, and the
      // gateway's write timeout cuts a stalled client (leaving the loop aborts this attempt).
      if (entry.stream.full) {
        await entry.stream.whenDrained();
        if (isSettled(entry)) break;
      }
      attempt.timer = d.attemptTimeouts.add(entry, d.cfg.timeoutMs);
    }
  } catch (error) {
    failure ??= error;
  }
  if (failure === null && !parser.done && entry.phase !== 'settled') failure = new BadResponseError('the stream ended before its end marker', res.status);
  if (entry.phase === 'settled' || failure === null) {
    const used = entry.streamUsage ? entry.streamUsage.inputTokens + entry.streamUsage.outputTokens : entry.tokens;
    if (!endAttempt(d, entry, attempt, used, res.status) || entry.phase === 'settled') return abandoned(d, attempt);
    return onSuccess(d, entry, attempt, { text: entry.partial, usage: entry.streamUsage });
  }
  if (!entry.delivered) return onNoAnswer(d, entry, attempt, failure);
  const timedOut = attempt.timedOut && attempt.ctl.signal.reason === ATTEMPT_TIMEOUT;
  if (!endAttempt(d, entry, attempt, entry.tokens, null)) return;
  const classified = classifyThrown(failure, timedOut);
  if (d.host.metrics.enabled) d.host.metrics.attemptFinished(attempt.key.name, 'failed');
  d.gate.failed(attempt.probe, classified.breakerFailure, classified.breakerFailure ? classified.error : null);
  settleError(d, entry, new StreamInterruptedError(entry.partial, classified.error));
}
