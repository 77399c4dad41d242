/** The router's reply → OpenAI's `response` object (platform.openai.com/docs/api-reference/responses/object). */
import type { RoutedReply } from '../../router/index.js';
import type { FinishReason, RichChatReply, ToolCall, Usage } from '../../types.js';
import type { ParsedResponsesRequest } from './responses-request.js';

export const textItem = (id: string, text: string, status = 'completed') => ({
  type: 'message', id, status, role: 'assistant', content: [{ type: 'output_text', text, annotations: [], logprobs: [] }],
});
export const callItem = (c: ToolCall, status = 'completed') => ({
  type: 'function_call', id: `fc_${c.id}`, call_id: c.id, name: c.function.name, arguments: c.function.arguments, status,
});

export function responsesUsage(u: Usage | null) {
  const input = u?.inputTokens ?? 0;
  const output = u?.outputTokens ?? 0;
  return { input_tokens: input, input_tokens_details: { cached_tokens: 0 }, output_tokens: output, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: u?.totalTokens ?? input + output };
}

/** `completed`, or `incomplete` with the reason when the answer was cut (length) or filtered. */
export function statusOf(finish: FinishReason | undefined): { status: 'completed' | 'incomplete'; incomplete_details: { reason: string } | null } {
  if (finish === 'length') return { status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } };
  if (finish === 'content_filter') return { status: 'incomplete', incomplete_details: { reason: 'content_filter' } };
  return { status: 'completed', incomplete_details: null };
}

/** The fields every response object carries, around its `output`. */
export function responseShell(p: {
  id: string; createdAt: number; model: string; echo: ParsedResponsesRequest['echo']; status: string;
  incomplete: { reason: string } | null; output: unknown[]; usage: ReturnType<typeof responsesUsage> | null; fallbackFrom?: string;
}): Record<string, unknown> {
  const e = p.echo;
  return {
    id: p.id,
    object: 'response',
    created_at: p.createdAt,
    status: p.status,
    error: null,
    incomplete_details: p.incomplete,
    instructions: e.instructions,
    max_output_tokens: e.maxOutputTokens,
    model: p.model,
    output: p.output,
    parallel_tool_calls: e.parallelToolCalls,
    previous_response_id: null,
    reasoning: { effort: null, summary: null },
    store: false,
    temperature: e.temperature,
    text: e.text,
    tool_choice: e.toolChoice,
    tools: e.tools,
    top_p: e.topP,
    truncation: 'disabled',
    usage: p.usage,
    user: e.user,
    metadata: e.metadata,
    ...(p.fallbackFrom !== undefined ? { fallback_from: p.fallbackFrom } : {}),
  };
}

/** A whole reply as a response object: a message item for the text, a function_call item per tool call. */
export function toResponse(reply: RoutedReply<RichChatReply>, parsed: ParsedResponsesRequest, id: string, createdAt: number): Record<string, unknown> {
  const output: unknown[] = [];
  if (reply.text !== '' || !reply.toolCalls?.length) output.push(textItem(`msg_${id.slice(5)}`, reply.text));
  for (const c of reply.toolCalls ?? []) output.push(callItem(c));
  const { status, incomplete_details } = statusOf(reply.finishReason);
  return responseShell({ id, createdAt, model: reply.model, echo: parsed.echo, status, incomplete: incomplete_details, output, usage: responsesUsage(reply.usage), fallbackFrom: reply.fallbackFrom });
}
