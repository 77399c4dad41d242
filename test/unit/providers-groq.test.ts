import { describe, expect, it } from 'vitest';
import { BadResponseError, ConfigError } from '../../src/errors.js';
import { getAdapter } from '../../src/providers/index.js';
import type { HttpResponse } from '../../src/transport/types.js';

const adapter = getAdapter('groq')!;
const SECRET = 'gsk_TESTSECRET0123456789abcdef';
const ctx = { baseUrl: 'https://api.groq.com', secret: SECRET, requestId: 'req-1' };
const res = (status: number, body: unknown): HttpResponse => ({ status, headers: {}, body: typeof body === 'string' ? body : JSON.stringify(body) });

describe('groq adapter: requests', () => {
  it('has the public endpoint as default base URL and no embeddings', () => {
    expect(adapter.defaultBaseUrl).toBe('https://api.groq.com');
    expect(adapter.supportsEmbeddings).toBe(false);
  });

  it('posts to {base}/openai/v1/chat/completions with bearer auth, the secret only there', () => {
    const req = adapter.buildChat({ model: 'llama-3.1-8b-instant', messages: [{ role: 'user', content: 'Hi' }] }, ctx);
    expect(req.method).toBe('POST');
    expect(req.url).toBe('https://api.groq.com/openai/v1/chat/completions');
    expect(req.headers).toEqual({ 'content-type': 'application/json', authorization: `Bearer ${SECRET}`, 'x-request-id': 'req-1' });
    expect(req.url).not.toContain(SECRET);
    expect(req.body).not.toContain(SECRET);
  });

  it("maps the body in OpenAI's format, model names with a slash kept, extra passed through", () => {
    const body = JSON.parse(
      adapter.buildChat(
        {
          model: 'openai/gpt-oss-20b',
          system: 'Be brief.',
          messages: [{ role: 'user', content: 'Hi' }],
          maxTokens: 32,
          temperature: 0,
          topP: 1,
          stop: ['x'],
          extra: { response_format: { type: 'json_object' } },
        },
        ctx,
      ).body!,
    );
    expect(body).toEqual({
      model: 'openai/gpt-oss-20b',
      messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi' }],
      max_tokens: 32,
      temperature: 0,
      top_p: 1,
      stop: ['x'],
      response_format: { type: 'json_object' },
    });
  });

  it('buildEmbed is SB_CONFIG naming `model`', () => {
    expect(() => adapter.buildEmbed('nomic-embed', ['a'], ctx)).toThrow(ConfigError);
  });
});

describe('groq adapter: replies', () => {
  const reply = {
    id: 'chatcmpl-f51b2cd2-bef7-417e-964e-a08f0b513c22',
    object: 'chat.completion',
    created: 1730241104,
    model: 'llama-3.1-8b-instant',
    choices: [{ index: 0, message: { role: 'assistant', content: 'Hi there' }, logprobs: null, finish_reason: 'length' }],
    usage: { queue_time: 0.037, prompt_tokens: 18, prompt_time: 0.0007, completion_tokens: 7, completion_time: 0.0063, total_tokens: 25, total_time: 0.007 },
    x_groq: { id: 'req_01jbd6g2qdfw2adyrt2az8hz4w' },
  };

  it('reads text, finish reason and usage', () => {
    expect(adapter.parseChat(res(200, reply))).toMatchObject({ id: reply.id, model: 'llama-3.1-8b-instant', text: 'Hi there', finishReason: 'length', usage: { inputTokens: 18, outputTokens: 7, totalTokens: 25 } });
  });

  it.each([['not JSON', 'oops'], ['no choices', { id: 'x' }]])('%s is SB_BAD_RESPONSE', (_n, body) => {
    expect(() => adapter.parseChat(res(200, body))).toThrow(BadResponseError);
  });
});

describe('groq adapter: errors', () => {
  it('reads a per-minute 429 as a rate limit', () => {
    const body = {
      error: {
        message: 'Rate limit reached for model `llama-3.3-70b-versatile` in organization `org_01` service tier `on_demand` on tokens per minute (TPM): Limit 6000, Used 5900, Requested 300. Please try again in 2s.',
        type: 'tokens',
        code: 'rate_limit_exceeded',
      },
    };
    expect(adapter.parseError(res(429, body))).toEqual({ message: body.error.message, providerCode: 'rate_limit_exceeded', retryAfterMs: null, invalidKey: false, quotaExhausted: false });
  });

  it.each([
    ['tokens per day (TPD)', 'tokens'],
    ['requests per day (RPD)', 'requests'],
  ])('reads a 429 on %s as a quota gone for the day', (window, type) => {
    const body = {
      error: {
        message: `Rate limit reached for model \`llama-3.3-70b-versatile\` in organization \`org_01\` service tier \`on_demand\` on ${window}: Limit 100000, Used 99749, Requested 1222. Please try again in 13m59.28s.`,
        type,
        code: 'rate_limit_exceeded',
      },
    };
    expect(adapter.parseError(res(429, body))).toMatchObject({ providerCode: 'rate_limit_exceeded', quotaExhausted: true });
  });

  it('reads 401 invalid_api_key', () => {
    const body = { error: { message: 'Invalid API Key', type: 'invalid_request_error', code: 'invalid_api_key' } };
    expect(adapter.parseError(res(401, body))).toMatchObject({ message: 'Invalid API Key', providerCode: 'invalid_api_key' });
  });

  it('never throws on a body that is not JSON', () => {
    expect(adapter.parseError(res(503, '<html>'))).toEqual({ message: 'HTTP 503', providerCode: null, retryAfterMs: null, invalidKey: false, quotaExhausted: false });
  });
});
