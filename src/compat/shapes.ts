import { ConfigError } from '../errors.js';
import { invalid } from '../options.js';
import type { ChatMessage, ChatReply, ChatRequest, EmbedReply, FinishReason, PriorityName, Provider, RequestOptions, Usage } from '../types.js';

/** The seed's priority: a number compared with the client's `PRIORITY_*` values, or a core name. */
export type SeedPriority = number | PriorityName;

/** `chat(model, messages, options)`'s options (the guide's keyword arguments). */
export interface ChatOptions {
  max_tokens?: number;
  temperature?: number;
  top_p?: number;
  stop?: string | string[];
  /** Joined before any system message of `messages`. */
  system_prompt?: string;
  /** `client.PRIORITY_HIGH` / `PRIORITY_NORMAL` / `PRIORITY_LOW` (default normal), or `'high' | 'normal' | 'low'`. */
  priority?: SeedPriority;
  /** Echoed in the result and sent upstream as `x-request-id`; generated when absent. */
  request_id?: string;
  /** This request's whole deadline, in seconds (queue, attempts and waits). */
  timeout?: number;
  signal?: AbortSignal;
  /** Any other field (`response_format`, `tools`, `seed`, …) goes verbatim into the provider body. */
  [field: string]: unknown;
}

/** `embedding(model, input, options)`'s options. */
export interface EmbeddingOptions {
  priority?: SeedPriority;
  request_id?: string;
  /** Seconds. */
  timeout?: number;
  signal?: AbortSignal;
}

/** `make_request(endpoint, data, options)`'s options. */
export interface MakeRequestOptions {
  request_id?: string;
  priority?: SeedPriority;
  /** Seconds. */
  timeout?: number;
  signal?: AbortSignal;
}

/** Token usage in OpenAI's names. */
export interface SeedUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

/**
 * What `chat()` resolves to: the seed's `{ text, model, usage }` (usage in OpenAI's names, or null
 * when the provider reports none), the request's identity, and the core `ChatReply` as `reply`.
 */
export interface ChatResult {
  text: string;
  model: string;
  usage: SeedUsage | null;
  finish_reason: FinishReason;
  id: string;
  request_id: string;
  provider: Provider;
  /** The name of the key that served it (never the key itself). */
  key_name: string;
  attempts: number;
  reply: ChatReply;
}

/**
 * What `embedding()` resolves to: `embedding` is the first input's vector (the whole answer for a
 * string input), `embeddings` every input's vector in input order; `batched` when the HTTP call
 * was shared with other callers (then `usage` is this caller's share).
 */
export interface EmbeddingResult {
  embedding: number[];
  embeddings: number[][];
  model: string;
  usage: { prompt_tokens: number; total_tokens: number } | null;
  batched: boolean;
  request_id: string;
  provider: Provider;
  key_name: string;
  attempts: number;
  reply: EmbedReply;
}

/** `make_request('chat/completions', …)`'s answer: OpenAI's `chat.completion` body, for every provider. */
export interface ChatCompletion {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  choices: Array<{ index: number; message: { role: 'assistant'; content: string | null; [field: string]: unknown }; finish_reason: string }>;
  usage: SeedUsage | null;
  request_id: string;
  provider: Provider;
  key_name: string;
  attempts: number;
}

/** `make_request('embeddings', …)`'s answer: OpenAI's embeddings list body, for every provider. */
export interface EmbeddingList {
  object: 'list';
  data: Array<{ object: 'embedding'; index: number; embedding: number[] }>;
  model: string;
  usage: { prompt_tokens: number; total_tokens: number } | null;
  request_id: string;
  provider: Provider;
  key_name: string;
  attempts: number;
  batched: boolean;
}

const CHAT_OPTION_NAMES = new Set(['max_tokens', 'temperature', 'top_p', 'stop', 'system_prompt', 'priority', 'request_id', 'timeout', 'signal']);

export function seedUsage(usage: Usage | null): SeedUsage | null {
  return usage ? { prompt_tokens: usage.inputTokens, completion_tokens: usage.outputTokens, total_tokens: usage.totalTokens } : null;
}

function embedUsage(usage: Usage | null): { prompt_tokens: number; total_tokens: number } | null {
  return usage ? { prompt_tokens: usage.inputTokens, total_tokens: usage.totalTokens } : null;
}

