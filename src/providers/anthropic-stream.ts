/**
 * Anthropic's answer vocabulary (stop reasons, usage, `tool_use` blocks) and its streaming format
 * (docs.anthropic.com/en/docs/build-with-claude/streaming): `message_start`, then per content
 * block `content_block_start` / `content_block_delta` … / `content_block_stop`, then
 * `message_delta` (stop reason, cumulative usage) and `message_stop`; `ping` anywhere; `error`
 * mid-stream (an overload, say) ends it.
 */
import { BadResponseError } from '../errors.js';
import type { ChatChunk, FinishReason, ToolCall, Usage } from '../types.js';
import { parseEventJson } from './openai-stream.js';
import type { StreamParser } from './types.js';
import { isRecord, numberOr } from './util.js';

/**
 * Anthropic's `stop_reason` (docs.anthropic.com/en/api/messages): `end_turn`, `stop_sequence`,
 * `max_tokens`, `tool_use`, `refusal`, `pause_turn`, `model_context_window_exceeded`.
 */
export function anthropicFinishReason(r: unknown): FinishReason {
  switch (r) {
    case 'end_turn': case 'stop_sequence': return 'stop';
    // The context window ran out while generating: the answer was cut for length.
    case 'max_tokens': case 'model_context_window_exceeded': return 'length';
    case 'tool_use': return 'tool_calls';
    case 'refusal': return 'content_filter';
    default: return 'other';
  }
}

/**
 * Input tokens include prompt-cache writes and reads: Anthropic reports them apart from
 * `input_tokens`, while OpenAI's `prompt_tokens` counts cached tokens too; keep them comparable.
 */
export function anthropicUsage(u: unknown): Usage | null {
  if (!isRecord(u)) return null;
  const input = numberOr(u.input_tokens, 0) + numberOr(u.cache_creation_input_tokens, 0) + numberOr(u.cache_read_input_tokens, 0);
  const output = numberOr(u.output_tokens, 0);
  return { inputTokens: input, outputTokens: output, totalTokens: input + output };
}

/** A `tool_use` block as an OpenAI tool call: `arguments` is its `input` as JSON text. */
export function anthropicToolCall(block: Record<string, unknown>, status: number | null): ToolCall {
  if (typeof block.id !== 'string' || typeof block.name !== 'string') throw new BadResponseError('tool_use block has no id or name', status);
  return { id: block.id, type: 'function', function: { name: block.name, arguments: JSON.stringify(block.input ?? {}) } };
}

/**
 * The Messages streaming parser. Text deltas become `delta`; each `tool_use` block becomes a tool
 * call numbered from 0 in block order (id and name at its start, `input_json_delta` fragments as
 * `arguments`); `message_delta` gives the last chunk, with the finish reason and the usage (input
 * from `message_start`, output from `message_delta`, which is cumulative). Thinking and
 * server-tool blocks, `ping` and event types added later are ignored, as Anthropic asks; an
 * `error` event is `SB_BAD_RESPONSE` with its message.
 */
export function createAnthropicStreamParser(): StreamParser {
  let done = false;
  let startUsage: Record<string, unknown> = {};
  const toolIndexOfBlock = new Map<number, number>();
  return {
    get done() {
      return done;
    },
    push({ event, data }) {
      if (done) return [];
      const body = parseEventJson(data, 'anthropic');
      const type = typeof body.type === 'string' ? body.type : event;
      switch (type) {
        case 'message_start': {
          const message = body.message;
          if (isRecord(message) && isRecord(message.usage)) startUsage = message.usage;
          return [];
        }
        case 'content_block_start': {
          const block = body.content_block;
          if (!isRecord(block) || typeof body.index !== 'number') throw new BadResponseError('anthropic content_block_start has no block');
          if (block.type === 'tool_use') {
            const index = toolIndexOfBlock.size;
            toolIndexOfBlock.set(body.index, index);
            const call = anthropicToolCall(block, null);
            return [{ delta: '', toolCalls: [{ index, id: call.id, type: 'function', function: { name: call.function.name, arguments: '' } }] }];
          }
          if (block.type === 'text' && typeof block.text === 'string' && block.text !== '') return [{ delta: block.text }];
          return [];
        }
        case 'content_block_delta': {
          const delta = body.delta;
          if (!isRecord(delta)) throw new BadResponseError('anthropic content_block_delta has no delta');
          if (delta.type === 'text_delta') {
            if (typeof delta.text !== 'string') throw new BadResponseError('anthropic text_delta has no text');
            return delta.text === '' ? [] : [{ delta: delta.text }];
          }
          if (delta.type === 'input_json_delta') {
            const index = typeof body.index === 'number' ? toolIndexOfBlock.get(body.index) : undefined;
            if (index === undefined) throw new BadResponseError('anthropic input_json_delta for a block that is not a tool_use');
            if (typeof delta.partial_json !== 'string') throw new BadResponseError('anthropic input_json_delta has no partial_json');
            return delta.partial_json === '' ? [] : [{ delta: '', toolCalls: [{ index, function: { arguments: delta.partial_json } }] }];
          }
          return [];
        }
        case 'message_delta': {
          const delta = isRecord(body.delta) ? body.delta : {};
          // message_delta's usage is cumulative; newer API versions repeat the input counts there.
          const later = Object.entries(isRecord(body.usage) ? body.usage : {}).filter(([, v]) => v !== null && v !== undefined);
          const usage = anthropicUsage({ ...startUsage, ...Object.fromEntries(later) });
          const chunk: ChatChunk = { delta: '', finishReason: anthropicFinishReason(delta.stop_reason) };
          if (usage) chunk.usage = usage;
          return [chunk];
        }
        case 'message_stop':
          done = true;
          return [];
        case 'error': {
          const e = body.error;
          const what = isRecord(e) ? `${typeof e.type === 'string' ? e.type : 'error'}: ${typeof e.message === 'string' ? e.message : 'no message'}` : 'no details';
          throw new BadResponseError(`anthropic stream sent an error event (${what})`);
        }
        default:
          return [];
      }
    },
  };
}
