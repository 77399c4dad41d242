import { randomUUID } from 'node:crypto';
import { createActor, type Actor, type ActorRefFrom } from 'xstate';
import type { batcherMachine } from '../../machines/batcher.machine.js';
import type { circuitBreakerMachine } from '../../machines/circuit-breaker.machine.js';
import type { keySlotMachine } from '../../machines/key-slot.machine.js';
import type { retryMachine } from '../../machines/retry.machine.js';
import { supervisorMachine } from '../../machines/supervisor.machine.js';
import { systemClock } from '../clock.js';
import { safeLogger } from '../logger.js';
import { AbortedError, ConfigError, type SwitchboardError } from '../errors.js';
import { newKeyRuntime, type KeyRuntime } from '../keys/key-runtime.js';
import { loadBaseUrl, loadKeys } from '../keys/env.js';
import { registerOrigin, registerSecret } from '../keys/redact.js';
import { createMetrics, startSchedule, validateSchedule, type MetricsRecorder, type ScheduleHandle } from '../metrics/index.js';
import { invalid, MAX_TIMER_MS, resolveConfig, validateOptions, validateUpdate, type ResolvedConfig, type SupervisorOptions } from '../options.js';
import { getAdapter } from '../providers/index.js';
import type { ProviderAdapter } from '../providers/types.js';
import { createUndiciTransport } from '../transport/undici.js';
import type { Transport } from '../transport/types.js';
import type {
  BoardState,
  BreakerState,
  ChatChunk,
  ChatReply,
  ChatRequest,
  Clock,
  EmbedReply,
  EmbedRequest,
  KeyConfig,
  KeyState,
  Priority,
  Report,
  RequestOptions,
  RichChatReply,
  RichChatRequest,
  StrategyName,
  SwitchboardEvents,
  SwitchboardEventType,
} from '../types.js';
import { Dispatcher, isUsable } from './dispatcher.js';
import { Emitter } from './emitter.js';
import { ChunkStream } from './chunk-stream.js';
import { estimateTokens, extra, newEntry, type Entry } from './entry.js';

/** Commands `board.send` takes (DESIGN §2). */
export type BoardCommand =
  | { type: 'strategy.set'; strategy: StrategyName }
  | { type: 'config.update'; config: Partial<Pick<SupervisorOptions, 'queue' | 'circuitBreaker' | 'retry' | 'batching' | 'timeoutMs' | 'deadlineMs' | 'strategy'>> & { metrics?: { enabled?: boolean } } }
  | { type: 'breaker.force'; state: BreakerState }
  | { type: 'key.add'; key: KeyConfig }
  | { type: 'key.remove'; name: string }
  | { type: 'stats.reset' };

const PRIORITY_LEVEL: Record<string, 0 | 1 | 2> = { high: 0, normal: 1, low: 2, '0': 0, '1': 1, '2': 2 };
const BREAKER_TARGETS = ['closed', 'open', 'halfOpen', 'forcedOpen', 'disabled'];

/**
 * A supervisor for one provider endpoint: the actor system (breaker, key slots, batchers, retries)
 * and the plain dispatcher beside it. Create with `createSupervisor`.
 */
export class Board {
  /** The root XState actor, for subscribe and inspection. */
  readonly actor: Actor<typeof supervisorMachine>;
  readonly provider: ProviderAdapter['provider'];
  private readonly dispatcher: Dispatcher;
  private readonly clock: Clock;
  private readonly emitter: Emitter;
  // A true private field: `console.log(board)` / util.inspect never show it.
  readonly #secrets = new Map<string, string>();
  private readonly explicitKeyMax = new Map<string, number>();
  private metrics: MetricsRecorder;
  private readonly metricsOptions: Parameters<typeof createMetrics>[0];
  private readonly transport: Transport;
  private readonly ownsTransport: boolean;
  private readonly schedule: ScheduleHandle | null;
  private cfg: ResolvedConfig;
  private breakerRef!: ActorRefFrom<typeof circuitBreakerMachine>;
  private readonly batcherStates = new Map<string, { state: 'idle' | 'collecting' | 'flushing'; pending: number }>();
  private stopPromise: Promise<void> | null = null;
  private retrySeq = 0;
  // Generated ids are a per-board random prefix and a counter: unique, and ~10× smaller than a UUID string.
  private readonly idPrefix = `sb_${randomUUID().slice(0, 8)}_`;
  private idSeq = 0;

