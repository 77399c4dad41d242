/**
 * The router's stream → the Responses API's typed events (platform.openai.com/docs/api-reference/responses-streaming):
 * `response.created`, `response.in_progress`; per output item `response.output_item.added`, then
 * for text `response.content_part.added`, `response.output_text.delta`…, `response.output_text.done`,
 * `response.content_part.done`, or for a function call `response.function_call_arguments.delta`…,
 * `response.function_call_arguments.done`; then `response.output_item.done`; last `response.completed`
 * (or `response.incomplete`) with the whole response. Every event has its `sequence_number`.
 */
import type { RoutedChunk } from '../../router/index.js';
import type { FinishReason, ToolCall, Usage } from '../../types.js';
import { callItem, responseShell, responsesUsage, statusOf, textItem } from './responses-reply.js';
import type { ParsedResponsesRequest } from './responses-request.js';

interface OpenText { kind: 'text'; index: number; id: string; text: string }
interface OpenCall { kind: 'call'; index: number; call: ToolCall }

export class ResponsesStreamEncoder {
  private seq = 0;
  private readonly items: unknown[] = [];
  private open: OpenText | OpenCall | null = null;
  private readonly calls = new Map<number, OpenCall>();
  private finish: FinishReason | undefined;
  private usage: Usage | null = null;
  private model = '';
  private fallbackFrom: string | undefined;

  constructor(private readonly id: string, private readonly createdAt: number, private readonly echo: ParsedResponsesRequest['echo']) {}

  event(type: string, data: Record<string, unknown>): string {
    return `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: this.seq++, ...data })}\n\n`;
  }

  private shell(status: string, output: unknown[], usage: ReturnType<typeof responsesUsage> | null, incomplete: { reason: string } | null = null) {
    return responseShell({ id: this.id, createdAt: this.createdAt, model: this.model, echo: this.echo, status, incomplete, output, usage, fallbackFrom: this.fallbackFrom });
  }

  start(model: string, fallbackFrom?: string): string {
    this.model = model;
    this.fallbackFrom = fallbackFrom;
    const response = this.shell('in_progress', [], null);
    return this.event('response.created', { response }) + this.event('response.in_progress', { response });
  }

  push(chunk: RoutedChunk): string {
    let out = '';
    if (chunk.usage) this.usage = chunk.usage;
    if (chunk.finishReason) this.finish = chunk.finishReason;
    if (chunk.delta !== '') {
      if (this.open?.kind !== 'text') {
        out += this.close();
        const text: OpenText = { kind: 'text', index: this.items.length, id: `msg_${this.id.slice(5)}_${this.items.length}`, text: '' };
        this.open = text;
        this.items.push(null);
        out += this.event('response.output_item.added', { output_index: text.index, item: { ...textItem(text.id, '', 'in_progress'), content: [] } });
        out += this.event('response.content_part.added', { item_id: text.id, output_index: text.index, content_index: 0, part: { type: 'output_text', text: '', annotations: [] } });
      }
      const text = this.open as OpenText;
      text.text += chunk.delta;
      out += this.event('response.output_text.delta', { item_id: text.id, output_index: text.index, content_index: 0, delta: chunk.delta, logprobs: [] });
    }
    for (const d of chunk.toolCalls ?? []) {
      let call = this.calls.get(d.index);
      if (!call) {
        out += this.close();
        call = { kind: 'call', index: this.items.length, call: { id: d.id ?? `call_${this.items.length}`, type: 'function', function: { name: d.function?.name ?? '', arguments: '' } } };
        this.calls.set(d.index, call);
        this.items.push(null);
        this.open = call;
        out += this.event('response.output_item.added', { output_index: call.index, item: callItem(call.call, 'in_progress') });
      }
      const args = d.function?.arguments;
      if (args) {
        call.call.function.arguments += args;
        out += this.event('response.function_call_arguments.delta', { item_id: `fc_${call.call.id}`, output_index: call.index, delta: args });
      }
    }
    return out;
  }

  private close(): string {
    const o = this.open;
    if (!o) return '';
    this.open = null;
    if (o.kind === 'text') {
      const item = textItem(o.id, o.text);
      this.items[o.index] = item;
      return this.event('response.output_text.done', { item_id: o.id, output_index: o.index, content_index: 0, text: o.text, logprobs: [] })
        + this.event('response.content_part.done', { item_id: o.id, output_index: o.index, content_index: 0, part: item.content[0] })
        + this.event('response.output_item.done', { output_index: o.index, item });
    }
    const item = callItem(o.call);
    this.items[o.index] = item;
    return this.event('response.function_call_arguments.done', { item_id: item.id, output_index: o.index, name: item.name, arguments: item.arguments })
      + this.event('response.output_item.done', { output_index: o.index, item });
  }

  /** Closes what is open and ends with `response.completed` (or `response.incomplete`). */
  end(): string {
    let out = this.close();
    // A tool call may still be open under a later text item: close every call in order.
    for (const call of this.calls.values()) {
      if (this.items[call.index] === null) {
        this.open = call;
        out += this.close();
      }
    }
    if (this.items.length === 0) {
      this.open = { kind: 'text', index: 0, id: `msg_${this.id.slice(5)}_0`, text: '' };
      this.items.push(null);
      out += this.event('response.output_item.added', { output_index: 0, item: { ...textItem(this.open.id, '', 'in_progress'), content: [] } });
      out += this.close();
    }
    const { status, incomplete_details } = statusOf(this.finish);
    const response = this.shell(status, this.items, responsesUsage(this.usage), incomplete_details);
    return out + this.event(status === 'completed' ? 'response.completed' : 'response.incomplete', { response });
  }
}
