import { createParser } from 'eventsource-parser';
import type { ActorRefFrom } from 'xstate';
import type { batcherMachine } from '../../machines/batcher.machine.js';
import type { circuitBreakerMachine } from '../../machines/circuit-breaker.machine.js';
import type { retryMachine } from '../../machines/retry.machine.js';
import {
  AbortedError,
  AuthError,
  BadResponseError,
  CircuitOpenError,
  ConfigError,
  NoKeysError,
  ProviderError,
  QueueFullError,
  RetriesExhaustedError,
  ShutdownError,
  StreamInterruptedError,
  SwitchboardError,
  TimeoutError,
} from '../errors.js';
import { budgetRefillAt, hasBudget, PROBE_WINDOW_MS, type KeyRuntime } from '../keys/key-runtime.js';
import { STRATEGIES } from '../keys/strategies.js';
import type { MetricsRecorder } from '../metrics/types.js';
import { backoffDelay } from '../policy/backoff.js';
import { classifyBadBody, classifyResponse, classifyThrown, type AttemptFailure } from '../policy/classify.js';
import type { ParsedChat, ProviderAdapter } from '../providers/types.js';
import type { ResolvedConfig } from '../options.js';
import { PriorityQueue } from '../queue/priority-queue.js';
import { Timeouts } from '../queue/timeouts.js';
import { AttemptSignal } from '../transport/attempt-signal.js';
import type { HttpRequest, HttpResponse, StreamingTransport, StreamResponse, Transport } from '../transport/types.js';
import type { BreakerState, ChatChunk, Clock, EmbedReply, RichChatReply, RichChatRequest } from '../types.js';
import type { Emitter } from './emitter.js';
import { extra, LEVEL_NAMES, newEntry, type BatchSlice, type Entry } from './entry.js';
import { SignalWatch } from './signals.js';

/** What the dispatcher needs from the board around it (the actor system and the secret store). */
export interface DispatcherHost {
  clock: Clock;
  random: () => number;
  adapter: ProviderAdapter;
  baseUrl: string;
  transport: Transport;
  emitter: Emitter;
  metrics: MetricsRecorder;
  secret(name: string): string | undefined;
  breaker(): ActorRefFrom<typeof circuitBreakerMachine>;
  spawnRetry(entry: Entry, delayMs: number, reason: string): ActorRefFrom<typeof retryMachine>;
  stopRetry(entry: Entry): void;
  batcher(model: string): ActorRefFrom<typeof batcherMachine>;
}

const ATTEMPT_TIMEOUT = new Error('attempt timeout');
/** No answer uses more tokens than this; a provider figure above it (or not a number) counts as none. */
const MAX_TOKENS = 1e9;
const OK = 'ok' as const;

/**
 * The hot path (DESIGN §1): admission, the queue, dispatch under the global and per-key limits, the
 * HTTP call, settlement. Plain code and counters; the machines are told only when something that
 * changes state happens (a failure, a 429, a 401, a spent budget, a batch window, a probe), so a
 * clean first-attempt success on a closed breaker sends no machine event at all.
 *
 * Longer than STYLE's 300 lines on purpose: every path a request can take through its life is
 * here, side by side, so "settles exactly once" can be read off one file.
 */
export class Dispatcher {
  cfg: ResolvedConfig;
  readonly queue = new PriorityQueue<Entry>();
  readonly keys: KeyRuntime[] = [];
  readonly active = new Set<Entry>();
  inFlight = 0;
  peakInFlight = 0;
  breakerState: BreakerState = 'closed';
  breakerFailures = 0;
  breakerTrips = 0;
  probesFree = 0;
  openedAt = 0;
  lastProviderError: Error | null = null;
  stopping = false;
  readonly batches = new Map<string, { members: Entry[]; ref: ActorRefFrom<typeof batcherMachine> }>();

