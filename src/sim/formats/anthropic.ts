/**
 * Anthropic's Messages API (docs.anthropic.com/en/api/messages, /messages-streaming, /errors,
 * /rate-limits): `x-api-key` + `anthropic-version`, content blocks, `tool_use`, the named SSE events,
 * `{type:"error"}` bodies and `anthropic-ratelimit-*` headers with RFC 3339 resets.
 */
import type { Answer, ToolDef } from '../answer.js';
import { splitForStream } from '../answer.js';
import { randomString } from '../random.js';
import type { Random } from '../random.js';
import type { RateView } from '../rate-bucket.js';
import { retryAfterSeconds, rfc3339 } from '../time-format.js';
import { charsIn, isRecord, positiveInt, splitJson, sseFrame, textOf } from './common.js';
import type { ChatParse, ErrorSpec, RenderContext, Route, WireFormat } from './types.js';

/** Error `type` per status (docs.anthropic.com/en/api/errors). */
const ERROR_TYPES: Record<number, [string, string]> = {
  400: ['invalid_request_error', 'Invalid request.'],
  401: ['authentication_error', 'invalid x-api-key'],
  402: ['billing_error', 'Your credit balance is too low to access the Anthropic API.'],
  403: ['permission_error', 'Your API key does not have permission to use the specified resource.'],
  404: ['not_found_error', 'Not Found'],
  413: ['request_too_large', 'Request exceeds the maximum allowed number of bytes.'],
  429: ['rate_limit_error', 'Number of requests has exceeded your rate limit.'],
  500: ['api_error', 'Internal server error'],
  504: ['timeout_error', 'Request timed out'],
  529: ['overloaded_error', 'Overloaded'],
};

const bad = (message: string, param: string): ErrorSpec => ({ status: 400, kind: 'bad-request', message, param });

function parseChat(body: Record<string, unknown>): ChatParse | ErrorSpec {
  if (typeof body.model !== 'string' || body.model === '') return bad('model: Field required', 'model');
  if (positiveInt(body.max_tokens) === null) return bad('max_tokens: Field required', 'max_tokens');
  const messages = body.messages;
  if (!Array.isArray(messages) || messages.length === 0) return bad('messages: Field required', 'messages');
  const last = messages[messages.length - 1];
  const lastBlocks = isRecord(last) && Array.isArray(last.content) ? (last.content as unknown[]) : [];
  const toolResult = isRecord(last) && last.role === 'user'
    ? (lastBlocks.find((b) => isRecord(b) && b.type === 'tool_result') as Record<string, unknown> | undefined)
    : undefined;
  const lastUser = [...messages].reverse().find((m) => isRecord(m) && m.role === 'user') as Record<string, unknown> | undefined;
  const userBlocks = Array.isArray(lastUser?.content) ? (lastUser.content as unknown[]) : [];
  const userText = typeof lastUser?.content === 'string' ? lastUser.content : textOf(userBlocks.filter((b) => isRecord(b) && b.type === 'text'));
  const system = typeof body.system === 'string' ? body.system : textOf(body.system);
  const tools: ToolDef[] = Array.isArray(body.tools)
    ? (body.tools as unknown[]).filter((t): t is Record<string, unknown> => isRecord(t) && typeof t.name === 'string')
        .map((t) => ({ name: t.name as string, parameters: t.input_schema }))
    : [];
  const tc = isRecord(body.tool_choice) ? body.tool_choice : {};
  return {
    stream: body.stream === true,
    includeUsage: true,
    conversation: {
      model: body.model,
      lastUserText: userText,
      toolResult: toolResult ? textOf(toolResult.content) : null,
      tools,
      toolChoice: tc.type === 'none' ? 'none' : tc.type === 'tool' && typeof tc.name === 'string' ? { name: tc.name } : 'auto',
      // The Messages API has no JSON mode: a system prompt that asks for JSON is how clients get it.
      json: /\bjson\b/i.test(system),
      jsonSchema: schemaInSystem(system),
      images: userBlocks.filter((b) => isRecord(b) && b.type === 'image').length,
      maxTokens: positiveInt(body.max_tokens),
      inputChars: charsIn(messages) + system.length,
    },
  };
}

const stopReason = (a: Answer) => (a.kind === 'tool' ? 'tool_use' : a.finish === 'length' ? 'max_tokens' : 'end_turn');
const messageId = (r: Random) => `msg_01${randomString(r, 22)}`;
const toolId = (r: Random) => `toolu_01${randomString(r, 22)}`;

function usage(a: Answer): Record<string, unknown> {
  return { input_tokens: a.inputTokens, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: a.outputTokens, service_tier: 'standard' };
}

function chatBody(a: Answer, ctx: RenderContext): unknown {
  const content = a.kind === 'tool' ? [{ type: 'tool_use', id: toolId(ctx.random), name: a.name, input: a.args }] : [{ type: 'text', text: a.text }];
  return { id: messageId(ctx.random), type: 'message', role: 'assistant', model: ctx.model, content, stop_reason: stopReason(a), stop_sequence: null, usage: usage(a) };
}

