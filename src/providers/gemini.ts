import { BadResponseError } from '../errors.js';
import { parseProtoDuration } from '../policy/retry-after.js';
import type { ChatRequest, FinishReason, Usage } from '../types.js';
import type { HttpRequest, HttpResponse } from '../transport/types.js';
import type { BuildContext, ParsedChat, ParsedEmbeddings, ParsedErrorBody, ProviderAdapter } from './types.js';
import { isRecord, joinUrl, numberOr, parseJsonBody, systemText, tryParseJson } from './util.js';

/**
 * Gemini's `finishReason` (ai.google.dev/api/generate-content#FinishReason). The safety family
 * (`SAFETY`, `RECITATION`, `BLOCKLIST`, `PROHIBITED_CONTENT`, `SPII`, and the image variants) is
 * a content filter; everything else (`LANGUAGE`, `OTHER`, `MALFORMED_FUNCTION_CALL` …) is `other`.
 */
export function geminiFinishReason(r: unknown): FinishReason {
  switch (r) {
    case 'STOP': return 'stop';
    case 'MAX_TOKENS': return 'length';
    case 'SAFETY': case 'RECITATION': case 'BLOCKLIST': case 'PROHIBITED_CONTENT': case 'SPII':
    case 'IMAGE_SAFETY': case 'IMAGE_PROHIBITED_CONTENT':
      return 'content_filter';
    default: return 'other';
  }
}

/**
 * The model's resource name: `gemini-2.0-flash` and `models/gemini-2.0-flash` are the same model;
 * a name that already has a collection (`tunedModels/x`) is kept.
 */
export function geminiModelName(model: string): string {
  return model.includes('/') ? model : `models/${model}`;
}

/** The resource name as a path, each segment URL-encoded so a model name can never rewrite the path. */
function modelPath(model: string): string {
  return geminiModelName(model).split('/').map(encodeURIComponent).join('/');
}

/** The `generateContent` body: turns as `user`/`model`, system text as `systemInstruction`. */
export function geminiChatBody(req: ChatRequest): Record<string, unknown> {
  const contents: Array<{ role: 'user' | 'model'; parts: Array<{ text: string }> }> = [];
  for (const m of req.messages) {
    if (m.role === 'system') continue;
    contents.push({ role: m.role === 'assistant' ? 'model' : 'user', parts: [{ text: m.content }] });
  }
  const body: Record<string, unknown> = { contents };
  const system = systemText(req);
  if (system !== undefined) body.systemInstruction = { parts: [{ text: system }] };
  const gc: Record<string, unknown> = {};
  if (req.maxTokens !== undefined) gc.maxOutputTokens = req.maxTokens;
  if (req.temperature !== undefined) gc.temperature = req.temperature;
  if (req.topP !== undefined) gc.topP = req.topP;
  if (req.stop !== undefined) gc.stopSequences = req.stop;
  if (Object.keys(gc).length > 0) body.generationConfig = gc;
  if (req.extra) {
    const { generationConfig, ...rest } = req.extra;
    Object.assign(body, rest);
    // `extra.generationConfig` (responseMimeType, thinkingConfig …) adds to the mapped fields
    // instead of silently dropping maxTokens/temperature; its own keys win.
    if (generationConfig !== undefined) {
      body.generationConfig = isRecord(generationConfig) && Object.keys(gc).length > 0 ? { ...gc, ...generationConfig } : generationConfig;
    }
  }
  return body;
}

/** Output counts the thinking tokens too, as OpenAI's `completion_tokens` counts reasoning tokens. */
function geminiUsage(u: unknown): Usage | null {
  if (!isRecord(u)) return null;
  const input = numberOr(u.promptTokenCount, 0);
  const output = numberOr(u.candidatesTokenCount, 0) + numberOr(u.thoughtsTokenCount, 0);
  return { inputTokens: input, outputTokens: output, totalTokens: numberOr(u.totalTokenCount, input + output) };
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
  let text = '';
  let calledFunction = false;
  if (content !== undefined) {
    if (!isRecord(content)) throw new BadResponseError('candidate content is not an object', res.status);
    const parts = content.parts;
    // A candidate cut by MAX_TOKENS or a filter may carry `content: { role }` with no parts.
    if (parts !== undefined && !Array.isArray(parts)) throw new BadResponseError('candidate parts is not an array', res.status);
    for (const part of parts ?? []) {
      if (!isRecord(part)) throw new BadResponseError('candidate has a malformed part', res.status);
      if (part.functionCall !== undefined) calledFunction = true;
      // Thought summaries (`thought: true`) are not the answer.
      if (typeof part.text === 'string' && part.thought !== true) text += part.text;
    }
  }
  let finishReason = geminiFinishReason(cand.finishReason);
  // Gemini ends a function call with STOP; OpenAI's vocabulary calls that `tool_calls`.
  if (finishReason === 'stop' && calledFunction) finishReason = 'tool_calls';
  return { id, model, text, finishReason, usage, raw: body };
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
  buildChat(req: ChatRequest, ctx: BuildContext): HttpRequest {
    return {
      method: 'POST',
      url: joinUrl(ctx.baseUrl, `/v1beta/${modelPath(req.model)}:generateContent`),
      headers: headers(ctx),
      body: JSON.stringify(geminiChatBody(req)),
    };
  },
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
