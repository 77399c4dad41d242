import { describe, expect, it } from 'vitest';
import { BadResponseError } from '../../src/errors.js';
import { getAdapter } from '../../src/providers/index.js';
import type { HttpResponse } from '../../src/transport/types.js';

const adapter = getAdapter('openai')!;
const SECRET = 'sk-proj-TESTSECRET0123456789';
const ctx = { baseUrl: 'https://api.openai.com/v1', secret: SECRET, requestId: 'req-1' };
const res = (status: number, body: unknown, headers: Record<string, string> = {}): HttpResponse => ({
  status,
  headers,
  body: typeof body === 'string' ? body : JSON.stringify(body),
});

describe('openai adapter: requests', () => {
  it('posts chat to {base}/chat/completions with bearer auth, the secret only in the auth header', () => {
    const req = adapter.buildChat({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }] }, ctx);
    expect(req.method).toBe('POST');
    expect(req.url).toBe('https://api.openai.com/v1/chat/completions');
    expect(req.headers).toEqual({ 'content-type': 'application/json', authorization: `Bearer ${SECRET}`, 'x-request-id': 'req-1' });
    expect(req.url).not.toContain(SECRET);
    expect(req.body).not.toContain(SECRET);
  });

  it('joins a base URL with a trailing slash without doubling it', () => {
    expect(adapter.buildChat({ model: 'm', messages: [] }, { ...ctx, baseUrl: 'http://127.0.0.1:9/v1/' }).url).toBe('http://127.0.0.1:9/v1/chat/completions');
  });

  it('maps system first, then messages, maxTokens, temperature, topP, stop, and passes extra through', () => {
    const req = adapter.buildChat(
      {
        model: 'gpt-4o-mini',
        system: 'Be brief.',
        messages: [{ role: 'system', content: 'Use French.' }, { role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Salut' }],
        maxTokens: 64,
        temperature: 0.2,
        topP: 0.9,
        stop: ['\n\n'],
        extra: { seed: 7, tools: [{ type: 'function', function: { name: 'f' } }] },
      },
      ctx,
    );
    expect(JSON.parse(req.body!)).toEqual({
      model: 'gpt-4o-mini',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'system', content: 'Use French.' },
        { role: 'user', content: 'Hi' },
        { role: 'assistant', content: 'Salut' },
      ],
      max_tokens: 64,
      temperature: 0.2,
      top_p: 0.9,
      stop: ['\n\n'],
      seed: 7,
      tools: [{ type: 'function', function: { name: 'f' } }],
    });
  });

  it.each([
    ['o1-mini', 'max_completion_tokens'],
    ['o3', 'max_completion_tokens'],
    ['o4-mini', 'max_completion_tokens'],
    ['gpt-5', 'max_completion_tokens'],
    ['gpt-5.1-mini', 'max_completion_tokens'],
    ['gpt-4o-mini', 'max_tokens'],
    ['gpt-4.1', 'max_tokens'],
    ['gpt-3.5-turbo', 'max_tokens'],
  ])('sends maxTokens for %s as %s (reasoning models reject max_tokens)', (model, field) => {
    const body = JSON.parse(adapter.buildChat({ model, messages: [], maxTokens: 10 }, ctx).body!);
    expect(body[field]).toBe(10);
    expect(Object.keys(body).filter((k) => k.startsWith('max_'))).toEqual([field]);
  });

  it('posts embeddings to {base}/embeddings with an array input', () => {
    const req = adapter.buildEmbed('text-embedding-3-small', ['a', 'b'], ctx);
    expect(req.url).toBe('https://api.openai.com/v1/embeddings');
    expect(req.headers.authorization).toBe(`Bearer ${SECRET}`);
    expect(JSON.parse(req.body!)).toEqual({ model: 'text-embedding-3-small', input: ['a', 'b'], encoding_format: 'float' });
  });
});

