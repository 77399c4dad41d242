import { invalid } from '../../options.js';
import type { RoutedChunk, RoutedReply } from '../../router/index.js';
import type { FinishReason, RichChatReply, Usage } from '../../types.js';
import { ON_REPLY, type OptionsWithReplyHook } from '../../supervisor/early-reply.js';
import { readJsonObject } from '../body.js';
import type { RequestContext } from '../context.js';
import { publicErrorBody, writeError } from '../errors.js';
import { sendJsonText } from '../respond.js';
import { StalledClientError, StreamWriter } from '../stream-writer.js';
import { toChatRequest, type ParsedChatRequest } from './chat-request.js';

/** OpenAI's `finish_reason` values; `other` has no OpenAI name and reads as a normal stop. */
function finishReason(r: FinishReason): 'stop' | 'length' | 'content_filter' | 'tool_calls' {
  return r === 'other' ? 'stop' : r;
}

const openAIUsage = (u: Usage) => ({ prompt_tokens: u.inputTokens, completion_tokens: u.outputTokens, total_tokens: u.totalTokens });

/**
 * The answer in OpenAI's `chat.completion` format. An openai or groq answer is already in it and is
 * returned as the provider sent it (tool calls, logprobs … included); the others are built from the
 * unified reply, tool calls included. `model` is the model that served; `fallback_from` names the
 * one asked for.
 */
export function toCompletion(reply: RoutedReply<RichChatReply>, nowMs: number, passRaw = true): Record<string, unknown> {
  const raw = reply.raw as Record<string, unknown> | null;
  const fallback = reply.fallbackFrom !== undefined ? { fallback_from: reply.fallbackFrom } : {};
  if (passRaw && (reply.provider === 'openai' || reply.provider === 'groq') && raw && typeof raw === 'object' && Array.isArray(raw.choices)) {
    return { ...raw, object: 'chat.completion', model: reply.model, ...fallback };
  }
  const calls = reply.toolCalls && reply.toolCalls.length > 0 ? { tool_calls: reply.toolCalls } : {};
  const message = { role: 'assistant', content: reply.text === '' && reply.toolCalls?.length ? null : reply.text, refusal: null, ...calls };
  return {
    id: reply.id || `chatcmpl-${reply.requestId}`,
    object: 'chat.completion',
    created: Math.floor(nowMs / 1000),
    model: reply.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: finishReason(reply.finishReason) }],
    ...(reply.usage ? { usage: openAIUsage(reply.usage) } : {}),
    ...fallback,
  };
}

/**
 * The answer's text. An openai or groq answer that `toCompletion` would give back unchanged (no
 * fallback, already `chat.completion` with the model that served) is sent as the provider's own
 * bytes, `rawText` (the reply hook hands them over): no copy of the object and no second JSON
 * encoding per request.
 */
export function completionText(reply: RoutedReply<RichChatReply>, nowMs: number, rawText: string | null = null): string {
  const raw = reply.raw as Record<string, unknown> | null;
  if (rawText !== null && reply.fallbackFrom === undefined && (reply.provider === 'openai' || reply.provider === 'groq') && raw && typeof raw === 'object'
    && raw.object === 'chat.completion' && raw.model === reply.model && Array.isArray(raw.choices)) {
    return rawText;
  }
  try {
    return JSON.stringify(toCompletion(reply, nowMs));
  } catch {
    // The provider's own body cannot be re-encoded (nested past the stack, say): answer from the
    // unified reply instead of failing a request that succeeded.
    return JSON.stringify(toCompletion(reply, nowMs, false));
  }
}

/**
 * Answers `stream: true` with Server-Sent Events in OpenAI's `chat.completion.chunk` format, for
 * every provider: a role chunk, a chunk per delta (tool call deltas included), the
 * finish reason on the last, a usage chunk when `stream_options.include_usage`, then `[DONE]`.
 * Nothing is written before the first chunk, so a failure until then (after the retries and
 * fallbacks) is an ordinary JSON error with its status; after it, an `error` event ends the stream.
 * Writes honour backpressure: no chunk is pulled while the socket is full (so the upstream read
 * pauses too), and a client that reads nothing for `writeTimeoutMs` is cut off — leaving the loop
 * aborts the upstream call and frees its slot.
 */