  constructor(options: SupervisorOptions = {}) {
    validateOptions(options);
    if (options.schedule) validateSchedule(options.schedule as never);
    this.cfg = resolveConfig(options);
    const adapter = getAdapter(this.cfg.provider);
    if (!adapter) throw invalid('createSupervisor', 'provider', 'a provider with an adapter', this.cfg.provider);
    this.provider = adapter.provider;
    this.clock = options.clock ?? systemClock;
    const logger = safeLogger(options.logger);
    this.emitter = new Emitter(logger);
    const env = options.env as Record<string, string | undefined> | undefined;
    const keys: KeyConfig[] = options.keys ?? loadKeys(this.cfg.provider, env).map((k) => ({ name: k.name, secret: k.secret }));
    for (const k of keys) {
      registerSecret(k.secret);
      this.#secrets.set(k.name, k.secret);
      if (k.maxConcurrent !== undefined) this.explicitKeyMax.set(k.name, k.maxConcurrent);
    }
    this.ownsTransport = !options.transport;
    this.transport = options.transport ?? createUndiciTransport();
    const baseUrl = this.cfg.baseUrl ?? loadBaseUrl(this.cfg.provider, env) ?? adapter.defaultBaseUrl;
    registerOrigin(baseUrl, `the ${this.provider} upstream`);
    this.metricsOptions = {
      enabled: this.cfg.metrics.enabled,
      registry: options.metrics?.registry as never,
      provider: this.cfg.provider,
      recentSize: this.cfg.metrics.recentSize,
      live: () => this.liveView(),
      now: () => this.clock.now(),
    };
    this.metrics = createMetrics(this.metricsOptions);

    const self = this;
    this.dispatcher = new Dispatcher(
      {
        clock: this.clock,
        random: options.random ?? Math.random,
        adapter,
        baseUrl,
        transport: this.transport,
        emitter: this.emitter,
        get metrics() {
          return self.metrics;
        },
        secret: (name) => this.#secrets.get(name),
        breaker: () => this.breakerRef,
        spawnRetry: (entry, delayMs, reason) => this.spawnRetry(entry, delayMs, reason),
        stopRetry: (entry) => this.actor.send({ type: 'retry.stop', requestId: entry.x!.retryId! }),
        batcher: (model) => this.spawnBatcher(model),
      },
      this.cfg,
    );
    for (const k of keys) this.dispatcher.keys.push(newKeyRuntime(k.name, k.maxConcurrent ?? this.cfg.queue.maxConcurrent, this.dispatcher.keys.length));

    this.actor = createActor(supervisorMachine, {
      clock: this.clock as never,
      inspect: options.inspect as never,
      input: {
        provider: this.cfg.provider,
        strategy: this.cfg.strategy,
        config: publicConfig(this.cfg),
        keys: this.dispatcher.keys.map((k) => ({ name: k.name, maxConcurrent: k.maxConcurrent })),
        breaker: { ...this.cfg.circuitBreaker },
        batching: { maxBatchSize: this.cfg.batching.maxBatchSize, batchTimeoutMs: this.cfg.batching.batchTimeoutMs },
      },
    });
    this.actor.on('stats.reset', () => this.metrics.reset());
    this.actor.start();
    this.attachBreaker();
    for (const key of this.dispatcher.keys) this.attachKey(key);
    this.schedule = options.schedule && (options.schedule.report || options.schedule.resetStats)
      ? startSchedule(options.schedule as never, { report: (o) => this.report(o), resetStats: () => this.resetStats() }, logger)
      : null;
  }

  // ── requests ─────────────────────────────────────────────────────────────────────────────

  /**
   * Sends a chat request through the queue, breaker, keys and retries.
   * Rejects with a `SwitchboardError` (`SB_QUEUE_FULL`, `SB_CIRCUIT_OPEN`, `SB_RETRIES_EXHAUSTED`,
   * `SB_PROVIDER`, `SB_AUTH`, `SB_NO_KEYS`, `SB_TIMEOUT`, `SB_ABORTED`, `SB_SHUTDOWN`, `SB_BAD_RESPONSE`).
   */
  chat(request: ChatRequest | RichChatRequest, options?: RequestOptions): Promise<RichChatReply> {
    const entry = this.newRequest('chat', request?.model, options);
    if ('code' in entry) return Promise.reject(entry);
    const bad = checkChat(request);
    if (bad) return Promise.reject(bad);
    entry.chat = request;
    entry.tokens = estimateTokens(request);
    return this.dispatcher.submit(entry, options?.signal) as Promise<RichChatReply>;
  }

