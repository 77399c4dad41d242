/**
 * The Gemini API (ai.google.dev/api): `v1beta/models/{model}:generateContent`,
 * `:streamGenerateContent?alt=sse`, `:embedContent`, `:batchEmbedContents`; `x-goog-api-key`;
 * errors as `google.rpc.Status` JSON with `details` (ErrorInfo, QuotaFailure, RetryInfo, Help).
 */
import type { Answer, ToolDef } from '../answer.js';
import { estimateTokens, splitForStream } from '../answer.js';
import { embedText } from '../embeddings.js';
import { randomString } from '../random.js';
import { protoDuration } from '../time-format.js';
import { charsIn, isRecord, positiveInt, sseFrame, textOf } from './common.js';
import type { ChatParse, ErrorSpec, RenderContext, Route, WireFormat } from './types.js';

/** `google.rpc.Code` names per HTTP status (cloud.google.com/apis/design/errors). */
const STATUS: Record<number, [string, string]> = {
  400: ['INVALID_ARGUMENT', 'Request contains an invalid argument.'],
  401: ['UNAUTHENTICATED', 'Request had invalid authentication credentials.'],
  403: ['PERMISSION_DENIED', 'The caller does not have permission.'],
  404: ['NOT_FOUND', 'Requested entity was not found.'],
  408: ['DEADLINE_EXCEEDED', 'Deadline expired before operation could complete.'],
  409: ['ABORTED', 'The operation was aborted.'],
  429: ['RESOURCE_EXHAUSTED', 'Resource has been exhausted (e.g. check quota).'],
  500: ['INTERNAL', 'An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting'],
  501: ['UNIMPLEMENTED', 'Operation is not implemented, or supported, or enabled.'],
  503: ['UNAVAILABLE', 'The model is overloaded. Please try again later.'],
  504: ['DEADLINE_EXCEEDED', 'Deadline expired before operation could complete.'],
};

const bad = (message: string, param: string): ErrorSpec => ({ status: 400, kind: 'bad-request', message, param });
const partsOf = (c: unknown): unknown[] => (isRecord(c) && Array.isArray(c.parts) ? c.parts : []);

function parseChat(body: Record<string, unknown>, route: Route & { kind: 'chat' }): ChatParse | ErrorSpec {
  const contents = body.contents;
  if (!Array.isArray(contents) || contents.length === 0) return bad('* GenerateContentRequest.contents: contents is not specified\n', 'contents');
  const last = contents[contents.length - 1];
  const response = partsOf(last).find((p) => isRecord(p) && isRecord(p.functionResponse)) as { functionResponse: Record<string, unknown> } | undefined;
  const lastUser = [...contents].reverse().find((c) => isRecord(c) && (c.role === 'user' || c.role === undefined));
  const userParts = partsOf(lastUser);
  const tools: ToolDef[] = (Array.isArray(body.tools) ? body.tools : []).flatMap((t: unknown) =>
    isRecord(t) && Array.isArray(t.functionDeclarations) ? (t.functionDeclarations as unknown[]) : [])
    .filter((f): f is Record<string, unknown> => isRecord(f) && typeof f.name === 'string')
    .map((f) => ({ name: f.name as string, parameters: f.parameters ?? f.parametersJsonSchema }));
  const fcc = isRecord(body.toolConfig) && isRecord(body.toolConfig.functionCallingConfig) ? body.toolConfig.functionCallingConfig : {};
  const allowed = Array.isArray(fcc.allowedFunctionNames) ? fcc.allowedFunctionNames : [];
  const gc = isRecord(body.generationConfig) ? body.generationConfig : {};
  return {
    stream: route.streamByPath,
    includeUsage: true,
    conversation: {
      model: route.model ?? '',
      lastUserText: textOf(userParts),
      toolResult: response ? JSON.stringify(response.functionResponse.response ?? {}) : null,
      tools,
      toolChoice: fcc.mode === 'NONE' ? 'none' : typeof allowed[0] === 'string' ? { name: allowed[0] } : 'auto',
      json: gc.responseMimeType === 'application/json',
      jsonSchema: gc.responseMimeType === 'application/json' ? gc.responseSchema ?? gc.responseJsonSchema ?? null : null,
      images: userParts.filter((p) => isRecord(p) && (isRecord(p.inlineData) || isRecord(p.fileData))).length,
      maxTokens: positiveInt(gc.maxOutputTokens),
      inputChars: charsIn(contents) + charsIn(body.systemInstruction),
    },
  };
}

