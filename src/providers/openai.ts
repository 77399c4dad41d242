import { BadResponseError } from '../errors.js';
import type { RichChatMessage, RichChatRequest } from '../types.js';
import type { HttpRequest, HttpResponse } from '../transport/types.js';
import { createOpenAIStreamParser, openAIFinishReason, openAIToolCalls, openAIUsage } from './openai-stream.js';
import { parseOpenAIRateLimit } from './rate-limit.js';
import type { BuildContext, ParsedChat, ParsedEmbeddings, ParsedErrorBody, ProviderAdapter } from './types.js';
import { endpointUrl, numberOr, parseJsonBody } from './util.js';

export { createOpenAIStreamParser, openAIFinishReason } from './openai-stream.js';

/**
 * Model families that reject the deprecated `max_tokens` with a 400 ("Unsupported parameter:
 * 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead"):
 * the o-series reasoning models and GPT-5 onwards.
 */
const MAX_COMPLETION_TOKENS_MODELS = /^(?:o\d|gpt-(?:[5-9]|\d{2,}))/;

/** Which field carries `maxTokens` on OpenAI for this model. */
export function openAIMaxTokensField(model: string): 'max_tokens' | 'max_completion_tokens' {
  return MAX_COMPLETION_TOKENS_MODELS.test(model) ? 'max_completion_tokens' : 'max_tokens';
}

/** One message in OpenAI's shape: content (string or parts) as given, `tool_calls`, `tool_call_id`. */
function openAIMessage(m: RichChatMessage): Record<string, unknown> {
  const out: Record<string, unknown> = { role: m.role, content: m.content };
  if (m.role === 'tool') out.tool_call_id = m.toolCallId;
  else if (m.toolCalls && m.toolCalls.length > 0) out.tool_calls = m.toolCalls;
  if (m.name !== undefined) out.name = m.name;
  return out;
}

/**
 * The OpenAI chat body: system text first, then the messages in OpenAI's own shape (content parts,
 * tool calls and tool results pass through), `tools`, `tool_choice`, `response_format`;
 * `extra` passed through verbatim. `maxTokensField` is `max_tokens` unless the model needs
 * `max_completion_tokens` (OpenAI's reasoning models); OpenAI-compatible servers (Groq) keep
 * `max_tokens`. `stream` says whether to ask for `stream: true` with usage in the last chunk; the
 * adapter alone decides it, so `stream` and `stream_options` in `extra` are overridden.
 */
export function openAIChatBody(
  req: RichChatRequest,
  maxTokensField: 'max_tokens' | 'max_completion_tokens' = 'max_tokens',
  stream = false,
): Record<string, unknown> {
  const messages: Array<Record<string, unknown>> = [];
  if (req.system !== undefined) messages.push({ role: 'system', content: req.system });
  for (const m of req.messages as RichChatMessage[]) messages.push(openAIMessage(m));
  const body: Record<string, unknown> = { model: req.model, messages };
  if (req.maxTokens !== undefined) body[maxTokensField] = req.maxTokens;
  if (req.temperature !== undefined) body.temperature = req.temperature;
  if (req.topP !== undefined) body.top_p = req.topP;
  if (req.stop !== undefined) body.stop = req.stop;
  if (req.tools !== undefined) body.tools = req.tools;
  if (req.toolChoice !== undefined) body.tool_choice = req.toolChoice;
  if (req.responseFormat !== undefined) body.response_format = req.responseFormat;
  if (req.extra) Object.assign(body, req.extra);
  delete body.stream;
  delete body.stream_options;
  if (stream) {
    body.stream = true;
    // The usage chunk comes last, after the finish chunk (the only way to get usage in a stream).
    body.stream_options = { include_usage: true };
  }
  return body;
}

export function parseOpenAIChat(res: HttpResponse): ParsedChat {
  const body = parseJsonBody(res) as Record<string, unknown>;
  const choices = body.choices;
  if (!Array.isArray(choices) || choices.length === 0) throw new BadResponseError('chat answer has no choices', res.status);
  const choice = choices[0] as Record<string, unknown>;
  const message = choice?.message as Record<string, unknown> | undefined;
  if (!message || typeof message !== 'object') throw new BadResponseError('chat answer has no message', res.status);
  const content = message.content;
  if (content !== null && content !== undefined && typeof content !== 'string') throw new BadResponseError('chat message content is not text', res.status);
  const parsed: ParsedChat = {
    id: typeof body.id === 'string' ? body.id : '',
    model: typeof body.model === 'string' ? body.model : '',
    text: content ?? '',
    finishReason: openAIFinishReason(choice.finish_reason),
    usage: openAIUsage(body.usage),
    raw: body,
  };
  const toolCalls = openAIToolCalls(message.tool_calls, res.status);
  if (toolCalls) parsed.toolCalls = toolCalls;
  return parsed;
}