  /**
   * Streams a chat (DESIGN §11) as an async iterable of `ChatChunk`s. It is one request: it waits in
   * the queue by priority and holds its slot and key until the stream ends. Retries and key
   * failover happen only before the first chunk; after it a failure ends the loop with
   * `SB_STREAM_INTERRUPTED` (`partialText`). Leaving the loop early aborts the upstream call.
   *
   * ```ts
   * for await (const chunk of board.chatStream({ model: 'gpt-4o-mini', messages })) process.stdout.write(chunk.delta);
   * ```
   */
  chatStream(request: ChatRequest | RichChatRequest, options?: RequestOptions): AsyncIterableIterator<ChatChunk> {
    let entry: Entry | null = null;
    const stream = new ChunkStream(() => {
      if (entry) this.dispatcher.settleError(entry, new AbortedError('the caller left the stream'));
    });
    const made = this.newRequest('stream', request?.model, options);
    const bad = 'code' in made ? made : checkChat(request);
    if (bad) {
      stream.fail(bad);
      return stream;
    }
    entry = made as Entry;
    entry.chat = request;
    entry.tokens = estimateTokens(request);
    extra(entry).stream = stream;
    this.dispatcher.submit(entry, options?.signal).then(
      () => stream.end(),
      (error: Error) => stream.fail(error),
    );
    return stream;
  }

  /** Embeds `input` (a string or a string[]); batchable models share HTTP calls (DESIGN §2 "Batching"). */
  embed(request: EmbedRequest, options?: RequestOptions): Promise<EmbedReply> {
    if (!this.dispatcherAdapter().supportsEmbeddings) {
      return Promise.reject(new ConfigError(`${this.provider} has no embeddings endpoint; use openai or gemini for \`${request?.model}\``, 'model'));
    }
    const batchable = this.cfg.batching.enabled && this.cfg.batching.models.includes(request?.model);
    const entry = this.newRequest(batchable ? 'member' : 'embed', request?.model, options);
    if ('code' in entry) return Promise.reject(entry);
    const input = request.input;
    const inputs = typeof input === 'string' ? [input] : input;
    if (!Array.isArray(inputs) || inputs.length === 0 || !inputs.every((s) => typeof s === 'string')) {
      return Promise.reject(invalid('embed', 'input', 'a string or a non-empty array of strings', input));
    }
    entry.inputs = inputs;
    return this.dispatcher.submit(entry, options?.signal) as Promise<EmbedReply>;
  }

  private newRequest(kind: Entry['kind'], model: unknown, options: RequestOptions | undefined): Entry | SwitchboardError {
    if (typeof model !== 'string' || model === '') return invalid(kind === 'chat' ? 'chat' : 'embed', 'model', 'a non-empty string', model);
    const level = options?.priority === undefined ? 1 : Object.hasOwn(PRIORITY_LEVEL, String(options.priority)) ? PRIORITY_LEVEL[String(options.priority)] : undefined;
    if (level === undefined) return invalid('request', 'priority', "'high' | 'normal' | 'low' | 0 | 1 | 2", options!.priority as Priority);
    const timeoutMs = options?.timeoutMs ?? this.cfg.deadlineMs;
    if (typeof timeoutMs !== 'number' || !(timeoutMs > 0 && timeoutMs <= MAX_TIMER_MS)) return invalid('request', 'timeoutMs', `a number > 0 and <= ${MAX_TIMER_MS}`, timeoutMs);
    const requestId = options?.requestId ?? this.idPrefix + (++this.idSeq).toString(36);
    return newEntry(kind, requestId, model, level, this.clock.now(), timeoutMs);
  }

  private dispatcherAdapter(): ProviderAdapter {
    return getAdapter(this.provider)!;
  }

  // ── commands ─────────────────────────────────────────────────────────────────────────────