function usageMetadata(a: Answer): Record<string, unknown> {
  return {
    promptTokenCount: a.inputTokens, candidatesTokenCount: a.outputTokens, totalTokenCount: a.inputTokens + a.outputTokens,
    promptTokensDetails: [{ modality: 'TEXT', tokenCount: a.inputTokens }],
  };
}

function response(ctx: RenderContext, parts: unknown[], finishReason: string | null, a: Answer | null, responseId: string): Record<string, unknown> {
  return {
    candidates: [{ content: { parts, role: 'model' }, ...(finishReason ? { finishReason } : {}), index: 0 }],
    ...(a ? { usageMetadata: usageMetadata(a) } : {}),
    modelVersion: ctx.model,
    responseId,
  };
}

const finishOf = (a: Answer) => (a.kind === 'text' && a.finish === 'length' ? 'MAX_TOKENS' : 'STOP');

function chatBody(a: Answer, ctx: RenderContext): unknown {
  const parts = a.kind === 'tool' ? [{ functionCall: { name: a.name, args: a.args } }] : [{ text: a.text }];
  return response(ctx, parts, finishOf(a), a, randomString(ctx.random, 22));
}

function streamFrames(a: Answer, ctx: RenderContext): string[] {
  const id = randomString(ctx.random, 22);
  let bodies: unknown[];
  if (a.kind === 'tool') {
    // Gemini sends a function call whole, in one chunk.
    bodies = [response(ctx, [{ functionCall: { name: a.name, args: a.args } }], 'STOP', a, id)];
  } else {
    const pieces = splitForStream(a.text);
    bodies = pieces.map((p, i) => (i === pieces.length - 1
      ? response(ctx, [{ text: p }], finishOf(a), a, id)
      : response(ctx, [{ text: p }], null, null, id)));
    if (bodies.length === 0) bodies = [response(ctx, [{ text: '' }], finishOf(a), a, id)];
  }
  // Gemini ends each SSE event with CRLF CRLF; without alt=sse the stream is one JSON array.
  if (ctx.sse) return bodies.map((b) => sseFrame(b, undefined, '\r\n'));
  return bodies.map((b, i) => `${i === 0 ? '[' : ',\r\n'}${JSON.stringify(b)}${i === bodies.length - 1 ? ']' : ''}`);
}

function embed(body: Record<string, unknown>, route: Route & { kind: 'embed' }, ctx: RenderContext) {
  const one = (req: unknown): string | null => {
    const text = isRecord(req) ? textOf(partsOf(req.content)) : '';
    return text === '' ? null : text;
  };
  const dimsOf = (req: unknown) => (isRecord(req) ? positiveInt(req.outputDimensionality) : null) ?? ctx.dimensions;
  if (!route.batch) {
    const text = one(body);
    if (text === null) return bad('* EmbedContentRequest.content: content is not specified\n', 'content');
    return { inputTokens: estimateTokens(text.length), body: { embedding: { values: embedText(text, dimsOf(body)) } } };
  }
  const requests = Array.isArray(body.requests) ? body.requests : [];
  if (requests.length === 0) return bad('* BatchEmbedContentsRequest.requests: requests is not specified\n', 'requests');
  // The Gemini API's limit: at most 100 requests per batchEmbedContents call.
  if (requests.length > 100) return bad('* BatchEmbedContentsRequest.requests: at most 100 requests can be in one batch\n', 'requests');
  const texts = requests.map(one);
  const missing = texts.findIndex((t) => t === null);
  if (missing >= 0) return bad(`* BatchEmbedContentsRequest.requests[${missing}].content: content is not specified\n`, 'requests');
  return {
    inputTokens: texts.reduce((n, t) => n + estimateTokens(t!.length), 0),
    body: { embeddings: texts.map((t, i) => ({ values: embedText(t!, dimsOf(requests[i])) })) },
  };
}

function quotaFailure(ctx: RenderContext, perDay: boolean, spec: ErrorSpec): Record<string, unknown> {
  const tokens = spec.limit === 'tokens';
  return {
    '@type': 'type.googleapis.com/google.rpc.QuotaFailure',
    violations: [{
      quotaMetric: `generativelanguage.googleapis.com/${tokens ? 'generate_content_input_token_count' : 'generate_content_requests'}`,
      quotaId: perDay ? 'GenerateRequestsPerDayPerProjectPerModel-FreeTier'
        : tokens ? 'GenerateContentInputTokensPerModelPerMinute' : 'GenerateRequestsPerMinutePerProjectPerModel',
      quotaDimensions: { location: 'global', model: ctx.model },
      ...(spec.limitValue !== undefined ? { quotaValue: String(spec.limitValue) } : {}),
    }],
  };
}

