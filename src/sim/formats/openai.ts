/**
 * OpenAI's chat completions and embeddings (platform.openai.com/docs/api-reference), and Groq's
 * OpenAI-compatible API under `/openai/v1` (console.groq.com/docs/api-reference), which differs in
 * its error messages, its `x_groq` fields and its lack of embeddings.
 */
import type { Answer, Conversation, ToolDef } from '../answer.js';
import { embedText, toBase64Float32 } from '../embeddings.js';
import { estimateTokens } from '../answer.js';
import { randomHex, randomString } from '../random.js';
import type { RateView } from '../rate-bucket.js';
import { goDuration, retryAfterSeconds } from '../time-format.js';
import { charsIn, isRecord, maskKey, positiveInt, splitJson, sseFrame, textOf } from './common.js';
import type { ErrorSpec, RenderContext, Route, WireFormat } from './types.js';
import { splitForStream } from '../answer.js';

type Flavor = 'openai' | 'groq';

/** OpenAI's messages for statuses the simulator injects (platform.openai.com/docs/guides/error-codes). */
const GENERIC: Record<number, [string, string]> = {
  400: ['Invalid request.', 'invalid_request_error'],
  403: ['You are not allowed to sample from this model.', 'invalid_request_error'],
  404: ['Not found.', 'invalid_request_error'],
  408: ['Request timed out.', 'timeout'],
  409: ['The request conflicted with another request.', 'invalid_request_error'],
  500: ['The server had an error while processing your request. Sorry about that!', 'server_error'],
  502: ['Bad gateway.', 'server_error'],
  503: ['The server is overloaded or not ready yet.', 'server_error'],
  504: ['Gateway timeout.', 'server_error'],
};

function parseChat(body: Record<string, unknown>): { conversation: Conversation; stream: boolean; includeUsage: boolean } | ErrorSpec {
  if (typeof body.model !== 'string' || body.model === '') return { status: 400, kind: 'bad-request', message: 'you must provide a model parameter', param: 'model' };
  const messages = body.messages;
  if (!Array.isArray(messages) || messages.length === 0) return { status: 400, kind: 'bad-request', message: "Missing required parameter: 'messages'.", param: 'messages' };
  const last = messages[messages.length - 1];
  const lastUser = [...messages].reverse().find((m) => isRecord(m) && m.role === 'user') as Record<string, unknown> | undefined;
  const parts = Array.isArray(lastUser?.content) ? (lastUser.content as unknown[]) : [];
  const tools: ToolDef[] = Array.isArray(body.tools)
    ? (body.tools as unknown[]).filter(isRecord).map((t) => (isRecord(t.function) ? t.function : {})).filter((f) => typeof f.name === 'string')
        .map((f) => ({ name: f.name as string, parameters: f.parameters }))
    : [];
  const tc = body.tool_choice;
  const rf = isRecord(body.response_format) ? body.response_format : {};
  const streamOptions = isRecord(body.stream_options) ? body.stream_options : {};
  return {
    stream: body.stream === true,
    includeUsage: streamOptions.include_usage === true,
    conversation: {
      model: body.model,
      lastUserText: textOf(lastUser?.content),
      toolResult: isRecord(last) && last.role === 'tool' ? textOf(last.content) : null,
      tools,
      toolChoice: tc === 'none' ? 'none' : isRecord(tc) && isRecord(tc.function) && typeof tc.function.name === 'string' ? { name: tc.function.name } : 'auto',
      json: rf.type === 'json_object' || rf.type === 'json_schema',
      jsonSchema: rf.type === 'json_schema' && isRecord(rf.json_schema) ? rf.json_schema.schema ?? null : null,
      images: parts.filter((p) => isRecord(p) && p.type === 'image_url').length,
      maxTokens: positiveInt(body.max_completion_tokens) ?? positiveInt(body.max_tokens),
      inputChars: charsIn(messages),
    },
  };
}

function usageOf(a: Answer, flavor: Flavor): Record<string, unknown> {
  const base = { prompt_tokens: a.inputTokens, completion_tokens: a.outputTokens, total_tokens: a.inputTokens + a.outputTokens };
  if (flavor === 'groq') return { queue_time: 0.01, ...base, prompt_time: 0.001, completion_time: 0.01, total_time: 0.011 };
  return {
    ...base,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
  };
}

const finishOf = (a: Answer) => (a.kind === 'tool' ? 'tool_calls' : a.finish);
const chatId = (ctx: RenderContext) => `chatcmpl-${randomString(ctx.random, 29)}`;
const callId = (ctx: RenderContext) => `call_${randomString(ctx.random, 24)}`;