  private readonly keyWaiters: Entry[] = [];
  private readonly cursor = { next: 0 };
  private readonly deadlines: Timeouts<Entry>;
  private readonly attemptTimeouts: Timeouts<Entry>;
  private readonly probeTimers = new Set<unknown>();
  private readonly signals = new SignalWatch((entry, signal) => this.settleError(entry, new AbortedError(signal.reason)));
  private pumping = false;
  private pumpAgain = false;
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly host: DispatcherHost,
    cfg: ResolvedConfig,
  ) {
    this.cfg = cfg;
    this.deadlines = new Timeouts(host.clock, (e) => this.settleError(e, new TimeoutError(e.timeoutMs, e.lastError ?? undefined)));
    this.attemptTimeouts = new Timeouts(host.clock, (e) => this.onAttemptTimeout(e));
  }

  // ── admission ────────────────────────────────────────────────────────────────────────────

  /** Admits a request; the returned promise settles exactly once. Admission errors reject, never throw. */
  submit(entry: Entry, signal: AbortSignal | undefined): Promise<unknown> {
    return new Promise((resolve, reject) => {
      entry.resolve = resolve;
      entry.reject = reject;
      const refusal = this.refusal(signal);
      if (refusal) {
        entry.settled = true;
        this.record(entry, refusal.code, 0, 0);
        reject(refusal);
        return;
      }
      this.active.add(entry);
      entry.deadline = this.deadlines.add(entry, entry.timeoutMs);
      if (signal) {
        entry.signal = signal;
        this.signals.add(signal, entry);
      }
      if (entry.kind === 'member') this.joinBatch(entry);
      else this.enqueue(entry, false);
    });
  }

  private refusal(signal: AbortSignal | undefined): SwitchboardError | null {
    if (this.stopping) return new ShutdownError();
    if (signal?.aborted) return new AbortedError(signal.reason);
    const gate = this.breakerGate();
    if (gate) return gate;
    if (!this.keys.some(isUsable)) return new NoKeysError();
    return null;
  }

  /** Null when the breaker lets a new attempt through; else the fail-fast error. */
  private breakerGate(): CircuitOpenError | null {
    switch (this.breakerState) {
      case 'closed':
      case 'disabled':
        return null;
      case 'halfOpen':
        return this.probesFree > 0 ? null : new CircuitOpenError(0, this.lastProviderError ?? undefined);
      case 'open':
        return new CircuitOpenError(Math.max(0, this.openedAt + this.cfg.circuitBreaker.resetTimeoutMs - this.host.clock.now()), this.lastProviderError ?? undefined);
      case 'forcedOpen':
        return new CircuitOpenError(this.cfg.circuitBreaker.resetTimeoutMs, this.lastProviderError ?? undefined);
    }
  }

  private enqueue(entry: Entry, bypassSize: boolean): void {
    if (this.queue.size === 0 && this.keyWaiters.length === 0 && this.inFlight < this.cfg.queue.maxConcurrent && !this.pumping) {
      const key = this.pickKey(entry, null);
      if (key && this.breakerGate() === null) {
        this.takeSlot(entry);
        this.sendAttempt(entry, key);
        return;
      }
    }
    if (!bypassSize && this.queue.size >= this.cfg.queue.size) {
      if (this.host.emitter.has('queue.full')) this.host.emitter.emit('queue.full', { depth: this.queue.size, size: this.cfg.queue.size });
      this.settleError(entry, new QueueFullError(this.queue.size, this.cfg.queue.size));
      return;
    }
    this.queue.push(entry, this.host.clock.now(), this.cfg.queue.agingMs);
    if (this.host.emitter.has('request.queued')) {
      this.host.emitter.emit('request.queued', { requestId: entry.requestId, priority: LEVEL_NAMES[entry.level]!, depth: this.queue.size });
    }
    this.pump();
  }

  // ── dispatch ─────────────────────────────────────────────────────────────────────────────

  /** Fills free concurrency: retries waiting for a key first (they hold a slot), then the queue. */
  pump(): void {
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
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
    while (this.keyWaiters.length > 0) {
      const waiter = this.keyWaiters[0]!;
      if (waiter.settled) {
        this.keyWaiters.shift();
        continue;
      }
      const key = this.pickKey(waiter, waiter.lastKeyName);
      if (!key) {
        if (!this.keys.some(isUsable)) this.failNoKeys(waiter);
        else break;
        continue;
      }
      this.keyWaiters.shift();
      if (this.breakerState === 'halfOpen' && this.probesFree <= 0) {
        this.settleError(waiter, this.breakerGate()!);
        continue;
      }
      this.sendAttempt(waiter, key);
    }
    while (this.queue.size > 0 && this.inFlight < this.cfg.queue.maxConcurrent) {
      const gate = this.breakerGate();
      if (gate) {
        this.rejectQueued(gate);
        return;
      }
      const entry = this.queue.peek()!;
      const key = this.pickKey(entry, null);
      if (!key) {
        if (!this.keys.some(isUsable)) this.rejectQueued(new NoKeysError());
        return;
      }
      this.queue.remove(entry);
      this.takeSlot(entry);
      this.sendAttempt(entry, key);
    }
  }

  private takeSlot(entry: Entry): void {
    entry.holdsSlot = true;
    entry.dispatchedAt = this.host.clock.now();
    if (++this.inFlight > this.peakInFlight) this.peakInFlight = this.inFlight;
  }

  // The predicate strategies call, made once: the instant and token estimate of the pick at hand
  // sit in fields, so a dispatch allocates no closure.
  private pickAt = 0;
  private pickTokens = 0;
  private readonly usable = (k: KeyRuntime): boolean =>
    k.state === 'ready' && k.inFlight < k.maxConcurrent && hasBudget(k, this.pickAt, this.pickTokens);

  private pickKey(entry: Entry, preferred: string | null): KeyRuntime | null {
    this.pickAt = this.host.clock.now();
    this.pickTokens = entry.tokens;
    if (preferred !== null) {
      for (const k of this.keys) if (k.name === preferred && this.usable(k)) return k;
    }
    return STRATEGIES[this.cfg.strategy](this.keys, this.usable, this.cursor, this.pickAt);
  }

  private sendAttempt(entry: Entry, key: KeyRuntime): void {
    const secret = this.host.secret(key.name);
    if (secret === undefined) {
      // The key was removed between the pick and now: go round again.
      this.waitForKey(entry);
      return;
    }
    entry.attempts++;
    entry.key = key;
    entry.lastKeyName = key.name;
    if (!key.probed && key.inFlight === 0) this.startProbe(key);
    key.inFlight++;
    key.inFlightTokens += entry.tokens;
    if (this.breakerState === 'halfOpen') {
      entry.isProbe = true;
      this.probesFree--;
      this.host.breaker().send({ type: 'probe.start' });
    }
    let request: HttpRequest;
    try {
      request = this.buildRequest(entry, secret);
    } catch (error) {
      // The request cannot be put on the wire (no translation, a value JSON cannot encode): no
      // attempt was made, and it is the caller's request that is wrong.
      this.endAttempt(entry, key);
      entry.attempts--;
      if (entry.isProbe) {
        entry.isProbe = false;
        this.releaseProbe();
      }
      const bad = error instanceof SwitchboardError ? error : new ConfigError(`the request cannot be encoded: ${(error as Error)?.message ?? error}`, 'request');
      this.settleError(entry, bad);
      return;
    }
    const ctl = new AttemptSignal();
    entry.ctl = ctl;
    entry.attemptTimedOut = false;
    entry.attemptTimer = this.attemptTimeouts.add(entry, this.cfg.timeoutMs);
    if (this.host.emitter.has('request.dispatched')) {
      this.host.emitter.emit('request.dispatched', { requestId: entry.requestId, keyName: key.name, attempt: entry.attempts });
    }
    if (entry.kind === 'stream') {
      void this.runStream(entry, key, ctl, request);
      return;
    }
    let call: Promise<HttpResponse>;
    try {
      call = this.host.transport(request, ctl.signal);
    } catch (error) {
      call = Promise.reject(error);
    }
    call.then(
      (res) => this.onAnswer(entry, key, ctl, res),
      (error) => this.onNoAnswer(entry, key, ctl, error),
    );
  }

  /** A fresh key's first request: others wait for its answer, or for the probe window to pass. */
  private startProbe(key: KeyRuntime): void {
    key.probeStartedAt = this.host.clock.now();
    const timer = this.host.clock.setTimeout(() => {
      this.probeTimers.delete(timer);
      this.pump();
    }, PROBE_WINDOW_MS);
    this.probeTimers.add(timer);
  }

  private buildRequest(entry: Entry, secret: string): HttpRequest {
    const ctx = { baseUrl: this.host.baseUrl, secret, requestId: entry.requestId };
    if (entry.kind === 'chat') return this.host.adapter.buildChat(entry.chat as RichChatRequest, ctx);
    if (entry.kind === 'stream') return this.host.adapter.buildChatStream(entry.chat as RichChatRequest, ctx);
    return this.host.adapter.buildEmbed(entry.model, entry.inputs!, ctx);
  }

  private onAttemptTimeout(entry: Entry): void {
    entry.attemptTimer = null;
    if (!entry.ctl) return;
    entry.attemptTimedOut = true;
    entry.ctl.abort(ATTEMPT_TIMEOUT);
  }

  /** Releases the attempt's key counters; true when the request still wants the outcome. */
  private endAttempt(entry: Entry, key: KeyRuntime, ctl?: AttemptSignal): boolean {
    if (ctl && entry.ctl !== ctl) return false;
    key.inFlight--;
    key.inFlightTokens -= entry.tokens;
    key.probed = true;
    entry.ctl = null;
    entry.key = null;
    this.attemptTimeouts.cancel(entry.attemptTimer);
    entry.attemptTimer = null;
    return true;
  }

  private onAnswer(entry: Entry, key: KeyRuntime, ctl: AttemptSignal, res: HttpResponse): void {
    if (!this.endAttempt(entry, key, ctl)) return;
    const now = this.host.clock.now();
    this.readBudget(key, res.headers, now);
    if (entry.settled) return this.afterAbandoned(entry);
    if (res.status >= 200 && res.status < 300) {
      let parsed: unknown;
      try {
        parsed = entry.kind === 'chat' ? this.host.adapter.parseChat(res) : this.host.adapter.parseEmbed(res, entry.inputs!.length);
      } catch (error) {
        const bad = error instanceof BadResponseError ? error : new BadResponseError(String((error as Error)?.message ?? error), res.status);
        return this.onFailure(entry, key, classifyBadBody(bad));
      }
      return this.onSuccess(entry, key, parsed);
    }
    this.onFailure(entry, key, classifyResponse(res, this.host.adapter, now, key.name));
  }

  /** Every answer, success included, tells the key's remaining budget and its reset. */
  private readBudget(key: KeyRuntime, headers: Record<string, string>, now: number): void {
    key.probed = true;
    const budget = this.host.adapter.rateLimit(headers, now);
    if (!budget) return;
    key.limitRequests = budget.limitRequests ?? key.limitRequests;
    key.remainingRequests = budget.remainingRequests;
    key.resetRequestsAt = budget.resetRequestsAt;
    key.limitTokens = budget.limitTokens ?? key.limitTokens;
    key.remainingTokens = budget.remainingTokens;
    key.resetTokensAt = budget.resetTokensAt;
    this.coolIfSpent(key, now);
  }

  /**
   * One streamed attempt (DESIGN §11). A non-2xx answer is read whole and classified like any
   * other. On a 2xx, events are parsed as they arrive and handed to the caller; a failure before
   * the first chunk reached the caller is retried like any failed attempt, after it the request ends
   * with `SB_STREAM_INTERRUPTED` and the partial text. The attempt timeout is an idle timeout here:
   * re-armed on every piece of the body, so a hung stream is caught and a long one is not cut.
   */
  private async runStream(entry: Entry, key: KeyRuntime, ctl: AttemptSignal, request: HttpRequest): Promise<void> {
    const transport = this.host.transport as StreamingTransport;
    let res: StreamResponse;
    try {
      if (!transport.stream) throw new ConfigError('the transport cannot stream', 'transport');
      res = await transport.stream(request, ctl.signal);
    } catch (error) {
      return this.onNoAnswer(entry, key, ctl, error);
    }
    if (res.status < 200 || res.status >= 300) {
      let text = '';
      try {
        for await (const piece of res.body) text += piece;
      } catch (error) {
        return this.onNoAnswer(entry, key, ctl, error);
      }
      return this.onAnswer(entry, key, ctl, { status: res.status, headers: res.headers, body: text });
    }
    this.readBudget(key, res.headers, this.host.clock.now());
    const x = extra(entry);
    const parser = this.host.adapter.streamParser();
    let failure: unknown = null;
    const sse = createParser({
      onEvent: (ev) => {
        if (failure !== null || entry.settled) return;
        try {
          for (const chunk of parser.push({ event: ev.event, data: ev.data })) this.deliver(entry, chunk);
        } catch (error) {
          failure = error;
        }
      },
    });
    try {
      for await (const piece of res.body) {
        if (entry.settled) break;
        this.attemptTimeouts.cancel(entry.attemptTimer);
        sse.feed(piece);
        if (failure !== null || parser.done) break;
        // Backpressure: a caller this far behind pauses the upstream read (the socket fills, the
        // provider waits). No idle timer meanwhile: a slow caller is not a hung provider, and the
        // gateway's write timeout cuts a stalled client (leaving the loop aborts this attempt).
        if (x.stream!.full) await x.stream!.whenDrained();
        if (entry.settled) break;
        entry.attemptTimer = this.attemptTimeouts.add(entry, this.cfg.timeoutMs);
      }
    } catch (error) {
      failure ??= error;
    }
    if (failure === null && !parser.done && !entry.settled) failure = new BadResponseError('the stream ended before its end marker', res.status);
    if (entry.settled || failure === null) {
      if (!this.endAttempt(entry, key, ctl)) return;
      if (entry.settled) return this.afterAbandoned(entry);
      const usage = x.streamUsage;
      return this.onSuccess(entry, key, { text: x.partial, usage });
    }
    if (!x.delivered) return this.onNoAnswer(entry, key, ctl, failure);
    const timedOut = entry.attemptTimedOut && ctl.signal.reason === ATTEMPT_TIMEOUT;
    if (!this.endAttempt(entry, key, ctl)) return;
    const classified = classifyThrown(failure, timedOut);
    if (this.host.metrics.enabled) this.host.metrics.attemptFinished(key.name, 'failed');
    if (entry.isProbe) {
      entry.isProbe = false;
      if (this.breakerState === 'halfOpen') this.host.breaker().send({ type: classified.breakerFailure ? 'probe.failed' : 'probe.released' });
    } else if (classified.breakerFailure && this.breakerState === 'closed') {
      this.host.breaker().send({ type: 'attempt.failed' });
    }
    this.settleError(entry, new StreamInterruptedError(x.partial, classified.error));
  }

  /** A chunk reaches the caller: from here on the stream is committed (no retry, no failover). */
  private deliver(entry: Entry, chunk: ChatChunk): void {
    const x = entry.x!;
    x.delivered = true;
    x.partial += chunk.delta;
    if (chunk.usage) x.streamUsage = chunk.usage;
    x.stream!.push(chunk);
  }

  private onNoAnswer(entry: Entry, key: KeyRuntime, ctl: AttemptSignal, error: unknown): void {
    const timedOut = entry.attemptTimedOut && ctl.signal.reason === ATTEMPT_TIMEOUT;
    if (!this.endAttempt(entry, key, ctl)) return;
    if (entry.settled) return this.afterAbandoned(entry);
    this.onFailure(entry, key, classifyThrown(error, timedOut));
  }

  /** An attempt whose request already settled (aborted, timed out, stopped): free what it held. */
  private afterAbandoned(entry: Entry): void {
    if (entry.isProbe) {
      entry.isProbe = false;
      this.releaseProbe();
    }
    this.pump();
  }

  private releaseProbe(): void {
    if (this.breakerState === 'halfOpen') this.host.breaker().send({ type: 'probe.released' });
  }

  /**
   * A key whose budget is spent (net of in-flight) cools until the budget refills: the 429 we avoid.
   * Answers still in flight may push the refill later; the cooling is then extended, so a key that
   * is `ready` but out of budget always has a timer that will wake the queue.
   */
  coolIfSpent(key: KeyRuntime, now: number): void {
    if (!key.actor || (key.state !== 'ready' && key.state !== 'cooling')) return;
    const at = budgetRefillAt(key, now, 0);
    if (at === null || (key.state === 'cooling' && key.untilMs !== null && key.untilMs >= at)) return;
    if (key.state === 'ready' && this.host.metrics.enabled) this.host.metrics.pacingAvoided();
    key.actor.send({ type: 'key.budgetSpent', untilMs: at, waitMs: at - now, reason: 'budget' });
  }

  // ── outcomes ─────────────────────────────────────────────────────────────────────────────

  private onSuccess(entry: Entry, key: KeyRuntime, parsed: unknown): void {
    if (entry.isProbe) {
      entry.isProbe = false;
      if (this.breakerState === 'halfOpen') this.host.breaker().send({ type: 'probe.succeeded' });
    } else if (this.breakerFailures > 0 && this.breakerState === 'closed') {
      this.host.breaker().send({ type: 'attempt.succeeded' });
    }
    if (this.host.metrics.enabled) this.host.metrics.attemptFinished(key.name, 'ok');
    entry.x?.retryActor?.send({ type: 'attempt.succeeded' });
    if (entry.kind === 'stream') {
      const u = (parsed as { usage: { inputTokens: number; outputTokens: number } | null }).usage;
      return this.settleOk(entry, parsed, u?.inputTokens ?? 0, u?.outputTokens ?? 0);
    }
    if (entry.kind === 'batch') return this.settleBatch(entry, key, parsed as { embeddings: number[][]; usage: { inputTokens: number } | null });
    if (entry.kind === 'chat') {
      const p = parsed as ParsedChat;
      const reply: RichChatReply = {
        id: p.id, requestId: entry.requestId, provider: this.host.adapter.provider, model: p.model || entry.model, text: p.text,
        finishReason: p.finishReason, usage: p.usage, keyName: key.name, attempts: entry.attempts, raw: p.raw,
      };
      if (p.toolCalls && p.toolCalls.length > 0) reply.toolCalls = p.toolCalls;
      return this.settleOk(entry, reply, p.usage?.inputTokens ?? 0, p.usage?.outputTokens ?? 0);
    }
    const e = parsed as { embeddings: number[][]; usage: EmbedReply['usage'] };
    this.settleOk(entry, {
      requestId: entry.requestId, provider: this.host.adapter.provider, model: entry.model, embeddings: e.embeddings,
      usage: e.usage, keyName: key.name, attempts: entry.attempts, batched: false,
    } satisfies EmbedReply, e.usage?.inputTokens ?? 0, 0);
  }

  private onFailure(entry: Entry, key: KeyRuntime, failure: AttemptFailure): void {
    const now = this.host.clock.now();
    if (this.host.metrics.enabled) this.host.metrics.attemptFinished(key.name, failure.kind === 'rateLimited' ? 'rateLimited' : 'failed');
    entry.lastError = failure.error;
    if (failure.status !== null || failure.breakerFailure) this.lastProviderError = failure.error;
    if (entry.isProbe) {
      entry.isProbe = false;
      if (this.breakerState === 'halfOpen') this.host.breaker().send({ type: failure.breakerFailure ? 'probe.failed' : 'probe.released' });
    } else if (failure.breakerFailure && this.breakerState === 'closed') {
      this.host.breaker().send({ type: 'attempt.failed' });
    }
    if (entry.settled) return this.pump();
    switch (failure.kind) {
      case 'invalidKey':
        key.actor?.send({ type: 'key.invalid', reason: failure.status === 401 ? 'status_401' : 'API_KEY_INVALID' });
        return this.failOver(entry, new AuthError(key.name, failure.error));
      case 'quotaExhausted': {
        const wait = failure.retryAfterMs ?? msUntilPacificMidnight(now);
        key.actor?.send({ type: 'key.quotaExhausted', untilMs: now + wait, waitMs: wait, reason: 'daily_quota' });
        return this.failOver(entry, new NoKeysError(`every key's quota is exhausted (last: "${key.name}")`));
      }
      case 'rateLimited': {
        const wait = failure.retryAfterMs ?? backoffDelay((entry.x?.retries ?? 0) + 1, this.cfg.retry, this.host.random);
        key.actor?.send({ type: 'key.rateLimited', untilMs: now + wait, waitMs: wait, reason: 'status_429' });
        const elsewhere = this.keys.some((k) => k !== key && isUsable(k) && k.state === 'ready');
        if (!elsewhere && failure.retryAfterMs !== null && failure.retryAfterMs > this.cfg.retry.maxRetryAfterMs) {
          return this.settleError(entry, failure.error);
        }
        // The cooling key holds the wait; the request moves at once to whichever key is ready.
        return this.retry(entry, 0, failure);
      }
      case 'retryable': {
        if (failure.retryAfterMs !== null && failure.retryAfterMs > this.cfg.retry.maxRetryAfterMs) return this.settleError(entry, failure.error);
        const wait = failure.retryAfterMs ?? backoffDelay((entry.x?.retries ?? 0) + 1, this.cfg.retry, this.host.random);
        return this.retry(entry, wait, failure);
      }
      case 'fatal':
        if (entry.kind === 'batch' && failure.status === 400 && entry.x!.slices!.length > 1) return this.bisect(entry);
        return this.settleError(entry, failure.error);
    }
  }

  /** 401 / invalid key / spent quota: another key at once — an attempt, not a retry. */
  private failOver(entry: Entry, whenNone: SwitchboardError): void {
    if (!this.keys.some(isUsable)) return this.settleError(entry, whenNone);
    this.keyWaiters.unshift(entry);
    this.pump();
  }

  private retry(entry: Entry, delayMs: number, failure: AttemptFailure): void {
    const x = extra(entry);
    if (x.retries >= this.cfg.retry.maxRetries) {
      x.retryActor?.send({ type: 'attempt.failed', retryable: false, delayMs: 0, reason: failure.reason });
      return this.settleError(entry, new RetriesExhaustedError(entry.attempts, failure.error));
    }
    x.retries++;
    if (this.host.metrics.enabled) this.host.metrics.retryScheduled(failure.reason);
    if (this.host.emitter.has('request.retrying')) {
      this.host.emitter.emit('request.retrying', { requestId: entry.requestId, attempt: entry.attempts + 1, delayMs, reason: failure.reason });
    }
    if (!x.retryActor) x.retryActor = this.host.spawnRetry(entry, delayMs, failure.reason);
    else x.retryActor.send({ type: 'attempt.failed', retryable: true, delayMs, reason: failure.reason });
  }

  /** The retry actor's backoff ended: send the next attempt, on the same key when it can take it. */
  onRetryStart(entry: Entry, sleptMs: number): void {
    if (entry.settled) return;
    if (sleptMs > 0 && this.host.metrics.enabled) this.host.metrics.backoffSlept(sleptMs);
    const gate = this.breakerGate();
    if (gate) return this.settleError(entry, gate);
    this.waitForKey(entry);
  }

  private waitForKey(entry: Entry): void {
    if (!this.keys.some(isUsable)) return this.failNoKeys(entry);
    this.keyWaiters.push(entry);
    this.pump();
  }

  private failNoKeys(entry: Entry): void {
    const err = entry.lastError instanceof AuthError || (entry.lastError instanceof ProviderError && entry.lastError.status === 401)
      ? new AuthError(entry.lastKeyName ?? '?', entry.lastError)
      : new NoKeysError();
    this.settleError(entry, err);
  }

  private rejectQueued(error: SwitchboardError): void {
    for (const entry of this.queue.drain()) this.settleError(entry, error);
  }

  // ── batching ─────────────────────────────────────────────────────────────────────────────

  private joinBatch(member: Entry): void {
    const size = member.inputs!.length;
    const max = this.cfg.batching.maxBatchSize;
    if (size > max) {
      // Sent alone, chunked to the provider's own limit per HTTP call.
      const limit = this.host.adapter.maxEmbeddingInputs;
      extra(member);
      member.x!.partsLeft = Math.ceil(size / limit);
      member.x!.vectors = new Array(size);
      member.x!.batches = [];
      for (let from = 0; from < size; from += limit) this.sendBatch(member.model, [{ member, from, to: Math.min(size, from + limit), offset: 0 }], 'size');
      return;
    }
    let collector = this.batches.get(member.model);
    if (!collector) {
      collector = { members: [], ref: this.host.batcher(member.model) };
      this.batches.set(member.model, collector);
    }
    const pending = collector.members.reduce((n, m) => n + m.inputs!.length, 0);
    if (pending > 0 && pending + size > max) collector.ref.send({ type: 'batch.flush' });
    extra(member);
    member.x!.partsLeft = 1;
    member.x!.vectors = new Array(size);
    member.x!.batches = [];
    collector.members.push(member);
    collector.ref.send({ type: 'input.add', size, high: member.level === 0 });
  }

  /** The batcher machine said flush: the collected members become one queue entry. */
  onBatchFlush(model: string, reason: 'size' | 'timeout' | 'priority'): void {
    const collector = this.batches.get(model);
    if (!collector) return;
    const members = collector.members.filter((m) => !m.settled);
    collector.members = [];
    collector.ref.send({ type: 'batch.sent' });
    if (members.length === 0) return;
    const slices: BatchSlice[] = members.map((member) => ({ member, from: 0, to: member.inputs!.length, offset: 0 }));
    this.sendBatch(model, slices, reason);
  }

  private sendBatch(model: string, slices: BatchSlice[], reason: 'size' | 'timeout' | 'priority', bypassSize = false): void {
    const now = this.host.clock.now();
    const inputs: string[] = [];
    let level: 0 | 1 | 2 = 2;
    let earliest = Infinity;
    for (const s of slices) {
      s.offset = inputs.length;
      for (let i = s.from; i < s.to; i++) inputs.push(s.member.inputs![i]!);
      if (s.member.level < level) level = s.member.level;
      earliest = Math.min(earliest, s.member.createdAt + s.member.timeoutMs);
    }
    const batch = newEntry('batch', slices[0]!.member.requestId, model, level, now, earliest - now);
    batch.inputs = inputs;
    extra(batch).slices = slices;
    for (const s of slices) s.member.x!.batches!.push(batch);
    if (this.host.metrics.enabled) this.host.metrics.batchFlushed(slices.length);
    if (this.host.emitter.has('batch.flushed')) this.host.emitter.emit('batch.flushed', { model, size: slices.length, reason });
    this.active.add(batch);
    this.enqueue(batch, bypassSize);
  }

  /** A 400 on a shared call: split in halves (not retries) so only the bad input's caller fails. */
  private bisect(batch: Entry): void {
    const slices = batch.x!.slices!;
    const mid = Math.ceil(slices.length / 2);
    this.finishBatchEntry(batch);
    for (const s of slices) s.member.x!.partsLeft++;
    this.sendBatch(batch.model, slices.slice(0, mid).map((s) => ({ ...s })), 'size', true);
    this.sendBatch(batch.model, slices.slice(mid).map((s) => ({ ...s })), 'size', true);
    for (const s of slices) s.member.x!.partsLeft--;
  }

  private settleBatch(batch: Entry, key: KeyRuntime, parsed: { embeddings: number[][]; usage: { inputTokens: number } | null }): void {
    const total = batch.inputs!.length;
    const slices = batch.x!.slices!;
    this.finishBatchEntry(batch);
    for (const s of slices) {
      const m = s.member;
      if (m.settled) continue;
      for (let i = s.from; i < s.to; i++) m.x!.vectors![i] = parsed.embeddings[s.offset + (i - s.from)]!;
      if (parsed.usage) {
        m.x!.hasUsage = true;
        m.x!.usageIn += Math.round((parsed.usage.inputTokens * (s.to - s.from)) / total);
      }
      m.attempts = Math.max(m.attempts, batch.attempts);
      m.x!.batchedWith = Math.max(m.x!.batchedWith, slices.length);
      if (--m.x!.partsLeft > 0) continue;
      m.dispatchedAt = batch.dispatchedAt;
      const usage = m.x!.hasUsage ? { inputTokens: m.x!.usageIn, outputTokens: 0, totalTokens: m.x!.usageIn } : null;
      this.settleOk(m, {
        requestId: m.requestId, provider: this.host.adapter.provider, model: m.model, embeddings: m.x!.vectors!,
        usage, keyName: key.name, attempts: m.attempts, batched: m.x!.batchedWith > 1,
      } satisfies EmbedReply, usage?.inputTokens ?? 0, 0);
    }
  }

  /** The batch entry itself is done (its members settle on their own). */
  private finishBatchEntry(batch: Entry): void {
    if (batch.settled) return;
    batch.settled = true;
    this.active.delete(batch);
    this.releaseEntry(batch);
    this.pump();
  }

  // ── settlement ───────────────────────────────────────────────────────────────────────────

  private settleOk(entry: Entry, value: unknown, inputTokens: number, outputTokens: number): void {
    if (entry.settled) return;
    entry.settled = true;
    this.releaseEntry(entry);
    this.record(entry, OK, inputTokens, outputTokens);
    if (this.host.emitter.has('request.settled')) this.emitSettled(entry, OK);
    entry.resolve(value);
    this.afterSettle();
  }

  settleError(entry: Entry, error: Error): void {
    if (entry.settled) return;
    if (entry.kind === 'batch') {
      // A failed shared call fails each member that is still waiting on it.
      const slices = entry.x!.slices!;
      this.finishBatchEntry(entry);
      for (const s of slices) {
        s.member.attempts = Math.max(s.member.attempts, entry.attempts);
        this.settleError(s.member, error);
      }
      return;
    }
    entry.settled = true;
    this.releaseEntry(entry);
    const code = (error as SwitchboardError).code ?? 'SB_PROVIDER';
    this.record(entry, code, 0, 0);
    if (this.host.emitter.has('request.settled')) this.emitSettled(entry, code);
    entry.reject(error);
    this.afterSettle();
  }

  private releaseEntry(entry: Entry): void {
    this.active.delete(entry);
    this.deadlines.cancel(entry.deadline);
    entry.deadline = null;
    if (entry.signal) this.signals.remove(entry.signal, entry);
    entry.signal = null;
    if (entry.queued) this.queue.remove(entry);
    if (entry.holdsSlot) {
      entry.holdsSlot = false;
      this.inFlight--;
    }
    if (entry.ctl) entry.ctl.abort(entry.lastError ?? new Error('request settled'));
    if (entry.x?.retryActor) {
      this.host.stopRetry(entry);
      entry.x.retryActor = null;
    }
    if (entry.kind === 'member' && entry.x?.batches) {
      // An aborted member leaves a collecting batch, or has its result dropped after the flush;
      // a batch left with no waiting member is abandoned.
      const collector = this.batches.get(entry.model);
      if (collector && collector.members.includes(entry)) {
        collector.members.splice(collector.members.indexOf(entry), 1);
        collector.ref.send({ type: 'input.remove', size: entry.inputs!.length });
      }
      for (const batch of entry.x.batches) {
        if (!batch.settled && batch.x!.slices!.every((s) => s.member.settled)) this.finishBatchEntry(batch);
      }
    }
  }

  private afterSettle(): void {
    if (this.active.size === 0 && this.idleWaiters.length > 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
    this.pump();
  }

  /**
   * Counts a settled request. A request refused as invalid (`SB_CONFIG`) is not counted: it never was
   * a request to the provider (the router does not count it either). Token counts a provider gets
   * wrong (not finite) count as none rather than poisoning the totals.
   */
  private record(entry: Entry, outcome: 'ok' | SwitchboardError['code'], inputTokens: number, outputTokens: number): void {
    if (!this.host.metrics.enabled || entry.kind === 'batch' || outcome === 'SB_CONFIG') return;
    if (!(inputTokens >= 0 && inputTokens <= MAX_TOKENS)) inputTokens = 0;
    if (!(outputTokens >= 0 && outputTokens <= MAX_TOKENS)) outputTokens = 0;
    const now = this.host.clock.now();
    const wait = entry.dispatchedAt >= 0 ? entry.dispatchedAt - entry.createdAt : now - entry.createdAt;
    this.host.metrics.requestSettled(
      entry.requestId, entry.model, entry.level, outcome, entry.attempts, now - entry.createdAt, wait,
      entry.lastKeyName, inputTokens, outputTokens,
    );
  }

  private emitSettled(entry: Entry, outcome: string): void {
    this.host.emitter.emit('request.settled', {
      requestId: entry.requestId, outcome, attempts: entry.attempts, latencyMs: this.host.clock.now() - entry.createdAt,
    });
  }

  // ── mirrors from the machines, stop ──────────────────────────────────────────────────────

  /** The breaker machine changed: mirror it; an opening breaker fails the queue at once. */
  onBreaker(state: BreakerState, failureCount: number, trips: number, probesInFlight: number, probesSucceeded: number): void {
    const was = this.breakerState;
    this.breakerState = state;
    this.breakerFailures = failureCount;
    this.breakerTrips = trips;
    this.probesFree = this.cfg.circuitBreaker.halfOpenProbes - probesInFlight - probesSucceeded;
    if (state === was) {
      if (state === 'halfOpen') this.pump();
      return;
    }
    const now = this.host.clock.now();
    if (state === 'open') this.openedAt = now;
    const event = state === 'open' || state === 'forcedOpen' ? 'breaker.opened' : state === 'halfOpen' ? 'breaker.halfOpen' : state === 'closed' ? 'breaker.closed' : null;
    if (event && this.host.emitter.has(event)) this.host.emitter.emit(event, { at: now, failureCount, trips });
    if (state === 'open' || state === 'forcedOpen') {
      // Queued requests, and requests waiting to retry (backing off or waiting for a key), fail fast.
      const gate = this.breakerGate()!;
      this.rejectQueued(gate);
      for (const w of this.keyWaiters.splice(0)) this.settleError(w, gate);
      for (const e of [...this.active]) if (e.x?.retryActor && !e.ctl) this.settleError(e, gate);
    }
    this.pump();
  }

  /** Resolves when no request is left unsettled. */
  whenIdle(): Promise<void> {
    if (this.active.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Rejects everything still queued or running with `SB_SHUTDOWN` (in-flight calls are aborted). */
  abortAll(): void {
    const error = new ShutdownError('supervisor stopped before the request finished');
    for (const [, collector] of this.batches) {
      for (const m of collector.members.splice(0)) this.settleError(m, error);
    }
    this.rejectQueued(error);
    for (const entry of [...this.active]) this.settleError(entry, error);
  }

  /** Flushes every collecting batch now (a draining stop). */
  flushBatches(): void {
    for (const [, collector] of this.batches) if (collector.members.length > 0) collector.ref.send({ type: 'batch.flush' });
  }

  dispose(): void {
    for (const t of this.probeTimers) this.host.clock.clearTimeout(t);
    this.probeTimers.clear();
    this.deadlines.dispose();
    this.attemptTimeouts.dispose();
  }
}

export function isUsable(k: KeyRuntime): boolean {
  return k.state !== 'disabled' && k.state !== 'exhausted';
}

/** Gemini's per-day quotas reset at midnight Pacific time (ai.google.dev/gemini-api/docs/rate-limits). */
function msUntilPacificMidnight(now: number): number {
  const pacific = now - 8 * 3_600_000;
  const day = 86_400_000;
  return day - (((pacific % day) + day) % day);
}