function error(spec: ErrorSpec, ctx: RenderContext) {
  let status = spec.status;
  let [name, message] = STATUS[status] ?? [status >= 500 ? 'INTERNAL' : 'FAILED_PRECONDITION', `HTTP ${status}`];
  if (spec.message) message = spec.message;
  const details: unknown[] = [];
  switch (spec.kind) {
    case 'invalid-key':
      status = 400; name = 'INVALID_ARGUMENT'; message = 'API key not valid. Please pass a valid API key.';
      details.push({ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID', domain: 'googleapis.com', metadata: { service: 'generativelanguage.googleapis.com' } });
      details.push({ '@type': 'type.googleapis.com/google.rpc.LocalizedMessage', locale: 'en-US', message });
      break;
    case 'missing-key':
      status = 403; name = 'PERMISSION_DENIED';
      message = "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.";
      break;
    case 'rate-limit': case 'quota':
      message = 'You exceeded your current quota, please check your plan and billing details. For more information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits.';
      details.push(quotaFailure(ctx, spec.kind === 'quota', spec));
      details.push({ '@type': 'type.googleapis.com/google.rpc.Help', links: [{ description: 'Learn more about Gemini API quotas', url: 'https://ai.google.dev/gemini-api/docs/rate-limits' }] });
      break;
    case 'context-length':
      status = 400; name = 'INVALID_ARGUMENT'; message = 'The input token count (1200293) exceeds the maximum number of tokens allowed (1048576).'; break;
    case 'content-policy':
      status = 400; name = 'INVALID_ARGUMENT'; message = 'The request was blocked due to safety reasons (PROHIBITED_CONTENT).'; break;
    case 'not-found':
      if (spec.model) message = `models/${spec.model} is not found for API version v1beta, or is not supported for generateContent. Call ListModels to see the list of available models and their supported methods.`;
      break;
    default: break;
  }
  if (spec.retryAfterMs !== undefined && spec.retryAfterMs !== null) {
    details.push({ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: protoDuration(spec.retryAfterMs) });
  }
  return { status, headers: {}, body: { error: { code: status, message, status: name, ...(details.length > 0 ? { details } : {}) } } };
}

const ROUTE = /^\/(v1beta|v1|v1alpha)\/models\/([^/:]+):([A-Za-z]+)$/;
const MODELS = ['gemini-2.0-flash', 'gemini-2.5-flash', 'text-embedding-004', 'gemini-embedding-001'];

export const geminiFormat: WireFormat = {
  provider: 'gemini',
  prefix: '/gemini',
  route(method, path): Route | null {
    if (method === 'GET' && /^\/(v1beta|v1|v1alpha)\/models$/.test(path)) return { kind: 'models' };
    const m = ROUTE.exec(path);
    if (method !== 'POST' || !m) return null;
    const model = decodeURIComponent(m[2]!);
    switch (m[3]) {
      case 'generateContent': return { kind: 'chat', model, streamByPath: false };
      case 'streamGenerateContent': return { kind: 'chat', model, streamByPath: true };
      case 'embedContent': return { kind: 'embed', model, batch: false };
      case 'batchEmbedContents': return { kind: 'embed', model, batch: true };
      default: return null;
    }
  },
  credentials(headers, query) {
    const header = headers['x-goog-api-key'];
    if (header) return { key: header, keyInUrl: false };
    const inUrl = query.get('key');
    return inUrl ? { key: inUrl, keyInUrl: true } : { key: null, keyInUrl: false };
  },
  parseChat,
  chatBody,
  streamFrames,
  malformedFrame: () => 'data: {"candidates": [{"content": {"parts": [{"text": \r\n\r\n',
  embed,
  models: () => ({
    models: MODELS.map((id) => ({
      name: `models/${id}`, displayName: id, version: '001',
      supportedGenerationMethods: id.includes('embedding') ? ['embedContent', 'batchEmbedContents'] : ['generateContent', 'countTokens'],
    })),
  }),
  error,
  rateHeaders: () => ({}),
  requestId: () => ({}),
};
