import { invalid } from '../../options.js';
import { readJsonObject } from '../body.js';
import type { RequestContext } from '../context.js';
import { HttpError } from '../errors.js';
import { sendJsonText } from '../respond.js';
import { anthropicErrorBody, writeAnthropicError } from './anthropic-errors.js';
import { toAnthropicMessage } from './messages-reply.js';
import { fromMessagesRequest, type ParsedMessagesRequest } from './messages-request.js';
import { AnthropicStreamEncoder, sse } from './messages-stream.js';
import { streamEvents } from './event-stream.js';

/** Streams in Anthropic's events; after the start a failure ends with an `error` event, as the API does. */
function streamMessages(ctx: RequestContext, parsed: ParsedMessagesRequest): Promise<void> {
  const encoder = new AnthropicStreamEncoder(`msg_${ctx.requestId}`);
  return streamEvents(ctx, parsed.request, {
    start: (model) => encoder.start(model),
    push: (chunk) => encoder.push(chunk),
    end: () => encoder.end(),
    error: (error) => sse('error', { error: anthropicErrorBody(error, ctx.secrets).body.error as Record<string, unknown> }),
  });
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
