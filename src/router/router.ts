import { Registry } from 'prom-client';
import { ConfigError, UnknownModelError } from '../errors.js';
import type { SupervisorOptions } from '../options.js';
import { validateOptions } from '../options.js';
import { createSupervisor, type Board, type BoardCommand } from '../supervisor/index.js';
import { connectionsWanted } from '../supervisor/connections.js';
import { createUndiciTransport } from '../transport/undici.js';
import type { Transport } from '../transport/types.js';
import { PROVIDERS, type BoardState, type ChatRequest, type RichChatReply, type RichChatRequest, type Clock, type EmbedReply, type EmbedRequest, type Provider, type Report, type RequestOptions } from '../types.js';
import { FallbackChain, type Route, type RoutedChunk, type RoutedReply } from './fallback-chain.js';
import { validateGroups, type ModelGroups } from './groups.js';
import { routeModel } from './routing.js';

/** Options of `createRouter`. Shared `clock`, `random`, `logger`, `inspect`, `transport` apply to every provider. */
export interface RouterOptions {
  providers: Partial<Record<Provider, Omit<SupervisorOptions, 'provider'>>>;
  /** `{ [model]: [fallback models, in order] }`; a fallback may carry a provider prefix, or be an alias. */
  fallbacks?: Record<string, string[]>;
  /** Tried instead when the prompt exceeds the model's context window (`SB_CONTEXT_LENGTH`). */
  contextFallbacks?: Record<string, string[]>;
  /** Tried instead when the provider refuses the content on policy grounds (`SB_CONTENT_POLICY`). */
  contentPolicyFallbacks?: Record<string, string[]>;
  /** `{ [alias]: model }`, resolved before routing (`{ fast: 'groq/llama-3.1-8b-instant' }`). */
  aliases?: Record<string, string>;
  clock?: Clock;
  random?: () => number;
  logger?: SupervisorOptions['logger'];
  inspect?: unknown;
  transport?: Transport;
  env?: Record<string, string | undefined>;
}

export interface RouterReport {
  generatedAt: string;
  /** Caller requests (one each, whatever the fallbacks); `retries` and `fallbacks` summed over the providers. */
  overall: { totalRequests: number; succeeded: number; failed: number; successRate: number; retries: number; fallbacks: number };
  providers: Partial<Record<Provider, Report>>;
  /** `{ [requested model]: { [model that served]: count } }`. */
  fallbacks: Record<string, Record<string, number>>;
}

/**
 * One supervisor per provider behind routing by model (see `routeModel`) with fallback groups.
 *
 * ```ts
 * const router = createRouter({ providers: { openai: {}, anthropic: {} }, fallbacks: { 'gpt-4o-mini': ['anthropic/claude-3-5-haiku-latest'] } });
 * const reply = await router.chat({ model: 'gpt-4o-mini', messages });   // reply.provider, reply.fallbackFrom
 * ```
 */
export class Router {
  readonly boards = new Map<Provider, Board>();
  /** One Prometheus registry for every provider (a `provider` label tells them apart). */
  readonly registry = new Registry();
  private groups: ModelGroups;
  /** Walks each request through its fallback groups; counts caller requests and fallbacks. */
  private readonly chain = new FallbackChain(this);
  private readonly transport: Transport;
  private readonly ownsTransport: boolean;
  private readonly clock: Clock | undefined;
  private boardList: Board[] | null = null;

  constructor(options: RouterOptions) {
    if (!options || typeof options.providers !== 'object' || options.providers === null) {
      throw new ConfigError('createRouter: expected `providers` to be an object of provider options, got ' + typeof options?.providers, 'providers');
    }
    for (const name of Object.keys(options.providers)) {
      if (!(PROVIDERS as readonly string[]).includes(name)) throw new ConfigError(`createRouter: unknown provider \`providers.${name}\``, `providers.${name}`);
      validateOptions(options.providers[name as Provider], `createRouter: providers.${name}`);
    }
    this.groups = validateGroups(options);
    this.ownsTransport = !options.transport;
    // As many connections as the boards can have in flight together (a sum: two may share an
    // origin), at most 128; the pool grows if a board's queue.maxConcurrent does.
    this.transport = options.transport ?? createUndiciTransport({
      connections: () => {
        // Asked per request: an array (the boards never change after construction), no iterator.
        const boards = this.boardList ?? [...this.boards.values()];
        let n = 0;
        for (let i = 0; i < boards.length; i++) n += connectionsWanted(boards[i]!);
        return Math.min(128, Math.max(1, n));
      },
    });
    this.clock = options.clock;
    for (const [name, opts] of Object.entries(options.providers) as Array<[Provider, SupervisorOptions]>) {
      this.boards.set(
        name,
        createSupervisor({
          clock: options.clock, random: options.random, logger: options.logger, inspect: options.inspect, env: options.env,
          transport: this.transport,
          ...opts,
          provider: name,
          metrics: { ...opts.metrics, registry: this.registry },
        }),
      );
    }
    this.boardList = [...this.boards.values()];
  }