  /**
   * Sends a command (DESIGN §2). Validated here: an invalid one throws `SB_CONFIG` synchronously and
   * changes nothing. A `key.add`'s secret is kept in the board's store; the actors see the name only.
   */
  send(command: BoardCommand): void {
    switch (command?.type) {
      case 'strategy.set':
        if (!['round-robin', 'least-loaded', 'headroom'].includes(command.strategy)) {
          throw invalid('strategy.set', 'strategy', "one of 'round-robin', 'least-loaded', 'headroom'", command.strategy);
        }
        this.cfg = { ...this.cfg, strategy: command.strategy };
        this.dispatcher.cfg = this.cfg;
        this.actor.send({ type: 'strategy.set', strategy: command.strategy });
        this.dispatcher.pump();
        return;
      case 'config.update':
        return this.updateConfig(command.config);
      case 'breaker.force':
        if (!BREAKER_TARGETS.includes(command.state)) throw invalid('breaker.force', 'state', BREAKER_TARGETS.map((s) => `'${s}'`).join(' | '), command.state);
        this.actor.send({ type: 'breaker.force', state: command.state });
        return;
      case 'key.add':
        return this.addKey(command.key);
      case 'key.remove':
        return this.removeKey(command.name);
      case 'stats.reset':
        this.actor.send({ type: 'stats.reset' });
        return;
      default:
        throw new ConfigError(`board.send: unknown command type ${JSON.stringify((command as { type?: unknown })?.type)}`, 'type');
    }
  }

  private updateConfig(config: BoardCommand & { type: 'config.update' } extends { config: infer C } ? C : never): void {
    validateUpdate(config);
    const next = resolveConfig(config as SupervisorOptions, this.cfg);
    const prev = this.cfg;
    this.cfg = next;
    this.dispatcher.cfg = next;
    if (next.metrics.enabled !== prev.metrics.enabled) {
      this.metricsOptions.enabled = next.metrics.enabled;
      this.metrics.dispose();
      this.metrics = createMetrics(this.metricsOptions);
    }
    for (const key of this.dispatcher.keys) if (!this.explicitKeyMax.has(key.name)) key.maxConcurrent = next.queue.maxConcurrent;
    const changed = (a: object, b: object) => JSON.stringify(a) !== JSON.stringify(b);
    this.actor.send({
      type: 'config.update',
      config: publicConfig(next),
      breaker: changed(prev.circuitBreaker, next.circuitBreaker) ? { ...next.circuitBreaker } : undefined,
      batching: changed(prev.batching, next.batching) ? { maxBatchSize: next.batching.maxBatchSize, batchTimeoutMs: next.batching.batchTimeoutMs } : undefined,
    });
    if (next.retry.maxRetries !== prev.retry.maxRetries) {
      for (const [id, child] of Object.entries(this.actor.getSnapshot().children)) {
        if (id.startsWith('retry:')) (child as ActorRefFrom<typeof retryMachine>).send({ type: 'config.update', maxRetries: next.retry.maxRetries });
      }
    }
    this.dispatcher.pump();
  }

  private addKey(key: KeyConfig): void {
    if (!key || typeof key.name !== 'string' || key.name === '' || typeof key.secret !== 'string' || key.secret === '') {
      throw new ConfigError('key.add: expected `key` to be { name, secret, maxConcurrent? } with non-empty strings', 'key');
    }
    if (key.maxConcurrent !== undefined && !(Number.isInteger(key.maxConcurrent) && key.maxConcurrent >= 1)) {
      throw invalid('key.add', 'key.maxConcurrent', 'an integer >= 1', key.maxConcurrent);
    }
    registerSecret(key.secret);
    this.#secrets.set(key.name, key.secret);
    if (key.maxConcurrent !== undefined) this.explicitKeyMax.set(key.name, key.maxConcurrent);
    else this.explicitKeyMax.delete(key.name);
    const keys = this.dispatcher.keys;
    const runtime = newKeyRuntime(key.name, key.maxConcurrent ?? this.cfg.queue.maxConcurrent, keys.length);
    const at = keys.findIndex((k) => k.name === key.name);
    if (at >= 0) {
      runtime.inFlight = keys[at]!.inFlight;
      runtime.index = at;
      keys[at] = runtime;
    } else keys.push(runtime);
    this.actor.send({ type: 'key.add', key: { name: key.name, maxConcurrent: runtime.maxConcurrent } });
    this.attachKey(runtime);
    this.dispatcher.pump();
  }

  private removeKey(name: string): void {
    const keys = this.dispatcher.keys;
    const at = keys.findIndex((k) => k.name === name);
    if (at < 0) throw new ConfigError(`key.remove: no key named ${JSON.stringify(name)}`, 'name');
    keys.splice(at, 1);
    keys.forEach((k, i) => (k.index = i));
    this.#secrets.delete(name);
    this.explicitKeyMax.delete(name);
    this.actor.send({ type: 'key.remove', name });
    this.dispatcher.pump();
  }

