import { expectTypeOf, test } from 'vitest';
import {
  createSupervisor,
  createTestClock,
  type BoardState,
  type BreakerState,
  type ChatMessage,
  type ChatReply,
  type ChatRequest,
  type Clock,
  type EmbedReply,
  type EmbedRequest,
  type KeyState,
  type Priority,
  type Provider,
  type Report,
  type RequestOptions,
  type SwitchboardEvents,
  type Usage,
} from '../../src/index.js';

// DESIGN §10 as written. These assertions are checked by `tsc --noEmit` (npm test); at run time
// `expectTypeOf` does nothing, and the board below only shows the calls type-check as used.

test('the public types are exactly those of DESIGN §10', () => {
  expectTypeOf<Provider>().toEqualTypeOf<'openai' | 'anthropic' | 'groq' | 'gemini'>();
  expectTypeOf<Priority>().toEqualTypeOf<'high' | 'normal' | 'low' | 0 | 1 | 2>();
  expectTypeOf<Clock>().toEqualTypeOf<{ now(): number; setTimeout(fn: () => void, ms: number): unknown; clearTimeout(id: unknown): void }>();
  expectTypeOf<RequestOptions>().toEqualTypeOf<{ priority?: Priority; signal?: AbortSignal; requestId?: string; timeoutMs?: number }>();
  expectTypeOf<ChatMessage>().toEqualTypeOf<{ role: 'system' | 'user' | 'assistant'; content: string }>();
  expectTypeOf<ChatRequest>().toEqualTypeOf<{
    model: string;
    messages: ChatMessage[];
    system?: string;
    maxTokens?: number;
    temperature?: number;
    topP?: number;
    stop?: string[];
    extra?: Record<string, unknown>;
  }>();
  expectTypeOf<Usage>().toEqualTypeOf<{ inputTokens: number; outputTokens: number; totalTokens: number }>();
  expectTypeOf<ChatReply>().toEqualTypeOf<{
    id: string;
    requestId: string;
    provider: Provider;
    model: string;
    text: string;
    finishReason: 'stop' | 'length' | 'content_filter' | 'tool_calls' | 'other';
    usage: Usage | null;
    keyName: string;
    attempts: number;
    raw: unknown;
  }>();
  expectTypeOf<EmbedRequest>().toEqualTypeOf<{ model: string; input: string | string[] }>();
  expectTypeOf<EmbedReply>().toEqualTypeOf<{
    requestId: string;
    provider: Provider;
    model: string;
    embeddings: number[][];
    usage: Usage | null;
    keyName: string;
    attempts: number;
    batched: boolean;
  }>();
  expectTypeOf<BreakerState>().toEqualTypeOf<'closed' | 'open' | 'halfOpen' | 'forcedOpen' | 'disabled'>();
  expectTypeOf<KeyState>().toEqualTypeOf<'ready' | 'cooling' | 'exhausted' | 'disabled'>();
  expectTypeOf<BoardState>().toEqualTypeOf<{
    provider: Provider;
    breaker: BreakerState;
    strategy: string;
    queue: { depth: number; size: number; byPriority: { high: number; normal: number; low: number } };
    inFlight: number;
    maxConcurrent: number;
    actors: number;
    keys: Array<{
      name: string;
      state: KeyState;
      inFlight: number;
      maxConcurrent: number;
      untilMs: number | null;
      remainingRequests: number | null;
      remainingTokens: number | null;
    }>;
    batchers: Array<{ model: string; state: 'idle' | 'collecting' | 'flushing'; pending: number }>;
  }>();
});

test('Report has the sections of DESIGN §6', () => {
  expectTypeOf<keyof Report>().toEqualTypeOf<
    'generatedAt' | 'since' | 'summary' | 'byPriority' | 'models' | 'keys' | 'errors' | 'circuitBreaker' | 'batching' | 'details'
  >();
  expectTypeOf<Report['summary']>().toEqualTypeOf<{
    totalRequests: number;
    succeeded: number;
    failed: number;
    successRate: number;
    attempts: number;
    retries: number;
    retryRate: number;
    avgLatencyMs: number;
    p50LatencyMs: number;
    p95LatencyMs: number;
    p99LatencyMs: number;
  }>();
  expectTypeOf<Report['circuitBreaker']>().toEqualTypeOf<{ state: BreakerState; failureCount: number; failureThreshold: number; resetTimeoutMs: number; trips: number }>();
  expectTypeOf<Report['batching']>().toEqualTypeOf<{ batches: number; batchedRequests: number; avgBatchSize: number; httpCallsSaved: number }>();
  expectTypeOf<Report['errors']>().toEqualTypeOf<Record<string, number>>();
});