function chatBody(flavor: Flavor) {
  return (a: Answer, ctx: RenderContext): unknown => {
    const message = a.kind === 'tool'
      ? { role: 'assistant', content: null, tool_calls: [{ id: callId(ctx), type: 'function', function: { name: a.name, arguments: a.argsJson } }], refusal: null }
      : { role: 'assistant', content: a.text, refusal: null, annotations: [] };
    return {
      id: chatId(ctx), object: 'chat.completion', created: Math.floor(ctx.now / 1000), model: ctx.model,
      choices: [{ index: 0, message, logprobs: null, finish_reason: finishOf(a) }],
      usage: usageOf(a, flavor),
      system_fingerprint: 'fp_sim',
      ...(flavor === 'groq' ? { x_groq: { id: `req_${randomString(ctx.random, 26)}` } } : { service_tier: 'default' }),
    };
  };
}

function streamFrames(flavor: Flavor) {
  return (a: Answer, ctx: RenderContext): string[] => {
    const id = chatId(ctx);
    const head = { id, object: 'chat.completion.chunk', created: Math.floor(ctx.now / 1000), model: ctx.model, system_fingerprint: 'fp_sim' };
    const chunk = (delta: unknown, finish: string | null, extra: Record<string, unknown> = {}) =>
      sseFrame({ ...head, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }], ...(ctx.includeUsage ? { usage: null } : {}), ...extra });
    const frames: string[] = [];
    if (a.kind === 'tool') {
      frames.push(chunk({ role: 'assistant', content: null, tool_calls: [{ index: 0, id: callId(ctx), type: 'function', function: { name: a.name, arguments: '' } }] }, null));
      for (const piece of splitJson(a.argsJson)) frames.push(chunk({ tool_calls: [{ index: 0, function: { arguments: piece } }] }, null));
    } else {
      frames.push(chunk({ role: 'assistant', content: '', refusal: null }, null));
      for (const piece of splitForStream(a.text)) frames.push(chunk({ content: piece }, null));
    }
    const groqTail = flavor === 'groq' ? { x_groq: { id: `req_${randomString(ctx.random, 26)}`, usage: usageOf(a, flavor) } } : {};
    frames.push(chunk({}, finishOf(a), groqTail));
    if (ctx.includeUsage) frames.push(sseFrame({ ...head, choices: [], usage: usageOf(a, flavor) }));
    frames.push('data: [DONE]\n\n');
    return frames;
  };
}

function embed(body: Record<string, unknown>, _route: Route, ctx: RenderContext) {
  if (typeof body.model !== 'string' || body.model === '') return { status: 400, kind: 'bad-request', message: 'you must provide a model parameter', param: 'model' } as ErrorSpec;
  const raw = body.input;
  const inputs: unknown[] = typeof raw === 'string' ? [raw] : Array.isArray(raw) && raw.length > 0 && raw.every((x) => typeof x === 'number') ? [raw] : Array.isArray(raw) ? raw : [];
  if (inputs.length === 0 || inputs.some((x) => typeof x !== 'string' && !Array.isArray(x)) || inputs.some((x) => x === '')) {
    return { status: 400, kind: 'bad-request', message: "'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.", param: 'input' } as ErrorSpec;
  }
  // OpenAI's documented limit: at most 2,048 inputs per request.
  if (inputs.length > 2048) return { status: 400, kind: 'bad-request', message: `'$.input' is invalid: at most 2048 inputs, got ${inputs.length}.`, param: 'input' } as ErrorSpec;
  const dims = positiveInt(body.dimensions) ?? ctx.dimensions;
  const base64 = body.encoding_format === 'base64';
  const texts = inputs.map((x) => (typeof x === 'string' ? x : JSON.stringify(x)));
  const inputTokens = texts.reduce((n, t) => n + estimateTokens(t.length), 0);
  return {
    inputTokens,
    body: {
      object: 'list',
      data: texts.map((t, index) => {
        const v = embedText(t, dims);
        return { object: 'embedding', index, embedding: base64 ? toBase64Float32(v) : v };
      }),
      model: body.model,
      usage: { prompt_tokens: inputTokens, total_tokens: inputTokens },
    },
  };
}

