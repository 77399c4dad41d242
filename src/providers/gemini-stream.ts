/**
 * Gemini's answer vocabulary (finish reasons, usage, function calls) and its streaming format:
 * `:streamGenerateContent?alt=sse` sends `data: <GenerateContentResponse>` events, each a piece of
 * the answer, with no end marker; the event whose candidate has a `finishReason` is the last
 * (ai.google.dev/api/generate-content#method:-models.streamgeneratecontent).
 */
import { BadResponseError } from '../errors.js';
import type { ChatChunk, FinishReason, ToolCall, Usage } from '../types.js';
import { parseEventJson } from './openai-stream.js';
import type { StreamParser } from './types.js';
import { isRecord, numberOr } from './util.js';

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

/** Output counts the thinking tokens too, as OpenAI's `completion_tokens` counts reasoning tokens. */
export function geminiUsage(u: unknown): Usage | null {
  if (!isRecord(u)) return null;
  const input = numberOr(u.promptTokenCount, 0);
  const output = numberOr(u.candidatesTokenCount, 0) + numberOr(u.thoughtsTokenCount, 0);
  return { inputTokens: input, outputTokens: output, totalTokens: numberOr(u.totalTokenCount, input + output) };
}

const SIGNED_ID = /^call_\d+_ts_([A-Za-z0-9_-]+)$/;

/**
 * The id of a function call, which Gemini does not give: `call_<index>`, the index counting the
 * answer's calls from 0. Gemini 3 attaches a `thoughtSignature` to a call and answers 400 when the
 * next turn does not send it back, so a signature rides in the id (`call_<index>_ts_<signature as
 * base64url>`, characters every provider accepts in an id) and `thoughtSignatureOf` recovers it.
 */
export function geminiCallId(index: number, signature: unknown): string {
  if (typeof signature !== 'string' || signature === '') return `call_${index}`;
  return `call_${index}_ts_${signature.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')}`;
}

/** The thought signature carried by an id from `geminiCallId` (standard base64), if any. */
export function thoughtSignatureOf(id: string): string | undefined {
  const m = SIGNED_ID.exec(id);
  if (!m) return undefined;
  const b64 = m[1]!.replace(/-/g, '+').replace(/_/g, '/');
  return b64 + '='.repeat((4 - (b64.length % 4)) % 4);
}

/** The answer text (thought summaries left out) and the function calls of a candidate's content. */
export function readGeminiContent(content: unknown, firstCall: number, status: number | null): { text: string; toolCalls: ToolCall[] } {
  const out = { text: '', toolCalls: [] as ToolCall[] };
  if (content === undefined) return out;
  if (!isRecord(content)) throw new BadResponseError('candidate content is not an object', status);
  const parts = content.parts;
  // A candidate cut by MAX_TOKENS or a filter may carry `content: { role }` with no parts.
  if (parts !== undefined && !Array.isArray(parts)) throw new BadResponseError('candidate parts is not an array', status);
  for (const part of parts ?? []) {
    if (!isRecord(part)) throw new BadResponseError('candidate has a malformed part', status);
    if (part.functionCall !== undefined) {
      const fc = part.functionCall;
      if (!isRecord(fc) || typeof fc.name !== 'string') throw new BadResponseError('functionCall part has no name', status);
      const id = geminiCallId(firstCall + out.toolCalls.length, part.thoughtSignature);
      out.toolCalls.push({ id, type: 'function', function: { name: fc.name, arguments: JSON.stringify(fc.args ?? {}) } });
    } else if (typeof part.text === 'string' && part.thought !== true) {
      out.text += part.text;
    }
  }
  return out;
}

function streamError(body: Record<string, unknown>): BadResponseError {
  const e = Array.isArray(body.error) ? body.error[0] : body.error;
  const message = isRecord(e) && typeof e.message === 'string' ? e.message : JSON.stringify(e);
  return new BadResponseError(`gemini stream sent an error: ${message}`);
}

/**
 * The `alt=sse` parser. Each event's text is a delta; a function call arrives whole, as one tool
 * call delta with its id, name and all its arguments. The usage of the latest `usageMetadata` goes
 * on the last chunk (earlier events carry running counts). `done` turns true at the first
 * candidate with a `finishReason` (`tool_calls` once a function was called), or at a prompt
 * blocked before generation (`content_filter`).
 */
export function createGeminiStreamParser(): StreamParser {
  let done = false;
  let calls = 0;
  let usage: Usage | null = null;
  const finish = (chunk: ChatChunk, reason: FinishReason): ChatChunk[] => {
    chunk.finishReason = reason;
    if (usage) chunk.usage = usage;
    done = true;
    return [chunk];
  };
  return {
    get done() {
      return done;
    },
    push({ data }) {
      if (done) return [];
      const body = parseEventJson(data, 'gemini');
      if (body.error !== undefined && body.error !== null) throw streamError(body);
      usage = geminiUsage(body.usageMetadata) ?? usage;
      const candidates = body.candidates;
      if (candidates === undefined || (Array.isArray(candidates) && candidates.length === 0)) {
        const feedback = body.promptFeedback;
        return isRecord(feedback) && typeof feedback.blockReason === 'string' ? finish({ delta: '' }, 'content_filter') : [];
      }
      if (!Array.isArray(candidates) || !isRecord(candidates[0])) throw new BadResponseError('gemini stream event has malformed candidates');
      const cand = candidates[0];
      const { text, toolCalls } = readGeminiContent(cand.content, calls, null);
      const chunk: ChatChunk = { delta: text };
      if (toolCalls.length > 0) {
        chunk.toolCalls = toolCalls.map((c, i) => ({ index: calls + i, ...c }));
        calls += toolCalls.length;
      }
      if (cand.finishReason !== undefined && cand.finishReason !== null) {
        const reason = geminiFinishReason(cand.finishReason);
        // Gemini ends a function call with STOP; OpenAI's vocabulary calls that `tool_calls`.
        return finish(chunk, reason === 'stop' && calls > 0 ? 'tool_calls' : reason);
      }
      return text !== '' || chunk.toolCalls ? [chunk] : [];
    },
  };
}
