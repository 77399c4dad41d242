import type { ActorRefFrom } from 'xstate';
import type { retryMachine } from '../../machines/retry.machine.js';
import type { KeyRuntime } from '../keys/key-runtime.js';
import type { TimeoutNode } from '../queue/timeouts.js';
import type { ChatRequest, PriorityName, RichChatRequest, Usage } from '../types.js';
import type { ChunkStream } from './chunk-stream.js';
import type { AttemptSignal } from '../transport/attempt-signal.js';

export const LEVEL_NAMES: readonly PriorityName[] = ['high', 'normal', 'low'];

/** A slice of a batch: `member`'s inputs `from..to` sit at `offset` in the batch's input list. */
export interface BatchSlice {
  member: Entry;
  from: number;
  to: number;
  offset: number;
}

/**
 * One unit of work in the dispatcher: a caller's request (`chat`, `embed`, a batch `member`) or a
 * `batch` of members sent as one HTTP call. Plain data — queued requests are never actors.
 */
export interface Entry {
  kind: 'chat' | 'embed' | 'member' | 'batch' | 'stream';
  requestId: string;
  model: string;
  level: 0 | 1 | 2;
  rank: number;
  seq: number;
  queued: boolean;
  chat: ChatRequest | RichChatRequest | null;
  inputs: string[] | null;
  tokens: number;
  createdAt: number;
  dispatchedAt: number;
  timeoutMs: number;
  deadline: TimeoutNode<Entry> | null;
  attemptTimer: TimeoutNode<Entry> | null;
  signal: AbortSignal | null;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  settled: boolean;
  holdsSlot: boolean;
  attempts: number;
  key: KeyRuntime | null;
  lastKeyName: string | null;
  ctl: AttemptSignal | null;
  attemptTimedOut: boolean;
  isProbe: boolean;
  lastError: Error | null;
  /** What only retrying requests and batches need, created on first need (keeps queued entries small). */
  x: EntryExtra | null;
}

export interface EntryExtra {
  retryActor: ActorRefFrom<typeof retryMachine> | null;
  retryId: string | null;
  retries: number;
  /** For a batch: its slices. */
  slices: BatchSlice[] | null;
  /** For a member: how many batch parts are still owed, the vectors so far, its batches. */
  partsLeft: number;
  vectors: number[][] | null;
  batches: Entry[] | null;
  batchedWith: number;
  usageIn: number;
  hasUsage: boolean;
  /** For a stream: the caller's iterator, whether a chunk reached it, the text so far, the final usage. */
  stream: ChunkStream | null;
  delivered: boolean;
  partial: string;
  streamUsage: Usage | null;
}

/** The entry's extra part, created when first needed. */
export function extra(entry: Entry): EntryExtra {
  return (entry.x ??= {
    retryActor: null, retryId: null, retries: 0, slices: null, partsLeft: 0, vectors: null, batches: null,
    batchedWith: 0, usageIn: 0, hasUsage: false, stream: null, delivered: false, partial: '', streamUsage: null,
  });
}

export function newEntry(kind: Entry['kind'], requestId: string, model: string, level: 0 | 1 | 2, now: number, timeoutMs: number): Entry {
  return {
    kind, requestId, model, level, rank: 0, seq: 0, queued: false, chat: null, inputs: null, tokens: 0, createdAt: now,
    dispatchedAt: -1, timeoutMs, deadline: null, attemptTimer: null, signal: null, resolve: noop, reject: noop,
    settled: false, holdsSlot: false, attempts: 0, key: null, lastKeyName: null, ctl: null, attemptTimedOut: false,
    isProbe: false, lastError: null, x: null,
  };
}

function noop(): void {}

/** Tokens a chat request may consume: prompt characters ÷ 4 + `maxTokens` (the reservation estimate). */
export function estimateTokens(req: ChatRequest | RichChatRequest): number {
  let chars = req.system ? req.system.length : 0;
  for (const m of req.messages) {
    const c = m.content;
    if (typeof c === 'string') chars += c.length;
    else if (Array.isArray(c)) for (const part of c) if (part.type === 'text') chars += part.text.length;
  }
  return Math.ceil(chars / 4) + (req.maxTokens ?? 0);
}
