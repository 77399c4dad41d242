/** The router's reply → Anthropic's `message` object (docs.anthropic.com/en/api/messages). */
import type { RoutedReply } from '../../router/index.js';
import type { FinishReason, RichChatReply, ToolCall } from '../../types.js';

/** stop → end_turn, length → max_tokens, tool_calls → tool_use, content_filter → refusal. */
export function stopReason(r: FinishReason | undefined): 'end_turn' | 'max_tokens' | 'tool_use' | 'refusal' {
  switch (r) {
    case 'length': return 'max_tokens';
    case 'tool_calls': return 'tool_use';
    case 'content_filter': return 'refusal';
    default: return 'end_turn';
  }
}

/** A tool call's JSON arguments as the `input` object of a `tool_use` block (`{}` when they do not parse). */
export function toolInput(args: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(args || '{}');
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : { value: v };
  } catch {
    return {};
  }
}

export const toolUseBlock = (c: ToolCall) => ({ type: 'tool_use', id: c.id, name: c.function.name, input: toolInput(c.function.arguments) });

/**
 * A `claude-*` answer is Anthropic's own message, returned as the provider sent it (thinking blocks,
 * citations, stop_sequence included) with `model` the one that served; any other provider's reply is
 * built from the unified reply. `id` is the provider's when it has one.
 */
export function toAnthropicMessage(reply: RoutedReply<RichChatReply>, requestId: string): Record<string, unknown> {
  const raw = reply.raw as Record<string, unknown> | null;
  if (reply.provider === 'anthropic' && raw && typeof raw === 'object' && raw.type === 'message' && Array.isArray(raw.content)) {
    return { ...raw, model: reply.model };
  }
  const content: Array<Record<string, unknown>> = [];
  if (reply.text !== '' || !reply.toolCalls?.length) content.push({ type: 'text', text: reply.text });
  for (const c of reply.toolCalls ?? []) content.push(toolUseBlock(c));
  return {
    id: reply.id && reply.id.startsWith('msg_') ? reply.id : `msg_${requestId}`,
    type: 'message',
    role: 'assistant',
    model: reply.model,
    content,
    stop_reason: stopReason(reply.finishReason),
    stop_sequence: null,
    usage: { input_tokens: reply.usage?.inputTokens ?? 0, output_tokens: reply.usage?.outputTokens ?? 0 },
  };
}
