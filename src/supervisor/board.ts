import { INTERNAL } from '../../machines/supervisor.machine.js';
import { replyHookOf } from './early-reply.js';
import { systemClock } from '../clock.js';
import { safeLogger } from '../logger.js';
import { AbortedError, ConfigError } from '../errors.js';
import { loadBaseUrl, loadKeys } from '../keys/env.js';
import { registerOrigin } from '../keys/redact.js';
import { SecretStore } from '../keys/secret-store.js';
import { createMetrics, startSchedule, validateSchedule, type MetricsRecorder, type ScheduleHandle } from '../metrics/index.js';
import { invalid, resolveConfig, validateOptions, type ResolvedConfig, type SupervisorOptions } from '../options.js';
import { getAdapter } from '../providers/index.js';
import type { ProviderAdapter } from '../providers/types.js';
import { createUndiciTransport } from '../transport/undici.js';
import type { Transport } from '../transport/types.js';
import type {
  BoardState, ChatChunk, ChatRequest, EmbedReply, EmbedRequest, KeyConfig, Report, RequestOptions, RichChatReply,
  RichChatRequest, SwitchboardEvents, SwitchboardEventType,
} from '../types.js';
import { bridge, createSupervisorActor, spawnBatcher, spawnRetry, stopRetry, type SupervisorActor } from './actor-bridge.js';
import { ChunkStream } from './chunk-stream.js';
import { commandError, keySpec, type SupervisorCommand } from './commands.js';
import { connectionsWanted } from './connections.js';
import { createRequestTracer } from '../tracing/otel.js';
import { Dispatcher } from './dispatcher.js';
import { Emitter } from './emitter.js';
import { chatEntry, embedEntry, memberEntry, streamEntry, type Entry } from './entry.js';
import { checkChat, Intake, type Head } from './intake.js';
import { settleError } from './settlement.js';
import { boardState, liveView } from './views.js';
import { attachShared } from './shared-board.js';
import type { SharedBridge } from '../shared/board-bridge.js';

/** Commands `board.send` takes (docs/ARCHITECTURE.md §2); the same as `SupervisorCommand`. */
export type BoardCommand = SupervisorCommand;

/**
 * A supervisor for one provider endpoint (the facade): the actor system, in charge of the live
 * configuration, and the plain dispatcher beside it. Create with `createSupervisor`.
 */
export class Board {
  /** The root XState actor, for subscribe and inspection; public commands sent to it act as `board.send`. */
  readonly actor: SupervisorActor;
  readonly provider: ProviderAdapter['provider'];
  private readonly dispatcher: Dispatcher;
  private readonly adapter: ProviderAdapter;
  private readonly emitter: Emitter;
  readonly #secrets = new SecretStore();
  private metrics: MetricsRecorder;
  private readonly metricsOptions: Parameters<typeof createMetrics>[0];
  private readonly transport: Transport;
  private readonly ownsTransport: boolean;
  private readonly schedule: ScheduleHandle | null;
  private stopPromise: Promise<void> | null = null;
  private readonly intake: Intake;
  private retrySeq = 0;
  /** Present with `shared`: the link to the other instances through Redis. */
  private readonly shared: SharedBridge | null = null;

