import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestClock } from '../../src/clock.js';
import { startSimulator, type Simulator } from '../../src/sim/index.js';

/** A provider's JSON answer, loosely typed for assertions. */
const json = (r: Response): Promise<any> => r.json();

const clock = createTestClock(Date.parse('2026-01-01T00:00:00Z'));
let sim: Simulator;

const SECRET = 'sk-abcdef1234567890wxyz';
const chat = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
const post = (url: string, headers: Record<string, string>, body: string = chat) => fetch(url, { method: 'POST', headers, body });
const anthropicBody = JSON.stringify({ model: 'claude-3-5-haiku-latest', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] });
const geminiBody = JSON.stringify({ contents: [{ parts: [{ text: 'hi' }] }] });

beforeAll(async () => {
  sim = await startSimulator({ clock, recordLimit: 3 });
});
afterAll(async () => {
  await sim.stop();
});
beforeEach(() => {
  sim.configure({ openai: { invalidKeys: null }, groq: { invalidKeys: null }, anthropic: { invalidKeys: null }, gemini: { invalidKeys: null } });
  sim.reset();
});

describe('invalid and missing keys, in each provider\'s format', () => {
  it('answers OpenAI\'s 401 with the key masked the way OpenAI masks it', async () => {
    sim.configure({ openai: { invalidKeys: [SECRET] } });
    const r = await post(`${sim.urls.openai}/chat/completions`, { authorization: `Bearer ${SECRET}` });
    expect(r.status).toBe(401);
    const text = await r.text();
    expect(text).not.toContain(SECRET);
    expect(JSON.parse(text)).toEqual({
      error: {
        message: 'Incorrect API key provided: sk-abc***wxyz. You can find your API key at https://platform.openai.com/account/api-keys.',
        type: 'invalid_request_error', param: null, code: 'invalid_api_key',
      },
    });
  });

  it('never shows a short key whole', async () => {
    sim.configure({ keys: { 'sk-short': { invalid: true } } });
    const text = await (await post(`${sim.urls.openai}/chat/completions`, { authorization: 'Bearer sk-short' })).text();
    expect(text).not.toContain('sk-short');
    sim.configure({ keys: { 'sk-short': { invalid: null } } });
  });

  it('answers Groq\'s, Anthropic\'s and Gemini\'s invalid-key bodies', async () => {
    sim.configure({ groq: { invalidKeys: ['gsk_bad'] }, anthropic: { invalidKeys: ['ant-bad'] }, gemini: { invalidKeys: ['AIza-bad'] } });
    const g = await post(`${sim.urls.groq}/openai/v1/chat/completions`, { authorization: 'Bearer gsk_bad' });
    expect(g.status).toBe(401);
    expect(await json(g)).toMatchObject({ error: { message: 'Invalid API Key', type: 'invalid_request_error', code: 'invalid_api_key' } });
    const a = await post(`${sim.urls.anthropic}/v1/messages`, { 'x-api-key': 'ant-bad', 'anthropic-version': '2023-06-01' }, anthropicBody);
    expect(a.status).toBe(401);
    expect(await json(a)).toMatchObject({ type: 'error', error: { type: 'authentication_error', message: 'invalid x-api-key' } });
    const m = await post(`${sim.urls.gemini}/v1beta/models/gemini-2.0-flash:generateContent`, { 'x-goog-api-key': 'AIza-bad' }, geminiBody);
    expect(m.status).toBe(400);
    const body = await json(m);
    expect(body.error).toMatchObject({ code: 400, status: 'INVALID_ARGUMENT' });
    expect(body.error.details).toContainEqual(expect.objectContaining({ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID' }));
  });

  it('answers a scripted invalid-key step like a configured one', async () => {
    sim.configure({ gemini: { script: ['invalid-key'] } });
    const m = await post(`${sim.urls.gemini}/v1beta/models/gemini-2.0-flash:generateContent`, { 'x-goog-api-key': 'AIza-ok' }, geminiBody);
    expect(m.status).toBe(400);
    expect(JSON.stringify(await json(m))).toContain('API_KEY_INVALID');
  });

  it('requires each provider\'s credentials and Anthropic\'s version header', async () => {
    expect((await post(`${sim.urls.openai}/chat/completions`, {})).status).toBe(401);
    const a = await post(`${sim.urls.anthropic}/v1/messages`, { 'x-api-key': 'k' }, anthropicBody);
    expect(a.status).toBe(400);
    expect((await json(a)).error.message).toBe('anthropic-version: header is required');
    expect((await post(`${sim.urls.anthropic}/v1/messages`, { 'anthropic-version': '2023-06-01' }, anthropicBody)).status).toBe(401);
    const g = await post(`${sim.urls.gemini}/v1beta/models/gemini-2.0-flash:generateContent`, {}, geminiBody);
    expect(g.status).toBe(403);
    expect((await json(g)).error.status).toBe('PERMISSION_DENIED');
  });

  it('accepts a Gemini key in ?key= but counts it, and masks it in the recorded path', async () => {
    const r = await post(`${sim.urls.gemini}/v1beta/models/gemini-2.0-flash:generateContent?key=AIza-in-url-123456`, {}, geminiBody);
    expect(r.status).toBe(200);
    const s = sim.stats();
    expect(s.keyInUrl).toBe(1);
    expect(s.providers.gemini.keyInUrl).toBe(1);
    expect(s.providers.gemini.recent[0]!.path).toBe('/gemini/v1beta/models/gemini-2.0-flash:generateContent?key=***');
  });
});

describe('routes and request validation', () => {
  it('answers 404 for embeddings on Anthropic and Groq, in their formats', async () => {
    const a = await post(`${sim.urls.anthropic}/v1/embeddings`, { 'x-api-key': 'k', 'anthropic-version': '2023-06-01' }, '{}');
    expect(a.status).toBe(404);
    expect(await json(a)).toMatchObject({ type: 'error', error: { type: 'not_found_error' } });
    const g = await post(`${sim.urls.groq}/openai/v1/embeddings`, { authorization: 'Bearer gsk' }, '{}');
    expect(g.status).toBe(404);
    expect((await json(g)).error.code).toBe('unknown_url');
  });

  it('lists models and rejects bodies that are not JSON', async () => {
    const list = await fetch(`${sim.urls.openai}/models`, { headers: { authorization: 'Bearer sk' } });
    expect(await json(list)).toMatchObject({ object: 'list', data: expect.arrayContaining([expect.objectContaining({ id: 'gpt-4o-mini', object: 'model' })]) });
    const bad = await post(`${sim.urls.openai}/chat/completions`, { authorization: 'Bearer sk' }, '{not json');
    expect(bad.status).toBe(400);
    expect((await json(bad)).error.type).toBe('invalid_request_error');
    const noTokens = await post(`${sim.urls.anthropic}/v1/messages`, { 'x-api-key': 'k', 'anthropic-version': '2023-06-01' }, JSON.stringify({ model: 'c', messages: [{ role: 'user', content: 'x' }] }));
    expect((await json(noTokens)).error.message).toBe('max_tokens: Field required');
  });

  it('answers Gemini embedContent and caps batchEmbedContents at 100 requests', async () => {
    const one = await post(`${sim.urls.gemini}/v1beta/models/text-embedding-004:embedContent`, { 'x-goog-api-key': 'k' }, JSON.stringify({ content: { parts: [{ text: 'x' }] }, outputDimensionality: 4 }));
    expect((await json(one)).embedding.values).toHaveLength(4);
    const requests = Array.from({ length: 101 }, (_, i) => ({ model: 'models/text-embedding-004', content: { parts: [{ text: `t${i}` }] } }));
    const batch = await post(`${sim.urls.gemini}/v1beta/models/text-embedding-004:batchEmbedContents`, { 'x-goog-api-key': 'k' }, JSON.stringify({ requests }));
    expect(batch.status).toBe(400);
    expect((await json(batch)).error.status).toBe('INVALID_ARGUMENT');
  });

  it('answers 404 outside the four provider prefixes', async () => {
    expect((await fetch(`${sim.url}/v1/chat/completions`, { method: 'POST', body: chat })).status).toBe(404);
  });
});

describe('stats and waiting', () => {
  it('records the last N bodies and headers per provider, with secrets masked', async () => {
    for (let i = 0; i < 4; i++) {
      await post(`${sim.urls.openai}/chat/completions`, { authorization: `Bearer ${SECRET}`, 'x-request-id': `req-${i}` });
    }
    const recent = sim.stats().providers.openai.recent;
    expect(recent.map((r) => r.headers['x-request-id'])).toEqual(['req-1', 'req-2', 'req-3']);
    expect(recent[0]!.headers.authorization).toBe('Bearer sk-abc***wxyz');
    expect(recent[0]!.key).toBe(SECRET);
    expect(recent[0]!.body).toMatchObject({ model: 'gpt-4o-mini' });
    expect(JSON.stringify(recent)).not.toContain(`Bearer ${SECRET}`);
  });

  it('counts per provider, per key and per status', async () => {
    sim.configure({ openai: { script: ['500'] } });
    await post(`${sim.urls.openai}/chat/completions`, { authorization: 'Bearer key-one' });
    await post(`${sim.urls.openai}/chat/completions`, { authorization: 'Bearer key-one' });
    await post(`${sim.urls.groq}/openai/v1/chat/completions`, { authorization: 'Bearer key-two' });
    const s = sim.stats();
    expect(s).toMatchObject({ requests: 3, byStatus: { 200: 2, 500: 1 } });
    expect(s.providers.openai).toMatchObject({ requests: 2, byStatus: { 200: 1, 500: 1 } });
    expect(s.providers.groq.requests).toBe(1);
    expect(s.keys['key-one']).toMatchObject({ requests: 2, byStatus: { 200: 1, 500: 1 }, providers: { openai: 2 } });
    expect(s.keys['key-two']).toMatchObject({ requests: 1, providers: { groq: 1 } });
  });

  it('resolves waitForRequests when the requests arrive, and reset() starts the count again', async () => {
    const waiting = sim.waitForRequests(2);
    void post(`${sim.urls.openai}/chat/completions`, { authorization: 'Bearer k' });
    void post(`${sim.urls.anthropic}/v1/messages`, { 'x-api-key': 'k', 'anthropic-version': '2023-06-01' }, anthropicBody);
    const s = await waiting;
    expect(s.requests).toBe(2);
    sim.reset();
    expect(sim.stats().requests).toBe(0);
    expect(sim.stats().providers.openai.recent).toEqual([]);
  });

  it('rejects waitForRequests after its timeout in real time', async () => {
    await expect(sim.waitForRequests(1, 20)).rejects.toThrow(/timed out after 20 ms waiting for 1 requests/);
  });

  it('empties the scripts on reset()', async () => {
    sim.configure({ openai: { script: ['503'] } });
    sim.reset();
    expect((await post(`${sim.urls.openai}/chat/completions`, { authorization: 'Bearer k' })).status).toBe(200);
  });
});