export function parseOpenAIError(res: HttpResponse): ParsedErrorBody {
  let message = `HTTP ${res.status}`;
  let providerCode: string | null = null;
  try {
    const body = JSON.parse(res.body) as { error?: { message?: unknown; code?: unknown; type?: unknown } };
    const e = body?.error;
    if (e && typeof e === 'object') {
      if (typeof e.message === 'string') message = e.message;
      if (typeof e.code === 'string') providerCode = e.code;
      else if (typeof e.type === 'string') providerCode = e.type;
    }
  } catch {
    // A non-JSON error body (a proxy's HTML page, say): the status alone classifies it.
  }
  // A 429 `insufficient_quota` is the account's credit or monthly budget, not a rate window:
  // waiting does not help (platform.openai.com/docs/guides/error-codes).
  return { message, providerCode, retryAfterMs: null, invalidKey: false, quotaExhausted: providerCode === 'insufficient_quota' };
}

/**
 * A JSON POST in OpenAI's convention (OpenAI and Groq): bearer auth, our request id forwarded, and
 * `accept: text/event-stream` for a streamed answer. The secret goes in the auth header only.
 */
export function bearerPost(ctx: BuildContext, path: string, body: unknown, stream = false): HttpRequest {
  const headers: Record<string, string> = { 'content-type': 'application/json', authorization: `Bearer ${ctx.secret}`, 'x-request-id': ctx.requestId };
  if (stream) headers.accept = 'text/event-stream';
  return { method: 'POST', url: endpointUrl(ctx.baseUrl, path), headers, body: JSON.stringify(body) };
}

/** OpenAI (`https://api.openai.com/v1`): chat completions and array-input embeddings, bearer auth. */
export const openaiAdapter: ProviderAdapter = {
  provider: 'openai',
  defaultBaseUrl: 'https://api.openai.com/v1',
  supportsEmbeddings: true,
  maxEmbeddingInputs: 2048,
  buildChat(req: RichChatRequest, ctx: BuildContext): HttpRequest {
    return bearerPost(ctx, '/chat/completions', openAIChatBody(req, openAIMaxTokensField(req.model)));
  },
  buildChatStream(req: RichChatRequest, ctx: BuildContext): HttpRequest {
    return bearerPost(ctx, '/chat/completions', openAIChatBody(req, openAIMaxTokensField(req.model), true), true);
  },
  streamParser: () => createOpenAIStreamParser('openai'),
  parseChat: parseOpenAIChat,
  buildEmbed(model: string, inputs: string[], ctx: BuildContext) {
    return bearerPost(ctx, '/embeddings', { model, input: inputs, encoding_format: 'float' });
  },
  parseEmbed(res: HttpResponse, inputCount: number): ParsedEmbeddings {
    const body = parseJsonBody(res) as { data?: unknown; usage?: Record<string, unknown> };
    if (!Array.isArray(body.data) || body.data.length !== inputCount) {
      throw new BadResponseError(`embeddings answer has ${Array.isArray(body.data) ? body.data.length : 'no'} vectors for ${inputCount} inputs`, res.status);
    }
    const embeddings: number[][] = new Array(inputCount);
    for (const item of body.data as Array<{ index?: unknown; embedding?: unknown }>) {
      const i = typeof item?.index === 'number' ? item.index : -1;
      if (i < 0 || i >= inputCount || !Array.isArray(item.embedding)) throw new BadResponseError('embeddings answer has a malformed item', res.status);
      embeddings[i] = item.embedding as number[];
    }
    for (let i = 0; i < inputCount; i++) if (!embeddings[i]) throw new BadResponseError(`embeddings answer lacks index ${i}`, res.status);
    const u = body.usage;
    const input = numberOr(u?.prompt_tokens, null);
    return { embeddings, usage: input === null ? null : { inputTokens: input, outputTokens: 0, totalTokens: numberOr(u?.total_tokens, input) } };
  },
  parseError: parseOpenAIError,
  rateLimit: parseOpenAIRateLimit,
};
