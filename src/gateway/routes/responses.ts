import { invalid } from '../../options.js';
import type { RoutedChunk } from '../../router/index.js';
import { readJsonObject } from '../body.js';
import type { RequestContext } from '../context.js';
import { describeError, publicMessage, writeError } from '../errors.js';
import { sendJsonText } from '../respond.js';
import { StalledClientError, StreamWriter } from '../stream-writer.js';
import { toResponse } from './responses-reply.js';
import { fromResponsesRequest, type ParsedResponsesRequest } from './responses-request.js';
import { ResponsesStreamEncoder } from './responses-stream.js';

/**
 * Streams the Responses API's typed events. Nothing is written before the first chunk, so a failure
 * until then (after retries and fallbacks) is an ordinary JSON error with its status; after it, an
 * `error` event ends the stream.
 */
async function streamResponse(ctx: RequestContext, parsed: ParsedResponsesRequest, id: string, createdAt: number): Promise<void> {
  const { res } = ctx;
  const out = new StreamWriter(res, ctx.clock, ctx.writeTimeoutMs);
  const encoder = new ResponsesStreamEncoder(id, createdAt, parsed.echo);
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
    return out.write(encoder.start(model, fallbackFrom));
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
    if (!res.destroyed) {
      const d = describeError(error);
      res.end(encoder.event('error', { code: d.code, message: publicMessage(d.message, ctx.secrets), param: d.param }));
    }
    return;
  }
  if (!started) await begin(parsed.request.model);
  res.end(encoder.end());
}

/** `POST /v1/responses`: OpenAI's Responses API over the router, for every provider. */
export async function responses(ctx: RequestContext): Promise<void> {
  const body = await readJsonObject(ctx.req, ctx.body);
  if (typeof body.model !== 'string' || body.model === '') throw invalid('responses', 'model', 'a non-empty string', body.model);
  // Unknown model: a 404 before anything else is read.
  ctx.router.route(body.model);
  const parsed = fromResponsesRequest(body, body.model);
  const id = `resp_${ctx.requestId.replace(/[^A-Za-z0-9]/g, '')}`;
  const createdAt = Math.floor(ctx.clock.now() / 1000);
  if (parsed.stream) {
    try {
      return await streamResponse(ctx, parsed, id, createdAt);
    } catch (error) {
      return writeError(ctx.res, error, ctx.secrets);
    }
  }
  const reply = await ctx.router.chat(parsed.request, { priority: ctx.priority, requestId: ctx.requestId, signal: ctx.signal });
  const headers: Record<string, string> = { 'x-switchboard-provider': reply.provider };
  if (reply.fallbackFrom) headers['x-switchboard-fallback-from'] = reply.fallbackFrom;
  sendJsonText(ctx.res, 200, JSON.stringify(toResponse(reply, parsed, id, createdAt)), headers);
}
