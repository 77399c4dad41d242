/**
 * OpenAI's answer vocabulary (finish reasons, usage, tool calls) and its streaming format:
 * `data: {chat.completion.chunk}` events ended by `data: [DONE]`
 * (platform.openai.com/docs/api-reference/chat-streaming). Groq speaks the same format.
 */
import { BadResponseError } from '../errors.js';
import type { ChatChunk, FinishReason, ToolCall, ToolCallDelta, Usage } from '../types.js';
import type { StreamParser } from './types.js';
import { isRecord, numberOr } from './util.js';

/** OpenAI's `finish_reason` values (platform.openai.com/docs/api-reference/chat/object). */
export function openAIFinishReason(r: unknown): FinishReason {
  switch (r) {
    case 'stop': return 'stop';
    case 'length': return 'length';
    case 'content_filter': return 'content_filter';
    case 'tool_calls': case 'function_call': return 'tool_calls';
    default: return 'other';
  }
}

export function openAIUsage(u: unknown): Usage | null {
  if (!isRecord(u)) return null;
  const input = numberOr(u.prompt_tokens, 0);
  const output = numberOr(u.completion_tokens, 0);
  const total = numberOr(u.total_tokens, input + output);
  return { inputTokens: input, outputTokens: output, totalTokens: total };
}

/** `message.tool_calls` of a chat answer; undefined when there are none. */
export function openAIToolCalls(v: unknown, status: number): ToolCall[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) throw new BadResponseError('chat message tool_calls is not an array', status);
  const calls = v.map((c: unknown): ToolCall => {
    const f = isRecord(c) ? c.function : undefined;
    if (!isRecord(c) || typeof c.id !== 'string' || !isRecord(f) || typeof f.name !== 'string' || typeof f.arguments !== 'string') {
      throw new BadResponseError('chat message has a malformed tool call', status);
    }
    return { id: c.id, type: 'function', function: { name: f.name, arguments: f.arguments } };
  });
  return calls.length > 0 ? calls : undefined;
}

function toolCallDeltas(v: unknown): ToolCallDelta[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) throw new BadResponseError('stream chunk delta.tool_calls is not an array');
  const out = v.map((d: unknown): ToolCallDelta => {
    if (!isRecord(d) || typeof d.index !== 'number') throw new BadResponseError('stream chunk has a tool call delta without an index');
    const delta: ToolCallDelta = { index: d.index };
    if (typeof d.id === 'string') delta.id = d.id;
    if (d.type === 'function') delta.type = 'function';
    if (isRecord(d.function)) {
      const fn: { name?: string; arguments?: string } = {};
      if (typeof d.function.name === 'string') fn.name = d.function.name;
      if (typeof d.function.arguments === 'string') fn.arguments = d.function.arguments;
      delta.function = fn;
    }
    return delta;
  });
  return out.length > 0 ? out : undefined;
}

/** Parses one SSE `data` as a JSON object; anything else is `SB_BAD_RESPONSE`. */
export function parseEventJson(data: string, provider: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(data);
  } catch {
    throw new BadResponseError(`${provider} stream event is not JSON (${data.length} bytes)`);
  }
  if (!isRecord(v)) throw new BadResponseError(`${provider} stream event is not a JSON object`);
  return v;
}

/**
 * The chat.completion.chunk parser. Only choice 0 is read. Chunks that carry nothing (the opening
 * `role` chunk) are not emitted, so the first chunk a caller sees has content — retries stay
 * possible until then. The finish chunk is held back until the usage chunk that
 * `stream_options.include_usage` sends after it (or `[DONE]`), and leaves merged with it: the
 * last chunk carries both `finishReason` and `usage`. Groq's `x_groq.usage` counts as usage.
 * A mid-stream `{ error }` event is `SB_BAD_RESPONSE` with its message.
 */
export function createOpenAIStreamParser(provider = 'openai'): StreamParser {
  let done = false;
  let held: ChatChunk | null = null;
  return {
    get done() {
      return done;
    },
    push({ data }) {
      if (done) return [];
      if (data.trim() === '[DONE]') {
        done = true;
        const last = held;
        held = null;
        return last ? [last] : [];
      }
      const body = parseEventJson(data, provider);
      if (body.error !== undefined && body.error !== null) {
        const e = body.error;
        const message = isRecord(e) && typeof e.message === 'string' ? e.message : JSON.stringify(e);
        throw new BadResponseError(`${provider} stream sent an error: ${message}`);
      }
      const usage = openAIUsage(body.usage) ?? (isRecord(body.x_groq) ? openAIUsage(body.x_groq.usage) : null);
      if (body.choices !== undefined && body.choices !== null && !Array.isArray(body.choices)) {
        throw new BadResponseError(`${provider} stream chunk choices is not an array`);
      }
      const choices = (body.choices ?? []) as unknown[];
      const choice = choices.find((c) => isRecord(c) && (c.index ?? 0) === 0) as Record<string, unknown> | undefined;
      const out: ChatChunk[] = [];
      if (choice) {
        const delta = choice.delta ?? {};
        if (!isRecord(delta)) throw new BadResponseError(`${provider} stream chunk delta is not an object`);
        if (delta.content !== undefined && delta.content !== null && typeof delta.content !== 'string') {
          throw new BadResponseError(`${provider} stream chunk content is not text`);
        }
        const chunk: ChatChunk = { delta: delta.content ?? '' };
        const toolCalls = toolCallDeltas(delta.tool_calls);
        if (toolCalls) chunk.toolCalls = toolCalls;
        if (choice.finish_reason !== undefined && choice.finish_reason !== null) {
          chunk.finishReason = openAIFinishReason(choice.finish_reason);
          if (usage) chunk.usage = usage;
          if (held) out.push(held);
          held = chunk;
          return out;
        }
        if (chunk.delta !== '' || chunk.toolCalls) out.push(chunk);
      }
      if (usage && !choice) {
        if (held) {
          held.usage = usage;
          out.push(held);
          held = null;
        } else {
          out.push({ delta: '', usage });
        }
      }
      return out;
    },
  };
}
