import { BadResponseError, ConfigError } from '../errors.js';
import { parseProtoDuration } from '../policy/retry-after.js';
import type { RichChatRequest } from '../types.js';
import type { HttpRequest, HttpResponse } from '../transport/types.js';
import { geminiChatBody } from './gemini-request.js';
import { createGeminiStreamParser, geminiFinishReason, geminiUsage, readGeminiContent } from './gemini-stream.js';
import type { BuildContext, ParsedChat, ParsedEmbeddings, ParsedErrorBody, ProviderAdapter } from './types.js';
import { isRecord, joinUrl, parseJsonBody, tryParseJson } from './util.js';

export { createGeminiStreamParser, geminiFinishReason } from './gemini-stream.js';
export { geminiChatBody } from './gemini-request.js';

/**
 * The model's resource name: `gemini-2.0-flash` and `models/gemini-2.0-flash` are the same model;
 * a name that already has a collection (`tunedModels/x`) is kept.
 */
export function geminiModelName(model: string): string {
  return model.includes('/') ? model : `models/${model}`;
}

/**
 * The resource name as a path, each segment URL-encoded so a model name can never rewrite the path.
 * Dots survive `encodeURIComponent`, so a `.` or `..` segment (or an empty one) is refused outright:
 * `gemini/../../admin/delete` would otherwise reach another path of the provider's host with the key.
 */
export function modelPath(model: string): string {
  const segments = geminiModelName(model).split('/');
  for (const s of segments) {
    if (s === '' || s === '.' || s === '..' || s.includes('\\')) {
      throw new ConfigError(`gemini: model ${JSON.stringify(model)} is not a model name: no path segment may be empty, \`.\` or \`..\``, 'model');
    }
  }
  return segments.map(encodeURIComponent).join('/');
}

export function parseGeminiChat(res: HttpResponse): ParsedChat {
  const body = parseJsonBody(res);
  const id = typeof body.responseId === 'string' ? body.responseId : '';
  const model = typeof body.modelVersion === 'string' ? body.modelVersion : '';
  const usage = geminiUsage(body.usageMetadata);
  const candidates = body.candidates;
  if (candidates === undefined || (Array.isArray(candidates) && candidates.length === 0)) {
    // A prompt blocked before generation: no candidate, `promptFeedback.blockReason` says why.
    const feedback = body.promptFeedback;
    if (isRecord(feedback) && typeof feedback.blockReason === 'string') {
      return { id, model, text: '', finishReason: 'content_filter', usage, raw: body };
    }
    throw new BadResponseError('generateContent answer has no candidates', res.status);
  }
  if (!Array.isArray(candidates) || !isRecord(candidates[0])) throw new BadResponseError('generateContent answer has malformed candidates', res.status);
  const cand = candidates[0];
  const content = cand.content;
  if (content === undefined && cand.finishReason === undefined) throw new BadResponseError('candidate has neither content nor finishReason', res.status);
  const { text, toolCalls } = readGeminiContent(content, 0, res.status);
  let finishReason = geminiFinishReason(cand.finishReason);
  // Gemini ends a function call with STOP; OpenAI's vocabulary calls that `tool_calls`.
  if (finishReason === 'stop' && toolCalls.length > 0) finishReason = 'tool_calls';
  const parsed: ParsedChat = { id, model, text, finishReason, usage, raw: body };
  if (toolCalls.length > 0) parsed.toolCalls = toolCalls;
  return parsed;
}

export function parseGeminiEmbed(res: HttpResponse, inputCount: number): ParsedEmbeddings {
  const body = parseJsonBody(res);
  const list = body.embeddings;
  if (!Array.isArray(list) || list.length !== inputCount) {
    throw new BadResponseError(`batchEmbedContents answer has ${Array.isArray(list) ? list.length : 'no'} vectors for ${inputCount} inputs`, res.status);
  }
  const embeddings: number[][] = new Array(inputCount);
  for (let i = 0; i < inputCount; i++) {
    const item: unknown = list[i];
    const values = isRecord(item) ? item.values : undefined;
    if (!Array.isArray(values)) throw new BadResponseError(`batchEmbedContents answer has no values at index ${i}`, res.status);
    embeddings[i] = values as number[];
  }
  // batchEmbedContents reports no token usage.
  return { embeddings, usage: null };
}