  // ── children ─────────────────────────────────────────────────────────────────────────────

  private attachBreaker(): void {
    this.breakerRef = this.actor.getSnapshot().children['breaker'] as ActorRefFrom<typeof circuitBreakerMachine>;
    this.breakerRef.subscribe((snap) => {
      const c = snap.context;
      this.dispatcher.onBreaker(snap.value as BreakerState, c.failureCount, c.trips, c.probesInFlight, c.probesSucceeded);
    });
  }

  private attachKey(key: KeyRuntime): void {
    const ref = this.actor.getSnapshot().children[`key:${key.name}`] as ActorRefFrom<typeof keySlotMachine> | undefined;
    if (!ref) return;
    key.actor = ref;
    ref.subscribe((snap) => {
      if (key.actor !== ref) return;
      const state = snap.value as KeyState;
      if (state === key.state && snap.context.untilMs === key.untilMs) return;
      const was = key.state;
      key.state = state;
      key.untilMs = snap.context.untilMs;
      if (state !== was) this.emitKey(key, state, snap.context.reason);
      if (state === 'ready') this.dispatcher.coolIfSpent(key, this.clock.now());
      if (state === 'ready' || !isUsable(key)) this.dispatcher.pump();
    });
  }

  private emitKey(key: KeyRuntime, state: KeyState, reason: string | null): void {
    const type = `key.${state}` as 'key.cooling' | 'key.ready' | 'key.exhausted' | 'key.disabled';
    if (!this.emitter.has(type)) return;
    if (type === 'key.cooling') this.emitter.emit(type, { keyName: key.name, untilMs: key.untilMs ?? this.clock.now() });
    else this.emitter.emit(type, { keyName: key.name, ...(key.untilMs !== null ? { untilMs: key.untilMs } : {}), ...(reason ? { reason } : {}) });
  }

  private spawnRetry(entry: Entry, delayMs: number, reason: string): ActorRefFrom<typeof retryMachine> {
    const children = this.actor.getSnapshot().children;
    let id = entry.requestId;
    if (children[`retry:${id}`]) id = `${id}#${++this.retrySeq}`;
    entry.x!.retryId = id;
    this.actor.send({ type: 'retry.spawn', requestId: id, maxRetries: this.cfg.retry.maxRetries, delayMs, reason });
    const ref = this.actor.getSnapshot().children[`retry:${id}`] as ActorRefFrom<typeof retryMachine>;
    ref.on('attempt.start', (ev) => this.dispatcher.onRetryStart(entry, ev.sleptMs));
    // With no wait the actor went straight to `attempting` while spawning, before we listened.
    if (ref.getSnapshot().value === 'attempting') queueMicrotask(() => this.dispatcher.onRetryStart(entry, 0));
    return ref;
  }

  private spawnBatcher(model: string): ActorRefFrom<typeof batcherMachine> {
    this.actor.send({ type: 'batcher.spawn', model });
    const ref = this.actor.getSnapshot().children[`batcher:${model}`] as ActorRefFrom<typeof batcherMachine>;
    ref.on('batch.flush', (ev) => this.dispatcher.onBatchFlush(ev.model, ev.reason));
    ref.subscribe((snap) => this.batcherStates.set(model, { state: snap.value as 'idle' | 'collecting' | 'flushing', pending: snap.context.count }));
    this.batcherStates.set(model, { state: 'idle', pending: 0 });
    return ref;
  }

  // ── views ────────────────────────────────────────────────────────────────────────────────

  /** A summary of the live system (DESIGN §10): no secrets, cheap enough to poll. */
  state(): BoardState {
    const d = this.dispatcher;
    return {
      provider: this.provider,
      breaker: d.breakerState,
      strategy: this.cfg.strategy,
      queue: { depth: d.queue.size, size: this.cfg.queue.size, byPriority: { high: d.queue.countAt(0), normal: d.queue.countAt(1), low: d.queue.countAt(2) } },
      inFlight: d.inFlight,
      maxConcurrent: this.cfg.queue.maxConcurrent,
      actors: 1 + Object.keys(this.actor.getSnapshot().children).length,
      keys: d.keys.map((k) => ({
        name: k.name, state: k.state, inFlight: k.inFlight, maxConcurrent: k.maxConcurrent, untilMs: k.untilMs,
        remainingRequests: k.remainingRequests, remainingTokens: k.remainingTokens,
      })),
      batchers: [...this.batcherStates].map(([model, b]) => ({ model, state: b.state, pending: b.pending })),
    };
  }

