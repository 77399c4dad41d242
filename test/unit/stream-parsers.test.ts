import { describe, expect, it } from 'vitest';
import { BadResponseError } from '../../src/errors.js';
import { getAdapter } from '../../src/providers/index.js';
import { thoughtSignatureOf } from '../../src/providers/gemini-stream.js';
import type { StreamParser } from '../../src/providers/types.js';
import type { ChatChunk, Provider, ToolCall, ToolCallDelta } from '../../src/types.js';

type Event = { event?: string; data: unknown };

/** Feeds events (objects are JSON-encoded) and collects every chunk. */
function run(provider: Provider, events: Event[]): { chunks: ChatChunk[]; parser: StreamParser } {
  const parser = getAdapter(provider)!.streamParser();
  const chunks: ChatChunk[] = [];
  for (const e of events) {
    const data = typeof e.data === 'string' ? e.data : JSON.stringify(e.data);
    chunks.push(...parser.push(e.event === undefined ? { data } : { event: e.event, data }));
  }
  return { chunks, parser };
}

/** Tool call deltas put together the way an OpenAI client does: by index, arguments appended. */
function assemble(chunks: ChatChunk[]): ToolCall[] {
  const calls: ToolCall[] = [];
  for (const d of chunks.flatMap((c) => c.toolCalls ?? []) as ToolCallDelta[]) {
    const call = (calls[d.index] ??= { id: '', type: 'function', function: { name: '', arguments: '' } });
    if (d.id) call.id = d.id;
    if (d.function?.name) call.function.name += d.function.name;
    if (d.function?.arguments) call.function.arguments += d.function.arguments;
  }
  return calls;
}

const text = (chunks: ChatChunk[]) => chunks.map((c) => c.delta).join('');