test('SwitchboardEvents maps each event of DESIGN §7 to its payload', () => {
  expectTypeOf<keyof SwitchboardEvents>().toEqualTypeOf<
    | 'request.queued'
    | 'request.dispatched'
    | 'request.retrying'
    | 'request.settled'
    | 'breaker.opened'
    | 'breaker.halfOpen'
    | 'breaker.closed'
    | 'key.cooling'
    | 'key.ready'
    | 'key.exhausted'
    | 'key.disabled'
    | 'batch.flushed'
    | 'queue.full'
    | 'command.rejected'
  >();
  expectTypeOf<SwitchboardEvents['command.rejected']>().toEqualTypeOf<{ type: string; reason: string }>();
  expectTypeOf<SwitchboardEvents['request.queued']>().toEqualTypeOf<{ requestId: string; priority: 'high' | 'normal' | 'low'; depth: number }>();
  expectTypeOf<SwitchboardEvents['request.dispatched']>().toEqualTypeOf<{ requestId: string; keyName: string; attempt: number }>();
  expectTypeOf<SwitchboardEvents['request.retrying']>().toEqualTypeOf<{ requestId: string; attempt: number; delayMs: number; reason: string }>();
  expectTypeOf<SwitchboardEvents['request.settled']>().toEqualTypeOf<{ requestId: string; outcome: string; attempts: number; latencyMs: number }>();
  type BreakerPayload = { at: number; failureCount: number; trips: number };
  expectTypeOf<SwitchboardEvents['breaker.opened']>().toEqualTypeOf<BreakerPayload>();
  expectTypeOf<SwitchboardEvents['breaker.halfOpen']>().toEqualTypeOf<BreakerPayload>();
  expectTypeOf<SwitchboardEvents['breaker.closed']>().toEqualTypeOf<BreakerPayload>();
  expectTypeOf<SwitchboardEvents['key.cooling']>().toEqualTypeOf<{ keyName: string; untilMs: number }>();
  type KeyPayload = { keyName: string; untilMs?: number; reason?: string };
  expectTypeOf<SwitchboardEvents['key.ready']>().toEqualTypeOf<KeyPayload>();
  expectTypeOf<SwitchboardEvents['key.exhausted']>().toEqualTypeOf<KeyPayload>();
  expectTypeOf<SwitchboardEvents['key.disabled']>().toEqualTypeOf<KeyPayload>();
  expectTypeOf<SwitchboardEvents['batch.flushed']>().toEqualTypeOf<{ model: string; size: number; reason: 'size' | 'timeout' | 'priority' }>();
  expectTypeOf<SwitchboardEvents['queue.full']>().toEqualTypeOf<{ depth: number; size: number }>();
});

test('createSupervisor returns a board with the calls of DESIGN §2, typed', async () => {
  const board = createSupervisor({
    keys: [{ name: 'a', secret: 'sk-a' }],
    clock: createTestClock(),
    transport: async () => ({ status: 200, headers: {}, body: '{}' }),
  });
  expectTypeOf(board).toHaveProperty('chat');
  expectTypeOf(board).toHaveProperty('embed');
  expectTypeOf(board).toHaveProperty('send');
  expectTypeOf(board).toHaveProperty('state');
  expectTypeOf(board).toHaveProperty('report');
  expectTypeOf(board).toHaveProperty('resetStats');
  expectTypeOf(board).toHaveProperty('metricsText');
  expectTypeOf(board).toHaveProperty('on');
  expectTypeOf(board).toHaveProperty('actor');
  expectTypeOf(board).toHaveProperty('stop');
  expectTypeOf(board).toHaveProperty('chatStream');

  // chat also takes §12's richer request (tools, content parts) and may add `toolCalls` to the
  // reply, so: takes a §10 ChatRequest, resolves to (at least) a ChatReply.
  expectTypeOf<ChatRequest>().toExtend<Parameters<typeof board.chat>[0]>();
  expectTypeOf(board.chat).parameter(1).toEqualTypeOf<RequestOptions | undefined>();
  expectTypeOf(board.chat).returns.resolves.toExtend<ChatReply>();
  expectTypeOf(board.embed).parameters.toEqualTypeOf<[request: EmbedRequest, options?: RequestOptions]>();
  expectTypeOf(board.embed).returns.toEqualTypeOf<Promise<EmbedReply>>();
  expectTypeOf(board.state).returns.toEqualTypeOf<BoardState>();
  expectTypeOf(board.report).parameter(0).toEqualTypeOf<{ includeDetails?: boolean } | undefined>();
  expectTypeOf(board.report).returns.toEqualTypeOf<Report>();
  expectTypeOf(board.resetStats).returns.toEqualTypeOf<void>();
  expectTypeOf(board.metricsText).returns.toEqualTypeOf<Promise<string>>();
  expectTypeOf(board.stop).parameter(0).toEqualTypeOf<{ drain?: boolean; timeoutMs?: number } | undefined>();
  expectTypeOf(board.stop).returns.toEqualTypeOf<Promise<void>>();
  expectTypeOf(board.actor.getSnapshot).toBeFunction();
  expectTypeOf(board.actor.subscribe).toBeFunction();

  // `board.on` is typed by event: the listener's payload is that event's, and it returns `off`.
  const off = board.on('breaker.opened', (p) => expectTypeOf(p).toEqualTypeOf<{ at: number; failureCount: number; trips: number }>());
  expectTypeOf(off).toEqualTypeOf<() => void>();
  board.on('request.settled', (p) => expectTypeOf(p).toEqualTypeOf<{ requestId: string; outcome: string; attempts: number; latencyMs: number }>());
  board.on('batch.flushed', (p) => expectTypeOf(p.reason).toEqualTypeOf<'size' | 'timeout' | 'priority'>());
  board.on('key.cooling', (p) => expectTypeOf(p).toEqualTypeOf<{ keyName: string; untilMs: number }>());
  // @ts-expect-error an event type §7 does not list
  board.on('breaker.tripped', () => {});

  // Commands are typed too.
  board.send({ type: 'strategy.set', strategy: 'least-loaded' });
  board.send({ type: 'breaker.force', state: 'forcedOpen' });
  board.send({ type: 'config.update', config: { retry: { maxRetries: 3 }, queue: { maxConcurrent: 10 } } });
  // @ts-expect-error not a breaker state
  expectTypeOf(board.send).toBeCallableWith({ type: 'breaker.force', state: 'tripped' });

  off();
  await board.stop();
});
