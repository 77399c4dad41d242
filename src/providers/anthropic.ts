import { BadResponseError, ConfigError } from '../errors.js';
import type { ChatRequest, FinishReason, Usage } from '../types.js';
import type { HttpRequest, HttpResponse } from '../transport/types.js';
import { parseAnthropicRateLimit } from './rate-limit.js';
import type { BuildContext, ParsedChat, ParsedEmbeddings, ParsedErrorBody, ProviderAdapter } from './types.js';
import { isRecord, joinUrl, numberOr, parseJsonBody, systemText, tryParseJson } from './util.js';

/** The API version every request pins (docs.anthropic.com/en/api/versioning). */
export const ANTHROPIC_VERSION = '2023-06-01';
/** `max_tokens` is required by the Messages API; this is sent when the request gives none. */
export const ANTHROPIC_DEFAULT_MAX_TOKENS = 1024;

/**
 * Anthropic's `stop_reason` (docs.anthropic.com/en/api/messages): `end_turn`, `stop_sequence`,
 * `max_tokens`, `tool_use`, `refusal`, `pause_turn`, `model_context_window_exceeded`.
 */
export function anthropicFinishReason(r: unknown): FinishReason {
  switch (r) {
    case 'end_turn': case 'stop_sequence': return 'stop';
    // The context window ran out while generating: the answer was cut for length.
    case 'max_tokens': case 'model_context_window_exceeded': return 'length';
    case 'tool_use': return 'tool_calls';
    case 'refusal': return 'content_filter';
    default: return 'other';
  }
}

/** The Messages API body: system text top-level, user/assistant turns, `max_tokens` always set. */
export function anthropicChatBody(req: ChatRequest): Record<string, unknown> {
  const messages: Array<{ role: 'user' | 'assistant'; content: string }> = [];
  for (const m of req.messages) if (m.role !== 'system') messages.push({ role: m.role, content: m.content });
  const body: Record<string, unknown> = { model: req.model, max_tokens: req.maxTokens ?? ANTHROPIC_DEFAULT_MAX_TOKENS, messages };
  const system = systemText(req);
  if (system !== undefined) body.system = system;
  if (req.temperature !== undefined) body.temperature = req.temperature;
  if (req.topP !== undefined) body.top_p = req.topP;
  if (req.stop !== undefined) body.stop_sequences = req.stop;
  if (req.extra) Object.assign(body, req.extra);
  return body;
}

/**
 * Input tokens include prompt-cache writes and reads: Anthropic reports them apart from
 * `input_tokens`, while OpenAI's `prompt_tokens` counts cached tokens too; keep them comparable.
 */
function anthropicUsage(u: unknown): Usage | null {
  if (!isRecord(u)) return null;
  const input = numberOr(u.input_tokens, 0) + numberOr(u.cache_creation_input_tokens, 0) + numberOr(u.cache_read_input_tokens, 0);
  const output = numberOr(u.output_tokens, 0);
  return { inputTokens: input, outputTokens: output, totalTokens: input + output };
}

export function parseAnthropicChat(res: HttpResponse): ParsedChat {
  const body = parseJsonBody(res);
  if (body.type === 'error') {
    const e = isRecord(body.error) ? body.error : {};
    throw new BadResponseError(`provider answered ${res.status} with an error body: ${typeof e.message === 'string' ? e.message : 'no message'}`, res.status);
  }
  const content = body.content;
  if (!Array.isArray(content)) throw new BadResponseError('message answer has no content array', res.status);
  let text = '';
  for (const block of content) {
    if (!isRecord(block)) throw new BadResponseError('message answer has a malformed content block', res.status);
    // Only text blocks make the text; thinking, tool_use and server-tool blocks stay in `raw`.
    if (block.type !== 'text') continue;
    if (typeof block.text !== 'string') throw new BadResponseError('text block has no text', res.status);
    text += block.text;
  }
  return {
    id: typeof body.id === 'string' ? body.id : '',
    model: typeof body.model === 'string' ? body.model : '',
    text,
    finishReason: anthropicFinishReason(body.stop_reason),
    usage: anthropicUsage(body.usage),
    raw: body,
  };
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

/** Anthropic (`https://api.anthropic.com`): the Messages API, `x-api-key` auth; no embeddings. */
export const anthropicAdapter: ProviderAdapter = {
  provider: 'anthropic',
  defaultBaseUrl: 'https://api.anthropic.com',
  supportsEmbeddings: false,
  maxEmbeddingInputs: 0,
  buildChat(req: ChatRequest, ctx: BuildContext): HttpRequest {
    return {
      method: 'POST',
      url: joinUrl(ctx.baseUrl, '/v1/messages'),
      headers: {
        'content-type': 'application/json',
        'x-api-key': ctx.secret,
        'anthropic-version': ANTHROPIC_VERSION,
        'x-request-id': ctx.requestId,
      },
      body: JSON.stringify(anthropicChatBody(req)),
    };
  },
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
