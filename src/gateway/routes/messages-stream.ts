/**
 * The router's stream → Anthropic's Server-Sent Events (docs.anthropic.com/en/api/messages-streaming):
 * `message_start` (a message with empty content), then per content block `content_block_start`,
 * `content_block_delta` (`text_delta`, or `input_json_delta` for a `tool_use` block) and
 * `content_block_stop`, then `message_delta` (stop_reason, usage) and `message_stop`. Each event
 * is written with its name (`event: …`) and its `type` in the data, as the API does.
 */
import type { RoutedChunk } from '../../router/index.js';
import type { FinishReason, Usage } from '../../types.js';
import { stopReason } from './messages-reply.js';

export const sse = (type: string, data: Record<string, unknown>): string => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;

export class AnthropicStreamEncoder {
  private block = -1;
  private open: 'text' | 'tool' | null = null;
  /** Our block index for each tool call index of the unified stream. */
  private readonly toolBlocks = new Map<number, number>();
  private finish: FinishReason | undefined;
  private usage: Usage | null = null;

  constructor(private readonly id: string) {}

  /** The `message_start` event for the model that serves the stream. */
  start(model: string): string {
    return sse('message_start', {
      message: { id: this.id, type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 0, output_tokens: 0 } },
    });
  }

  /** The events one unified chunk makes. */
  push(chunk: RoutedChunk): string {
    let out = '';
    if (chunk.usage) this.usage = chunk.usage;
    if (chunk.finishReason) this.finish = chunk.finishReason;
    if (chunk.delta !== '') {
      if (this.open !== 'text') out += this.startBlock('text', { type: 'text', text: '' });
      out += sse('content_block_delta', { index: this.block, delta: { type: 'text_delta', text: chunk.delta } });
    }
    for (const call of chunk.toolCalls ?? []) {
      let index = this.toolBlocks.get(call.index);
      if (index === undefined) {
        out += this.startBlock('tool', { type: 'tool_use', id: call.id ?? `toolu_${this.id}_${call.index}`, name: call.function?.name ?? '', input: {} });
        index = this.block;
        this.toolBlocks.set(call.index, index);
      }
      const args = call.function?.arguments;
      if (args) out += sse('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: args } });
    }
    return out;
  }

  /** Closes the open block, then `message_delta` and `message_stop`. */
  end(): string {
    let out = this.closeBlock();
    const usage = { input_tokens: this.usage?.inputTokens ?? 0, output_tokens: this.usage?.outputTokens ?? 0 };
    const finish = this.finish ?? (this.toolBlocks.size > 0 ? 'tool_calls' : 'stop');
    out += sse('message_delta', { delta: { stop_reason: stopReason(finish), stop_sequence: null }, usage });
    return out + sse('message_stop', {});
  }

  private startBlock(kind: 'text' | 'tool', contentBlock: Record<string, unknown>): string {
    const out = this.closeBlock();
    this.block++;
    this.open = kind;
    return out + sse('content_block_start', { index: this.block, content_block: contentBlock });
  }

  private closeBlock(): string {
    if (this.open === null) return '';
    this.open = null;
    return sse('content_block_stop', { index: this.block });
  }
}
