import type { Provider } from '../../types.js';
import type { Answer, Conversation } from '../answer.js';
import type { Random } from '../random.js';
import type { RateView } from '../rate-bucket.js';

/** What a path asks for, once the provider's prefix is stripped. */
export type Route =
  | { kind: 'chat'; model: string | null; streamByPath: boolean }
  | { kind: 'embed'; model: string | null; batch: boolean }
  | { kind: 'models' };

/** An error answer to render in the provider's own format. */
export interface ErrorSpec {
  status: number;
  kind: 'invalid-key' | 'missing-key' | 'rate-limit' | 'quota' | 'not-found' | 'bad-request' | 'context-length' | 'content-policy' | 'generic';
  message?: string;
  param?: string;
  /** The wait announced (`retry-after`, RetryInfo); rate limits and quotas always have one. */
  retryAfterMs?: number | null;
  limit?: 'requests' | 'tokens';
  /** The limit that was hit, as the provider states it (Gemini's `quotaValue`). */
  limitValue?: number;
  key?: string | null;
  model?: string | null;
  method?: string;
  path?: string;
}

export interface Credentials {
  key: string | null;
  keyInUrl: boolean;
  /** A header the provider requires besides the key is missing (Anthropic's `anthropic-version`). */
  error?: ErrorSpec;
}

/** What a chat request asks for besides the conversation. */
export interface ChatParse {
  conversation: Conversation;
  stream: boolean;
  includeUsage: boolean;
}

export interface EmbedResult {
  body: unknown;
  inputTokens: number;
}

/** Per answer: ids, time and randomness the format needs to render it. */
export interface RenderContext {
  model: string;
  now: number;
  random: Random;
  includeUsage: boolean;
  dimensions: number;
  /** Gemini streams as SSE with `alt=sse`, else as one JSON array. */
  sse: boolean;
}

export interface Rendered {
  /** When the provider answers another status than asked (Gemini's invalid key is a 400). */
  status?: number;
  headers: Record<string, string>;
  body: unknown;
}

/** One provider's wire format: how requests look and how answers, streams and errors are written. */
export interface WireFormat {
  provider: Provider;
  /** Path prefix under the simulator's origin, e.g. `/openai/v1`. */
  prefix: string;
  route(method: string, path: string): Route | null;
  credentials(headers: Record<string, string>, query: URLSearchParams): Credentials;
  parseChat(body: Record<string, unknown>, route: Route & { kind: 'chat' }): ChatParse | ErrorSpec;
  chatBody(a: Answer, ctx: RenderContext): unknown;
  /** Every event of the stream, each a complete SSE frame (`event:`/`data:` lines and the blank line). */
  streamFrames(a: Answer, ctx: RenderContext): string[];
  /** A frame whose JSON does not parse, for the `stream-malformed` fault. */
  malformedFrame(): string;
  embed(body: Record<string, unknown>, route: Route & { kind: 'embed' }, ctx: RenderContext): EmbedResult | ErrorSpec;
  models(ctx: RenderContext): unknown;
  error(spec: ErrorSpec, ctx: RenderContext): Rendered;
  /** Rate-limit headers sent on every answer to a keyed request (none for Gemini). */
  rateHeaders(view: RateView, now: number): Record<string, string>;
  /** The provider's request-id header for this answer. */
  requestId(random: Random): Record<string, string>;
}

export function isErrorSpec(x: unknown): x is ErrorSpec {
  return typeof x === 'object' && x !== null && 'kind' in x && 'status' in x && !('conversation' in x);
}
