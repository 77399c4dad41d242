/** Public types of Switchboard (docs/ARCHITECTURE.md §10). Times are milliseconds. */

export type Provider = 'openai' | 'anthropic' | 'groq' | 'gemini';
export const PROVIDERS: readonly Provider[] = ['openai', 'anthropic', 'groq', 'gemini'];

/** `'high' | 'normal' | 'low'` or `0 | 1 | 2` (lower number = higher priority, as in the seed). */
export type Priority = 'high' | 'normal' | 'low' | 0 | 1 | 2;
export type PriorityName = 'high' | 'normal' | 'low';

/** The injected clock: real timers by default, a simulated clock in tests (XState's `SimulatedClock` fits). */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(id: unknown): void;
}

export interface RequestOptions {
  priority?: Priority;
  signal?: AbortSignal;
  requestId?: string;
  /** This request's whole deadline in ms (overrides `deadlineMs`). */
  timeoutMs?: number;
}

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  system?: string;
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  stop?: string[];
  /** Passed through verbatim into the provider body. */
  extra?: Record<string, unknown>;
}

export interface Usage {
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
}

export type FinishReason = 'stop' | 'length' | 'content_filter' | 'tool_calls' | 'other';

export interface ChatReply {
  id: string;
  requestId: string;
  provider: Provider;
  model: string;
  text: string;
  finishReason: FinishReason;
  usage: Usage | null;
  keyName: string;
  attempts: number;
  raw: unknown;
}

export interface EmbedRequest {
  model: string;
  input: string | string[];
}

export interface EmbedReply {
  requestId: string;
  provider: Provider;
  model: string;
  embeddings: number[][];
  usage: Usage | null;
  keyName: string;
  attempts: number;
  batched: boolean;
}

export type BreakerState = 'closed' | 'open' | 'halfOpen' | 'forcedOpen' | 'disabled';
export type KeyState = 'ready' | 'cooling' | 'exhausted' | 'disabled';
export type BatcherState = 'idle' | 'collecting' | 'flushing';

export interface BoardState {
  provider: Provider;
  breaker: BreakerState;
  strategy: string;
  queue: { depth: number; size: number; byPriority: { high: number; normal: number; low: number } };
  inFlight: number;
  maxConcurrent: number;
  /** Live actors in the system right now. */
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
  batchers: Array<{ model: string; state: BatcherState; pending: number }>;
}

/** A key's own budget (docs/ARCHITECTURE.md §2): continuously refilling buckets, kept even without provider headers. */
export interface KeyLimits {
  /** Requests per minute: a bucket of this capacity refilling rpm/60 per second. */
  rpm?: number;
  /** Tokens per minute (estimated at reservation, corrected by the reported usage). */
  tpm?: number;
  /** Requests per day: a bucket refilling rpd/86 400 per second. */
  rpd?: number;
}

export interface KeyConfig {
  name: string;
  secret: string;
  maxConcurrent?: number;
  limits?: KeyLimits;
}

export type StrategyName = 'round-robin' | 'least-loaded' | 'headroom';

/** What a strategy sees of a key (docs/ARCHITECTURE.md §10): never its secret. */
export interface KeyView {
  name: string;
  state: KeyState;
  inFlight: number;
  maxConcurrent: number;
  remainingRequests: number | null;
  remainingTokens: number | null;
}

/**
 * A custom key strategy (docs/ARCHITECTURE.md §10): `ready` holds the keys that can take the request now (state
 * ready, below maxConcurrent, within budget). Return one of them, or undefined to wait: it is asked
 * again when a key frees. `BoardState.strategy` shows the function's `name` ('custom' without one).
 */
export type StrategyFn = (
  ready: readonly KeyView[],
  request: { model: string; priority: Priority; estimatedTokens: number },
) => KeyView | undefined;
export type Jitter = 'none' | 'full' | 'equal';

export interface Logger {
  debug?(obj: unknown, msg?: string): void;
  info?(obj: unknown, msg?: string): void;
  warn?(obj: unknown, msg?: string): void;
  error?(obj: unknown, msg?: string): void;
}

