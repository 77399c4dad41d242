import type { ActorRefFrom } from 'xstate';
import type { ReplyHook } from './early-reply.js';
import type { retryMachine } from '../../machines/retry.machine.js';
import type { KeyRuntime } from '../keys/key-runtime.js';
import type { TimeoutNode } from '../queue/timeouts.js';
import type { AttemptSignal } from '../transport/attempt-signal.js';
import type { ChatRequest, PriorityName, RichChatRequest, Usage } from '../types.js';
import type { ChunkStream } from './chunk-stream.js';
import type { AttemptSpan, RequestSpan } from '../tracing/otel.js';

export const LEVEL_NAMES: readonly PriorityName[] = ['high', 'normal', 'low'];

/**
 * Where a request is in its life (docs/ARCHITECTURE.md §1): `queued` → `inFlight` → `backingOff` ⇄ `inFlight` →
 * `settled`, plus `awaitingKey` (holding its slot, waiting for a key after a failover or a backoff)
 * and `collecting` (a batch member waiting in its model's batcher). `new` before admission.
 */
export type Phase = 'new' | 'collecting' | 'queued' | 'awaitingKey' | 'inFlight' | 'backingOff' | 'settled';

/** One HTTP attempt in flight: its key, abort signal, timeout, and whether it is a half-open probe. */
export interface Attempt {
  key: KeyRuntime;
  ctl: AttemptSignal;
  timer: TimeoutNode<Entry> | null;
  timedOut: boolean;
  probe: boolean;
  /** The shared budget's lease (see `SharedBudget`), or null. */
  lease: unknown;
  /** Its OpenTelemetry span, when tracing records. */
  span: AttemptSpan | null;
}

interface Base {
  requestId: string;
  model: string;
  level: 0 | 1 | 2;
  /** Queue bookkeeping (PriorityQueue). */
  rank: number;
  seq: number;
  queued: boolean;
  phase: Phase;
  /** Estimated tokens, reserved against the key's token budget. */
  tokens: number;
  createdAt: number;
  /** When it first got its concurrency slot (-1 before); a request holds its slot until it settles. */
  dispatchedAt: number;
  timeoutMs: number;
  deadline: TimeoutNode<Entry> | null;
  signal: AbortSignal | null;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  attempts: number;
  attempt: Attempt | null;
  lastKeyName: string | null;
  lastError: Error | null;
  /** Its retry actor, from the first retryable failure until it settles. */
  retry: { ref: ActorRefFrom<typeof retryMachine>; id: string } | null;
  /** Its OpenTelemetry span (`switchboard.request`), when an SDK is registered. */
  span: RequestSpan | null;
}

export interface ChatEntry extends Base {
  kind: 'chat';
  chat: ChatRequest | RichChatRequest;
  /** Called once with the reply before the books are written (src/supervisor/early-reply.ts); null when not asked for, or once called. */
  onReply: ReplyHook | null;
}

export interface StreamEntry extends Base {
  kind: 'stream';
  chat: ChatRequest | RichChatRequest;
  stream: ChunkStream;
  /** Whether a chunk reached the caller (from then on: no retry, no failover). */
  delivered: boolean;
  partial: string;
  streamUsage: Usage | null;
}

export interface EmbedEntry extends Base {
  kind: 'embed';
  inputs: string[];
}

/** A caller's embed sharing HTTP calls; its result is assembled from one or more batch parts. */
export interface MemberEntry extends Base {
  kind: 'member';
  inputs: string[];
  /** False: a model that is not batched, sent alone in provider-sized chunks. */
  batchable: boolean;
  partsLeft: number;
  vectors: number[][];
  batches: BatchEntry[];
  batchedWith: number;
  usageIn: number;
  hasUsage: boolean;
}

/** A slice of a batch: `member`'s inputs `from..to` sit at `offset` in the batch's input list. */
export interface BatchSlice {
  member: MemberEntry;
  from: number;
  to: number;
  offset: number;
}

/** Members' inputs sent as one HTTP call: one queue entry, one slot, one attempt at a time. */
export interface BatchEntry extends Base {
  kind: 'batch';
  inputs: string[];
  slices: BatchSlice[];
}

/** One unit of work in the dispatcher. Plain data — queued requests are never actors. */
export type Entry = ChatEntry | StreamEntry | EmbedEntry | MemberEntry | BatchEntry;

// Each kind is one object literal (no spread of a shared base: a spread, then more fields, made every
// embedding entry a slow object — 12 µs to build a member entry one request at a time, measured).

/** One literal (the hot path's entry): no intermediate object, one hidden class for every chat. */
export function chatEntry(requestId: string, model: string, level: 0 | 1 | 2, now: number, timeoutMs: number, chat: ChatRequest | RichChatRequest, onReply: ReplyHook | null = null): ChatEntry {
  return {
    kind: 'chat', chat, onReply, requestId, model, level, rank: 0, seq: 0, queued: false, phase: 'new', tokens: estimateTokens(chat), createdAt: now,
    dispatchedAt: -1, timeoutMs, deadline: null, signal: null, resolve: noop, reject: noop, attempts: 0, attempt: null, lastKeyName: null,
    lastError: null, retry: null, span: null,
  };
}

export function streamEntry(requestId: string, model: string, level: 0 | 1 | 2, now: number, timeoutMs: number, chat: ChatRequest | RichChatRequest, stream: ChunkStream): StreamEntry {
  return {
    kind: 'stream', chat, stream, delivered: false, partial: '', streamUsage: null, requestId, model, level, rank: 0, seq: 0, queued: false, phase: 'new',
    tokens: estimateTokens(chat), createdAt: now, dispatchedAt: -1, timeoutMs, deadline: null, signal: null, resolve: noop, reject: noop, attempts: 0,
    attempt: null, lastKeyName: null, lastError: null, retry: null, span: null,
  };
}

export function embedEntry(requestId: string, model: string, level: 0 | 1 | 2, now: number, timeoutMs: number, inputs: string[]): EmbedEntry {
  return {
    kind: 'embed', inputs, requestId, model, level, rank: 0, seq: 0, queued: false, phase: 'new', tokens: 0, createdAt: now, dispatchedAt: -1, timeoutMs,
    deadline: null, signal: null, resolve: noop, reject: noop, attempts: 0, attempt: null, lastKeyName: null, lastError: null, retry: null, span: null,
  };
}

export function memberEntry(requestId: string, model: string, level: 0 | 1 | 2, now: number, timeoutMs: number, inputs: string[], batchable: boolean): MemberEntry {
  return {
    kind: 'member', inputs, batchable, partsLeft: 0, vectors: new Array(inputs.length), batches: [], batchedWith: 0, usageIn: 0, hasUsage: false,
    requestId, model, level, rank: 0, seq: 0, queued: false, phase: 'new', tokens: 0, createdAt: now, dispatchedAt: -1, timeoutMs, deadline: null,
    signal: null, resolve: noop, reject: noop, attempts: 0, attempt: null, lastKeyName: null, lastError: null, retry: null, span: null,
  };
}

export function batchEntry(requestId: string, model: string, level: 0 | 1 | 2, now: number, timeoutMs: number, inputs: string[], slices: BatchSlice[]): BatchEntry {
  return {
    kind: 'batch', inputs, slices, requestId, model, level, rank: 0, seq: 0, queued: false, phase: 'new', tokens: 0, createdAt: now, dispatchedAt: -1,
    timeoutMs, deadline: null, signal: null, resolve: noop, reject: noop, attempts: 0, attempt: null, lastKeyName: null, lastError: null, retry: null, span: null,
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
