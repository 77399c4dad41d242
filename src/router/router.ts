import { Registry } from 'prom-client';
import { TimeoutError, UnknownModelError, type SwitchboardError } from '../errors.js';
import type { SupervisorOptions } from '../options.js';
import { validateOptions } from '../options.js';
import { createSupervisor, type Board, type BoardCommand } from '../supervisor/index.js';
import { connectionsWanted } from '../supervisor/connections.js';
import { createUndiciTransport } from '../transport/undici.js';
import type { Transport } from '../transport/types.js';
import { PROVIDERS, type BoardState, type ChatChunk, type ChatReply, type ChatRequest, type RichChatReply, type RichChatRequest, type Clock, type EmbedReply, type EmbedRequest, type Provider, type Report, type RequestOptions } from '../types.js';
import { ConfigError } from '../errors.js';
import { failureGroup, validateGroups, type GroupName, type ModelGroups } from './groups.js';
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

export type RoutedReply<T> = T & { fallbackFrom?: string };

/** A streamed chunk with the model and provider that serve it (and `fallbackFrom` after a fallback). */
export type RoutedChunk = ChatChunk & { model: string; provider: Provider; fallbackFrom?: string };

export interface RouterReport {
  generatedAt: string;
  /** Caller requests (one each, whatever the fallbacks); `retries` and `fallbacks` summed over the providers. */
  overall: { totalRequests: number; succeeded: number; failed: number; successRate: number; retries: number; fallbacks: number };
  providers: Partial<Record<Provider, Report>>;
  /** `{ [requested model]: { [model that served]: count } }`. */
  fallbacks: Record<string, Record<string, number>>;
}

/**
 * Whether a failure moves a request on to another model: in its regular group (5xx,
 * 429-exhausted, timeouts, open breakers, no keys) or in its context / content-policy group.
 * Any other 4xx is the caller's answer.
 */
export function fallsBack(error: unknown): boolean {
  return failureGroup(error) !== null;
}