/** docs/ARCHITECTURE.md §6. */
export interface Report {
  generatedAt: string;
  since: string;
  summary: {
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
  };
  byPriority: Record<PriorityName, { requests: number; queueWaitP50Ms: number; queueWaitP99Ms: number }>;
  models: Record<string, { requests: number; succeeded: number; failed: number; inputTokens: number; outputTokens: number }>;
  keys: Record<string, { attempts: number; succeeded: number; failed: number; rateLimited: number; state: KeyState; inFlight: number }>;
  errors: Record<string, number>;
  circuitBreaker: { state: BreakerState; failureCount: number; failureThreshold: number; resetTimeoutMs: number; trips: number };
  batching: { batches: number; batchedRequests: number; avgBatchSize: number; httpCallsSaved: number };
  /** Budgets shared through Redis (`shared`): the link's mode, instances alive, script round trips (ms). */
  shared: { mode: 'off' | 'redis' | 'degraded'; instances: number; scriptMsP50: number; scriptMsP99: number };
  details?: {
    queueWaitMs: { min: number; max: number; avg: number; count: number };
    backoffDelaysMs: { min: number; max: number; avg: number; count: number };
    recent: Array<{ requestId: string; model: string; priority: PriorityName; keyName: string | null; outcome: string; attempts: number; latencyMs: number }>;
  };
}

/** docs/ARCHITECTURE.md §7: every event type `board.on` takes, and its payload. */
export interface SwitchboardEvents {
  'request.queued': { requestId: string; priority: PriorityName; depth: number };
  'request.dispatched': { requestId: string; keyName: string; attempt: number };
  'request.retrying': { requestId: string; attempt: number; delayMs: number; reason: string };
  'request.settled': { requestId: string; outcome: string; attempts: number; latencyMs: number };
  'breaker.opened': { at: number; failureCount: number; trips: number };
  'breaker.halfOpen': { at: number; failureCount: number; trips: number };
  'breaker.closed': { at: number; failureCount: number; trips: number };
  'key.cooling': { keyName: string; untilMs: number };
  'key.ready': { keyName: string; untilMs?: number; reason?: string };
  'key.exhausted': { keyName: string; untilMs?: number; reason?: string };
  'key.disabled': { keyName: string; untilMs?: number; reason?: string };
  'batch.flushed': { model: string; size: number; reason: 'size' | 'timeout' | 'priority' };
  'queue.full': { depth: number; size: number };
  /** A command sent to `board.actor` that was invalid: its type and why, never its payload. */
  'command.rejected': { type: string; reason: string };
  /** The Redis link of `shared` (docs/SCALE-OUT.md) lost: a local 1/N share is in use. */
  'shared.degraded': { reason?: string };
  /** The Redis link is back and resynchronised. */
  'shared.restored': { reason?: string };
}
export type SwitchboardEventType = keyof SwitchboardEvents;

/** docs/ARCHITECTURE.md §11: one piece of a streamed answer. */
export interface ChatChunk {
  delta: string;
  finishReason?: FinishReason;
  usage?: Usage | null;
  toolCalls?: ToolCallDelta[];
}

/** docs/ARCHITECTURE.md §12: a function tool, in OpenAI's shape (translated for anthropic and gemini). */
export interface ToolDefinition {
  type: 'function';
  function: { name: string; description?: string; parameters?: Record<string, unknown>; strict?: boolean };
}

export interface ToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

/** A streamed fragment of a tool call (OpenAI's `delta.tool_calls[i]` shape). */
export interface ToolCallDelta {
  index: number;
  id?: string;
  type?: 'function';
  function?: { name?: string; arguments?: string };
}

export type ContentPart =
  | { type: 'text'; text: string }
  | { type: 'image_url'; image_url: { url: string; detail?: string } };

/** Messages beyond plain text (docs/ARCHITECTURE.md §12): content parts, assistant tool calls, tool results. */
export type RichChatMessage =
  | { role: 'system' | 'user' | 'assistant'; content: string | ContentPart[] | null; toolCalls?: ToolCall[]; name?: string }
  | { role: 'tool'; content: string | ContentPart[]; toolCallId: string; name?: string };

export type ToolChoice = 'auto' | 'none' | 'required' | { type: 'function'; function: { name: string } };
export type ResponseFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | { type: 'json_schema'; json_schema: { name: string; schema?: Record<string, unknown>; strict?: boolean; description?: string } };

/**
 * A chat request with the OpenAI request surface (docs/ARCHITECTURE.md §12): tools, tool choice, JSON mode and
 * image parts, translated for anthropic and gemini, passed through for openai and groq.
 */
export interface RichChatRequest extends Omit<ChatRequest, 'messages'> {
  messages: Array<ChatMessage | RichChatMessage>;
  tools?: ToolDefinition[];
  toolChoice?: ToolChoice;
  responseFormat?: ResponseFormat;
}

/** A reply that may carry tool calls (finishReason `tool_calls`). */
export type RichChatReply = ChatReply & { toolCalls?: ToolCall[] };
