import type { RequestOptions, RichChatReply } from '../types.js';

/**
 * Internal, the gateway's (src/gateway/routes/chat.ts): a chat request option under this symbol is
 * called with the reply as soon as the provider's answer is parsed, before the books are written
 * (key slot, rate-limit headers, breaker, metrics, settlement) and before the promise settles.
 * Those follow in the same turn, so nothing else can observe the difference but the clock: the
 * gateway's answer leaves ~15 µs sooner (measured one request at a time) instead of waiting for
 * the bookkeeping and three promise turns. Only a request that reaches the board unchanged carries
 * it: the router drops it from a request that may fall back (the reply would lack `fallbackFrom`).
 */
export const ON_REPLY = Symbol('switchboard.onReply');

export type ReplyHook = (reply: RichChatReply) => void;

export type OptionsWithReplyHook = RequestOptions & { [ON_REPLY]?: ReplyHook };

/** The hook `options` carry, or null. */
export function replyHookOf(options: RequestOptions | undefined): ReplyHook | null {
  return (options as OptionsWithReplyHook | undefined)?.[ON_REPLY] ?? null;
}

/** `options` without the hook (a copy only when it has one). */
export function withoutReplyHook(options: RequestOptions): RequestOptions {
  if (replyHookOf(options) === null) return options;
  const { [ON_REPLY]: _, ...rest } = options as OptionsWithReplyHook;
  return rest;
}
