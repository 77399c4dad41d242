import { ConfigError } from '../errors.js';
import { invalid, type SupervisorOptions } from '../options.js';
import { createSupervisor, type Board } from '../supervisor/index.js';
import type { Transport } from '../transport/types.js';
import type { BoardState, Clock, KeyState, Logger, SwitchboardEvents, SwitchboardEventType } from '../types.js';
import { checkPriorityValue } from './attributes.js';
import { ClientAttributes, poolSize, type ClientInit } from './client-attributes.js';
import { toSeedReport, toSeedStats, type SeedReport, type SeedStats } from './seed-report.js';
import {
  chatBodyToRequest, embeddingBodyToRequest, endpointKind, toChatCompletion, toChatRequest, toChatResult,
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

type EndpointPrefix = '' | '/' | 'v1/' | '/v1/';

/**
 * A seed-compatible client (`openai_api`, `claude`, `groq`, `gemini`) over one supervisor: the
 * guide's configuration attributes (`ClientAttributes`: live properties, each assignment sent at
 * once), and here the priority numbers, the request methods and the monitoring methods.
 */
export class CompatClient extends ClientAttributes {
  #board: Board;
  #where: string;
  #priorities = { high: 0, normal: 1, low: 2 };
  #usage = new Map<string, number>();

  /** @internal Use the factories (`openai_api(...)` …) or `ApiKeyMultiplexer`. */
  constructor(init: ClientInit, options: CompatOptions = {}) {
    const board = openBoard(init, options);
    super(board, init);
    this.#board = board;
    this.#where = init.where;
    board.on('request.dispatched', (p) => this.#usage.set(p.keyName, (this.#usage.get(p.keyName) ?? 0) + 1));
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
    if (!this.stopped) this.#board.resetStats();
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
}

/**
 * The client's board. A pool's concurrency starts at the sum of its keys' limits unless set; a bad
 * base URL is reported under the guide's name for it, `base_url`.
 */
function openBoard(init: ClientInit, options: CompatOptions): Board {
  const { supervisor, ...runtime } = options;
  const queue = { ...supervisor?.queue };
  if (init.poolConcurrency === true && init.keys && init.keys.length > 0 && queue.maxConcurrent === undefined) queue.maxConcurrent = poolSize(init.keys);
  try {
    return createSupervisor({ ...supervisor, ...runtime, queue, provider: init.provider, keys: init.keys, baseUrl: init.baseUrl, strategy: init.strategy ?? supervisor?.strategy });
  } catch (error) {
    if (error instanceof ConfigError && error.field === 'baseUrl') throw new ConfigError(error.message.replace('`baseUrl`', '`base_url`'), 'base_url');
    throw error;
  }
}
