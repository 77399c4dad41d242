import { invalid } from '../../options.js';
import { readJsonObject } from '../body.js';
import type { RequestContext } from '../context.js';
import { describeError, publicMessage, writeError } from '../errors.js';
import { sendJsonText } from '../respond.js';
import { toResponse } from './responses-reply.js';
import { fromResponsesRequest, type ParsedResponsesRequest } from './responses-request.js';
import { ResponsesStreamEncoder } from './responses-stream.js';
import { streamEvents } from './event-stream.js';

/** Streams the Responses API's typed events; after the start a failure ends with an `error` event. */
function streamResponse(ctx: RequestContext, parsed: ParsedResponsesRequest, id: string, createdAt: number): Promise<void> {
  const encoder = new ResponsesStreamEncoder(id, createdAt, parsed.echo);
  return streamEvents(ctx, parsed.request, {
    start: (model, fallbackFrom) => encoder.start(model, fallbackFrom),
    push: (chunk) => encoder.push(chunk),
    end: () => encoder.end(),
    error: (error) => {
      const d = describeError(error);
      return encoder.event('error', { code: d.code, message: publicMessage(d.message, ctx.secrets), param: d.param });
    },
  });
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
