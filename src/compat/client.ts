import { ConfigError } from '../errors.js';
import { invalid, type SupervisorOptions } from '../options.js';
import { createSupervisor, type Board } from '../supervisor/index.js';
import type { Transport } from '../transport/types.js';
import type {
  BoardState, Clock, KeyConfig, KeyState, Logger, Provider, StrategyName, SwitchboardEvents, SwitchboardEventType,
} from '../types.js';
import {
  attributeUpdate, breakerTarget, checkModelList, checkPriorityValue, readAttribute, seedCircuitState,
  type ConfigAttribute, type SeedCircuitState,
} from './attributes.js';
import { toSeedReport, toSeedStats, type SeedReport, type SeedStats } from './seed-report.js';
import {
  chatBodyToRequest, embeddingBodyToRequest, endpointKind, timeoutMs, toChatCompletion, toChatRequest, toChatResult,
  toEmbeddingList, toEmbeddingResult, toRequestOptions,
  type ChatCompletion, type ChatOptions, type ChatResult, type EmbeddingList, type EmbeddingOptions, type EmbeddingResult,
  type MakeRequestOptions,
} from './shapes.js';

/**
 * What the compat factories and `ApiKeyMultiplexer` take besides the guide's arguments: the
 * runtime seams of `createSupervisor` (a simulated clock and seeded random in tests and in the
 * examples' `--fast` mode, an injected transport), and core options applied before the guide's
 * attributes (e.g. `{ retry: { jitter: 'none' } }` for exact seed-style waits).
 */
export interface CompatOptions {
  clock?: Clock;
  random?: () => number;
  transport?: Transport;
  /** Where keys and base URLs are looked up (default: `process.env` over `.env`). */
  env?: Record<string, string | undefined>;
  logger?: Logger;
  inspect?: unknown;
  supervisor?: Omit<SupervisorOptions, 'provider' | 'keys' | 'baseUrl' | 'clock' | 'random' | 'transport' | 'env' | 'logger' | 'inspect'>;
}

/** Per-key figures of one client: what `ApiKeyMultiplexer.get_usage_stats()` adds up. */
export interface KeyStats {
  /** HTTP attempts sent with this key since the client was created. */
  usage: number;
  in_flight: number;
  /** Requests waiting in this client's queue (a pooled client's queue is shared by its keys). */
  queue_size: number;
  max_concurrent: number;
  state: KeyState;
}

/** A message as the guide passes it: `{ role, content }` (a string is one user message). */
export interface SeedMessage {
  role: 'system' | 'user' | 'assistant' | 'tool';
  content: unknown;
  [field: string]: unknown;
}

/** @internal What a factory or the multiplexer tells the client it builds. */
export interface ClientInit {
  provider: Provider;
  /** The name errors start with: `openai_api`, `ApiKeyMultiplexer.get_groq_client` … */
  where: string;
  /** Undefined: from the environment (docs/ARCHITECTURE.md §5). */
  keys?: KeyConfig[];
  baseUrl?: string;
  strategy?: StrategyName;
  /** A multiplexer pool: `max_concurrent_requests` follows the sum of its keys' `max_concurrent` until assigned. */
  poolConcurrency?: boolean;
}

/** @internal The multiplexer's hooks (a symbol, so they are not part of the guide's surface). */
export const INTERNAL = Symbol('switchboard.compat.internal');

type Values = Record<ConfigAttribute, number | boolean>;
type EndpointPrefix = '' | '/' | 'v1/' | '/v1/';

/**
 * A seed-compatible client (`openai_api`, `claude`, `groq`, `gemini`): the guide's attributes as live
 * properties over one supervisor, and its methods. Every assignment is validated (an invalid value
 * throws `ConfigError`, `SB_CONFIG`, naming the attribute), converted (seconds → ms) and sent as a
 * `config.update` at once; reading returns exactly what was assigned.
 *
 * Longer than STYLE's 300 lines on purpose: it is the guide's whole surface — twenty documented
 * live attributes and the methods — on one class, as the guide has it.
 */