function errorBody(flavor: Flavor) {
  return (spec: ErrorSpec, ctx: RenderContext) => {
    let message = spec.message ?? GENERIC[spec.status]?.[0] ?? `HTTP ${spec.status}`;
    let type = GENERIC[spec.status]?.[1] ?? (spec.status >= 500 ? 'server_error' : 'invalid_request_error');
    let code: string | null = null;
    const wait = spec.retryAfterMs ?? null;
    switch (spec.kind) {
      case 'invalid-key':
        message = flavor === 'groq' ? 'Invalid API Key' : `Incorrect API key provided: ${maskKey(spec.key ?? '')}. You can find your API key at https://platform.openai.com/account/api-keys.`;
        type = 'invalid_request_error'; code = 'invalid_api_key'; break;
      case 'missing-key':
        message = flavor === 'groq' ? 'Invalid API Key' : "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).";
        type = 'invalid_request_error'; code = flavor === 'groq' ? 'invalid_api_key' : null; break;
      case 'rate-limit': {
        const what = spec.limit === 'tokens' ? 'tokens per min (TPM)' : 'requests per min (RPM)';
        message = `Rate limit reached for ${ctx.model} in organization org-simulator on ${what}. Please try again in ${goDuration(wait ?? 0)}.`
          + (flavor === 'groq' ? ' Need more tokens? Upgrade to Dev Tier today at https://console.groq.com/settings/billing' : ' Visit https://platform.openai.com/account/rate-limits to learn more.');
        type = spec.limit === 'tokens' ? 'tokens' : 'requests'; code = 'rate_limit_exceeded'; break;
      }
      case 'quota':
        if (flavor === 'groq') {
          message = `Rate limit reached for model \`${ctx.model}\` in organization \`org_simulator\` service tier \`on_demand\` on requests per day (RPD). Please try again in ${goDuration(wait ?? 0)}.`;
          type = 'requests'; code = 'rate_limit_exceeded';
        } else {
          message = 'You exceeded your current quota, please check your plan and billing details. For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.';
          type = 'insufficient_quota'; code = 'insufficient_quota';
        }
        break;
      case 'not-found':
        if (spec.model) { message = `The model \`${spec.model}\` does not exist or you do not have access to it.`; code = 'model_not_found'; }
        else if (flavor === 'groq') { message = `Unknown request URL: ${spec.method} ${spec.path}. Please check the URL for typos, or see the docs at https://console.groq.com/docs/`; code = 'unknown_url'; }
        else message = `Invalid URL (${spec.method} ${spec.path})`;
        type = 'invalid_request_error'; break;
      case 'context-length':
        message = `This model's maximum context length is 128000 tokens. However, your messages resulted in 131072 tokens. Please reduce the length of the messages.`;
        type = 'invalid_request_error'; code = 'context_length_exceeded'; spec = { ...spec, param: 'messages' }; break;
      case 'content-policy':
        message = 'Your request was rejected as a result of our safety system. Your prompt may contain text that is not allowed by our safety system.';
        type = 'invalid_request_error'; code = 'content_policy_violation'; break;
      case 'bad-request':
        type = 'invalid_request_error'; code = spec.param === 'messages' ? 'missing_required_parameter' : null; break;
      default:
        break;
    }
    const headers: Record<string, string> = {};
    if (wait !== null) {
      headers['retry-after'] = retryAfterSeconds(wait);
      if (flavor === 'openai') headers['retry-after-ms'] = String(Math.ceil(wait));
    }
    const error: Record<string, unknown> = { message, type, param: spec.param ?? null, code };
    return { headers, body: { error } };
  };
}

function rateHeaders(view: RateView): Record<string, string> {
  return {
    'x-ratelimit-limit-requests': String(view.limitRequests),
    'x-ratelimit-limit-tokens': String(view.limitTokens),
    'x-ratelimit-remaining-requests': String(view.remainingRequests),
    'x-ratelimit-remaining-tokens': String(view.remainingTokens),
    'x-ratelimit-reset-requests': goDuration(view.resetRequestsMs),
    'x-ratelimit-reset-tokens': goDuration(view.resetTokensMs),
  };
}

function openAICompatible(flavor: Flavor): WireFormat {
  return {
    provider: flavor,
    prefix: flavor === 'groq' ? '/groq/openai/v1' : '/openai/v1',
    route(method, path): Route | null {
      if (method === 'POST' && path === '/chat/completions') return { kind: 'chat', model: null, streamByPath: false };
      if (method === 'POST' && path === '/embeddings' && flavor === 'openai') return { kind: 'embed', model: null, batch: true };
      if (method === 'GET' && path === '/models') return { kind: 'models' };
      return null;
    },
    credentials(headers) {
      const m = /^Bearer\s+(.+)$/i.exec(headers.authorization ?? '');
      return { key: m ? m[1]!.trim() : null, keyInUrl: false };
    },
    parseChat: (body) => parseChat(body),
    chatBody: chatBody(flavor),
    streamFrames: streamFrames(flavor),
    malformedFrame: () => 'data: {"id":"chatcmpl-sim","object":"chat.completion.chunk","choices":[{"delta":{"content":\n\n',
    embed,
    models: (ctx) => ({
      object: 'list',
      data: (flavor === 'groq' ? ['llama-3.1-8b-instant', 'llama-3.3-70b-versatile', 'openai/gpt-oss-20b'] : ['gpt-4o-mini', 'gpt-4o', 'text-embedding-3-small', 'text-embedding-3-large'])
        .map((id) => ({ id, object: 'model', created: Math.floor(ctx.now / 1000), owned_by: flavor === 'groq' ? 'Groq' : 'system' })),
    }),
    error: errorBody(flavor),
    rateHeaders,
    requestId: (random) => ({ 'x-request-id': `req_${randomHex(random, 32)}` }),
  };
}

export const openaiFormat = openAICompatible('openai');
export const groqFormat = openAICompatible('groq');
