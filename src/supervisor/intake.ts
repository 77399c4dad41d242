import { randomUUID } from 'node:crypto';
import type { ConfigError, SwitchboardError } from '../errors.js';
import { invalid, MAX_TIMER_MS, type ResolvedConfig } from '../options.js';
import type { ChatRequest, Clock, Priority, RequestOptions, RichChatRequest } from '../types.js';

/** What every request's entry starts with (the leading arguments of `chatEntry` and the others). */
export type Head = [requestId: string, model: string, level: 0 | 1 | 2, now: number, timeoutMs: number];

const PRIORITY_LEVEL: Record<string, 0 | 1 | 2> = { high: 0, normal: 1, low: 2, '0': 0, '1': 1, '2': 2 };

/**
 * A board's request intake (docs/ARCHITECTURE.md §1, the first step of the path): checks what
 * every request carries (model, priority, timeoutMs) and stamps it with an id and its arrival
 * time. A bad field is returned as an `SB_CONFIG` error, not thrown: the board rejects with it.
 */
export class Intake {
  // Generated ids are a per-board random prefix and a counter: unique, and ~10× smaller than a UUID string.
  private readonly idPrefix = `sb_${randomUUID().slice(0, 8)}_`;
  private idSeq = 0;

  /** `board.config` is read per request: the deadline default follows `config.update`. */
  constructor(
    private readonly clock: Clock,
    private readonly board: { readonly config: ResolvedConfig },
  ) {}

  head(kind: 'chat' | 'stream' | 'embed', model: unknown, options: RequestOptions | undefined): Head | SwitchboardError {
    if (typeof model !== 'string' || model === '') return invalid(kind === 'embed' ? 'embed' : 'chat', 'model', 'a non-empty string', model);
    const level = options?.priority === undefined ? 1 : Object.hasOwn(PRIORITY_LEVEL, String(options.priority)) ? PRIORITY_LEVEL[String(options.priority)] : undefined;
    if (level === undefined) return invalid('request', 'priority', "'high' | 'normal' | 'low' | 0 | 1 | 2", options!.priority as Priority);
    const timeoutMs = options?.timeoutMs ?? this.board.config.deadlineMs;
    if (typeof timeoutMs !== 'number' || !(timeoutMs > 0 && timeoutMs <= MAX_TIMER_MS)) return invalid('request', 'timeoutMs', `a number > 0 and <= ${MAX_TIMER_MS}`, timeoutMs);
    const requestId = options?.requestId ?? this.idPrefix + (++this.idSeq).toString(36);
    return [requestId, model, level, this.clock.now(), timeoutMs];
  }
}

/** A chat's messages: an array, each with a known role. */
export function checkChat(request: ChatRequest | RichChatRequest): ConfigError | null {
  if (!Array.isArray(request.messages)) return invalid('chat', 'messages', 'an array of { role, content }', request.messages);
  for (let i = 0; i < request.messages.length; i++) {
    const m = request.messages[i]!;
    if (!m || !['system', 'user', 'assistant', 'tool'].includes(m.role)) return invalid('chat', `messages[${i}].role`, "'system' | 'user' | 'assistant'", m?.role);
  }
  return null;
}
