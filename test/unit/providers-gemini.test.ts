import { describe, expect, it } from 'vitest';
import { BadResponseError } from '../../src/errors.js';
import { getAdapter } from '../../src/providers/index.js';
import type { HttpResponse } from '../../src/transport/types.js';

const adapter = getAdapter('gemini')!;
const SECRET = 'AIzaSyTESTSECRET0123456789abcdefghij';
const BASE = 'https://generativelanguage.googleapis.com';
const ctx = { baseUrl: BASE, secret: SECRET, requestId: 'req-1' };
const res = (status: number, body: unknown): HttpResponse => ({ status, headers: {}, body: typeof body === 'string' ? body : JSON.stringify(body) });

const reply = {
  candidates: [
    {
      content: { parts: [{ text: 'Hello' }, { text: ', world' }], role: 'model' },
      finishReason: 'STOP',
      avgLogprobs: -0.1,
    },
  ],
  usageMetadata: { promptTokenCount: 8, candidatesTokenCount: 4, totalTokenCount: 12 },
  modelVersion: 'gemini-2.0-flash',
  responseId: 'resp-1',
};

describe('gemini adapter: requests', () => {
  it.each([
    ['gemini-2.0-flash', `${BASE}/v1beta/models/gemini-2.0-flash:generateContent`],
    ['models/gemini-2.0-flash', `${BASE}/v1beta/models/gemini-2.0-flash:generateContent`],
    ['tunedModels/my-model', `${BASE}/v1beta/tunedModels/my-model:generateContent`],
    ['a b?c', `${BASE}/v1beta/models/a%20b%3Fc:generateContent`],
  ])('posts model %j to %s', (model, url) => {
    expect(adapter.buildChat({ model, messages: [{ role: 'user', content: 'Hi' }] }, ctx).url).toBe(url);
  });

  it('sends the key only in x-goog-api-key, never in the URL or the body', () => {
    const req = adapter.buildChat({ model: 'gemini-2.0-flash', messages: [{ role: 'user', content: 'Hi' }] }, ctx);
    expect(req.method).toBe('POST');
    expect(req.headers).toEqual({ 'content-type': 'application/json', 'x-goog-api-key': SECRET, 'x-request-id': 'req-1' });
    expect(req.url).not.toContain(SECRET);
    expect(req.url).not.toContain('key=');
    expect(req.body).not.toContain(SECRET);
    const embed = adapter.buildEmbed('text-embedding-004', ['a'], ctx);
    expect(embed.url).not.toContain(SECRET);
    expect(embed.headers['x-goog-api-key']).toBe(SECRET);
  });

  it('maps turns to user/model parts, system text to systemInstruction, and options to generationConfig', () => {
    const body = JSON.parse(
      adapter.buildChat(
        {
          model: 'gemini-2.0-flash',
          system: 'Be brief.',
          messages: [
            { role: 'system', content: 'Use French.' },
            { role: 'user', content: 'Hi' },
            { role: 'assistant', content: 'Salut' },
            { role: 'user', content: 'Again' },
          ],
          maxTokens: 64,
          temperature: 0.2,
          topP: 0.9,
          stop: ['END'],
          extra: { safetySettings: [{ category: 'HARM_CATEGORY_HARASSMENT', threshold: 'BLOCK_NONE' }] },
        },
        ctx,
      ).body!,
    );
    expect(body).toEqual({
      contents: [
        { role: 'user', parts: [{ text: 'Hi' }] },
        { role: 'model', parts: [{ text: 'Salut' }] },
        { role: 'user', parts: [{ text: 'Again' }] },
      ],
      systemInstruction: { parts: [{ text: 'Be brief.\n\nUse French.' }] },
      generationConfig: { maxOutputTokens: 64, temperature: 0.2, topP: 0.9, stopSequences: ['END'] },
      safetySettings: [{ category: 'HARM_CATEGORY_HARASSMENT', threshold: 'BLOCK_NONE' }],
    });
  });

  it('sends neither systemInstruction nor generationConfig when there is nothing to say', () => {
    expect(JSON.parse(adapter.buildChat({ model: 'm', messages: [{ role: 'user', content: 'Hi' }] }, ctx).body!)).toEqual({
      contents: [{ role: 'user', parts: [{ text: 'Hi' }] }],
    });
  });

  it('adds extra.generationConfig to the mapped options, its own keys winning', () => {
    const body = JSON.parse(
      adapter.buildChat(
        { model: 'm', messages: [], maxTokens: 10, temperature: 1, extra: { generationConfig: { responseMimeType: 'application/json', temperature: 0 } } },
        ctx,
      ).body!,
    );
    expect(body.generationConfig).toEqual({ maxOutputTokens: 10, temperature: 0, responseMimeType: 'application/json' });
  });

  it('posts embeddings to :batchEmbedContents, one request per input, model named models/{model}', () => {
    for (const model of ['text-embedding-004', 'models/text-embedding-004']) {
      const req = adapter.buildEmbed(model, ['a', 'b'], ctx);
      expect(req.url).toBe(`${BASE}/v1beta/models/text-embedding-004:batchEmbedContents`);
      expect(JSON.parse(req.body!)).toEqual({
        requests: [
          { model: 'models/text-embedding-004', content: { parts: [{ text: 'a' }] } },
          { model: 'models/text-embedding-004', content: { parts: [{ text: 'b' }] } },
        ],
      });
    }
    expect(adapter.maxEmbeddingInputs).toBe(100);
    expect(adapter.supportsEmbeddings).toBe(true);
  });
});

