import type { ChatChunk, FinishReason, Provider, RichChatRequest, ToolCall, Usage } from '../types.js';
import type { HttpRequest, HttpResponse } from '../transport/types.js';

/** What an adapter needs to build one HTTP attempt. The secret goes only into the auth header. */
export interface BuildContext {
  baseUrl: string;
  secret: string;
  requestId: string;
}

export interface ParsedChat {
  id: string;
  model: string;
  text: string;
  finishReason: FinishReason;
  usage: Usage | null;
  raw: unknown;
  /** Tool calls of the answer (finishReason `tool_calls`), in OpenAI's shape. */
  toolCalls?: ToolCall[];
}

/**
 * Parses one provider's streaming format, one Server-Sent Event at a time.
 * `push` returns the chunks the event carries (possibly none) and throws `BadResponseError` on a
 * malformed event or a provider `error` event; `done` turns true at the provider's end marker.
 */
export interface StreamParser {
  push(event: { event?: string; data: string }): ChatChunk[];
  readonly done: boolean;
}

export interface ParsedEmbeddings {
  /** One vector per input, in input order. */
  embeddings: number[][];
  usage: Usage | null;
}

/** What an adapter reads from a non-2xx answer's body (the status classification is shared). */
export interface ParsedErrorBody {
  message: string;
  /** The provider's own code: `rate_limit_exceeded`, `overloaded_error`, `RESOURCE_EXHAUSTED`, `API_KEY_INVALID` … */
  providerCode: string | null;
  /** A wait found in the body (Gemini's `RetryInfo.retryDelay`), ms. */
  retryAfterMs: number | null;
  /** The key itself is invalid (Gemini's 400 with reason `API_KEY_INVALID`). 401 is invalid regardless. */
  invalidKey: boolean;
  /** A per-day quota is gone (Gemini `QuotaFailure` on a per-day quota id). */
  quotaExhausted: boolean;
}

/** The budget a key has left, from an answer's rate-limit headers (success or not). */
export interface RateLimitInfo {
  limitRequests: number | null;
  remainingRequests: number | null;
  /** Absolute instant (clock ms) when the request budget refills. */
  resetRequestsAt: number | null;
  limitTokens: number | null;
  remainingTokens: number | null;
  resetTokensAt: number | null;
}

/**
 * One provider's wire format. Pure: builds requests and parses answers;
 * the transport sends them. Parse functions throw `BadResponseError` on a body that
 * is not what the API promises.
 */
export interface ProviderAdapter {
  readonly provider: Provider;
  readonly defaultBaseUrl: string;
  readonly supportsEmbeddings: boolean;
  /** Largest number of inputs one embeddings call takes (OpenAI 2,048, Gemini 100). */
  readonly maxEmbeddingInputs: number;
  /**
   * Builds the chat request. Tools, tool choice, JSON mode and image parts are translated into the
   * provider's own form (anthropic, gemini) or passed through (openai, groq); a field with no
   * translation throws `ConfigError` naming the field.
   */
  buildChat(request: RichChatRequest, ctx: BuildContext): HttpRequest;
  /** The same request asking for the provider's streaming format. */
  buildChatStream(request: RichChatRequest, ctx: BuildContext): HttpRequest;
  /** A fresh parser for one stream of the provider's events. */
  streamParser(): StreamParser;
  parseChat(response: HttpResponse): ParsedChat;
  buildEmbed(model: string, inputs: string[], ctx: BuildContext): HttpRequest;
  parseEmbed(response: HttpResponse, inputCount: number): ParsedEmbeddings;
  parseError(response: HttpResponse): ParsedErrorBody;
  /** Reads the rate-limit headers; null when the answer carries none. `now` is the clock's. */
  rateLimit(headers: Record<string, string>, now: number): RateLimitInfo | null;
}
