import { registerSecret } from '../keys/redact.js';
import { ConfigError } from '../errors.js';
import { invalid } from '../options.js';
import type { KeyState, Provider, StrategyName } from '../types.js';
import { INTERNAL, poolSize } from './client-attributes.js';
import { CompatClient, type CompatOptions, type KeyStats } from './client.js';

/** `add_*_key`'s options: the guide's `max_concurrent=5` keyword. */
export interface AddKeyOptions {
  /** Requests in flight at once on this key (default 5). */
  max_concurrent?: number;
}

/** `add_*_key`'s one-object form: `{ name, key, max_concurrent }` (or `key_name`, `api_key`). */
export interface AddKeyArgs extends AddKeyOptions {
  name?: string;
  key_name?: string;
  key?: string;
  api_key?: string;
}

/** `get_*_client`'s options: the guide's `strategy=` and `key_name=` keywords. */
export interface GetClientOptions {
  /** `'round-robin'` (default), `'least-loaded'` or `'headroom'` (underscores accepted). */
  strategy?: StrategyName | 'round_robin' | 'least_loaded';
  /** A client over this one key only. */
  key_name?: string;
}

/** The multiplexer's options: the runtime seams of the clients it makes, and their endpoints. */
export interface MultiplexerOptions extends CompatOptions {
  /** Base URL per provider (default: `OPENAI_BASE_URL` … from the environment, else the provider's). */
  base_urls?: Partial<Record<Provider, string>>;
}

/** `get_usage_stats()`: per provider, per key name. Never a key's value. */
export type UsageStats = Record<Provider, Record<string, KeyStats>>;

interface StoredKey {
  secret: string;
  maxConcurrent: number;
}

const PROVIDERS: readonly Provider[] = ['openai', 'anthropic', 'groq', 'gemini'];
const STRATEGIES: Record<string, StrategyName> = {
  'round-robin': 'round-robin', round_robin: 'round-robin',
  'least-loaded': 'least-loaded', least_loaded: 'least-loaded',
  headroom: 'headroom',
};
const STATE_RANK: Record<KeyState, number> = { ready: 0, cooling: 1, exhausted: 2, disabled: 3 };

/**
 * The seed's `ApiKeyMultiplexer`: named keys per provider, and clients that spread requests over
 * them. `get_openai_client({ strategy })` is ONE client (one queue, one breaker) over all of that
 * provider's keys, chosen per request by the strategy; keys added later reach it at once. With
 * `key_name` it is a client over that key alone. The same arguments return the same client (until
 * it is stopped). Keys are held privately and never returned, logged or reported — only names.
 *
 * ```ts
 * const mux = new ApiKeyMultiplexer();
 * mux.add_openai_key('key1', 'sk-…', { max_concurrent: 5 });
 * const client = mux.get_openai_client({ strategy: 'least-loaded' });
 * ```
 */