describe('gemini adapter: replies', () => {
  it('joins the parts of the first candidate and reads id, model, usage', () => {
    const parsed = adapter.parseChat(res(200, reply));
    expect(parsed).toMatchObject({ id: 'resp-1', model: 'gemini-2.0-flash', text: 'Hello, world', finishReason: 'stop', usage: { inputTokens: 8, outputTokens: 4, totalTokens: 12 } });
    expect(parsed.raw).toEqual(reply);
  });

  it.each([
    ['STOP', 'stop'],
    ['MAX_TOKENS', 'length'],
    ['SAFETY', 'content_filter'],
    ['RECITATION', 'content_filter'],
    ['BLOCKLIST', 'content_filter'],
    ['PROHIBITED_CONTENT', 'content_filter'],
    ['SPII', 'content_filter'],
    ['LANGUAGE', 'other'],
    ['OTHER', 'other'],
    ['MALFORMED_FUNCTION_CALL', 'other'],
    ['FINISH_REASON_UNSPECIFIED', 'other'],
  ])('maps finishReason %s to %s', (given, expected) => {
    const body = { ...reply, candidates: [{ ...reply.candidates[0], finishReason: given }] };
    expect(adapter.parseChat(res(200, body)).finishReason).toBe(expected);
  });

  it('leaves thought summaries out of the text and counts thinking tokens as output', () => {
    const body = {
      ...reply,
      candidates: [{ content: { parts: [{ text: 'pondering', thought: true }, { text: 'Answer' }], role: 'model' }, finishReason: 'STOP' }],
      usageMetadata: { promptTokenCount: 5, candidatesTokenCount: 2, thoughtsTokenCount: 30, totalTokenCount: 37 },
    };
    expect(adapter.parseChat(res(200, body))).toMatchObject({ text: 'Answer', usage: { inputTokens: 5, outputTokens: 32, totalTokens: 37 } });
  });

  it('reads a function call ending in STOP as tool_calls', () => {
    const body = { ...reply, candidates: [{ content: { parts: [{ functionCall: { name: 'f', args: {} } }], role: 'model' }, finishReason: 'STOP' }] };
    expect(adapter.parseChat(res(200, body))).toMatchObject({ text: '', finishReason: 'tool_calls' });
  });

  it('reads a candidate cut by a filter or by MAX_TOKENS with no parts as empty text', () => {
    const filtered = { candidates: [{ finishReason: 'SAFETY', safetyRatings: [] }], usageMetadata: { promptTokenCount: 3, totalTokenCount: 3 } };
    expect(adapter.parseChat(res(200, filtered))).toMatchObject({ text: '', finishReason: 'content_filter', usage: { inputTokens: 3, outputTokens: 0, totalTokens: 3 } });
    const cut = { candidates: [{ content: { role: 'model' }, finishReason: 'MAX_TOKENS' }] };
    expect(adapter.parseChat(res(200, cut))).toMatchObject({ text: '', finishReason: 'length', usage: null });
  });

  it('reads a prompt blocked before generation (no candidates, promptFeedback.blockReason) as content_filter', () => {
    const body = { promptFeedback: { blockReason: 'PROHIBITED_CONTENT' }, usageMetadata: { promptTokenCount: 7, totalTokenCount: 7 } };
    expect(adapter.parseChat(res(200, body))).toMatchObject({ text: '', finishReason: 'content_filter' });
  });

  it('reads embeddings in input order', () => {
    const body = { embeddings: [{ values: [0.1, 0.2] }, { values: [0.3, 0.4] }, { values: [0.5, 0.6] }] };
    expect(adapter.parseEmbed(res(200, body), 3)).toEqual({ embeddings: [[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]], usage: null });
  });

  it.each([
    ['not JSON', 'Service Unavailable'],
    ['truncated', '{"candidates":[{"content":{"parts":[{"text":"Hel'],
    ['no candidates and no block reason', { usageMetadata: {} }],
    ['empty candidates and no block reason', { candidates: [] }],
    ['candidates that is not an array', { candidates: {} }],
    ['a candidate with neither content nor finishReason', { candidates: [{ index: 0 }] }],
    ['parts that is not an array', { candidates: [{ content: { parts: 'x' }, finishReason: 'STOP' }] }],
    ['a part that is not an object', { candidates: [{ content: { parts: ['x'] }, finishReason: 'STOP' }] }],
  ])('chat: %s is SB_BAD_RESPONSE', (_n, body) => {
    expect(() => adapter.parseChat(res(200, body))).toThrow(BadResponseError);
  });

  it.each([
    ['fewer vectors than inputs', { embeddings: [{ values: [1] }] }],
    ['no embeddings', {}],
    ['an item without values', { embeddings: [{ values: [1] }, {}] }],
    ['not JSON', '<html>'],
  ])('embeddings: %s is SB_BAD_RESPONSE', (_n, body) => {
    expect(() => adapter.parseEmbed(res(200, body), 2)).toThrow(BadResponseError);
  });
});