describe('openai adapter: replies', () => {
  const reply = {
    id: 'chatcmpl-1',
    object: 'chat.completion',
    model: 'gpt-4o-mini-2024-07-18',
    choices: [{ index: 0, message: { role: 'assistant', content: 'Hello!' }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 9, completion_tokens: 3, total_tokens: 12 },
  };

  it('reads text, id, model, usage and keeps raw', () => {
    const parsed = adapter.parseChat(res(200, reply));
    expect(parsed).toMatchObject({ id: 'chatcmpl-1', model: 'gpt-4o-mini-2024-07-18', text: 'Hello!', finishReason: 'stop', usage: { inputTokens: 9, outputTokens: 3, totalTokens: 12 } });
    expect(parsed.raw).toEqual(reply);
  });

  it.each([
    ['stop', 'stop'],
    ['length', 'length'],
    ['content_filter', 'content_filter'],
    ['tool_calls', 'tool_calls'],
    ['function_call', 'tool_calls'],
    [null, 'other'],
  ])('maps finish_reason %s to %s', (given, expected) => {
    const body = { ...reply, choices: [{ ...reply.choices[0], finish_reason: given }] };
    expect(adapter.parseChat(res(200, body)).finishReason).toBe(expected);
  });

  it('reads a tool call reply (content null) as empty text', () => {
    const body = { ...reply, choices: [{ index: 0, message: { role: 'assistant', content: null, tool_calls: [] }, finish_reason: 'tool_calls' }] };
    expect(adapter.parseChat(res(200, body))).toMatchObject({ text: '', finishReason: 'tool_calls' });
  });

  it('has null usage when none is reported', () => {
    const { usage: _u, ...rest } = reply;
    expect(adapter.parseChat(res(200, rest)).usage).toBeNull();
  });

  it('puts embeddings back in input order by index', () => {
    const body = {
      object: 'list',
      data: [
        { object: 'embedding', index: 1, embedding: [0.2] },
        { object: 'embedding', index: 0, embedding: [0.1] },
      ],
      model: 'text-embedding-3-small',
      usage: { prompt_tokens: 4, total_tokens: 4 },
    };
    expect(adapter.parseEmbed(res(200, body), 2)).toEqual({ embeddings: [[0.1], [0.2]], usage: { inputTokens: 4, outputTokens: 0, totalTokens: 4 } });
  });

  it.each([
    ['a body that is not JSON', 'upstream <html>'],
    ['a truncated body', '{"id":"x","choices":[{"message":'],
    ['a JSON array', '[]'],
    ['no choices', { id: 'x' }],
    ['empty choices', { id: 'x', choices: [] }],
    ['a choice without message', { choices: [{ finish_reason: 'stop' }] }],
    ['content that is not text', { choices: [{ message: { content: 42 } }] }],
  ])('chat: %s is SB_BAD_RESPONSE', (_name, body) => {
    expect(() => adapter.parseChat(res(200, body))).toThrow(BadResponseError);
  });

  it.each([
    ['fewer vectors than inputs', { data: [{ index: 0, embedding: [1] }] }],
    ['no data', {}],
    ['a missing index', { data: [{ index: 0, embedding: [1] }, { index: 0, embedding: [2] }] }],
    ['an item without a vector', { data: [{ index: 0 }, { index: 1, embedding: [2] }] }],
    ['not JSON', 'nope'],
  ])('embeddings: %s is SB_BAD_RESPONSE', (_name, body) => {
    const err = (() => {
      try {
        adapter.parseEmbed(res(200, body), 2);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(BadResponseError);
    expect((err as BadResponseError).code).toBe('SB_BAD_RESPONSE');
  });
});

describe('openai adapter: errors', () => {
  it.each([
    ['401 invalid_api_key', 401,
      { error: { message: 'Incorrect API key provided: sk-abc***xyz. You can find your API key at https://platform.openai.com/account/api-keys.', type: 'invalid_request_error', param: null, code: 'invalid_api_key' } },
      { providerCode: 'invalid_api_key', quotaExhausted: false }],
    ['429 rate_limit_exceeded', 429,
      { error: { message: 'Rate limit reached for gpt-4o-mini in organization org-x on requests per min (RPM): Limit 3, Used 3, Requested 1.', type: 'requests', param: null, code: 'rate_limit_exceeded' } },
      { providerCode: 'rate_limit_exceeded', quotaExhausted: false }],
    ['429 insufficient_quota (billing: waiting does not help)', 429,
      { error: { message: 'You exceeded your current quota, please check your plan and billing details.', type: 'insufficient_quota', param: null, code: 'insufficient_quota' } },
      { providerCode: 'insufficient_quota', quotaExhausted: true }],
    ['400 with a type and no code', 400,
      { error: { message: "Unsupported parameter: 'max_tokens'", type: 'invalid_request_error', param: 'max_tokens', code: null } },
      { providerCode: 'invalid_request_error', quotaExhausted: false }],
  ])('reads %s', (_name, status, body, expected) => {
    const parsed = adapter.parseError(res(status, body));
    expect(parsed).toMatchObject({ ...expected, retryAfterMs: null, invalidKey: false });
    expect(parsed.message).toBe(body.error.message);
  });

  it.each([['an HTML page', '<html>502 Bad Gateway</html>'], ['an empty body', ''], ['JSON null', 'null'], ['a JSON string', '"oops"']])(
    'never throws on %s',
    (_name, body) => {
      expect(adapter.parseError(res(502, body))).toEqual({ message: 'HTTP 502', providerCode: null, retryAfterMs: null, invalidKey: false, quotaExhausted: false });
    },
  );
});