  /** Which provider and model a requested model goes to; `UnknownModelError` (SB_CONFIG, 404 at the gateway) if none. */
  route(model: string): Route {
    const resolved = typeof model === 'string' && Object.hasOwn(this.groups.aliases, model) ? this.groups.aliases[model]! : model;
    const r = typeof resolved === 'string' ? routeModel(resolved) : null;
    if (!r) throw new UnknownModelError(String(model), 'not a known model family; prefix it with openai/, anthropic/, groq/ or gemini/');
    const board = this.boards.get(r.provider);
    if (!board) throw new UnknownModelError(model, `provider ${r.provider} is not configured (no key)`);
    return { provider: r.provider, model: r.model, board };
  }

  /** The aliases and fallback groups in force (a copy). */
  modelGroups(): ModelGroups {
    return structuredClone(this.groups);
  }

  /**
   * Replaces the aliases and fallback groups (those given; the others stay), validated first: an
   * invalid one changes nothing (`SB_CONFIG`). Requests already running keep the groups they started with.
   */
  setModelGroups(groups: Partial<ModelGroups>): void {
    this.groups = validateGroups({ ...this.groups, ...groups }, 'router.setModelGroups');
  }

  chat(request: ChatRequest | RichChatRequest, options: RequestOptions = {}): Promise<RoutedReply<RichChatReply>> {
    return this.chain.withFallbacks(this.groups, request.model, options, (board, model, opts) => board.chat(model === request.model ? request : { ...request, model }, opts));
  }

  /**
   * Streams a chat with the same routing and fallbacks; a fallback happens only before the first
   * chunk. Leaving the loop aborts the upstream call.
   */
  async *chatStream(request: ChatRequest | RichChatRequest, options: RequestOptions = {}): AsyncGenerator<RoutedChunk, void, undefined> {
    let outcome: unknown = new Error('the caller left the stream');
    try {
      yield* this.chain.streamChain(this.groups, request, options);
      outcome = null;
    } catch (error) {
      outcome = error;
      throw error;
    } finally {
      this.chain.count(outcome);
    }
  }

  embed(request: EmbedRequest, options: RequestOptions = {}): Promise<RoutedReply<EmbedReply>> {
    return this.chain.withFallbacks(this.groups, request.model, options, (board, model, opts) => board.embed({ ...request, model }, opts));
  }

  /** Per provider and overall, with fallbacks per route. */
  report(options: { includeDetails?: boolean } = {}): RouterReport {
    const providers: Partial<Record<Provider, Report>> = {};
    const totals = this.chain.totals;
    const overall = { totalRequests: totals.requests, succeeded: totals.succeeded, failed: totals.failed, successRate: 0, retries: 0, fallbacks: 0 };
    for (const [name, board] of this.boards) {
      const r = board.report(options);
      providers[name] = r;
      overall.retries += r.summary.retries;
    }
    const fallbacks: Record<string, Record<string, number>> = {};
    for (const [from, m] of this.chain.fallbackCounts) {
      fallbacks[from] = Object.fromEntries(m);
      for (const n of m.values()) overall.fallbacks += n;
    }
    overall.successRate = overall.totalRequests ? Math.round((overall.succeeded / overall.totalRequests) * 10000) / 100 : 0;
    return { generatedAt: new Date(this.clock?.now() ?? Date.now()).toISOString(), overall, providers, fallbacks };
  }

  state(): Partial<Record<Provider, BoardState>> {
    return Object.fromEntries([...this.boards].map(([name, board]) => [name, board.state()]));
  }

  /** Sends a command to one provider's supervisor, or to every one. */
  send(command: BoardCommand, provider?: Provider): void {
    if (provider) {
      const board = this.boards.get(provider);
      if (!board) throw new ConfigError(`router.send: provider ${provider} is not configured`, 'provider');
      board.send(command);
      return;
    }
    for (const board of this.boards.values()) board.send(command);
  }

  resetStats(): void {
    for (const board of this.boards.values()) board.resetStats();
    this.chain.reset();
  }

  metricsText(): Promise<string> {
    return this.registry.metrics();
  }

  async stop(options: { drain?: boolean; timeoutMs?: number } = {}): Promise<void> {
    await Promise.all([...this.boards.values()].map((b) => b.stop(options)));
    if (this.ownsTransport) await (this.transport as { close?: () => Promise<void> }).close?.();
  }
}

export function createRouter(options: RouterOptions): Router {
  return new Router(options);
}
