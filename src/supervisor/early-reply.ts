import type { RequestOptions, RichChatReply } from '../types.js';

/**
 * Internal, the gateway's (src/gateway/routes/chat.ts): a chat request option under this symbol is
 * called with the reply as soon as the provider's answer is parsed, before the books are written
 * (key slot, rate-limit headers, breaker, metrics, settlement) and before the promise settles.
 * Those follow in the same turn, so nothing else can observe the difference but the clock: the
 * gateway's answer leaves sooner (measured one request at a time) instead of waiting for the
 * bookkeeping and three promise turns. The hook also gets the provider's own body text, so that an
 * answer passed on unchanged is sent as it came, without keeping the text on the reply. On a
 * fallback hop the router wraps it, so that the reply it gets names `fallbackFrom`.
 */
export const ON_REPLY = Symbol('switchboard.onReply');

/** `rawText`: the provider's body, as it came. */
export type ReplyHook = (reply: RichChatReply, rawText: string) => void;

export type OptionsWithReplyHook = RequestOptions & { [ON_REPLY]?: ReplyHook };

/** The hook `options` carry, or null. */
export function replyHookOf(options: RequestOptions | undefined): ReplyHook | null {
  return (options as OptionsWithReplyHook | undefined)?.[ON_REPLY] ?? null;
}

/** `options` for a fallback hop from `requested`: its hook (if any) gets the reply as the caller will, with `fallbackFrom`. */
export function forFallbackHop(options: RequestOptions, requested: string): RequestOptions {
  const hook = replyHookOf(options);
  if (hook === null) return options;
  return { ...options, [ON_REPLY]: (reply: RichChatReply, rawText: string) => hook({ ...reply, fallbackFrom: requested } as RichChatReply, rawText) } as OptionsWithReplyHook;
}