export class CompatClient {
  readonly provider: Provider;
  #board: Board;
  #where: string;
  #values: Values;
  #priorities = { high: 0, normal: 1, low: 2 };
  #embeddingModels: string[];
  #completionModels: string[] = [];
  #batchModels: string[] | null = null;
  #poolConcurrency: boolean;
  #usage = new Map<string, number>();
  #stopped = false;

  /** @internal Use the factories (`openai_api(...)` …) or `ApiKeyMultiplexer`. */
  constructor(init: ClientInit, options: CompatOptions = {}) {
    this.provider = init.provider;
    this.#where = init.where;
    this.#poolConcurrency = init.poolConcurrency === true;
    const { supervisor, ...runtime } = options;
    const queue = { ...supervisor?.queue };
    if (this.#poolConcurrency && init.keys && init.keys.length > 0 && queue.maxConcurrent === undefined) queue.maxConcurrent = poolSize(init.keys);
    try {
      this.#board = createSupervisor({ ...supervisor, ...runtime, queue, provider: init.provider, keys: init.keys, baseUrl: init.baseUrl, strategy: init.strategy ?? supervisor?.strategy });
    } catch (error) {
      if (error instanceof ConfigError && error.field === 'baseUrl') throw new ConfigError(error.message.replace('`baseUrl`', '`base_url`'), 'base_url');
      throw error;
    }
    const cfg = this.#board.config;
    this.#values = Object.fromEntries(
      (['queue_size', 'max_concurrent_requests', 'failure_threshold', 'reset_timeout', 'collect_metrics', 'batching_enabled', 'max_batch_size',
        'batch_timeout', 'max_retries', 'initial_retry_delay', 'backoff_factor', 'max_retry_delay'] as const).map((n) => [n, readAttribute(cfg, n)]),
    ) as Values;
    this.#embeddingModels = [...cfg.batching.models];
    this.#board.on('request.dispatched', (p) => this.#usage.set(p.keyName, (this.#usage.get(p.keyName) ?? 0) + 1));
  }

  // ── priorities ───────────────────────────────────────────────────────────────────────────

