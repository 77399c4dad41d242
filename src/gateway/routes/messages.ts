import { invalid } from '../../options.js';
import type { RoutedChunk } from '../../router/index.js';
import { readJsonObject } from '../body.js';
import type { RequestContext } from '../context.js';
import { HttpError } from '../errors.js';
import { sendJsonText } from '../respond.js';
import { StalledClientError, StreamWriter } from '../stream-writer.js';
import { anthropicErrorBody, writeAnthropicError } from './anthropic-errors.js';
import { toAnthropicMessage } from './messages-reply.js';
import { fromMessagesRequest, type ParsedMessagesRequest } from './messages-request.js';
import { AnthropicStreamEncoder, sse } from './messages-stream.js';

/**
 * Streams in Anthropic's events. Nothing is written before the first chunk, so a failure until then
 * (after retries and fallbacks) is an ordinary error answer with its status; after it, an `error`
 * event ends the stream, as the API does for an overloaded stream.
 */
async function streamMessages(ctx: RequestContext, parsed: ParsedMessagesRequest): Promise<void> {
  const { res } = ctx;
  const out = new StreamWriter(res, ctx.clock, ctx.writeTimeoutMs);
  const encoder = new AnthropicStreamEncoder(`msg_${ctx.requestId}`);
  let started = false;
  const begin = (model: string, provider?: string, fallbackFrom?: string): Promise<void> | void => {
    started = true;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      'x-request-id': ctx.requestId,
      ...(provider ? { 'x-switchboard-provider': provider } : {}),
      ...(fallbackFrom ? { 'x-switchboard-fallback-from': fallbackFrom } : {}),
    });
    return out.write(encoder.start(model));
  };
  try {
    for await (const chunk of ctx.router.chatStream(parsed.request, { priority: ctx.priority, requestId: ctx.requestId, signal: ctx.signal }) as AsyncIterable<RoutedChunk>) {
      if (!started) await begin(chunk.model, chunk.provider, chunk.fallbackFrom);
      const text = encoder.push(chunk);
      if (text) await out.write(text);
    }
  } catch (error) {
    if (error instanceof StalledClientError) {
      // The loop is left (the upstream call is aborted); the socket goes with its unread buffer.
      res.destroy();
      return;
    }
    if (!started) throw error;
    if (!res.destroyed) res.end(sse('error', { error: anthropicErrorBody(error, ctx.secrets).body.error as Record<string, unknown> }));
    return;
  }
  if (!started) await begin(parsed.request.model);
  res.end(encoder.end());
}

/** `POST /v1/messages`: Anthropic's Messages API over the router, errors in Anthropic's shape. */
export async function messages(ctx: RequestContext): Promise<void> {
  try {
    const body = await readJsonObject(ctx.req, ctx.body);
    if (typeof body.model !== 'string' || body.model === '') throw invalid('messages', 'model', 'a non-empty string', body.model);
    const target = ctx.router.route(body.model);
    const parsed = fromMessagesRequest(body, target.provider, body.model);
    if (parsed.stream) return await streamMessages(ctx, parsed);
    const reply = await ctx.router.chat(parsed.request, { priority: ctx.priority, requestId: ctx.requestId, signal: ctx.signal });
    const headers: Record<string, string> = { 'x-switchboard-provider': reply.provider };
    if (reply.fallbackFrom) headers['x-switchboard-fallback-from'] = reply.fallbackFrom;
    sendJsonText(ctx.res, 200, JSON.stringify(toAnthropicMessage(reply, ctx.requestId)), headers);
  } catch (error) {
    if (ctx.signal.aborted) return;
    writeAnthropicError(ctx.res, error, ctx.secrets);
  }
}

/** `POST /v1/messages/count_tokens`: not offered; a clear 404 in Anthropic's shape. */
export function countTokens(ctx: RequestContext): void {
  writeAnthropicError(ctx.res, new HttpError(404, 'SB_NOT_FOUND', 'POST /v1/messages/count_tokens is not supported by Switchboard (see README.md, "Endpoints"); count tokens with the provider directly'), ctx.secrets);
}