describe('gemini adapter: errors', () => {
  it('reads a per-minute 429: status as providerCode, RetryInfo.retryDelay as the wait, quota not gone', () => {
    const body = {
      error: {
        code: 429,
        message: 'You exceeded your current quota, please check your plan and billing details.',
        status: 'RESOURCE_EXHAUSTED',
        details: [
          {
            '@type': 'type.googleapis.com/google.rpc.QuotaFailure',
            violations: [
              {
                quotaMetric: 'generativelanguage.googleapis.com/generate_content_free_tier_input_token_count',
                quotaId: 'GenerateContentInputTokensPerModelPerMinute-FreeTier',
                quotaDimensions: { location: 'global', model: 'gemini-2.5-flash' },
                quotaValue: '250000',
              },
            ],
          },
          { '@type': 'type.googleapis.com/google.rpc.Help', links: [{ description: 'Learn more about Gemini API quotas', url: 'https://ai.google.dev/gemini-api/docs/rate-limits' }] },
          { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '45.8s' },
        ],
      },
    };
    expect(adapter.parseError(res(429, body))).toEqual({
      message: body.error.message,
      providerCode: 'RESOURCE_EXHAUSTED',
      retryAfterMs: 45_800,
      invalidKey: false,
      quotaExhausted: false,
    });
  });

  it('reads a per-day QuotaFailure as quota exhausted', () => {
    const body = {
      error: {
        code: 429,
        message: 'Quota exceeded for metric: generativelanguage.googleapis.com/generate_content_free_tier_requests, limit: 50',
        status: 'RESOURCE_EXHAUSTED',
        details: [
          {
            '@type': 'type.googleapis.com/google.rpc.QuotaFailure',
            violations: [
              { quotaMetric: 'generativelanguage.googleapis.com/generate_content_free_tier_requests', quotaId: 'GenerateRequestsPerDayPerProjectPerModel-FreeTier', quotaDimensions: { model: 'gemini-2.5-pro', location: 'global' }, quotaValue: '50' },
            ],
          },
          { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '3s' },
        ],
      },
    };
    expect(adapter.parseError(res(429, body))).toMatchObject({ providerCode: 'RESOURCE_EXHAUSTED', retryAfterMs: 3000, quotaExhausted: true, invalidKey: false });
  });

  it('reads a 400 ErrorInfo API_KEY_INVALID as an invalid key', () => {
    const body = {
      error: {
        code: 400,
        message: 'API key not valid. Please pass a valid API key.',
        status: 'INVALID_ARGUMENT',
        details: [
          { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID', domain: 'googleapis.com', metadata: { service: 'generativelanguage.googleapis.com' } },
          { '@type': 'type.googleapis.com/google.rpc.LocalizedMessage', locale: 'en-US', message: 'API key not valid. Please pass a valid API key.' },
        ],
      },
    };
    expect(adapter.parseError(res(400, body))).toEqual({ message: body.error.message, providerCode: 'INVALID_ARGUMENT', retryAfterMs: null, invalidKey: true, quotaExhausted: false });
  });

  it('reads an ordinary 400 INVALID_ARGUMENT as a bad request, not a bad key', () => {
    const body = { error: { code: 400, message: '* GenerateContentRequest.contents: contents is not specified\n', status: 'INVALID_ARGUMENT' } };
    expect(adapter.parseError(res(400, body))).toMatchObject({ providerCode: 'INVALID_ARGUMENT', invalidKey: false });
  });

  it('reads a 503 UNAVAILABLE', () => {
    const body = { error: { code: 503, message: 'The model is overloaded. Please try again later.', status: 'UNAVAILABLE' } };
    expect(adapter.parseError(res(503, body))).toMatchObject({ message: body.error.message, providerCode: 'UNAVAILABLE', retryAfterMs: null });
  });

  it('reads the error when wrapped in an array', () => {
    const body = [{ error: { code: 429, message: 'Resource exhausted.', status: 'RESOURCE_EXHAUSTED' } }];
    expect(adapter.parseError(res(429, body))).toMatchObject({ message: 'Resource exhausted.', providerCode: 'RESOURCE_EXHAUSTED' });
  });

  it.each([
    ['an HTML page', '<html>502</html>'],
    ['an empty body', ''],
    ['details that are not an array', { error: { code: 500, message: 'x', status: 'INTERNAL', details: 'nope' } }],
    ['malformed details', { error: { code: 429, message: 'x', status: 'RESOURCE_EXHAUSTED', details: [null, 3, { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: 'soon' }, { '@type': 'type.googleapis.com/google.rpc.QuotaFailure', violations: [null] }] } }],
  ])('never throws on %s', (_n, body) => {
    expect(() => adapter.parseError(res(500, body))).not.toThrow();
    expect(adapter.parseError(res(500, body))).toMatchObject({ retryAfterMs: null, invalidKey: false, quotaExhausted: false });
  });
});