  private liveView() {
    const d = this.dispatcher;
    return {
      provider: this.provider,
      breaker: {
        state: d.breakerState, failureCount: d.breakerFailures, failureThreshold: this.cfg.circuitBreaker.failureThreshold,
        resetTimeoutMs: this.cfg.circuitBreaker.resetTimeoutMs, trips: d.breakerTrips,
      },
      state: this.state(),
    };
  }

  /** DESIGN §6's report: counted per request, percentiles from histograms, bounded memory. */
  report(options: { includeDetails?: boolean } = {}): Report {
    return this.metrics.report(options.includeDetails === true, this.liveView());
  }

  /** Zeroes the statistics; the breaker and the keys keep their state. */
  resetStats(): void {
    this.actor.send({ type: 'stats.reset' });
  }

  /** Prometheus exposition text (values read at scrape time). */
  metricsText(): Promise<string> {
    return this.metrics.metricsText();
  }

  /** Subscribes to a DESIGN §7 event; returns the unsubscribe function. */
  on<K extends SwitchboardEventType>(type: K, listener: (payload: SwitchboardEvents[K]) => void): () => void {
    return this.emitter.on(type, listener);
  }

  /** The highest number of requests in flight at once since creation (for tests and benchmarks). */
  get peakInFlight(): number {
    return this.dispatcher.peakInFlight;
  }

  /** The board's clock time (ms). */
  now(): number {
    return this.clock.now();
  }

  /** The configuration in force now (times in ms). */
  get config(): ResolvedConfig {
    return this.cfg;
  }

  /**
   * Stops the supervisor (DESIGN §2 "Stop"). `drain: true` finishes queued and in-flight requests
   * until `timeoutMs`, then aborts the rest with `SB_SHUTDOWN`; without drain, at once. Resolves when
   * every request has settled and every actor, timer and pool is closed. Calling it twice is harmless.
   */
  stop(options: { drain?: boolean; timeoutMs?: number } = {}): Promise<void> {
    if (this.stopPromise) return this.stopPromise;
    const d = this.dispatcher;
    d.stopping = true;
    this.stopPromise = (async () => {
      if (options.drain) {
        d.flushBatches();
        const limit = options.timeoutMs ?? 30_000;
        let timer: unknown = null;
        await Promise.race([
          d.whenIdle(),
          new Promise<void>((resolve) => {
            timer = this.clock.setTimeout(resolve, limit);
          }),
        ]);
        this.clock.clearTimeout(timer);
      }
      d.abortAll();
      await d.whenIdle();
      this.schedule?.stop();
      d.dispose();
      this.actor.stop();
      this.metrics.dispose();
      if (this.ownsTransport) await (this.transport as { close?: () => Promise<void> }).close?.();
    })();
    return this.stopPromise;
  }
}

/** The configuration the actors may hold and the inspector may show: no secrets, no functions. */
function publicConfig(cfg: ResolvedConfig): Record<string, unknown> {
  return { ...cfg, queue: { ...cfg.queue, agingMs: Number.isFinite(cfg.queue.agingMs) ? cfg.queue.agingMs : 'Infinity' } };
}

function checkChat(request: ChatRequest | RichChatRequest): ConfigError | null {
  if (!Array.isArray(request.messages)) return invalid('chat', 'messages', 'an array of { role, content }', request.messages);
  for (let i = 0; i < request.messages.length; i++) {
    const m = request.messages[i]!;
    if (!m || !['system', 'user', 'assistant', 'tool'].includes(m.role)) return invalid('chat', `messages[${i}].role`, "'system' | 'user' | 'assistant'", m?.role);
  }
  return null;
}

/**
 * Creates a supervisor for one provider endpoint (DESIGN §2). Validates every option first and
 * throws `SB_CONFIG` synchronously on a bad one (the only synchronous throw of the API).
 *
 * ```ts
 * const board = createSupervisor({ provider: 'openai', keys: [{ name: 'main', secret: process.env.OPENAI_API_KEY! }] });
 * const reply = await board.chat({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }] }, { priority: 'high' });
 * ```
 */
export function createSupervisor(options: SupervisorOptions = {}): Board {
  return new Board(options);
}
