import { ConfigError } from '../errors.js';
import type { Board } from '../supervisor/index.js';
import type { KeyConfig, Provider, StrategyName } from '../types.js';
import {
  attributeUpdate, breakerTarget, checkModelList, readAttribute, seedCircuitState,
  type ConfigAttribute, type SeedCircuitState,
} from './attributes.js';
import { timeoutMs } from './shapes.js';

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

/** A pool's concurrency: the sum of its keys' limits. */
export function poolSize(keys: ReadonlyArray<{ maxConcurrent?: number }>): number {
  return Math.max(1, keys.reduce((sum, k) => sum + (k.maxConcurrent ?? 5), 0));
}

type Values = Record<ConfigAttribute, number | boolean>;

/**
 * The guide's configuration attributes of a client (docs/ARCHITECTURE.md §8), as live properties
 * over its board: every assignment is validated (an invalid value throws `ConfigError`, `SB_CONFIG`,
 * naming the attribute), converted (seconds → ms) and sent as a `config.update` (`breaker.force` for
 * `circuit_state`) at once; reading returns exactly what was assigned. The client's lifecycle lives
 * here too, as every assignment depends on it: after `stop()` none is sent. `CompatClient` adds the
 * guide's methods.
 */
export class ClientAttributes {
  readonly provider: Provider;
  #board: Board;
  #where: string;
  #values: Values;
  #embeddingModels: string[];
  #completionModels: string[] = [];
  #batchModels: string[] | null = null;
  #poolConcurrency: boolean;
  #stopped = false;

  /** @internal The board is `CompatClient`'s, built from the same `init`. */
  constructor(board: Board, init: ClientInit) {
    this.provider = init.provider;
    this.#board = board;
    this.#where = init.where;
    this.#poolConcurrency = init.poolConcurrency === true;
    const cfg = board.config;
    this.#values = Object.fromEntries(
      (['queue_size', 'max_concurrent_requests', 'failure_threshold', 'reset_timeout', 'collect_metrics', 'batching_enabled', 'max_batch_size',
        'batch_timeout', 'max_retries', 'initial_retry_delay', 'backoff_factor', 'max_retry_delay'] as const).map((n) => [n, readAttribute(cfg, n)]),
    ) as Values;
    this.#embeddingModels = [...cfg.batching.models];
  }

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

  // ── lifecycle and summary ────────────────────────────────────────────────────────────────

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