  constructor(options: SupervisorOptions = {}) {
    validateOptions(options);
    if (options.schedule) validateSchedule(options.schedule as never);
    const cfg = resolveConfig(options);
    const adapter = getAdapter(cfg.provider);
    if (!adapter) throw invalid('createSupervisor', 'provider', 'a provider with an adapter', cfg.provider);
    this.adapter = adapter;
    this.provider = adapter.provider;
    const clock = options.clock ?? systemClock;
    const logger = safeLogger(options.logger);
    this.intake = new Intake(clock, this);
    this.emitter = new Emitter(logger);
    const env = options.env as Record<string, string | undefined> | undefined;
    const keys: KeyConfig[] = options.keys ?? loadKeys(cfg.provider, env).map((k) => ({ name: k.name, secret: k.secret }));
    for (const k of keys) this.#secrets.set(k.name, k.secret);
    this.ownsTransport = !options.transport;
    // Its own transport gets no more connections than the board can have in flight (as set now;
    // a larger `queue.maxConcurrent` later grows the pool), at most 128 as before.
    this.transport = options.transport ?? createUndiciTransport({ connections: () => connectionsWanted(this) });
    this.metricsOptions = {
      enabled: cfg.metrics.enabled, registry: options.metrics?.registry as never, provider: cfg.provider, recentSize: cfg.metrics.recentSize,
      live: () => liveView(this.actor, this.dispatcher), now: () => clock.now(),
    };
    this.metrics = createMetrics(this.metricsOptions);
    this.actor = createSupervisorActor({ provider: cfg.provider, config: cfg, keys: keys.map(keySpec), clock, inspect: options.inspect, secrets: this.#secrets });
    const baseUrl = cfg.baseUrl ?? loadBaseUrl(cfg.provider, env) ?? adapter.defaultBaseUrl;
    registerOrigin(baseUrl, `the ${this.provider} upstream`);
    const self = this;
    this.dispatcher = new Dispatcher({
      clock, random: options.random ?? Math.random, adapter, transport: this.transport, emitter: this.emitter, logger,
      baseUrl,
      realClock: clock === systemClock,
      tracer: createRequestTracer(cfg.provider),
      get metrics() {
        return self.metrics;
      },
      secret: (name) => this.#secrets.get(name),
      spawnRetry: (entry, onStart) => spawnRetry(this.actor, entry, ++this.retrySeq, onStart),
      stopRetry: (id) => stopRetry(this.actor, id),
      batcher: (model) => spawnBatcher(this.actor, this.dispatcher, model),
    });
    this.actor.start();
    bridge(this.actor, this.dispatcher, this.emitter, logger, () => this.metrics.reset());
    if (options.shared) {
      if (options.shared.redis === undefined) throw invalid('createSupervisor', 'shared.redis', 'a redis:// or rediss:// URL, or a node-redis client', undefined);
      this.shared = attachShared({
        shared: options.shared, provider: cfg.provider, baseUrl: this.dispatcher.host.baseUrl, actor: this.actor, dispatcher: this.dispatcher,
        emitter: this.emitter, secrets: this.#secrets, clock, logger,
      });
    }
    this.actor.subscribe((snap) => this.followMetricsSwitch(snap.context.config));
    this.schedule = options.schedule && (options.schedule.report || options.schedule.resetStats)
      ? startSchedule(options.schedule as never, { report: (o) => this.report(o), resetStats: () => this.resetStats() }, logger)
      : null;
  }

  /**
   * Sends a chat request through the queue, breaker, keys and retries.
   * Rejects with a `SwitchboardError` (`SB_QUEUE_FULL`, `SB_CIRCUIT_OPEN`, `SB_RETRIES_EXHAUSTED`,
   * `SB_PROVIDER`, `SB_AUTH`, `SB_NO_KEYS`, `SB_TIMEOUT`, `SB_ABORTED`, `SB_SHUTDOWN`, `SB_BAD_RESPONSE`).
   */
  chat(request: ChatRequest | RichChatRequest, options?: RequestOptions): Promise<RichChatReply> {
    const head = this.intake.head('chat', request?.model, options);
    if (!Array.isArray(head)) return Promise.reject(head);
    const bad = checkChat(request);
    if (bad) return Promise.reject(bad);
    return this.dispatcher.submit(chatEntry(...head, request, replyHookOf(options)), options?.signal) as Promise<RichChatReply>;
  }

  /**
   * Streams a chat (docs/ARCHITECTURE.md §11) as an async iterable of `ChatChunk`s. It is one request: it waits in
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
      if (entry) settleError(this.dispatcher, entry, new AbortedError('the caller left the stream'));
    });
    const head = this.intake.head('stream', request?.model, options);
    const bad = !Array.isArray(head) ? head : checkChat(request);
    if (bad) {
      stream.fail(bad);
      return stream;
    }
    entry = streamEntry(...(head as Head), request, stream);
    this.dispatcher.submit(entry, options?.signal).then(
      () => stream.end(),
      (error: Error) => stream.fail(error),
    );
    return stream;
  }

  /** Embeds `input` (a string or a string[]); batchable models share HTTP calls (docs/ARCHITECTURE.md §2 "Batching"). */
  embed(request: EmbedRequest, options?: RequestOptions): Promise<EmbedReply> {
    if (!this.adapter.supportsEmbeddings) {
      return Promise.reject(new ConfigError(`${this.provider} has no embeddings endpoint; use openai or gemini for \`${request?.model}\``, 'model'));
    }
    const head = this.intake.head('embed', request?.model, options);
    if (!Array.isArray(head)) return Promise.reject(head);
    const input = request.input;
    const inputs = typeof input === 'string' ? [input] : input;
    if (!Array.isArray(inputs) || inputs.length === 0 || !inputs.every((s) => typeof s === 'string')) {
      return Promise.reject(invalid('embed', 'input', 'a string or a non-empty array of strings', input));
    }
    const batching = this.config.batching;
    const batchable = batching.enabled && batching.models.includes(request.model);
    // Not batched, but more inputs than one provider call takes: sent alone, in provider-sized chunks.
    const entry = batchable || inputs.length > this.adapter.maxEmbeddingInputs ? memberEntry(...head, inputs, batchable) : embedEntry(...head, inputs);
    return this.dispatcher.submit(entry, options?.signal) as Promise<EmbedReply>;
  }

  /**
   * Sends a command (docs/ARCHITECTURE.md §2): validated here — an invalid one throws `SB_CONFIG` synchronously and
   * changes nothing — then sent to `board.actor`, the only writer of the live configuration. A
   * `key.add`'s secret goes to the board's secret store; the actors see the name only.
   */
  send(command: BoardCommand): void {
    const error = commandError(command, this.actor.getSnapshot().context.keys.map((k) => k.name));
    if (error) throw error;
    this.actor.send(command as never);
  }

  private followMetricsSwitch(cfg: ResolvedConfig): void {
    if (cfg.metrics.enabled === this.metricsOptions.enabled) return;
    this.metricsOptions.enabled = cfg.metrics.enabled;
    this.metrics.dispose();
    this.metrics = createMetrics(this.metricsOptions);
  }

  /** A summary of the live system (docs/ARCHITECTURE.md §10): no secrets, cheap enough to poll. */
  state(): BoardState {
    return boardState(this.actor, this.dispatcher);
  }

  /** docs/ARCHITECTURE.md §6's report: counted per request, percentiles from histograms, bounded memory. */
  report(options: { includeDetails?: boolean } = {}): Report {
    return this.metrics.report(options.includeDetails === true, liveView(this.actor, this.dispatcher));
  }

  /** Zeroes the statistics; the breaker and the keys keep their state. */
  resetStats(): void {
    this.actor.send({ type: 'stats.reset' });
  }

  /** Prometheus exposition text (values read at scrape time). */
  metricsText(): Promise<string> {
    return this.metrics.metricsText();
  }

  /** Subscribes to a docs/ARCHITECTURE.md §7 event; returns the unsubscribe function. */
  on<K extends SwitchboardEventType>(type: K, listener: (payload: SwitchboardEvents[K]) => void): () => void {
    return this.emitter.on(type, listener);
  }

  /** The highest number of requests in flight at once since creation (for tests and benchmarks). */
  get peakInFlight(): number {
    return this.dispatcher.peakInFlight;
  }

  /**
   * With `shared`: resolves true once Redis answered (the first connection), false after
   * `timeoutMs` (requests meanwhile use a local share). Without `shared`: false at once.
   */
  sharedReady(timeoutMs = 5_000): Promise<boolean> {
    return this.shared ? this.shared.budget.ready(timeoutMs) : Promise.resolve(false);
  }

  /** `report().shared` alone, cheap to poll: off, or the Redis link's mode, instances alive and round trips. */
  sharedStatus(): Report['shared'] {
    return this.shared ? this.shared.live().report : { mode: 'off', instances: 1, scriptMsP50: 0, scriptMsP99: 0 };
  }

  /** The board's clock time (ms). */
  now(): number {
    return this.dispatcher.host.clock.now();
  }

  /** The configuration in force now (times in ms), as the supervisor actor holds it. */
  get config(): ResolvedConfig {
    return this.actor.getSnapshot().context.config;
  }

  /**
   * Stops the supervisor (docs/ARCHITECTURE.md §2 "Stop"). `drain: true` finishes queued and in-flight requests
   * until `timeoutMs`, then aborts the rest with `SB_SHUTDOWN`; without drain, at once. Resolves when
   * every request has settled and every actor, timer and pool is closed. Calling it twice is harmless.
   */
  stop(options: { drain?: boolean; timeoutMs?: number } = {}): Promise<void> {
    if (this.stopPromise) return this.stopPromise;
    const d = this.dispatcher;
    const clock = d.host.clock;
    this.actor.send({ type: 'lifecycle.drain', token: INTERNAL } as never);
    this.stopPromise = (async () => {
      if (options.drain) {
        d.batches.flushAll();
        let timer: unknown = null;
        await Promise.race([d.whenIdle(), new Promise<void>((resolve) => (timer = clock.setTimeout(resolve, options.timeoutMs ?? 30_000)))]);
        clock.clearTimeout(timer);
      }
      d.abortAll();
      await d.whenIdle();
      this.actor.send({ type: 'lifecycle.stop', token: INTERNAL } as never);
      this.schedule?.stop();
      d.dispose();
      this.actor.stop();
      this.metrics.dispose();
      await this.shared?.stop();
      if (this.ownsTransport) await (this.transport as { close?: () => Promise<void> }).close?.();
    })();
    return this.stopPromise;
  }
}

/**
 * Creates a supervisor for one provider endpoint (docs/ARCHITECTURE.md §2). Validates every option first and
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