describe('openai and groq stream parser', () => {
  const head = { id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o-mini', system_fingerprint: 'fp_1' };
  const chunk = (delta: unknown, finish: string | null = null) => ({ data: { ...head, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }], usage: null } });
  const usage = { prompt_tokens: 9, completion_tokens: 2, total_tokens: 11, prompt_tokens_details: { cached_tokens: 0 } };

  it('streams text in order and ends with one chunk holding the finish reason and the usage', () => {
    const { chunks, parser } = run('openai', [
      chunk({ role: 'assistant', content: '', refusal: null }),
      chunk({ content: 'Hello' }),
      chunk({ content: ' world' }),
      chunk({}, 'stop'),
      { data: { ...head, choices: [], usage } },
      { data: '[DONE]' },
    ]);
    expect(chunks).toEqual([
      { delta: 'Hello' },
      { delta: ' world' },
      { delta: '', finishReason: 'stop', usage: { inputTokens: 9, outputTokens: 2, totalTokens: 11 } },
    ]);
    expect(parser.done).toBe(true);
  });

  it('emits nothing for the opening role chunk, so the first chunk a caller sees has content', () => {
    const { chunks, parser } = run('openai', [chunk({ role: 'assistant', content: '' })]);
    expect(chunks).toEqual([]);
    expect(parser.done).toBe(false);
  });

  it('passes tool call deltas through by index (parallel calls) and maps finish_reason tool_calls', () => {
    const { chunks } = run('openai', [
      chunk({ role: 'assistant', content: null, tool_calls: [{ index: 0, id: 'call_a', type: 'function', function: { name: 'get_weather', arguments: '' } }] }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: '{"loc' } }] }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: 'ation":"Paris"}' } }] }),
      chunk({ tool_calls: [{ index: 1, id: 'call_b', type: 'function', function: { name: 'get_time', arguments: '' } }] }),
      chunk({ tool_calls: [{ index: 1, function: { arguments: '{}' } }] }),
      chunk({}, 'tool_calls'),
      { data: '[DONE]' },
    ]);
    expect(chunks[0]).toEqual({ delta: '', toolCalls: [{ index: 0, id: 'call_a', type: 'function', function: { name: 'get_weather', arguments: '' } }] });
    expect(assemble(chunks)).toEqual([
      { id: 'call_a', type: 'function', function: { name: 'get_weather', arguments: '{"location":"Paris"}' } },
      { id: 'call_b', type: 'function', function: { name: 'get_time', arguments: '{}' } },
    ]);
    expect(chunks.at(-1)).toEqual({ delta: '', finishReason: 'tool_calls' });
  });

  it('without include_usage, lets the finish chunk out at [DONE]', () => {
    const { chunks, parser } = run('openai', [chunk({ content: 'Hi' }), chunk({}, 'length')]);
    expect(chunks).toEqual([{ delta: 'Hi' }]);
    expect(parser.push({ data: '[DONE]' })).toEqual([{ delta: '', finishReason: 'length' }]);
    expect(parser.done).toBe(true);
    expect(parser.push({ data: '{"late":true}' })).toEqual([]);
  });

  it("reads Groq's x_groq.usage on the finish chunk and keeps the usage chunk's figures when both come", () => {
    const groqUsage = { queue_time: 0.01, prompt_tokens: 4, completion_tokens: 3, total_tokens: 7 };
    const alone = run('groq', [chunk({ content: 'Hi' }), { data: { ...head, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }], x_groq: { id: 'req_1', usage: groqUsage } } }, { data: '[DONE]' }]);
    expect(alone.chunks.at(-1)).toEqual({ delta: '', finishReason: 'stop', usage: { inputTokens: 4, outputTokens: 3, totalTokens: 7 } });
    const both = run('groq', [
      { data: { ...head, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }], x_groq: { id: 'req_1', usage: groqUsage } } },
      { data: { ...head, choices: [], usage: { prompt_tokens: 4, completion_tokens: 3, total_tokens: 7 } } },
      { data: '[DONE]' },
    ]);
    expect(both.chunks).toEqual([{ delta: '', finishReason: 'stop', usage: { inputTokens: 4, outputTokens: 3, totalTokens: 7 } }]);
  });

  it('reads only choice 0 when n > 1 interleaves choices', () => {
    const { chunks } = run('openai', [
      { data: { ...head, choices: [{ index: 1, delta: { content: 'B' }, finish_reason: null }] } },
      { data: { ...head, choices: [{ index: 0, delta: { content: 'A' }, finish_reason: null }] } },
    ]);
    expect(text(chunks)).toBe('A');
  });

  it.each([
    ['a truncated event', '{"id":"chatcmpl-sim","object":"chat.completion.chunk","choices":[{"delta":{"content":'],
    ['an HTML page', '<html>502</html>'],
    ['a JSON array', '[1,2]'],
    ['content that is not text', JSON.stringify({ ...head, choices: [{ index: 0, delta: { content: 5 } }] })],
    ['a tool call delta without an index', JSON.stringify({ ...head, choices: [{ index: 0, delta: { tool_calls: [{ id: 'x' }] } }] })],
  ])('%s is SB_BAD_RESPONSE', (_name, data) => {
    expect(() => run('openai', [{ data }])).toThrow(BadResponseError);
  });

  it('turns a mid-stream error object into SB_BAD_RESPONSE with its message', () => {
    expect(() => run('openai', [chunk({ content: 'Hi' }), { data: { error: { message: 'The server had an error while processing your request.', type: 'server_error' } } }]))
      .toThrow(/The server had an error/);
  });
});