  /** The number meaning "high" in `priority` (default 0). Lower numbers are more urgent. */
  get PRIORITY_HIGH(): number { return this.#priorities.high; }
  set PRIORITY_HIGH(v: number) { this.#priorities.high = checkPriorityValue(this.#where, 'PRIORITY_HIGH', v); }
  /** The number meaning "normal" in `priority` (default 1). */
  get PRIORITY_NORMAL(): number { return this.#priorities.normal; }
  set PRIORITY_NORMAL(v: number) { this.#priorities.normal = checkPriorityValue(this.#where, 'PRIORITY_NORMAL', v); }
  /** The number meaning "low" in `priority` (default 2). */
  get PRIORITY_LOW(): number { return this.#priorities.low; }
  set PRIORITY_LOW(v: number) { this.#priorities.low = checkPriorityValue(this.#where, 'PRIORITY_LOW', v); }

  // ── queue ────────────────────────────────────────────────────────────────────────────────

  /** Requests allowed to wait (`queue.size`, default 100); one more is rejected `SB_QUEUE_FULL`. */
  get queue_size(): number { return this.#get('queue_size') as number; }
  set queue_size(v: number) { this.#set('queue_size', v); }
  /** Requests in flight at once (`queue.maxConcurrent`, default 5). */
  get max_concurrent_requests(): number { return this.#get('max_concurrent_requests') as number; }
  set max_concurrent_requests(v: number) {
    this.#set('max_concurrent_requests', v);
    this.#poolConcurrency = false;
  }

  // ── circuit breaker ──────────────────────────────────────────────────────────────────────

  /** Consecutive failed attempts that open the breaker (default 5). */
  get failure_threshold(): number { return this.#get('failure_threshold') as number; }
  set failure_threshold(v: number) { this.#set('failure_threshold', v); }
  /** Seconds the breaker stays open before half-open (default 30). */
  get reset_timeout(): number { return this.#get('reset_timeout') as number; }
  set reset_timeout(v: number) { this.#set('reset_timeout', v); }

  /**
   * The breaker now: `'CLOSED' | 'OPEN' | 'HALF_OPEN'` (forced open reads `'OPEN'`, disabled reads
   * `'CLOSED'`). Assigning forces it: `'OPEN'` opens it as if tripped (half-open after `reset_timeout`).
   */
  get circuit_state(): SeedCircuitState { return seedCircuitState(this.#board.state().breaker); }
  set circuit_state(v: SeedCircuitState) {
    const state = breakerTarget(this.#where, v);
    if (!this.#stopped) this.#board.send({ type: 'breaker.force', state });
  }

  // ── metrics ──────────────────────────────────────────────────────────────────────────────

  /** Whether requests are counted for `generate_report` / `get_stats` (default true). */
  get collect_metrics(): boolean { return this.#get('collect_metrics') as boolean; }
  set collect_metrics(v: boolean) { this.#set('collect_metrics', v); }

  // ── batching ─────────────────────────────────────────────────────────────────────────────

  /** Whether embeddings of `supported_batch_models` share HTTP calls (default true). */
  get batching_enabled(): boolean { return this.#get('batching_enabled') as boolean; }
  set batching_enabled(v: boolean) { this.#set('batching_enabled', v); }
  /** Inputs per batch (default 10). */
  get max_batch_size(): number { return this.#get('max_batch_size') as number; }
  set max_batch_size(v: number) { this.#set('max_batch_size', v); }
  /** Seconds a batch waits for more inputs after its first (default 0.5). */
  get batch_timeout(): number { return this.#get('batch_timeout') as number; }
  set batch_timeout(v: number) { this.#set('batch_timeout', v); }

  /** Embedding models that batch. Assigning makes `supported_batch_models` follow this list and `completion_models` again. */
  get embedding_models(): string[] { return this.#embeddingModels; }
  set embedding_models(v: string[]) {
    const list = checkModelList(this.#where, 'embedding_models', v);
    this.#sendModels(dedupe([...list, ...this.#completionModels]), 'embedding_models');
    this.#embeddingModels = list;
    this.#batchModels = null;
  }
  /**
   * Completion models listed as batchable (default `[]`). The core batches embeddings only: a chat
   * is never batched, an embedding request for a model listed here is.
   */
  get completion_models(): string[] { return this.#completionModels; }
  set completion_models(v: string[]) {
    const list = checkModelList(this.#where, 'completion_models', v);
    this.#sendModels(dedupe([...this.#embeddingModels, ...list]), 'completion_models');
    this.#completionModels = list;
    this.#batchModels = null;
  }
  /**
   * The models whose requests batch (`batching.models`): `embedding_models` then `completion_models`
   * until assigned; once assigned, exactly what was assigned (until either list is assigned again).
   */
  get supported_batch_models(): string[] {
    return this.#batchModels ?? [...this.#embeddingModels, ...this.#completionModels];
  }
  set supported_batch_models(v: string[]) {
    const list = checkModelList(this.#where, 'supported_batch_models', v);
    this.#sendModels(dedupe(list), 'supported_batch_models');
    this.#batchModels = list;
  }

  // ── retry and backoff ────────────────────────────────────────────────────────────────────

  /** Retries after the first attempt (default 5); then `SB_RETRIES_EXHAUSTED`. */
  get max_retries(): number { return this.#get('max_retries') as number; }
  set max_retries(v: number) { this.#set('max_retries', v); }
  /** Seconds before the first retry (default 1). */
  get initial_retry_delay(): number { return this.#get('initial_retry_delay') as number; }
  set initial_retry_delay(v: number) { this.#set('initial_retry_delay', v); }
  /** Each retry waits this many times longer than the previous one (default 2). */
  get backoff_factor(): number { return this.#get('backoff_factor') as number; }
  set backoff_factor(v: number) { this.#set('backoff_factor', v); }
  /** Seconds a backoff wait is capped at (default 16). A provider's own `retry-after` wins. */
  get max_retry_delay(): number { return this.#get('max_retry_delay') as number; }
  set max_retry_delay(v: number) { this.#set('max_retry_delay', v); }

  // ── requests ─────────────────────────────────────────────────────────────────────────────

  /**
   * A chat completion through the queue, breaker, keys and retries. Resolves to `ChatResult`
   * (`{ text, model, usage, … , reply }`); rejects with a `SwitchboardError` (`SB_CIRCUIT_OPEN`,
   * `SB_QUEUE_FULL`, `SB_RETRIES_EXHAUSTED`, `SB_PROVIDER`, `SB_CONFIG` for a bad argument, …).
   */
  async chat(model: string, messages: SeedMessage[] | string, options: ChatOptions = {}): Promise<ChatResult> {
    const where = `${this.#where}.chat`;
    const request = toChatRequest(where, model, messages, options ?? {});
    return toChatResult(await this.#board.chat(request, toRequestOptions(where, options ?? {}, this.#priorities)));
  }

  /** Embeds a string or a string[] (batched for `supported_batch_models`). Resolves to `EmbeddingResult`. */
  async embedding(model: string, input: string | string[], options: EmbeddingOptions = {}): Promise<EmbeddingResult> {
    const where = `${this.#where}.embedding`;
    return toEmbeddingResult(await this.#board.embed({ model, input }, toRequestOptions(where, options ?? {}, this.#priorities)));
  }

  /**
   * Sends an OpenAI-shaped body to `'chat/completions'` or `'embeddings'` (any provider: the body is
   * translated) and resolves to OpenAI's answer shape, with `request_id`, `provider`, `key_name`.
   */
  make_request(endpoint: `${EndpointPrefix}chat/completions`, data: Record<string, unknown>, options?: MakeRequestOptions): Promise<ChatCompletion>;
  make_request(endpoint: `${EndpointPrefix}embeddings`, data: Record<string, unknown>, options?: MakeRequestOptions): Promise<EmbeddingList>;
  make_request(endpoint: string, data: Record<string, unknown>, options?: MakeRequestOptions): Promise<ChatCompletion | EmbeddingList>;
  async make_request(endpoint: string, data: Record<string, unknown>, options: MakeRequestOptions = {}): Promise<ChatCompletion | EmbeddingList> {
    const where = `${this.#where}.make_request`;
    const kind = endpointKind(where, endpoint);
    if (typeof data !== 'object' || data === null || Array.isArray(data)) throw invalid(where, 'data', 'an object (the OpenAI request body)', data);
    const requestOptions = toRequestOptions(where, options ?? {}, this.#priorities);
    if (kind === 'chat') {
      const reply = await this.#board.chat(chatBodyToRequest(where, data), requestOptions);
      return toChatCompletion(reply, this.#board.now());
    }
    return toEmbeddingList(await this.#board.embed(embeddingBodyToRequest(where, data), requestOptions));
  }

  // ── monitoring ───────────────────────────────────────────────────────────────────────────

  /** The live counters (`SeedStats`): totals since the last reset, queue depth and in-flight now, breaker. */
  get_stats(): SeedStats {
    return toSeedStats(this.#board.report(), this.#board.state());
  }

  /** Zeroes the statistics; the breaker and the keys keep their state. */
  reset_stats(): void {
    if (!this.#stopped) this.#board.resetStats();
  }

  /**
   * The seed's report (`SeedReport`, seconds): `generate_report({ include_details: true })`, or
   * `generate_report(true)`. Details hold queue waits and the backoff waits actually slept.
   */
  generate_report(options: { include_details?: boolean } | boolean = {}): SeedReport {
    const details = typeof options === 'boolean' ? options : options?.include_details === true;
    return toSeedReport(this.#board.report({ includeDetails: details }), details);
  }

  /**
   * True when a request may go through the breaker now: `CLOSED` (or disabled), or `HALF_OPEN`
   * (its probe may). False while `OPEN` or forced open. It does not say whether a key is free.
   */
  check_circuit_breaker(): boolean {
    const state = this.#board.state().breaker;
    return state === 'closed' || state === 'disabled' || state === 'halfOpen';
  }

  /** Per key name: usage (HTTP attempts), in flight, queue depth, limit and state. */
  get_key_stats(): Record<string, KeyStats> {
    const state = this.#board.state();
    const out: Record<string, KeyStats> = {};
    for (const k of state.keys) {
      out[k.name] = { usage: this.#usage.get(k.name) ?? 0, in_flight: k.inFlight, queue_size: state.queue.depth, max_concurrent: k.maxConcurrent, state: k.state };
    }
    return out;
  }

  /** The core's live view (`BoardState`): breaker, queue, keys (names only), batchers. */
  state(): BoardState {
    return this.#board.state();
  }

  /** Subscribes to a core event (docs/ARCHITECTURE.md §7); returns the unsubscribe function. */
  on<K extends SwitchboardEventType>(type: K, listener: (payload: SwitchboardEvents[K]) => void): () => void {
    return this.#board.on(type, listener);
  }

  /** Stops the client: without `drain`, at once; with it, waits up to `timeout` seconds (default 30). Idempotent. */
  stop(options: { drain?: boolean; timeout?: number } = {}): Promise<void> {
    this.#stopped = true;
    const timeout = options.timeout === undefined ? undefined : timeoutMs(`${this.#where}.stop`, options.timeout);
    return this.#board.stop({ drain: options.drain === true, ...(timeout !== undefined ? { timeoutMs: timeout } : {}) });
  }

  /** Whether `stop()` was called. */
  get stopped(): boolean {
    return this.#stopped;
  }

  /** A summary without secrets, for `JSON.stringify` and `console.log`. */
  toJSON(): Record<string, unknown> {
    return { provider: this.provider, keys: this.#board.state().keys.map((k) => k.name), circuit_state: this.circuit_state, ...this.#values };
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `CompatClient ${JSON.stringify(this.toJSON())}`;
  }

  /** @internal */
  get [INTERNAL]() {
    return {
      addKey: (key: KeyConfig & { maxConcurrent: number }, poolTotal: number) => {
        if (this.#stopped) return;
        this.#board.send({ type: 'key.add', key });
        if (this.#poolConcurrency && poolTotal !== this.#board.config.queue.maxConcurrent) {
          this.#board.send({ type: 'config.update', config: { queue: { maxConcurrent: poolTotal } } });
          this.#values.max_concurrent_requests = poolTotal;
        }
      },
    };
  }

  // ── internals ────────────────────────────────────────────────────────────────────────────

  #get(name: ConfigAttribute): number | boolean {
    return this.#values[name];
  }

  #set(name: ConfigAttribute, value: unknown): void {
    const update = attributeUpdate(this.#where, name, value);
    this.#send(update, name);
    this.#values[name] = value as number | boolean;
  }

  #sendModels(models: string[], name: string): void {
    this.#send({ batching: { models } }, name);
  }

  #send(config: Record<string, Record<string, unknown>>, name: string): void {
    if (this.#stopped) return;
    try {
      this.#board.send({ type: 'config.update', config });
    } catch (error) {
      if (error instanceof ConfigError) throw new ConfigError(`${this.#where}: cannot set \`${name}\`: ${error.message}`, name);
      throw error;
    }
  }
}

function dedupe(models: string[]): string[] {
  return [...new Set(models)];
}

/** A pool's concurrency: the sum of its keys' limits. */
export function poolSize(keys: ReadonlyArray<{ maxConcurrent?: number }>): number {
  return Math.max(1, keys.reduce((sum, k) => sum + (k.maxConcurrent ?? 5), 0));
}