async function streamChat(ctx: RequestContext, parsed: ParsedChatRequest): Promise<void> {
  const { res } = ctx;
  const created = Math.floor(ctx.clock.now() / 1000);
  const id = `chatcmpl-${ctx.requestId}`;
  let usage: Usage | null = null;
  let started = false;
  const out = new StreamWriter(res, ctx.clock, ctx.writeTimeoutMs);
  const write = (model: string, choice: Record<string, unknown> | null, extra: Record<string, unknown> = {}) =>
    out.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: choice ? [{ index: 0, logprobs: null, ...choice }] : [], ...extra })}\n\n`);
  let model = parsed.request.model;
  try {
    for await (const chunk of ctx.router.chatStream(parsed.request, { priority: ctx.priority, requestId: ctx.requestId, signal: ctx.signal }) as AsyncIterable<RoutedChunk>) {
      if (!started) {
        started = true;
        model = chunk.model;
        res.writeHead(200, {
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-cache',
          'x-request-id': ctx.requestId,
          'x-switchboard-provider': chunk.provider,
          ...(chunk.fallbackFrom ? { 'x-switchboard-fallback-from': chunk.fallbackFrom } : {}),
        });
        await write(model, { delta: { role: 'assistant', content: '' }, finish_reason: null }, chunk.fallbackFrom ? { fallback_from: chunk.fallbackFrom } : {});
      }
      if (chunk.usage) usage = chunk.usage;
      const delta: Record<string, unknown> = {};
      if (chunk.delta !== '') delta.content = chunk.delta;
      if (chunk.toolCalls?.length) delta.tool_calls = chunk.toolCalls;
      if (Object.keys(delta).length > 0 || chunk.finishReason) await write(model, { delta, finish_reason: chunk.finishReason ? finishReason(chunk.finishReason) : null });
    }
  } catch (error) {
    if (error instanceof StalledClientError) {
      // The loop is left (the upstream call is aborted); the socket goes with its unread buffer.
      res.destroy();
      return;
    }
    if (!started) throw error;
    if (!res.destroyed) res.end(`data: ${JSON.stringify(publicErrorBody(error, ctx.secrets))}\n\n`);
    return;
  }
  if (!started) {
    // An empty stream (no chunk at all) is still a well-formed one.
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'x-request-id': ctx.requestId });
    await write(model, { delta: { role: 'assistant', content: '' }, finish_reason: 'stop' });
  }
  if (parsed.includeUsage && usage) await write(model, null, { usage: openAIUsage(usage) });
  res.end('data: [DONE]\n\n');
}

/** `POST /v1/chat/completions`: OpenAI's request → `router.chat` (or `chatStream`) → OpenAI's format. */
export async function chatCompletions(ctx: RequestContext): Promise<void> {
  const body = await readJsonObject(ctx.req, ctx.body);
  if (typeof body.model !== 'string' || body.model === '') throw invalid('chat.completions', 'model', 'a non-empty string', body.model);
  const target = ctx.router.route(body.model);
  const parsed = toChatRequest(body, target.provider, body.model);
  if (parsed.stream) {
    try {
      return await streamChat(ctx, parsed);
    } catch (error) {
      return writeError(ctx.res, error, ctx.secrets);
    }
  }
  // The answer is written from the reply hook, as soon as the provider's answer is parsed (before the
  // board's bookkeeping and the promise turns: src/supervisor/early-reply.ts); the promise then only
  // says how the request ended (a transport or a board that never calls the hook: answered here).
  let answered = false;
  const answer = (reply: RoutedReply<RichChatReply>, rawText: string | null) => {
    if (answered) return; // one answer per request, whatever a chain does afterwards
    answered = true;
    sendJsonText(ctx.res, 200, completionText(reply, ctx.clock.now(), rawText), { 'x-switchboard-provider': reply.provider });
  };
  let reply: RoutedReply<RichChatReply>;
  try {
    reply = await ctx.router.chat(parsed.request, { priority: ctx.priority, requestId: ctx.requestId, signal: ctx.signal, [ON_REPLY]: answer } as OptionsWithReplyHook);
  } catch (error) {
    if (answered) return; // answered already; what ended the request afterwards cannot be told to the client
    throw error;
  }
  if (!answered) answer(reply, null);
}