/** `messages` as the guide passes them: an array of `{ role, content }`, or one user text. */
export function toMessages(where: string, messages: unknown): ChatMessage[] {
  if (typeof messages === 'string') return [{ role: 'user', content: messages }];
  if (!Array.isArray(messages)) throw invalid(where, 'messages', 'an array of { role, content } (or a string)', messages);
  return messages as ChatMessage[];
}

function optionalNumber(where: string, name: string, value: unknown, rule: string, test: (v: number) => boolean): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !test(value)) throw invalid(where, name, rule, value);
  return value;
}

/** The core chat request from the guide's arguments; unknown option names go to `extra`. */
export function toChatRequest(where: string, model: string, messages: unknown, options: ChatOptions): ChatRequest {
  const request: ChatRequest = { model, messages: toMessages(where, messages) };
  const maxTokens = optionalNumber(where, 'max_tokens', options.max_tokens, 'an integer >= 1', (v) => Number.isInteger(v) && v >= 1);
  if (maxTokens !== undefined) request.maxTokens = maxTokens;
  const temperature = optionalNumber(where, 'temperature', options.temperature, 'a number >= 0', (v) => v >= 0 && Number.isFinite(v));
  if (temperature !== undefined) request.temperature = temperature;
  const topP = optionalNumber(where, 'top_p', options.top_p, 'a number in [0, 1]', (v) => v >= 0 && v <= 1);
  if (topP !== undefined) request.topP = topP;
  if (options.stop !== undefined) {
    const stop = typeof options.stop === 'string' ? [options.stop] : options.stop;
    if (!Array.isArray(stop) || !stop.every((s) => typeof s === 'string')) throw invalid(where, 'stop', 'a string or an array of strings', options.stop);
    request.stop = stop;
  }
  if (options.system_prompt !== undefined) {
    if (typeof options.system_prompt !== 'string') throw invalid(where, 'system_prompt', 'a string', options.system_prompt);
    request.system = options.system_prompt;
  }
  const extra: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(options)) if (!CHAT_OPTION_NAMES.has(name) && value !== undefined) extra[name] = value;
  if (Object.keys(extra).length > 0) request.extra = extra;
  return request;
}

/** A request deadline in seconds → ms (undefined: the client's default). */
export function timeoutMs(where: string, timeout: unknown): number | undefined {
  if (timeout === undefined) return undefined;
  if (typeof timeout !== 'number' || !(timeout > 0)) throw invalid(where, 'timeout', 'a number of seconds > 0', timeout);
  return timeout * 1000;
}

/**
 * The core request options from the guide's: `priority` is one of the client's `PRIORITY_*`
 * numbers (or a core name), `timeout` is in seconds.
 */
export function toRequestOptions(
  where: string,
  options: { priority?: SeedPriority; request_id?: string; timeout?: number; signal?: AbortSignal },
  priorities: { high: number; normal: number; low: number },
): RequestOptions {
  const out: RequestOptions = { priority: toPriority(where, options.priority, priorities) };
  if (options.request_id !== undefined) {
    if (typeof options.request_id !== 'string' || options.request_id === '') throw invalid(where, 'request_id', 'a non-empty string', options.request_id);
    out.requestId = options.request_id;
  }
  const timeout = timeoutMs(where, options.timeout);
  if (timeout !== undefined) out.timeoutMs = timeout;
  if (options.signal !== undefined) out.signal = options.signal;
  return out;
}

function toPriority(where: string, value: SeedPriority | undefined, p: { high: number; normal: number; low: number }): PriorityName {
  if (value === undefined) return 'normal';
  if (value === 'high' || value === 'normal' || value === 'low') return value;
  if (value === p.high) return 'high';
  if (value === p.normal) return 'normal';
  if (value === p.low) return 'low';
  throw invalid(where, 'priority', `PRIORITY_HIGH (${p.high}), PRIORITY_NORMAL (${p.normal}), PRIORITY_LOW (${p.low}) or 'high' | 'normal' | 'low'`, value);
}

export function toChatResult(reply: ChatReply): ChatResult {
  return {
    text: reply.text,
    model: reply.model,
    usage: seedUsage(reply.usage),
    finish_reason: reply.finishReason,
    id: reply.id,
    request_id: reply.requestId,
    provider: reply.provider,
    key_name: reply.keyName,
    attempts: reply.attempts,
    reply,
  };
}

