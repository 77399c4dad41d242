import { describe, expect, it } from 'vitest';
import { ContextLengthError, NoKeysError, ProviderError, RetriesExhaustedError, TimeoutError } from '../../src/errors.js';
import { fromMessagesRequest } from '../../src/gateway/routes/messages-request.js';
import { fromResponsesRequest } from '../../src/gateway/routes/responses-request.js';
import { AnthropicStreamEncoder } from '../../src/gateway/routes/messages-stream.js';
import { failureGroup } from '../../src/router/index.js';

describe('Anthropic Messages → the unified request', () => {
  it('puts tool results first in their turn, marks an error result, and turns a base64 image into a data URL', () => {
    const { request } = fromMessagesRequest({
      max_tokens: 10,
      system: [{ type: 'text', text: 'A' }, { type: 'text', text: 'B' }],
      messages: [
        { role: 'user', content: 'go' },
        { role: 'assistant', content: [{ type: 'text', text: 'calling' }, { type: 'tool_use', id: 'tu1', name: 'f', input: { x: 1 } }] },
        { role: 'user', content: [{ type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'AAAA' } }, { type: 'tool_result', tool_use_id: 'tu1', content: 'boom', is_error: true }] },
      ],
    }, 'gemini', 'gemini-2.0-flash');
    expect(request.system).toBe('A\nB');
    expect(request.messages).toEqual([
      { role: 'user', content: 'go' },
      { role: 'assistant', content: 'calling', toolCalls: [{ id: 'tu1', type: 'function', function: { name: 'f', arguments: '{"x":1}' } }] },
      { role: 'tool', toolCallId: 'tu1', content: 'Error: boom' },
      { role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } }] },
    ]);
  });

  it("maps tool_choice and metadata per provider; Anthropic's own fields go to a claude model and are a 400 elsewhere", () => {
    const body = { max_tokens: 5, messages: [{ role: 'user', content: 'x' }], tools: [{ name: 'f', input_schema: { type: 'object' } }], tool_choice: { type: 'any', disable_parallel_tool_use: true }, metadata: { user_id: 'u1' } };
    expect(fromMessagesRequest(body, 'openai', 'gpt-4o-mini').request).toMatchObject({ toolChoice: 'required', extra: { user: 'u1', parallel_tool_calls: false } });
    expect(fromMessagesRequest({ ...body, top_k: 5 }, 'anthropic', 'claude-x').request.extra).toEqual({ parallel_tool_calls: false, metadata: { user_id: 'u1' }, top_k: 5 });
    expect(() => fromMessagesRequest({ ...body, top_k: 5 }, 'openai', 'gpt-4o-mini')).toThrow(/`top_k`.*no translation for openai/);
  });

  it('requires max_tokens, as the Messages API does, and refuses a server tool by name', () => {
    expect(() => fromMessagesRequest({ messages: [{ role: 'user', content: 'x' }] }, 'openai', 'm')).toThrow(/`max_tokens`/);
    expect(() => fromMessagesRequest({ max_tokens: 1, messages: [{ role: 'user', content: 'x' }], tools: [{ type: 'web_search_20250305', name: 'web_search' }] }, 'anthropic', 'm')).toThrow(/`tools\[0\]\.type`/);
  });

  it('streams text then a tool call as two blocks, each started and stopped, and ends with tool_use', () => {
    const enc = new AnthropicStreamEncoder('msg_1');
    const tag = { model: 'm', provider: 'openai' as const };
    const out = enc.start('m')
      + enc.push({ ...tag, delta: 'Hi' })
      + enc.push({ ...tag, delta: '', toolCalls: [{ index: 0, id: 'c1', function: { name: 'f', arguments: '{"a"' } }] })
      + enc.push({ ...tag, delta: '', toolCalls: [{ index: 0, function: { arguments: ':1}' } }], finishReason: 'tool_calls' })
      + enc.end();
    const events = out.trim().split('\n\n').map((e) => JSON.parse(e.split('\n')[1]!.slice(6)));
    expect(events.map((e) => e.type)).toEqual([
      'message_start', 'content_block_start', 'content_block_delta', 'content_block_stop',
      'content_block_start', 'content_block_delta', 'content_block_delta', 'content_block_stop', 'message_delta', 'message_stop',
    ]);
    expect(events[4]).toMatchObject({ index: 1, content_block: { type: 'tool_use', id: 'c1', name: 'f' } });
    expect(events[8].delta.stop_reason).toBe('tool_use');
  });
});

describe('Responses API → the unified request', () => {
  it('merges consecutive function_call items into one assistant turn and maps the JSON schema format', () => {
    const { request } = fromResponsesRequest({
      model: 'gpt-4o-mini',
      instructions: 'sys',
      input: [
        { role: 'user', content: 'q' },
        { type: 'function_call', call_id: 'a', name: 'f', arguments: '{}' },
        { type: 'function_call', call_id: 'b', name: 'g', arguments: '{}' },
        { type: 'function_call_output', call_id: 'a', output: '1' },
        { type: 'function_call_output', call_id: 'b', output: '2' },
      ],
      text: { format: { type: 'json_schema', name: 's', schema: { type: 'object' }, strict: true } },
      max_output_tokens: 9,
    }, 'gpt-4o-mini');
    expect(request.system).toBe('sys');
    expect(request.maxTokens).toBe(9);
    expect(request.messages[1]).toMatchObject({ role: 'assistant', content: null, toolCalls: [{ id: 'a' }, { id: 'b' }] });
    expect(request.messages.slice(2)).toEqual([{ role: 'tool', toolCallId: 'a', content: '1' }, { role: 'tool', toolCallId: 'b', content: '2' }]);
    expect(request.responseFormat).toEqual({ type: 'json_schema', json_schema: { name: 's', schema: { type: 'object' }, strict: true } });
  });

  it('refuses previous_response_id, item references and unknown fields by name', () => {
    expect(() => fromResponsesRequest({ input: 'x', previous_response_id: 'resp_1' }, 'm')).toThrow(/`previous_response_id`.*does not store responses/);
    expect(() => fromResponsesRequest({ input: [{ type: 'item_reference', id: 'x' }] }, 'm')).toThrow(/`input\[0\]\.type`/);
    expect(() => fromResponsesRequest({ input: 'x', background: true }, 'm')).toThrow(/`background`/);
  });
});

describe('which group a failure falls back in', () => {
  const p = (status: number) => new ProviderError({ status, message: 'x' });
  it.each([
    ['a 5xx answer', p(503), 'fallbacks'],
    ['a 429 the supervisor gave up on', p(429), 'fallbacks'],
    ['retries exhausted on 429s', new RetriesExhaustedError(3, p(429)), 'fallbacks'],
    ['a deadline that passed waiting on 429s', new TimeoutError(1000, p(429)), 'fallbacks'],
    ['no usable key', new NoKeysError(), 'fallbacks'],
    ['a prompt over the context window', new ContextLengthError({ status: 400, message: 'too long' }), 'contextFallbacks'],
    ['a plain 400', p(400), null],
    ['retries exhausted on 400s (never happens, still no fallback)', new RetriesExhaustedError(1, p(400)), null],
  ])('%s → %s', (_what, error, group) => {
    expect(failureGroup(error)).toBe(group);
  });
});
