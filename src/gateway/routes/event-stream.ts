import type { RoutedChunk } from '../../router/index.js';
import type { ChatRequest, RichChatRequest } from '../../types.js';
import type { RequestContext } from '../context.js';
import { StalledClientError, StreamWriter } from '../stream-writer.js';

/** How one API writes a routed chat stream as its own Server-Sent Events. */
export interface EventEncoder {
  start(model: string, fallbackFrom?: string): string;
  push(chunk: RoutedChunk): string;
  end(): string;
  /** The event that ends a stream failing after its start. */
  error(error: unknown): string;
}

/**
 * Streams a routed chat through `encoder` with backpressure (`StreamWriter`). Nothing is written
 * before the first chunk, so a failure until then (after retries and fallbacks) throws for an
 * ordinary error answer with its status; after it, the encoder's error event ends the stream. A
 * client that stops reading is cut off at the write timeout (leaving the loop aborts the upstream).
 */
export async function streamEvents(ctx: RequestContext, request: ChatRequest | RichChatRequest, encoder: EventEncoder): Promise<void> {
  const { res } = ctx;
  const out = new StreamWriter(res, ctx.clock, ctx.writeTimeoutMs);
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
    for await (const chunk of ctx.router.chatStream(request, { priority: ctx.priority, requestId: ctx.requestId, signal: ctx.signal }) as AsyncIterable<RoutedChunk>) {
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
    if (!res.destroyed) res.end(encoder.error(error));
    return;
  }
  if (!started) await begin(request.model);
  res.end(encoder.end());
}