export function toEmbeddingResult(reply: EmbedReply): EmbeddingResult {
  return {
    embedding: reply.embeddings[0] ?? [],
    embeddings: reply.embeddings,
    model: reply.model,
    usage: embedUsage(reply.usage),
    batched: reply.batched,
    request_id: reply.requestId,
    provider: reply.provider,
    key_name: reply.keyName,
    attempts: reply.attempts,
    reply,
  };
}

// ── make_request: OpenAI-shaped bodies in and out ─────────────────────────────────────────────

/** `'chat/completions'`, `'/v1/chat/completions'` → `'chat/completions'`; `'embeddings'` likewise. */
export function endpointKind(where: string, endpoint: unknown): 'chat' | 'embeddings' {
  const path = typeof endpoint === 'string' ? endpoint.trim().replace(/^\/+/, '').replace(/^v1\//, '').replace(/\/+$/, '') : '';
  if (path === 'chat/completions') return 'chat';
  if (path === 'embeddings') return 'embeddings';
  throw invalid(where, 'endpoint', "'chat/completions' or 'embeddings'", endpoint);
}

const CHAT_BODY_FIELDS: Record<string, string> = { max_tokens: 'max_tokens', max_completion_tokens: 'max_tokens', temperature: 'temperature', top_p: 'top_p', stop: 'stop' };

/** An OpenAI `chat/completions` body → the core chat request (fields it does not model go to `extra`). */
export function chatBodyToRequest(where: string, data: Record<string, unknown>): ChatRequest {
  if (typeof data.model !== 'string' || data.model === '') throw invalid(where, 'data.model', 'a non-empty string', data.model);
  if (data.stream === true) throw new ConfigError(`${where}: \`data.stream\` is not supported by make_request; use the core API's chatStream`, 'data.stream');
  const known: ChatOptions = {};
  const extra: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(data)) {
    if (name === 'model' || name === 'messages' || name === 'stream' || value === undefined) continue;
    const mapped = Object.hasOwn(CHAT_BODY_FIELDS, name) ? CHAT_BODY_FIELDS[name] : undefined;
    if (mapped) known[mapped] = value;
    else extra[name] = value;
  }
  const request = toChatRequest(where, data.model, data.messages, known);
  if (Object.keys(extra).length > 0) request.extra = extra;
  return request;
}

/** An OpenAI `embeddings` body → model and input. Fields the core does not model are refused, never dropped. */
export function embeddingBodyToRequest(where: string, data: Record<string, unknown>): { model: string; input: string | string[] } {
  if (typeof data.model !== 'string' || data.model === '') throw invalid(where, 'data.model', 'a non-empty string', data.model);
  for (const [name, value] of Object.entries(data)) {
    if (name === 'model' || name === 'input' || name === 'user' || value === undefined) continue;
    if (name === 'encoding_format' && value === 'float') continue;
    throw new ConfigError(`${where}: \`data.${name}\` is not supported for embeddings`, `data.${name}`);
  }
  return { model: data.model, input: data.input as string | string[] };
}

export function toChatCompletion(reply: ChatReply, createdMs: number): ChatCompletion {
  const raw = reply.raw as { choices?: ChatCompletion['choices'] } | null;
  // openai and groq answer in this shape already: keep their choices (tool calls and all).
  const choices = (reply.provider === 'openai' || reply.provider === 'groq') && Array.isArray(raw?.choices) && raw.choices.length > 0
    ? raw.choices
    : [{ index: 0, message: { role: 'assistant' as const, content: reply.text }, finish_reason: reply.finishReason }];
  return {
    id: reply.id,
    object: 'chat.completion',
    created: Math.floor(createdMs / 1000),
    model: reply.model,
    choices,
    usage: seedUsage(reply.usage),
    request_id: reply.requestId,
    provider: reply.provider,
    key_name: reply.keyName,
    attempts: reply.attempts,
  };
}

export function toEmbeddingList(reply: EmbedReply): EmbeddingList {
  return {
    object: 'list',
    data: reply.embeddings.map((embedding, index) => ({ object: 'embedding' as const, index, embedding })),
    model: reply.model,
    usage: embedUsage(reply.usage),
    request_id: reply.requestId,
    provider: reply.provider,
    key_name: reply.keyName,
    attempts: reply.attempts,
    batched: reply.batched,
  };
}