describe('anthropic stream parser', () => {
  const ev = (type: string, data: Record<string, unknown> = {}): Event => ({ event: type, data: { type, ...data } });
  const start = ev('message_start', {
    message: { id: 'msg_1', type: 'message', role: 'assistant', content: [], model: 'claude-sonnet-4-5', stop_reason: null, stop_sequence: null, usage: { input_tokens: 25, cache_read_input_tokens: 5, output_tokens: 1 } },
  });

  it('streams text deltas in order and ends at message_stop with the finish reason and the usage on the last chunk', () => {
    const { chunks, parser } = run('anthropic', [
      start,
      ev('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }),
      ev('ping'),
      ev('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'Hello' } }),
      ev('content_block_delta', { index: 0, delta: { type: 'text_delta', text: '!' } }),
      ev('content_block_stop', { index: 0 }),
      ev('message_delta', { delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 15 } }),
    ]);
    expect(chunks).toEqual([
      { delta: 'Hello' },
      { delta: '!' },
      // input from message_start (cache reads count), output from message_delta (cumulative).
      { delta: '', finishReason: 'stop', usage: { inputTokens: 30, outputTokens: 15, totalTokens: 45 } },
    ]);
    expect(parser.done).toBe(false);
    expect(parser.push({ event: 'message_stop', data: '{"type":"message_stop"}' })).toEqual([]);
    expect(parser.done).toBe(true);
  });

  it('numbers tool_use blocks from 0 and streams their input_json_delta as arguments', () => {
    const { chunks } = run('anthropic', [
      start,
      ev('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }),
      ev('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'Checking.' } }),
      ev('content_block_stop', { index: 0 }),
      ev('content_block_start', { index: 1, content_block: { type: 'tool_use', id: 'toolu_01A', name: 'get_weather', input: {} } }),
      ev('content_block_delta', { index: 1, delta: { type: 'input_json_delta', partial_json: '' } }),
      ev('content_block_delta', { index: 1, delta: { type: 'input_json_delta', partial_json: '{"location":' } }),
      ev('content_block_delta', { index: 1, delta: { type: 'input_json_delta', partial_json: ' "Paris"}' } }),
      ev('content_block_stop', { index: 1 }),
      ev('content_block_start', { index: 2, content_block: { type: 'tool_use', id: 'toolu_01B', name: 'get_time', input: {} } }),
      ev('content_block_delta', { index: 2, delta: { type: 'input_json_delta', partial_json: '{}' } }),
      ev('content_block_stop', { index: 2 }),
      ev('message_delta', { delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { output_tokens: 89 } }),
      ev('message_stop'),
    ]);
    expect(text(chunks)).toBe('Checking.');
    expect(chunks[1]).toEqual({ delta: '', toolCalls: [{ index: 0, id: 'toolu_01A', type: 'function', function: { name: 'get_weather', arguments: '' } }] });
    expect(assemble(chunks)).toEqual([
      { id: 'toolu_01A', type: 'function', function: { name: 'get_weather', arguments: '{"location": "Paris"}' } },
      { id: 'toolu_01B', type: 'function', function: { name: 'get_time', arguments: '{}' } },
    ]);
    expect(chunks.at(-1)).toMatchObject({ finishReason: 'tool_calls', usage: { outputTokens: 89 } });
  });

  it('ignores thinking blocks, pings and event types it does not know', () => {
    const { chunks } = run('anthropic', [
      start,
      ev('content_block_start', { index: 0, content_block: { type: 'thinking', thinking: '' } }),
      ev('content_block_delta', { index: 0, delta: { type: 'thinking_delta', thinking: 'Let me think' } }),
      ev('content_block_delta', { index: 0, delta: { type: 'signature_delta', signature: 'EqQB' } }),
      ev('ping'),
      ev('some_future_event', { x: 1 }),
      ev('content_block_start', { index: 1, content_block: { type: 'text', text: '' } }),
      ev('content_block_delta', { index: 1, delta: { type: 'text_delta', text: 'Answer' } }),
    ]);
    expect(chunks).toEqual([{ delta: 'Answer' }]);
  });

  it('uses the input counts message_delta repeats (newer API versions) over message_start', () => {
    const { chunks } = run('anthropic', [start, ev('message_delta', { delta: { stop_reason: 'max_tokens' }, usage: { input_tokens: 40, cache_read_input_tokens: null, output_tokens: 3 } })]);
    expect(chunks).toEqual([{ delta: '', finishReason: 'length', usage: { inputTokens: 45, outputTokens: 3, totalTokens: 48 } }]);
  });

  it('throws SB_BAD_RESPONSE with the message of an error event', () => {
    const parser = getAdapter('anthropic')!.streamParser();
    parser.push({ event: 'message_start', data: JSON.stringify(start.data) });
    let err: unknown;
    try {
      parser.push({ event: 'error', data: '{"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(BadResponseError);
    expect((err as Error).message).toContain('overloaded_error: Overloaded');
  });

  it.each([
    ['a truncated event', '{"type":"content_block_delta","index":0,"delta":{"type":"text_del'],
    ['an input_json_delta for a block that is not a tool_use', JSON.stringify({ type: 'content_block_delta', index: 7, delta: { type: 'input_json_delta', partial_json: '{' } })],
    ['a text_delta without text', JSON.stringify({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta' } })],
    ['a tool_use block without an id', JSON.stringify({ type: 'content_block_start', index: 0, content_block: { type: 'tool_use', name: 'f' } })],
  ])('%s is SB_BAD_RESPONSE', (_name, data) => {
    expect(() => run('anthropic', [{ event: 'content_block_delta', data }])).toThrow(BadResponseError);
  });
});

describe('gemini stream parser', () => {
  const response = (parts: unknown[], extra: Record<string, unknown> = {}, usage?: Record<string, number>) => ({
    data: {
      candidates: [{ content: { parts, role: 'model' }, index: 0, ...extra }],
      ...(usage ? { usageMetadata: usage } : {}),
      modelVersion: 'gemini-2.0-flash',
      responseId: 'r1',
    },
  });

  it('streams the text of each event and is done at the first finishReason, with the latest usage on that chunk', () => {
    const { chunks, parser } = run('gemini', [
      response([{ text: 'Hello' }], {}, { promptTokenCount: 5, totalTokenCount: 5 }),
      response([{ text: ', wor' }]),
      response([{ text: 'ld' }], { finishReason: 'STOP' }, { promptTokenCount: 5, candidatesTokenCount: 3, thoughtsTokenCount: 2, totalTokenCount: 10 }),
    ]);
    expect(chunks).toEqual([
      { delta: 'Hello' },
      { delta: ', wor' },
      { delta: 'ld', finishReason: 'stop', usage: { inputTokens: 5, outputTokens: 5, totalTokens: 10 } },
    ]);
    expect(parser.done).toBe(true);
  });

  it('sends each function call whole in one delta with ids call_<index> and finishes with tool_calls', () => {
    const { chunks } = run('gemini', [
      response([{ text: 'Let me look.' }]),
      response([{ functionCall: { name: 'get_weather', args: { location: 'Paris' } } }, { functionCall: { name: 'get_time', args: {} } }], { finishReason: 'STOP' }, { promptTokenCount: 9, candidatesTokenCount: 4, totalTokenCount: 13 }),
    ]);
    expect(chunks[1]).toEqual({
      delta: '',
      toolCalls: [
        { index: 0, id: 'call_0', type: 'function', function: { name: 'get_weather', arguments: '{"location":"Paris"}' } },
        { index: 1, id: 'call_1', type: 'function', function: { name: 'get_time', arguments: '{}' } },
      ],
      finishReason: 'tool_calls',
      usage: { inputTokens: 9, outputTokens: 4, totalTokens: 13 },
    });
  });

  it("carries a Gemini 3 thought signature in the call's id, in characters any provider accepts", () => {
    const signature = 'CiQB0e2Kb+/x9y==';
    const { chunks } = run('gemini', [response([{ functionCall: { name: 'f', args: {} }, thoughtSignature: signature }], { finishReason: 'STOP' })]);
    const id = chunks[0]!.toolCalls![0]!.id!;
    expect(id).toMatch(/^call_0_ts_[A-Za-z0-9_-]+$/);
    expect(thoughtSignatureOf(id)).toBe(signature);
    expect(thoughtSignatureOf('call_0')).toBeUndefined();
  });

  it('leaves thought summaries out of the text', () => {
    const { chunks } = run('gemini', [response([{ text: 'pondering', thought: true }, { text: 'Answer' }], { finishReason: 'STOP' })]);
    expect(text(chunks)).toBe('Answer');
  });

  it.each([
    ['MAX_TOKENS', 'length'],
    ['SAFETY', 'content_filter'],
    ['MALFORMED_FUNCTION_CALL', 'other'],
  ])('maps finishReason %s to %s', (given, expected) => {
    expect(run('gemini', [response([], { finishReason: given })]).chunks).toEqual([{ delta: '', finishReason: expected }]);
  });

  it('ends a prompt blocked before generation as content_filter', () => {
    const { chunks, parser } = run('gemini', [{ data: { promptFeedback: { blockReason: 'SAFETY' }, usageMetadata: { promptTokenCount: 3, totalTokenCount: 3 } } }]);
    expect(chunks).toEqual([{ delta: '', finishReason: 'content_filter', usage: { inputTokens: 3, outputTokens: 0, totalTokens: 3 } }]);
    expect(parser.done).toBe(true);
  });

  it.each([
    ['a truncated event', '{"candidates": [{"content": {"parts": [{"text": '],
    ['candidates that are not an array', '{"candidates": {"x": 1}}'],
    ['a part that is not an object', '{"candidates": [{"content": {"parts": ["hi"]}}]}'],
  ])('%s is SB_BAD_RESPONSE', (_name, data) => {
    expect(() => run('gemini', [{ data }])).toThrow(BadResponseError);
  });

  it('turns an error object mid-stream into SB_BAD_RESPONSE with its message', () => {
    expect(() => run('gemini', [{ data: { error: { code: 503, message: 'The model is overloaded.', status: 'UNAVAILABLE' } } }])).toThrow(/The model is overloaded/);
  });
});
