import { TimeoutError, type SwitchboardError } from '../errors.js';
import { forFallbackHop } from '../supervisor/early-reply.js';
import type { Board } from '../supervisor/index.js';
import type { ChatChunk, ChatRequest, Provider, RequestOptions, RichChatRequest } from '../types.js';
import { failureGroup, type GroupName, type ModelGroups } from './groups.js';

export type RoutedReply<T> = T & { fallbackFrom?: string };

/** A streamed chunk with the model and provider that serve it (and `fallbackFrom` after a fallback). */
export type RoutedChunk = ChatChunk & { model: string; provider: Provider; fallbackFrom?: string };

/** Where a model goes: its provider, the model name that provider is sent, and that provider's board. */
export interface Route {
  provider: Provider;
  model: string;
  board: Board;
}

/** What the chain needs of the router: routing (aliases, then the model family). */
interface Routes {
  route(model: string): Route;
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
 * The router's fallback chain (docs/ARCHITECTURE.md §13): walks a request through the requested
 * model and its fallback groups, and counts caller requests and fallbacks for the router's report.
 * Each call takes the groups in force when the request started: requests already running keep
 * them whatever `router.setModelGroups` does meanwhile.
 */
export class FallbackChain {
  /** `{ [requested model]: { [model that served]: count } }`. */
  readonly fallbackCounts = new Map<string, Map<string, number>>();
  /** Caller requests, once each whatever the fallbacks (the providers' reports count their own attempts at them). */
  readonly totals = { requests: 0, succeeded: 0, failed: 0 };

  constructor(private readonly router: Routes) {}

  /**
   * Not `async`, and one `then` for the count: a request with no fallback group (most) settles the
   * caller's promise one microtask after the board's, not four (an async wrapper awaiting an async
   * chain costs a promise and a turn per level, and every request pays them).
   */
  withFallbacks<T extends { model: string }>(
    groups: ModelGroups,
    requested: string,
    options: RequestOptions,
    run: (board: Board, model: string, options: RequestOptions) => Promise<T>,
  ): Promise<RoutedReply<T>> {
    let call: Promise<RoutedReply<T>>;
    try {
      if (hasFallbacks(groups, requested)) call = this.walk(groups, requested, options, run);
      else {
        // One hop, no chain to walk. Its failure is thrown as it is, as the chain would; the board
        // applies the same deadline by itself.
        const only = this.router.route(requested);
        call = run(only.board, only.model, options);
      }
    } catch (error) {
      this.count(error);
      return Promise.reject(error);
    }
    return call.then(this.succeeded, this.failed) as Promise<RoutedReply<T>>;
  }

  private readonly succeeded = <T>(reply: T): T => {
    this.count(null);
    return reply;
  };

  private readonly failed = (error: unknown): never => {
    this.count(error);
    throw error;
  };

  /**
   * Counts a caller request once it ended. One refused as invalid (`SB_CONFIG`: an unknown model, a
   * field with no translation) is not counted: no provider was asked, and no board counts it either.
   */
  count(error: unknown): void {
    if (error && (error as SwitchboardError).code === 'SB_CONFIG') return;
    this.totals.requests++;
    if (error) this.totals.failed++;
    else this.totals.succeeded++;
  }

  /** Zeroes the caller requests and the fallbacks counted. */
  reset(): void {
    this.fallbackCounts.clear();
    this.totals.requests = this.totals.succeeded = this.totals.failed = 0;
  }

  /** A request whose model a fallback group names: each hop in turn until one answers or the chain ends. */
  private async walk<T extends { model: string }>(
    groups: ModelGroups,
    requested: string,
    options: RequestOptions,
    run: (board: Board, model: string, options: RequestOptions) => Promise<T>,
  ): Promise<RoutedReply<T>> {
    const state: HopState = { error: null, skipped: false };
    for (const hop of this.hops(groups, requested, options, state)) {
      try {
        const reply = await run(hop.board, hop.model, hop.options);
        if (!hop.fallback) return reply;
        this.countFallback(requested, hop.name);
        return { ...reply, fallbackFrom: requested };
      } catch (error) {
        noteFailure(state, hop, error, options);
      }
    }
    throw state.error;
  }

  /** The stream's chain: a fallback happens only before the first chunk (the caller counts the request). */
  async *streamChain(groups: ModelGroups, request: ChatRequest | RichChatRequest, options: RequestOptions): AsyncGenerator<RoutedChunk, void, undefined> {
    const requested = request.model;
    const state: HopState = { error: null, skipped: false };
    for (const hop of this.hops(groups, requested, options, state)) {
      const it = hop.board.chatStream({ ...request, model: hop.model }, hop.options);
      let head: IteratorResult<ChatChunk>;
      try {
        head = await it.next();
      } catch (error) {
        noteFailure(state, hop, error, options);
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

  /**
   * The models a request may try: the requested one, then — after each failure — the next model of
   * the group that failure calls for (the regular, context or content-policy group of
   * the requested name), each model once, each with the time left of the one deadline. A fallback
   * that cannot be routed (unconfigured provider) is skipped. When no time is left the chain ends
   * with `SB_TIMEOUT`; when the group has no model left, the caller throws the last failure.
   */
  private *hops(groups: ModelGroups, requested: string, options: RequestOptions, state: HopState) {
    const first = this.router.route(requested);
    const budget = options.timeoutMs ?? first.board.config.deadlineMs;
    const deadlineAt = first.board.now() + budget;
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
      let target: Route;
      try {
        target = this.router.route(name);
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
      yield { ...target, name, fallback: true, options: { ...forFallbackHop(options, requested), timeoutMs: left } };
    }
  }

  private countFallback(from: string, to: string): void {
    let m = this.fallbackCounts.get(from);
    if (!m) this.fallbackCounts.set(from, (m = new Map()));
    m.set(to, (m.get(to) ?? 0) + 1);
  }
}

/** Whether a fallback group (regular, context or content-policy) names `model`. */
function hasFallbacks(groups: ModelGroups, model: string): boolean {
  return Object.hasOwn(groups.fallbacks, model) || Object.hasOwn(groups.contextFallbacks, model) || Object.hasOwn(groups.contentPolicyFallbacks, model);
}

/** Records how a hop failed; throws at once when the failure is the caller's answer. */
function noteFailure(state: HopState, hop: { fallback: boolean }, error: unknown, options: RequestOptions): void {
  if (skipsFallback(hop, error)) {
    state.skipped = true;
    return;
  }
  state.error = error;
  state.skipped = false;
  if (failureGroup(error) === null || options.signal?.aborted) throw error;
}

/**
 * A fallback model that cannot take this request as written (a field its provider has no
 * translation for, `SB_CONFIG`) is skipped: the caller's request was fine for the model asked for,
 * so the answer stays the first provider's failure unless a later fallback serves it.
 */
function skipsFallback(hop: { fallback: boolean }, error: unknown): boolean {
  return hop.fallback && (error as SwitchboardError)?.code === 'SB_CONFIG';
}