/** Where the hop generator reads how the last hop ended. */
interface HopState {
  error: unknown;
  /** The last hop was skipped (a fallback that cannot take the request as written): stay in the same group. */
  skipped: boolean;
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
  private readonly fallbackCounts = new Map<string, Map<string, number>>();
  /** Caller requests, once each whatever the fallbacks (the providers' reports count their own attempts at them). */
  private readonly totals = { requests: 0, succeeded: 0, failed: 0 };
  private readonly transport: Transport;
  private readonly ownsTransport: boolean;
  private readonly clock: Clock | undefined;

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
        let n = 0;
        for (const board of this.boards.values()) n += connectionsWanted(board);
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
  }

  /** Which provider and model a requested model goes to; `UnknownModelError` (SB_CONFIG, 404 at the gateway) if none. */
  route(model: string): { provider: Provider; model: string; board: Board } {
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
    return this.withFallbacks(request.model, options, (board, model, opts) => board.chat(model === request.model ? request : { ...request, model }, opts));
  }

  /**
   * Streams a chat with the same routing and fallbacks; a fallback happens only before the first
   * chunk. Leaving the loop aborts the upstream call.
   */
  async *chatStream(request: ChatRequest | RichChatRequest, options: RequestOptions = {}): AsyncGenerator<RoutedChunk, void, undefined> {
    let outcome: unknown = new Error('the caller left the stream');
    try {
      yield* this.streamChain(request, options);
      outcome = null;
    } catch (error) {
      outcome = error;
      throw error;
    } finally {
      this.count(outcome);
    }
  }

  private async *streamChain(request: ChatRequest | RichChatRequest, options: RequestOptions): AsyncGenerator<RoutedChunk, void, undefined> {
    const requested = request.model;
    const state: HopState = { error: null, skipped: false };
    for (const hop of this.hops(requested, options, state)) {
      const it = hop.board.chatStream({ ...request, model: hop.model }, hop.options);
      let head: IteratorResult<ChatChunk>;
      try {
        head = await it.next();
      } catch (error) {
        this.noteFailure(state, hop, error, options);
        continue;
      }
      if (hop.fallback) this.countFallback(requested, hop.name);
      const tag = { model: hop.model, provider: hop.provider, ...(hop.fallback ? { fallbackFrom: requested } : {}) };
      try {
        for (let r = head; !r.done; r = await it.next()) yield { ...r.value, ...tag };
      } finally {
        await it.return?.();
      }
      return;
    }
    throw state.error;
  }

  /** Records how a hop failed; throws at once when the failure is the caller's answer. */
  private noteFailure(state: HopState, hop: { fallback: boolean }, error: unknown, options: RequestOptions): void {
    if (skipsFallback(hop, error)) {
      state.skipped = true;
      return;
    }
    state.error = error;
    state.skipped = false;
    if (failureGroup(error) === null || options.signal?.aborted) throw error;
  }

  embed(request: EmbedRequest, options: RequestOptions = {}): Promise<RoutedReply<EmbedReply>> {
    return this.withFallbacks(request.model, options, (board, model, opts) => board.embed({ ...request, model }, opts));
  }

  private async withFallbacks<T extends { model: string }>(
    requested: string,
    options: RequestOptions,
    run: (board: Board, model: string, options: RequestOptions) => Promise<T>,
  ): Promise<RoutedReply<T>> {
    try {
      const reply = await this.tryChain(requested, options, run);
      this.count(null);
      return reply;
    } catch (error) {
      this.count(error);
      throw error;
    }
  }

  /**
   * Counts a caller request once it ended. One refused as invalid (`SB_CONFIG`: an unknown model, a
   * field with no translation) is not counted: no provider was asked, and no board counts it either.
   */
  private count(error: unknown): void {
    if (error && (error as SwitchboardError).code === 'SB_CONFIG') return;
    this.totals.requests++;
    if (error) this.totals.failed++;
    else this.totals.succeeded++;
  }

  private async tryChain<T extends { model: string }>(
    requested: string,
    options: RequestOptions,
    run: (board: Board, model: string, options: RequestOptions) => Promise<T>,
  ): Promise<RoutedReply<T>> {
    // No fallback group names the model (most requests): one hop, no chain to walk. Its failure is
    // thrown as it is, as the chain would; the board applies the same deadline by itself.
    const groups = this.groups;
    if (!Object.hasOwn(groups.fallbacks, requested) && !Object.hasOwn(groups.contextFallbacks, requested) && !Object.hasOwn(groups.contentPolicyFallbacks, requested)) {
      const only = this.route(requested);
      return run(only.board, only.model, options);
    }
    const state: HopState = { error: null, skipped: false };
    for (const hop of this.hops(requested, options, state)) {
      try {
        const reply = await run(hop.board, hop.model, hop.options);
        if (!hop.fallback) return reply;
        this.countFallback(requested, hop.name);
        return { ...reply, fallbackFrom: requested };
      } catch (error) {
        this.noteFailure(state, hop, error, options);
      }
    }
    throw state.error;
  }

  /**
   * The models a request may try: the requested one, then — after each failure — the next model of
   * the group that failure calls for (the regular, context or content-policy group of
   * the requested name), each model once, each with the time left of the one deadline. A fallback
   * that cannot be routed (unconfigured provider) is skipped. When no time is left the chain ends
   * with `SB_TIMEOUT`; when the group has no model left, the caller throws the last failure.
   */
  private *hops(requested: string, options: RequestOptions, state: HopState) {
    const first = this.route(requested);
    const budget = options.timeoutMs ?? first.board.config.deadlineMs;
    const deadlineAt = first.board.now() + budget;
    const groups = this.groups;
    yield { ...first, name: requested, fallback: false, options: { ...options, timeoutMs: budget } };
    const cursor: Record<GroupName, number> = { fallbacks: 0, contextFallbacks: 0, contentPolicyFallbacks: 0 };
    const tried = new Set([requested]);
    let group: GroupName | null = null;
    for (;;) {
      if (!state.skipped) group = failureGroup(state.error);
      if (group === null) return;
      const list = groups[group][requested] ?? [];
      let name: string | undefined;
      while (name === undefined && cursor[group] < list.length) {
        const m = list[cursor[group]++]!;
        if (!tried.has(m)) name = m;
      }
      if (name === undefined) return;
      tried.add(name);
      let target: ReturnType<Router['route']>;
      try {
        target = this.route(name);
      } catch {
        state.skipped = true;
        continue;
      }
      const left = deadlineAt - first.board.now();
      if (left <= 0) {
        const e = state.error as SwitchboardError | null;
        throw e && e.code === 'SB_TIMEOUT' ? e : new TimeoutError(budget, e ?? undefined);
      }
      state.skipped = false;
      yield { ...target, name, fallback: true, options: { ...options, timeoutMs: left } };
    }
  }

  private countFallback(from: string, to: string): void {
    let m = this.fallbackCounts.get(from);
    if (!m) this.fallbackCounts.set(from, (m = new Map()));
    m.set(to, (m.get(to) ?? 0) + 1);
  }

  /** Per provider and overall, with fallbacks per route. */
  report(options: { includeDetails?: boolean } = {}): RouterReport {
    const providers: Partial<Record<Provider, Report>> = {};
    const overall = { totalRequests: this.totals.requests, succeeded: this.totals.succeeded, failed: this.totals.failed, successRate: 0, retries: 0, fallbacks: 0 };
    for (const [name, board] of this.boards) {
      const r = board.report(options);
      providers[name] = r;
      overall.retries += r.summary.retries;
    }
    const fallbacks: Record<string, Record<string, number>> = {};
    for (const [from, m] of this.fallbackCounts) {
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
    this.fallbackCounts.clear();
    this.totals.requests = this.totals.succeeded = this.totals.failed = 0;
  }

  metricsText(): Promise<string> {
    return this.registry.metrics();
  }

  async stop(options: { drain?: boolean; timeoutMs?: number } = {}): Promise<void> {
    await Promise.all([...this.boards.values()].map((b) => b.stop(options)));
    if (this.ownsTransport) await (this.transport as { close?: () => Promise<void> }).close?.();
  }
}

/**
 * A fallback model that cannot take this request as written (a field its provider has no
 * translation for, `SB_CONFIG`) is skipped: the caller's request was fine for the model asked for,
 * so the answer stays the first provider's failure unless a later fallback serves it.
 */
function skipsFallback(hop: { fallback: boolean }, error: unknown): boolean {
  return hop.fallback && (error as SwitchboardError)?.code === 'SB_CONFIG';
}

export function createRouter(options: RouterOptions): Router {
  return new Router(options);
}
