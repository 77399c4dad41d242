import { describe, expect, it } from 'vitest';
import { BadResponseError, ConfigError } from '../../src/errors.js';
import { getAdapter } from '../../src/providers/index.js';
import type { HttpResponse } from '../../src/transport/types.js';

const adapter = getAdapter('anthropic')!;
const SECRET = 'sk-ant-api03-TESTSECRET0123456789';
const ctx = { baseUrl: 'https://api.anthropic.com', secret: SECRET, requestId: 'req-1' };
const res = (status: number, body: unknown): HttpResponse => ({ status, headers: {}, body: typeof body === 'string' ? body : JSON.stringify(body) });

const reply = {
  id: 'msg_01XFDUDYJgAACzvnptvVoYEL',
  type: 'message',
  role: 'assistant',
  content: [{ type: 'text', text: 'Hello' }, { type: 'text', text: ', world' }],
  model: 'claude-3-5-haiku-20241022',
  stop_reason: 'end_turn',
  stop_sequence: null,
  usage: { input_tokens: 12, output_tokens: 6 },
};

describe('anthropic adapter: requests', () => {
  it('posts to {base}/v1/messages with x-api-key and anthropic-version, the secret only there', () => {
    const req = adapter.buildChat({ model: 'claude-3-5-haiku-latest', messages: [{ role: 'user', content: 'Hi' }] }, ctx);
    expect(req.method).toBe('POST');
    expect(req.url).toBe('https://api.anthropic.com/v1/messages');
    expect(req.headers).toEqual({ 'content-type': 'application/json', 'x-api-key': SECRET, 'anthropic-version': '2023-06-01', 'x-request-id': 'req-1' });
    expect(req.headers.authorization).toBeUndefined();
    expect(req.url).not.toContain(SECRET);
    expect(req.body).not.toContain(SECRET);
  });

  it('defaults max_tokens to 1024, which the API requires, and sends no system when there is none', () => {
    const body = JSON.parse(adapter.buildChat({ model: 'claude-x', messages: [{ role: 'user', content: 'Hi' }] }, ctx).body!);
    expect(body).toEqual({ model: 'claude-x', max_tokens: 1024, messages: [{ role: 'user', content: 'Hi' }] });
  });

  it('lifts system text to the top level (request.system first, then system messages, blank-line joined) and maps the rest', () => {
    const body = JSON.parse(
      adapter.buildChat(
        {
          model: 'claude-x',
          system: 'Be brief.',
          messages: [
            { role: 'system', content: 'Use French.' },
            { role: 'user', content: 'Hi' },
            { role: 'assistant', content: 'Salut' },
            { role: 'system', content: 'No emoji.' },
            { role: 'user', content: 'Again' },
          ],
          maxTokens: 64,
          temperature: 0.2,
          topP: 0.9,
          stop: ['END'],
          extra: { metadata: { user_id: 'u1' }, top_k: 5 },
        },
        ctx,
      ).body!,
    );
    expect(body).toEqual({
      model: 'claude-x',
      max_tokens: 64,
      system: 'Be brief.\n\nUse French.\n\nNo emoji.',
      messages: [
        { role: 'user', content: 'Hi' },
        { role: 'assistant', content: 'Salut' },
        { role: 'user', content: 'Again' },
      ],
      temperature: 0.2,
      top_p: 0.9,
      stop_sequences: ['END'],
      metadata: { user_id: 'u1' },
      top_k: 5,
    });
  });

  it('has no embeddings: buildEmbed is SB_CONFIG naming `model`', () => {
    expect(adapter.supportsEmbeddings).toBe(false);
    let err: unknown;
    try {
      adapter.buildEmbed('voyage-3', ['a'], ctx);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect(err).toMatchObject({ code: 'SB_CONFIG', field: 'model' });
  });
});

describe('anthropic adapter: replies', () => {
  it('concatenates the text blocks and reads id, model, usage', () => {
    const parsed = adapter.parseChat(res(200, reply));
    expect(parsed).toMatchObject({ id: reply.id, model: reply.model, text: 'Hello, world', finishReason: 'stop', usage: { inputTokens: 12, outputTokens: 6, totalTokens: 18 } });
    expect(parsed.raw).toEqual(reply);
  });

  it('skips thinking and tool_use blocks in the text', () => {
    const body = {
      ...reply,
      content: [
        { type: 'thinking', thinking: 'hmm', signature: 's' },
        { type: 'text', text: 'Let me check.' },
        { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } },
      ],
      stop_reason: 'tool_use',
    };
    expect(adapter.parseChat(res(200, body))).toMatchObject({ text: 'Let me check.', finishReason: 'tool_calls' });
  });

  it.each([
    ['end_turn', 'stop'],
    ['stop_sequence', 'stop'],
    ['max_tokens', 'length'],
    ['model_context_window_exceeded', 'length'],
    ['tool_use', 'tool_calls'],
    ['refusal', 'content_filter'],
    ['pause_turn', 'other'],
    [null, 'other'],
  ])('maps stop_reason %s to %s', (given, expected) => {
    expect(adapter.parseChat(res(200, { ...reply, stop_reason: given })).finishReason).toBe(expected);
  });

  it('counts prompt-cache reads and writes as input tokens', () => {
    const body = { ...reply, usage: { input_tokens: 10, cache_creation_input_tokens: 100, cache_read_input_tokens: 1000, output_tokens: 5 } };
    expect(adapter.parseChat(res(200, body)).usage).toEqual({ inputTokens: 1110, outputTokens: 5, totalTokens: 1115 });
  });

  it('reads an empty content array as empty text', () => {
    expect(adapter.parseChat(res(200, { ...reply, content: [] })).text).toBe('');
  });

  it.each([
    ['not JSON', 'Internal Server Error'],
    ['truncated', '{"id":"msg_1","content":[{"type":"text","te'],
    ['no content', { id: 'msg_1', type: 'message', stop_reason: 'end_turn' }],
    ['content that is not an array', { ...reply, content: 'Hello' }],
    ['a text block without text', { ...reply, content: [{ type: 'text' }] }],
    ['a block that is not an object', { ...reply, content: ['Hello'] }],
    ['an error body on a 2xx', { type: 'error', error: { type: 'api_error', message: 'boom' } }],
  ])('%s is SB_BAD_RESPONSE', (_name, body) => {
    expect(() => adapter.parseChat(res(200, body))).toThrow(BadResponseError);
  });
});

describe('anthropic adapter: errors', () => {
  it.each([
    [429, 'rate_limit_error', 'Number of request tokens has exceeded your per-minute rate limit'],
    [529, 'overloaded_error', 'Overloaded'],
    [401, 'authentication_error', 'invalid x-api-key'],
    [403, 'permission_error', 'Your API key does not have permission to use the specified resource.'],
    [400, 'invalid_request_error', 'max_tokens: Field required'],
    [404, 'not_found_error', 'model: claude-nope'],
    [500, 'api_error', 'Internal server error'],
  ])('reads %d %s', (status, type, message) => {
    const body = { type: 'error', error: { type, message }, request_id: 'req_011CSHoEeqs5C35K2UUqR7Fy' };
    expect(adapter.parseError(res(status, body))).toEqual({ message, providerCode: type, retryAfterMs: null, invalidKey: false, quotaExhausted: false });
  });

  it.each([['an HTML page', '<html>Cloudflare</html>'], ['an empty body', ''], ['an error that is a string', { error: 'x' }]])('never throws on %s', (_n, body) => {
    expect(adapter.parseError(res(413, body))).toEqual({ message: 'HTTP 413', providerCode: null, retryAfterMs: null, invalidKey: false, quotaExhausted: false });
  });
});
