import { BadResponseError, ConfigError } from '../errors.js';
import type { RichChatRequest, ToolCall } from '../types.js';
import type { HttpRequest, HttpResponse } from '../transport/types.js';
import { anthropicChatBody } from './anthropic-request.js';
import { anthropicFinishReason, anthropicToolCall, anthropicUsage, createAnthropicStreamParser } from './anthropic-stream.js';
import { parseAnthropicRateLimit } from './rate-limit.js';
import type { BuildContext, ParsedChat, ParsedEmbeddings, ParsedErrorBody, ProviderAdapter } from './types.js';
import { isRecord, endpointUrl, joinUrl, parseJsonBody, tryParseJson } from './util.js';

/** The API version every request pins (docs.anthropic.com/en/api/versioning). */
export const ANTHROPIC_VERSION = '2023-06-01';

export { ANTHROPIC_DEFAULT_MAX_TOKENS, anthropicChatBody } from './anthropic-request.js';
export { anthropicFinishReason, createAnthropicStreamParser } from './anthropic-stream.js';

export function parseAnthropicChat(res: HttpResponse): ParsedChat {
  const body = parseJsonBody(res);
  if (body.type === 'error') {
    const e = isRecord(body.error) ? body.error : {};
    throw new BadResponseError(`provider answered ${res.status} with an error body: ${typeof e.message === 'string' ? e.message : 'no message'}`, res.status);
  }
  const content = body.content;
  if (!Array.isArray(content)) throw new BadResponseError('message answer has no content array', res.status);
  let text = '';
  const toolCalls: ToolCall[] = [];
  for (const block of content) {
    if (!isRecord(block)) throw new BadResponseError('message answer has a malformed content block', res.status);
    // Text blocks make the text and tool_use blocks the tool calls; thinking and server-tool blocks stay in `raw`.
    if (block.type === 'tool_use') toolCalls.push(anthropicToolCall(block, res.status));
    if (block.type !== 'text') continue;
    if (typeof block.text !== 'string') throw new BadResponseError('text block has no text', res.status);
    text += block.text;
  }
  const parsed: ParsedChat = {
    id: typeof body.id === 'string' ? body.id : '',
    model: typeof body.model === 'string' ? body.model : '',
    text,
    finishReason: anthropicFinishReason(body.stop_reason),
    usage: anthropicUsage(body.usage),
    raw: body,
  };
  if (toolCalls.length > 0) parsed.toolCalls = toolCalls;
  return parsed;
}

/** `{ type: 'error', error: { type, message } }` (docs.anthropic.com/en/api/errors). Never throws. */
export function parseAnthropicError(res: HttpResponse): ParsedErrorBody {
  let message = `HTTP ${res.status}`;
  let providerCode: string | null = null;
  const body = tryParseJson(res.body);
  const e = isRecord(body) ? body.error : undefined;
  if (isRecord(e)) {
    if (typeof e.message === 'string' && e.message !== '') message = e.message;
    if (typeof e.type === 'string') providerCode = e.type;
  }
  return { message, providerCode, retryAfterMs: null, invalidKey: false, quotaExhausted: false };
}

function noEmbeddings(model: string): never {
  throw new ConfigError(`anthropic has no embeddings API: cannot embed with model "${model}" (use openai or gemini)`, 'model');
}

function headers(ctx: BuildContext): Record<string, string> {
  return { 'content-type': 'application/json', 'x-api-key': ctx.secret, 'anthropic-version': ANTHROPIC_VERSION, 'x-request-id': ctx.requestId };
}

/** Anthropic (`https://api.anthropic.com`): the Messages API, `x-api-key` auth; no embeddings. */
export const anthropicAdapter: ProviderAdapter = {
  provider: 'anthropic',
  defaultBaseUrl: 'https://api.anthropic.com',
  supportsEmbeddings: false,
  maxEmbeddingInputs: 0,
  buildChat(req: RichChatRequest, ctx: BuildContext): HttpRequest {
    return { method: 'POST', url: endpointUrl(ctx.baseUrl, '/v1/messages'), headers: headers(ctx), body: JSON.stringify(anthropicChatBody(req)) };
  },
  buildChatStream(req: RichChatRequest, ctx: BuildContext): HttpRequest {
    return {
      method: 'POST',
      url: joinUrl(ctx.baseUrl, '/v1/messages'),
      headers: { ...headers(ctx), accept: 'text/event-stream' },
      body: JSON.stringify(anthropicChatBody(req, true)),
    };
  },
  streamParser: createAnthropicStreamParser,
  parseChat: parseAnthropicChat,
  buildEmbed(model: string): HttpRequest {
    return noEmbeddings(model);
  },
  parseEmbed(): ParsedEmbeddings {
    return noEmbeddings('(none)');
  },
  parseError: parseAnthropicError,
  rateLimit: parseAnthropicRateLimit,
};