export class ApiKeyMultiplexer {
  #keys: Record<Provider, Map<string, StoredKey>> = { openai: new Map(), anthropic: new Map(), groq: new Map(), gemini: new Map() };
  #clients: Record<Provider, Map<string, { client: CompatClient; keyName: string | null }>> = {
    openai: new Map(), anthropic: new Map(), groq: new Map(), gemini: new Map(),
  };
  #options: MultiplexerOptions;

  constructor(options: MultiplexerOptions = {}) {
    this.#options = options;
  }

  /** Adds (or replaces) an OpenAI key: `add_openai_key('key1', 'sk-…', { max_concurrent: 5 })`. Throws `SB_CONFIG`. */
  add_openai_key(name: string | AddKeyArgs, key?: string, options?: AddKeyOptions | number): void {
    this.#add('openai', 'add_openai_key', name, key, options);
  }
  /** Adds (or replaces) an Anthropic key. */
  add_claude_key(name: string | AddKeyArgs, key?: string, options?: AddKeyOptions | number): void {
    this.#add('anthropic', 'add_claude_key', name, key, options);
  }
  /** Adds (or replaces) a Groq key. */
  add_groq_key(name: string | AddKeyArgs, key?: string, options?: AddKeyOptions | number): void {
    this.#add('groq', 'add_groq_key', name, key, options);
  }
  /** Adds (or replaces) a Gemini key. */
  add_gemini_key(name: string | AddKeyArgs, key?: string, options?: AddKeyOptions | number): void {
    this.#add('gemini', 'add_gemini_key', name, key, options);
  }

  /** One OpenAI client over every OpenAI key (or the one `key_name`). Throws `SB_CONFIG` on a bad strategy or unknown key name. */
  get_openai_client(options?: GetClientOptions | GetClientOptions['strategy']): CompatClient {
    return this.#client('openai', 'get_openai_client', options);
  }
  /** One Anthropic client over every Claude key (or the one `key_name`). */
  get_claude_client(options?: GetClientOptions | GetClientOptions['strategy']): CompatClient {
    return this.#client('anthropic', 'get_claude_client', options);
  }
  /** One Groq client over every Groq key (or the one `key_name`). */
  get_groq_client(options?: GetClientOptions | GetClientOptions['strategy']): CompatClient {
    return this.#client('groq', 'get_groq_client', options);
  }
  /** One Gemini client over every Gemini key (or the one `key_name`). */
  get_gemini_client(options?: GetClientOptions | GetClientOptions['strategy']): CompatClient {
    return this.#client('gemini', 'get_gemini_client', options);
  }

  /**
   * Per provider, per key name, added up over the clients this multiplexer made: `usage` (HTTP
   * attempts sent with the key), `in_flight`, `queue_size` (requests waiting in the queues the key
   * serves), `max_concurrent`, and `state` (the worst any client sees: disabled > exhausted >
   * cooling > ready). Every provider is present; a key no client used yet shows zeros.
   */
  get_usage_stats(): UsageStats {
    const out = {} as UsageStats;
    for (const provider of PROVIDERS) {
      const perKey: Record<string, KeyStats> = {};
      for (const [name, stored] of this.#keys[provider]) {
        perKey[name] = { usage: 0, in_flight: 0, queue_size: 0, max_concurrent: stored.maxConcurrent, state: 'ready' };
      }
      for (const { client } of this.#clients[provider].values()) {
        for (const [name, k] of Object.entries(client.get_key_stats())) {
          const sum = (perKey[name] ??= { usage: 0, in_flight: 0, queue_size: 0, max_concurrent: k.max_concurrent, state: 'ready' });
          sum.usage += k.usage;
          sum.in_flight += k.in_flight;
          sum.queue_size += k.queue_size;
          if (STATE_RANK[k.state] > STATE_RANK[sum.state]) sum.state = k.state;
        }
      }
      out[provider] = perKey;
    }
    return out;
  }

  /** Stops every client this multiplexer made. */
  async stop(): Promise<void> {
    const clients = PROVIDERS.flatMap((p) => [...this.#clients[p].values()].map((c) => c.client));
    await Promise.all(clients.map((c) => c.stop()));
  }

  /** Names only: no key values. */
  toJSON(): Record<string, string[]> {
    return Object.fromEntries(PROVIDERS.map((p) => [p, [...this.#keys[p].keys()]]));
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `ApiKeyMultiplexer ${JSON.stringify(this.toJSON())}`;
  }

  #add(provider: Provider, where: string, nameOrArgs: string | AddKeyArgs, key: string | undefined, options: AddKeyOptions | number | undefined): void {
    let name: unknown = nameOrArgs;
    let secret: unknown = key;
    let max: unknown = typeof options === 'number' ? options : options?.max_concurrent;
    if (typeof nameOrArgs === 'object' && nameOrArgs !== null) {
      name = nameOrArgs.name ?? nameOrArgs.key_name;
      secret = nameOrArgs.key ?? nameOrArgs.api_key;
      max = nameOrArgs.max_concurrent;
    }
    if (typeof name !== 'string' || name === '') throw invalid(where, 'name', 'a non-empty string', name);
    // The key's value is never echoed in an error.
    if (typeof secret !== 'string' || secret.trim() === '') throw new ConfigError(`${where}: expected \`key\` to be a non-empty string (the API key)`, 'key');
    if (max !== undefined && !(typeof max === 'number' && Number.isInteger(max) && max >= 1)) throw invalid(where, 'max_concurrent', 'an integer >= 1', max);
    registerSecret(secret);
    const stored: StoredKey = { secret: secret.trim(), maxConcurrent: (max as number | undefined) ?? 5 };
    this.#keys[provider].set(name, stored);
    const total = poolSize([...this.#keys[provider].values()]);
    for (const { client, keyName } of this.#clients[provider].values()) {
      if (keyName === null || keyName === name) client[INTERNAL].addKey({ name, secret: stored.secret, maxConcurrent: stored.maxConcurrent }, keyName === null ? total : stored.maxConcurrent);
    }
  }

  #client(provider: Provider, where: string, options: GetClientOptions | GetClientOptions['strategy'] | undefined): CompatClient {
    const opts: GetClientOptions = typeof options === 'string' ? { strategy: options } : (options ?? {});
    const strategy = STRATEGIES[String(opts.strategy ?? 'round-robin')];
    if (!strategy) throw invalid(`ApiKeyMultiplexer.${where}`, 'strategy', "one of 'round-robin', 'least-loaded', 'headroom'", opts.strategy);
    const keyName = opts.key_name ?? null;
    if (keyName !== null && !this.#keys[provider].has(keyName)) {
      throw invalid(`ApiKeyMultiplexer.${where}`, 'key_name', `the name of an added key (${[...this.#keys[provider].keys()].join(', ') || 'none added'})`, keyName);
    }
    const cacheKey = `${strategy}\u0000${keyName ?? ''}`;
    const cached = this.#clients[provider].get(cacheKey);
    if (cached && !cached.client.stopped) return cached.client;
    const entries = [...this.#keys[provider]].filter(([name]) => keyName === null || name === keyName);
    const { base_urls: baseUrls, ...compat } = this.#options;
    const client = new CompatClient(
      {
        provider,
        where: `ApiKeyMultiplexer.${where}`,
        keys: entries.map(([name, k]) => ({ name, secret: k.secret, maxConcurrent: k.maxConcurrent })),
        baseUrl: baseUrls?.[provider],
        strategy,
        poolConcurrency: true,
      },
      compat,
    );
    this.#clients[provider].set(cacheKey, { client, keyName });
    return client;
  }
}