function streamFrames(a: Answer, ctx: RenderContext): string[] {
  const ev = (type: string, data: Record<string, unknown>) => sseFrame({ type, ...data }, type);
  const frames = [
    ev('message_start', {
      message: { id: messageId(ctx.random), type: 'message', role: 'assistant', model: ctx.model, content: [], stop_reason: null, stop_sequence: null,
        usage: { ...usage(a), output_tokens: 1 } },
    }),
  ];
  if (a.kind === 'tool') {
    frames.push(ev('content_block_start', { index: 0, content_block: { type: 'tool_use', id: toolId(ctx.random), name: a.name, input: {} } }));
    frames.push(ev('ping', {}));
    for (const piece of splitJson(a.argsJson)) frames.push(ev('content_block_delta', { index: 0, delta: { type: 'input_json_delta', partial_json: piece } }));
  } else {
    frames.push(ev('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }));
    frames.push(ev('ping', {}));
    for (const piece of splitForStream(a.text)) frames.push(ev('content_block_delta', { index: 0, delta: { type: 'text_delta', text: piece } }));
  }
  frames.push(ev('content_block_stop', { index: 0 }));
  frames.push(ev('message_delta', { delta: { stop_reason: stopReason(a), stop_sequence: null }, usage: { output_tokens: a.outputTokens } }));
  frames.push(ev('message_stop', {}));
  return frames;
}

function error(spec: ErrorSpec, ctx: RenderContext) {
  const [defaultType, defaultMessage] = ERROR_TYPES[spec.status] ?? [spec.status >= 500 ? 'api_error' : 'invalid_request_error', `HTTP ${spec.status}`];
  let type = defaultType;
  let message = spec.message ?? defaultMessage;
  switch (spec.kind) {
    case 'invalid-key': type = 'authentication_error'; message = 'invalid x-api-key'; break;
    case 'missing-key': type = 'authentication_error'; message = 'x-api-key header is required'; break;
    case 'rate-limit':
      type = 'rate_limit_error';
      message = spec.limit === 'tokens'
        ? `This request would exceed the rate limit for your organization of tokens per minute for ${ctx.model}. For details, refer to: https://docs.claude.com/en/api/rate-limits.`
        : `This request would exceed the rate limit for your organization of requests per minute for ${ctx.model}. For details, refer to: https://docs.claude.com/en/api/rate-limits.`;
      break;
    case 'quota': type = 'rate_limit_error'; message = `This request would exceed your organization's daily request limit for ${ctx.model}.`; break;
    case 'not-found': type = 'not_found_error'; message = spec.model ? `model: ${spec.model}` : 'Not Found'; break;
    case 'bad-request': type = 'invalid_request_error'; break;
    case 'context-length': type = 'invalid_request_error'; message = 'prompt is too long: 210000 tokens > 200000 maximum'; break;
    case 'content-policy': type = 'invalid_request_error'; message = 'Output blocked by content filtering policy'; break;
    default: break;
  }
  const headers: Record<string, string> = {};
  if (spec.retryAfterMs !== undefined && spec.retryAfterMs !== null) headers['retry-after'] = retryAfterSeconds(spec.retryAfterMs);
  return { headers, body: { type: 'error', error: { type, message }, request_id: `req_011C${randomString(ctx.random, 20)}` } };
}

/** `anthropic-ratelimit-*`: tokens-*, input-tokens-* and output-tokens-* all report the one token bucket. */
function rateHeaders(view: RateView, now: number): Record<string, string> {
  const h: Record<string, string> = {
    'anthropic-ratelimit-requests-limit': String(view.limitRequests),
    'anthropic-ratelimit-requests-remaining': String(view.remainingRequests),
    'anthropic-ratelimit-requests-reset': rfc3339(now + view.resetRequestsMs),
  };
  for (const kind of ['tokens', 'input-tokens', 'output-tokens']) {
    h[`anthropic-ratelimit-${kind}-limit`] = String(view.limitTokens);
    h[`anthropic-ratelimit-${kind}-remaining`] = String(view.remainingTokens);
    h[`anthropic-ratelimit-${kind}-reset`] = rfc3339(now + view.resetTokensMs);
  }
  return h;
}

const MODELS = ['claude-3-5-haiku-latest', 'claude-sonnet-4-5', 'claude-opus-4-1'];

export const anthropicFormat: WireFormat = {
  provider: 'anthropic',
  prefix: '/anthropic',
  route(method, path): Route | null {
    if (method === 'POST' && path === '/v1/messages') return { kind: 'chat', model: null, streamByPath: false };
    if (method === 'GET' && path === '/v1/models') return { kind: 'models' };
    return null;
  },
  credentials(headers) {
    const bearer = /^Bearer\s+(.+)$/i.exec(headers.authorization ?? '');
    const key = headers['x-api-key'] ?? (bearer ? bearer[1]!.trim() : null);
    if (key && !headers['anthropic-version']) {
      return { key, keyInUrl: false, error: { status: 400, kind: 'bad-request', message: 'anthropic-version: header is required' } };
    }
    return { key, keyInUrl: false };
  },
  parseChat: (body) => parseChat(body),
  chatBody,
  streamFrames,
  malformedFrame: () => 'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_del\n\n',
  embed: () => ({ status: 404, kind: 'not-found' }),
  models: (ctx) => ({
    data: MODELS.map((id) => ({ type: 'model', id, display_name: id, created_at: new Date(ctx.now).toISOString() })),
    has_more: false, first_id: MODELS[0], last_id: MODELS[MODELS.length - 1],
  }),
  error,
  rateHeaders,
  requestId: (random) => ({ 'request-id': `req_011C${randomString(random, 20)}` }),
};

/**
 * A JSON Schema a system prompt asks the answer to conform to (the last line after "JSON Schema:"),
 * as a model that follows its instructions would read it; null when there is none.
 */
function schemaInSystem(system: string): Record<string, unknown> | null {
  const m = /JSON Schema:\s*\n(\{.*\})\s*$/s.exec(system);
  if (!m) return null;
  try {
    const v: unknown = JSON.parse(m[1]!);
    return isRecord(v) ? v : null;
  } catch {
    return null;
  }
}