const PER_DAY = /PerDay|per_day/i;

/**
 * `{ error: { code, message, status, details } }` (google.rpc.Status; some proxies wrap it in an
 * array). `details` may hold `RetryInfo.retryDelay` (the wait), `QuotaFailure` violations (per-day
 * quota ids such as `GenerateRequestsPerDayPerProjectPerModel-FreeTier` mean the day's quota is
 * gone) and `ErrorInfo` with reason `API_KEY_INVALID` (the key itself is bad). Never throws.
 */
export function parseGeminiError(res: HttpResponse): ParsedErrorBody {
  const out: ParsedErrorBody = { message: `HTTP ${res.status}`, providerCode: null, retryAfterMs: null, invalidKey: false, quotaExhausted: false };
  let body = tryParseJson(res.body);
  if (Array.isArray(body)) body = body[0];
  const e = isRecord(body) ? body.error : undefined;
  if (!isRecord(e)) return out;
  if (typeof e.message === 'string' && e.message !== '') out.message = e.message;
  if (typeof e.status === 'string') out.providerCode = e.status;
  if (!Array.isArray(e.details)) return out;
  for (const d of e.details) {
    if (!isRecord(d) || typeof d['@type'] !== 'string') continue;
    const type = d['@type'];
    if (type.endsWith('google.rpc.RetryInfo')) {
      const ms = parseProtoDuration(d.retryDelay);
      if (ms !== null) out.retryAfterMs = ms;
    } else if (type.endsWith('google.rpc.QuotaFailure') && Array.isArray(d.violations)) {
      for (const v of d.violations) {
        if (!isRecord(v)) continue;
        if ((typeof v.quotaId === 'string' && PER_DAY.test(v.quotaId)) || (typeof v.quotaMetric === 'string' && PER_DAY.test(v.quotaMetric))) {
          out.quotaExhausted = true;
        }
      }
    } else if (type.endsWith('google.rpc.ErrorInfo') && d.reason === 'API_KEY_INVALID') {
      out.invalidKey = true;
    }
  }
  return out;
}

function headers(ctx: BuildContext): Record<string, string> {
  // The key goes in `x-goog-api-key`, never in `?key=`: URLs end up in logs and proxies.
  return { 'content-type': 'application/json', 'x-goog-api-key': ctx.secret, 'x-request-id': ctx.requestId };
}

/** Google Gemini (`https://generativelanguage.googleapis.com`): `v1beta` generateContent and batchEmbedContents. */
export const geminiAdapter: ProviderAdapter = {
  provider: 'gemini',
  defaultBaseUrl: 'https://generativelanguage.googleapis.com',
  supportsEmbeddings: true,
  maxEmbeddingInputs: 100,
  buildChat(req: RichChatRequest, ctx: BuildContext): HttpRequest {
    return {
      method: 'POST',
      url: joinUrl(ctx.baseUrl, `/v1beta/${modelPath(req.model)}:generateContent`),
      headers: headers(ctx),
      body: JSON.stringify(geminiChatBody(req)),
    };
  },
  buildChatStream(req: RichChatRequest, ctx: BuildContext): HttpRequest {
    return {
      method: 'POST',
      // `alt=sse` asks for Server-Sent Events instead of one streamed JSON array.
      url: joinUrl(ctx.baseUrl, `/v1beta/${modelPath(req.model)}:streamGenerateContent?alt=sse`),
      headers: { ...headers(ctx), accept: 'text/event-stream' },
      body: JSON.stringify(geminiChatBody(req)),
    };
  },
  streamParser: createGeminiStreamParser,
  parseChat: parseGeminiChat,
  buildEmbed(model: string, inputs: string[], ctx: BuildContext): HttpRequest {
    const name = geminiModelName(model);
    const requests = inputs.map((text) => ({ model: name, content: { parts: [{ text }] } }));
    return {
      method: 'POST',
      url: joinUrl(ctx.baseUrl, `/v1beta/${modelPath(model)}:batchEmbedContents`),
      headers: headers(ctx),
      body: JSON.stringify({ requests }),
    };
  },
  parseEmbed: parseGeminiEmbed,
  parseError: parseGeminiError,
  // Gemini sends no rate-limit headers; its 429 body says the wait (parseError).
  rateLimit: () => null,
};
