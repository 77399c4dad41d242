/**
 * Hostile and malformed requests against the gateway, one table. The gateway runs on "real" keys
 * (the simulator standing in for the four providers at their base URLs) so the keys are secrets the
 * gateway knows, with a bearer token required: every answer, body and headers, is scanned for the
 * keys, the token and stack traces. After the table, the same gateway still serves a normal request.
 */
import { request, type IncomingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type Gateway } from '../../src/gateway/index.js';
import { startSimulator, type Simulator } from '../../src/sim/index.js';

/** Recognisable fake secrets: `SBCANARY` sits in the middle, where a masked key (`sk-pro***4a3b`) never shows it. */
const CANARY = 'SBCANARY';
const TOKEN = `tok-${CANARY}-gateway-7f3a9c`;
const KEYS = {
  OPENAI_API_KEY: `sk-proj-${CANARY}openai0a1b2c3d4e5f`,
  ANTHROPIC_API_KEY: `sk-ant-${CANARY}anthropic9f8e7d6c`,
  GROQ_API_KEY: `gsk_${CANARY}groq5a6b7c8d9e0f1a`,
  GEMINI_API_KEY: `AIza${CANARY}gemini_1234567890abc`,
};
const AUTH = { authorization: `Bearer ${TOKEN}` };
const BODY_TIMEOUT_MS = 300;

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  /** The socket was closed by the server after this answer. */
  closed: boolean;
}

let gw: Gateway;
let sim: Simulator;
const answers: Array<{ row: string; answer: Answer }> = [];
let current = '';

/** One request over a fresh connection (`agent: false`), any method, any body, any headers. */
function send(method: string, path: string, body: string | Buffer | null, headers: Record<string, string | number> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const url = new URL(gw.url);
    let answered = false;
    const req = request({ host: url.hostname, port: url.port, method, path, headers, agent: false }, (res) => {
      answered = true;
      let text = '';
      res.setEncoding('utf8').on('data', (d: string) => (text += d));
      res.on('end', () => {
        const a = { status: res.statusCode ?? 0, headers: res.headers, text, closed: res.headers.connection === 'close' };
        answers.push({ row: current, answer: a });
        resolve(a);
      });
    });
    // Writing a large body the server has already refused can end in EPIPE/ECONNRESET after the answer.
    req.on('error', (e) => !answered && reject(e));
    if (body !== null) req.write(body);
    req.end();
  });
}

const json = (body: unknown, headers: Record<string, string> = {}) =>
  send('POST', '/v1/chat/completions', typeof body === 'string' ? body : JSON.stringify(body), { 'content-type': 'application/json', ...AUTH, ...headers });
const embed = (body: unknown) => send('POST', '/v1/embeddings', JSON.stringify(body), { 'content-type': 'application/json', ...AUTH });

/** A raw exchange over `net` (for what Node's client refuses to send); resolves when the server closes. */
function raw(text: string): Promise<Answer> {
  return new Promise((resolve) => {
    const socket = connect(gw.port, '127.0.0.1');
    let out = '';
    socket.setEncoding('latin1').on('data', (d: string) => (out += d));
    socket.on('error', () => {});
    socket.on('close', () => {
      const head = out.slice(0, Math.max(0, out.indexOf('\r\n\r\n')));
      const [statusLine = '', ...lines] = head.split('\r\n');
      const headers: IncomingHttpHeaders = {};
      for (const l of lines) headers[l.slice(0, l.indexOf(':')).toLowerCase()] = l.slice(l.indexOf(':') + 1).trim();
      const a = { status: Number(/^HTTP\/1\.1 (\d{3})/.exec(statusLine)?.[1] ?? 0), headers, text: out.slice(head.length + 4), closed: true };
      answers.push({ row: current, answer: a });
      resolve(a);
    });
    socket.write(text);
  });
}

const chatBody = (extra: Record<string, unknown> = {}) => JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], ...extra });
/** A raw POST to chat with `extraHeaders` spliced in verbatim (CR, LF and all); `connection: close` so the server ends the exchange. */
const rawChat = (extraHeaders: string, body = chatBody()) =>
  raw(`POST /v1/chat/completions HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer ${TOKEN}\r\ncontent-type: application/json\r\nconnection: close\r\n${extraHeaders}content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);

/** Asserts OpenAI's error shape (and nothing more) and returns the error object. */
function openaiError(a: Answer, status: number, code: string, param?: string | RegExp | null): Record<string, unknown> {
  expect(a.status, a.text.slice(0, 300)).toBe(status);
  expect(String(a.headers['content-type'])).toMatch(/^application\/json/);
  const body = JSON.parse(a.text);
  expect(Object.keys(body)).toEqual(['error']);
  expect(Object.keys(body.error).sort()).toEqual(['code', 'message', 'param', 'type']);
  expect(typeof body.error.message).toBe('string');
  expect(body.error.message.length).toBeGreaterThan(0);
  expect(body.error.type).toBe(status === 401 ? 'authentication_error' : status === 429 ? 'rate_limit_error' : status >= 500 ? 'server_error' : 'invalid_request_error');
  expect(body.error.code).toBe(code);
  if (param instanceof RegExp) expect(body.error.param).toMatch(param);
  else if (param !== undefined) expect(body.error.param).toBe(param);
  return body.error;
}

function completion(a: Answer): { content: string; model: string } {
  expect(a.status, a.text.slice(0, 300)).toBe(200);
  const body = JSON.parse(a.text);
  expect(body.object).toBe('chat.completion');
  return { content: body.choices[0].message.content, model: body.model };
}

type Row = [name: string, run: () => Promise<void>];

const deep = (n: number, open: string, close: string, inner = '') => open.repeat(n) + inner + close.repeat(n);
const LEVELS = 100_000;

const rows: Row[] = [
  // ── the body itself ────────────────────────────────────────────────────────────────────────
  ['invalid JSON', async () => void openaiError(await json('{"model": "gpt-4o-mini", "messages": ['), 400, 'SB_CONFIG', 'body')],
  ['an empty body', async () => void openaiError(await json(''), 400, 'SB_CONFIG', 'body')],
  ['a body of whitespace', async () => void openaiError(await json(' \n\t '), 400, 'SB_CONFIG', 'body')],
  ['JSON null', async () => void openaiError(await json('null'), 400, 'SB_CONFIG', 'body')],
  ['an array instead of an object', async () => void openaiError(await json(`[${chatBody()}]`), 400, 'SB_CONFIG', 'body')],
  ['a JSON string', async () => void openaiError(await json('"gpt-4o-mini"'), 400, 'SB_CONFIG', 'body')],
  ['a form-encoded body', async () => void openaiError(await send('POST', '/v1/chat/completions', 'model=gpt-4o-mini&messages=hi', { 'content-type': 'application/x-www-form-urlencoded', ...AUTH }), 415, 'SB_UNSUPPORTED_MEDIA_TYPE', 'content-type')],
  ['a body over the limit (2 MiB, declared) → 413 and the connection closes', async () => {
    const a = await json(chatBody({ messages: [{ role: 'user', content: 'x'.repeat(2 * 1024 * 1024) }] }));
    openaiError(a, 413, 'SB_BODY_TOO_LARGE', null);
    expect(a.closed).toBe(true);
  }],
  ['a chunked body over the limit (no content-length) → 413', async () => {
    const big = 'a'.repeat(1024 * 1024 + 10);
    const a = await raw(`POST /v1/chat/completions HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer ${TOKEN}\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n${big.length.toString(16)}\r\n${big}\r\n0\r\n\r\n`);
    openaiError(a, 413, 'SB_BODY_TOO_LARGE');
  }],
  ['content-length and transfer-encoding together (request smuggling) → 400', async () => {
    openaiError(await raw(`POST /v1/chat/completions HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer ${TOKEN}\r\ncontent-length: 4\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n`), 400, 'SB_CONFIG');
  }],
  [`${LEVELS} nested arrays as the body → 400`, async () => void openaiError(await json(deep(LEVELS, '[', ']')), 400, 'SB_CONFIG', 'body')],
  [`${LEVELS} nested arrays as a message's content → 400`, async () => {
    // Refused before parsing (src/gateway/body.ts: at most 64 levels), so the field is the body.
    openaiError(await json(`{"model":"gpt-4o-mini","messages":[{"role":"user","content":${deep(LEVELS, '[', ']')}}]}`), 400, 'SB_CONFIG', 'body');
  }],
  [`${LEVELS} nested objects in a pass-through field → 400 or 413, never a crash`, async () => {
    const a = await json(`{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"metadata":${deep(LEVELS, '{"a":', '}', '1')}}`);
    // Refused before any provider is involved (depth limit in src/gateway/body.ts); in the core API a
    // request JSON cannot encode is SB_CONFIG from the dispatcher, never a stray RangeError.
    expect([400, 413], a.text).toContain(a.status);
    openaiError(a, a.status, a.status === 413 ? 'SB_BODY_TOO_LARGE' : 'SB_CONFIG');
  }],
  [`${LEVELS} nested objects in a tool's parameters → 400 or 413`, async () => {
    const tools = `[{"type":"function","function":{"name":"f","parameters":${deep(LEVELS, '{"a":', '}', '1')}}}]`;
    const a = await json(`{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"tools":${tools}}`);
    expect([400, 413], a.text).toContain(a.status);
  }],

  // ── wrong types, field by field ────────────────────────────────────────────────────────────
  ['model missing', async () => void openaiError(await json({ messages: [{ role: 'user', content: 'hi' }] }), 400, 'SB_CONFIG', 'model')],
  ['model a number', async () => void openaiError(await json({ model: 4, messages: [{ role: 'user', content: 'hi' }] }), 400, 'SB_CONFIG', 'model')],
  ['messages a string', async () => void openaiError(await json({ model: 'gpt-4o-mini', messages: 'hi' }), 400, 'SB_CONFIG', 'messages')],
  ['messages: []', async () => void openaiError(await json({ model: 'gpt-4o-mini', messages: [] }), 400, 'SB_CONFIG', 'messages')],
  ['a message that is a string', async () => void openaiError(await json({ model: 'gpt-4o-mini', messages: ['hi'] }), 400, 'SB_CONFIG', 'messages[0]')],
  ['a message without role', async () => void openaiError(await json({ model: 'gpt-4o-mini', messages: [{ content: 'hi' }] }), 400, 'SB_CONFIG', 'messages[0].role')],
  ['a message with an unknown role', async () => void openaiError(await json({ model: 'gpt-4o-mini', messages: [{ role: 'wizard', content: 'hi' }] }), 400, 'SB_CONFIG', 'messages[0].role')],
  ['content a number', async () => void openaiError(await json({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 5 }] }), 400, 'SB_CONFIG', 'messages[0].content')],
  ['temperature as a string (a number in quotes)', async () => void openaiError(await json(chatBody({ temperature: '0.5' })), 400, 'SB_CONFIG', 'temperature')],
  ['max_tokens as a string', async () => void openaiError(await json(chatBody({ max_tokens: '10' })), 400, 'SB_CONFIG', 'max_tokens')],
  ['max_tokens negative', async () => void openaiError(await json(chatBody({ max_tokens: -5 })), 400, 'SB_CONFIG', 'max_tokens')],
  ['max_tokens fractional', async () => void openaiError(await json(chatBody({ max_tokens: 1.5 })), 400, 'SB_CONFIG', 'max_tokens')],
  ['max_completion_tokens zero', async () => void openaiError(await json(chatBody({ max_completion_tokens: 0 })), 400, 'SB_CONFIG', 'max_completion_tokens')],
  ['max_tokens huge (1e308): an integer, so it goes to the provider, whose answer is relayed', async () => {
    // The range is the provider's to check (OpenAI answers 400); the simulator accepts it.
    expect(completion(await json(chatBody({ max_tokens: 1e308 }))).content).toBe('echo: hi');
    expect((sim.stats().providers.openai.recent.at(-1)!.body as Record<string, unknown>).max_tokens).toBe(1e308);
  }],
  ['top_p an array', async () => void openaiError(await json(chatBody({ top_p: [] })), 400, 'SB_CONFIG', 'top_p')],
  ['stop a number', async () => void openaiError(await json(chatBody({ stop: 5 })), 400, 'SB_CONFIG', 'stop')],
  ['stop an array of numbers', async () => void openaiError(await json(chatBody({ stop: [1, 2] })), 400, 'SB_CONFIG', 'stop')],
  ['tools an object', async () => void openaiError(await json(chatBody({ tools: {} })), 400, 'SB_CONFIG', 'tools')],
  ['tool_choice a number', async () => void openaiError(await json(chatBody({ tool_choice: 5 })), 400, 'SB_CONFIG', 'tool_choice')],
  ['response_format a string', async () => void openaiError(await json(chatBody({ response_format: 'json' })), 400, 'SB_CONFIG', 'response_format')],

  // ── streaming with bad fields: a JSON error, never a half-open event stream ─────────────────
  ['stream: "yes"', async () => void openaiError(await json(chatBody({ stream: 'yes' })), 400, 'SB_CONFIG', 'stream')],
  ['stream: 1', async () => void openaiError(await json(chatBody({ stream: 1 })), 400, 'SB_CONFIG', 'stream')],
  ['stream with stream_options a string', async () => void openaiError(await json(chatBody({ stream: true, stream_options: 'x' })), 400, 'SB_CONFIG', 'stream_options')],
  ['stream without messages', async () => void openaiError(await json({ model: 'gpt-4o-mini', stream: true }), 400, 'SB_CONFIG', 'messages')],
  ['stream on anthropic with an untranslatable field', async () => {
    openaiError(await json({ model: 'claude-3-5-haiku-latest', messages: [{ role: 'user', content: 'hi' }], stream: true, logprobs: true }), 400, 'SB_CONFIG', 'logprobs');
  }],

  // ── unknown fields ─────────────────────────────────────────────────────────────────────────
  ['an unknown field on an openai route is passed through verbatim (the provider decides)', async () => {
    expect(completion(await json(chatBody({ frobnicate: { level: 11 } }))).content).toBe('echo: hi');
    expect((sim.stats().providers.openai.recent.at(-1)!.body as Record<string, unknown>).frobnicate).toEqual({ level: 11 });
  }],
  ['an OpenAI-only field with no Anthropic translation → 400 naming it, before any upstream call', async () => {
    const before = sim.stats().providers.anthropic.requests;
    openaiError(await json({ model: 'claude-3-5-haiku-latest', messages: [{ role: 'user', content: 'hi' }], seed: 7 }), 400, 'SB_CONFIG', 'seed');
    openaiError(await json({ model: 'claude-3-5-haiku-latest', messages: [{ role: 'user', content: 'hi' }], n: 2 }), 400, 'SB_CONFIG', 'n');
    expect(sim.stats().providers.anthropic.requests).toBe(before);
  }],
  ['a field OpenAI does not have either goes to Anthropic as one of its own (merged verbatim)', async () => {
    expect(completion(await json({ model: 'claude-3-5-haiku-latest', messages: [{ role: 'user', content: 'hi' }], top_k: 5 })).content).toBe('echo: hi');
    expect((sim.stats().providers.anthropic.recent.at(-1)!.body as Record<string, unknown>).top_k).toBe(5);
  }],
  ['an unknown field on a message → 400 naming it', async () => {
    openaiError(await json({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi', mood: 'grumpy' }] }), 400, 'SB_CONFIG', 'messages[0].mood');
  }],

  // ── models and routing ─────────────────────────────────────────────────────────────────────
  ['an unknown model → 404', async () => void openaiError(await json({ model: 'no-such-model', messages: [{ role: 'user', content: 'hi' }] }), 404, 'SB_CONFIG', 'model')],
  ['a model with an unknown prefix → 404', async () => void openaiError(await json({ model: 'azure/gpt-4o', messages: [{ role: 'user', content: 'hi' }] }), 404, 'SB_CONFIG', 'model')],
  ['a bare provider prefix → 404', async () => void openaiError(await json({ model: 'openai/', messages: [{ role: 'user', content: 'hi' }] }), 404, 'SB_CONFIG', 'model')],
  ['a model id with a path traversal → 404', async () => void openaiError(await send('GET', '/v1/models/..%2F..%2Fetc%2Fpasswd', null, AUTH), 404, 'SB_CONFIG', 'model')],
  ['an absolute-form request target → 404', async () => void openaiError(await raw(`GET http://evil.example/v1/models HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer ${TOKEN}\r\nconnection: close\r\n\r\n`), 404, 'SB_NOT_FOUND')],

  // ── prototype pollution ────────────────────────────────────────────────────────────────────
  ['__proto__ and constructor keys pollute nothing', async () => {
    const a = await json(`{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}}}`);
    expect(completion(a).content).toBe('echo: hi');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((Object.prototype as Record<string, unknown>).polluted).toBeUndefined();
  }],
  ['__proto__ inside a message → 400 naming it', async () => {
    openaiError(await json(`{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi","__proto__":{"role":"system"}}]}`), 400, 'SB_CONFIG', 'messages[0].__proto__');
    expect(({} as Record<string, unknown>).role).toBeUndefined();
  }],
  ['a model named __proto__ or constructor → 404', async () => {
    openaiError(await json({ model: '__proto__', messages: [{ role: 'user', content: 'hi' }] }), 404, 'SB_CONFIG', 'model');
    openaiError(await json({ model: 'constructor', messages: [{ role: 'user', content: 'hi' }] }), 404, 'SB_CONFIG', 'model');
  }],
  ['a routable model named openai/__proto__ is served and reported under its own name', async () => {
    expect(completion(await json({ model: 'openai/__proto__', messages: [{ role: 'user', content: 'hi' }] })).model).toBe('__proto__');
    const report = JSON.parse((await send('GET', '/report', null, AUTH)).text);
    expect(Object.hasOwn(report.providers.openai.models, '__proto__')).toBe(true);
  }],

  // ── characters ─────────────────────────────────────────────────────────────────────────────
  ['unicode, emoji, combining marks and bidi overrides come back intact', async () => {
    const text = 'héllo 👋🏽 世界 \u202egnp.exe \u0301 𝕏';
    expect(completion(await json({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: text }] })).content).toBe(`echo: ${text}`);
  }],
  ['null bytes in content come back intact', async () => {
    expect(completion(await json({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'a\u0000b' }] })).content).toBe('echo: a\u0000b');
  }],
  ['invalid UTF-8 in the body is replaced, not fatal', async () => {
    const bytes = Buffer.concat([Buffer.from('{"model":"gpt-4o-mini","messages":[{"role":"user","content":"a'), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('"}]}')]);
    expect(completion(await send('POST', '/v1/chat/completions', bytes, { 'content-type': 'application/json', ...AUTH })).content).toBe('echo: a\ufffd\ufffd\ufffd');
  }],

  // ── content types and methods ──────────────────────────────────────────────────────────────
  ['JSON sent as text/plain → 415 (a web page can send text/plain cross-origin without a preflight)', async () => {
    void openaiError(await send('POST', '/v1/chat/completions', chatBody(), { 'content-type': 'text/plain', ...AUTH }), 415, 'SB_UNSUPPORTED_MEDIA_TYPE', 'content-type');
  }],
  ['a JSON body with no content-type → 415', async () => {
    void openaiError(await send('POST', '/v1/chat/completions', chatBody(), { ...AUTH }), 415, 'SB_UNSUPPORTED_MEDIA_TYPE', 'content-type');
  }],
  ['GET with a body on a GET route: the body is ignored', async () => {
    const a = await send('GET', '/v1/models', 'ignored body', { 'content-type': 'text/plain', 'content-length': 12, ...AUTH });
    expect(a.status).toBe(200);
    expect(JSON.parse(a.text).object).toBe('list');
  }],
  ['GET with a body on a POST route → 405 with allow', async () => {
    const a = await send('GET', '/v1/chat/completions', chatBody(), { 'content-type': 'application/json', ...AUTH });
    openaiError(a, 405, 'SB_METHOD_NOT_ALLOWED');
    expect(a.headers.allow).toBe('POST');
  }],
  ['DELETE on a POST route → 405', async () => void openaiError(await send('DELETE', '/v1/chat/completions', null, AUTH), 405, 'SB_METHOD_NOT_ALLOWED')],

  // ── embeddings ─────────────────────────────────────────────────────────────────────────────
  ['embeddings: input a number', async () => void openaiError(await embed({ model: 'text-embedding-3-small', input: 5 }), 400, 'SB_CONFIG', 'input')],
  ['embeddings: input []', async () => void openaiError(await embed({ model: 'text-embedding-3-small', input: [] }), 400, 'SB_CONFIG', 'input')],
  ['embeddings: token ids', async () => void openaiError(await embed({ model: 'text-embedding-3-small', input: [1, 2, 3] }), 400, 'SB_CONFIG', 'input')],
  ['embeddings: encoding_format "hex"', async () => void openaiError(await embed({ model: 'text-embedding-3-small', input: 'x', encoding_format: 'hex' }), 400, 'SB_CONFIG', 'encoding_format')],
  ['embeddings: an unknown field', async () => void openaiError(await embed({ model: 'text-embedding-3-small', input: 'x', user: 'u1' }), 400, 'SB_CONFIG', 'user')],
  ['embeddings for a provider without them', async () => void openaiError(await embed({ model: 'claude-3-5-haiku-latest', input: 'x' }), 400, 'SB_CONFIG', 'model')],

  // ── headers ────────────────────────────────────────────────────────────────────────────────
  ['a malformed x-request-id is replaced, never echoed', async () => {
    for (const bad of ['has spaces', 'x'.repeat(129), 'ünïcode', '<script>alert(1)</script>', 'a/b']) {
      const a = await json(chatBody(), { 'x-request-id': bad });
      expect(a.status).toBe(200);
      expect(a.headers['x-request-id']).toMatch(/^req_[0-9a-f]{32}$/);
    }
  }],
  ['CRLF in x-request-id only splits it into separate request headers: nothing is injected in the answer', async () => {
    const a = await rawChat('x-request-id: abc\r\nset-cookie: injected=1\r\n');
    expect(a.status).toBe(200);
    expect(a.headers['x-request-id']).toBe('abc');
    expect(a.headers['set-cookie']).toBeUndefined();
  }],
  ['a bare CR in x-request-id → 400 from the HTTP parser, in the error format', async () => void openaiError(await rawChat('x-request-id: abc\rset-cookie: injected=1\r\n'), 400, 'SB_CONFIG')],
  ['a bare LF in x-request-id → 400', async () => void openaiError(await rawChat('x-request-id: abc\nset-cookie: injected=1\r\n'), 400, 'SB_CONFIG')],
  ['an obs-fold continuation line → 400', async () => void openaiError(await rawChat('x-request-id: abc\r\n set-cookie: injected=1\r\n'), 400, 'SB_CONFIG')],
  ['a NUL in a header value → 400', async () => void openaiError(await rawChat('x-request-id: abc\u0000def\r\n'), 400, 'SB_CONFIG')],
  ['CRLF in x-priority → the extra line is another header; the priority is read as sent', async () => {
    const a = await rawChat('x-priority: low\r\nset-cookie: injected=1\r\n');
    expect(a.status).toBe(200);
    expect(a.headers['set-cookie']).toBeUndefined();
  }],
  ['an encoded CRLF in x-priority → 400 naming the header', async () => void openaiError(await rawChat('x-priority: high%0d%0aset-cookie:%20injected=1\r\n'), 400, 'SB_CONFIG', 'x-priority')],
  ['a bare CR in x-priority → 400', async () => void openaiError(await rawChat('x-priority: high\rset-cookie: injected=1\r\n'), 400, 'SB_CONFIG')],
  ['an unknown x-priority → 400 naming the header', async () => void openaiError(await json(chatBody(), { 'x-priority': 'urgent' }), 400, 'SB_CONFIG', 'x-priority')],
  ['headers over Node\'s 16 KiB → 431 and the socket closes', async () => {
    const a = await rawChat(`x-padding: ${'a'.repeat(20_000)}\r\n`);
    openaiError(a, 431, 'SB_CONFIG');
    expect(a.closed).toBe(true);
  }],

  // ── the token ──────────────────────────────────────────────────────────────────────────────
  ['no token → 401 with www-authenticate on every route but /health', async () => {
    const routes: Array<[string, string]> = [
      ['POST', '/v1/chat/completions'], ['POST', '/v1/embeddings'], ['GET', '/v1/models'], ['GET', '/v1/models/gpt-4o-mini'],
      ['GET', '/report'], ['GET', '/metrics'], ['GET', '/inspect'], ['GET', '/inspect/events'],
    ];
    for (const [method, path] of routes) {
      const a = await send(method, path, method === 'POST' ? chatBody() : null, method === 'POST' ? { 'content-type': 'application/json' } : {});
      openaiError(a, 401, 'SB_UNAUTHORIZED');
      expect(a.headers['www-authenticate'], path).toBe('Bearer realm="switchboard"');
    }
    expect((await send('GET', '/health', null)).status).toBe(200);
  }],
  ['a wrong token, another scheme, or the token in the query → 401', async () => {
    openaiError(await json(chatBody(), { authorization: `Bearer ${TOKEN}x` }), 401, 'SB_UNAUTHORIZED');
    openaiError(await json(chatBody(), { authorization: `Basic ${Buffer.from(`user:${TOKEN}`).toString('base64')}` }), 401, 'SB_UNAUTHORIZED');
    openaiError(await json(chatBody(), { authorization: TOKEN }), 401, 'SB_UNAUTHORIZED');
    openaiError(await send('GET', `/report?token=${TOKEN}`, null), 401, 'SB_UNAUTHORIZED');
  }],

  // ── slow and vanishing clients ─────────────────────────────────────────────────────────────
  ['a slow-loris body → 408 within the body timeout, and the socket closes', async () => {
    const socket = connect(gw.port, '127.0.0.1');
    let out = '';
    socket.setEncoding('latin1').on('data', (d: string) => (out += d));
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    const started = Date.now();
    socket.write(`POST /v1/chat/completions HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer ${TOKEN}\r\ncontent-type: application/json\r\ncontent-length: 10000\r\n\r\n{"model":`);
    // One byte every 20 ms: each arrives well inside any idle timeout, the whole never does.
    const trickle = setInterval(() => socket.writable && socket.write(' '), 20);
    try {
      await closed;
    } finally {
      clearInterval(trickle);
    }
    expect(Date.now() - started).toBeGreaterThanOrEqual(BODY_TIMEOUT_MS - 5);
    expect(Date.now() - started).toBeLessThan(BODY_TIMEOUT_MS + 2_000);
    const a: Answer = { status: Number(out.slice(9, 12)), headers: { 'content-type': 'application/json' }, text: out.slice(out.indexOf('\r\n\r\n') + 4), closed: true };
    answers.push({ row: current, answer: a });
    openaiError(a, 408, 'SB_BODY_TIMEOUT');
  }],
  ['a client that leaves mid-flight: the upstream call is aborted (the provider sees the close)', async () => {
    sim.reset();
    sim.configure({ openai: { script: ['hang'] } });
    const url = new URL(gw.url);
    const body = chatBody();
    const req = request({ host: url.hostname, port: url.port, method: 'POST', path: '/v1/chat/completions', agent: false, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...AUTH } });
    req.on('error', () => {});
    req.end(body);
    await sim.waitForRequests(1);
    req.destroy();
    await sim.waitFor((s) => s.clientClosed === 1);
    await expect.poll(() => gw.router.state().openai!.inFlight).toBe(0);
    sim.reset();
  }],
];

describe('hostile and malformed requests: each gets its status and a clean OpenAI error, and the gateway stays up', () => {
  const crashes: unknown[] = [];
  const onCrash = (e: unknown) => crashes.push(e);

  beforeAll(async () => {
    process.on('unhandledRejection', onCrash);
    process.on('uncaughtException', onCrash);
    sim = await startSimulator({ seed: 11 });
    gw = await startGateway({
      port: 0, inspector: false, token: TOKEN, bodyTimeoutMs: BODY_TIMEOUT_MS,
      env: {
        ...KEYS,
        OPENAI_BASE_URL: sim.urls.openai, ANTHROPIC_BASE_URL: sim.urls.anthropic, GROQ_BASE_URL: sim.urls.groq, GEMINI_BASE_URL: sim.urls.gemini,
      },
      config: { providers: { openai: { retry: { maxRetries: 0 } }, anthropic: { retry: { maxRetries: 0 } }, groq: {}, gemini: {} } },
    });
  });

  afterAll(async () => {
    await gw?.close({ drain: false });
    await sim?.stop();
    process.off('unhandledRejection', onCrash);
    process.off('uncaughtException', onCrash);
  });

  it(`has at least 30 rows (${rows.length})`, () => {
    expect(rows.length).toBeGreaterThanOrEqual(30);
  });

  it.each(rows)('%s', async (name, run) => {
    current = name;
    await run();
  });

  it('never shows a key, the token or a stack trace in any answer, body or headers', () => {
    expect(answers.length).toBeGreaterThan(rows.length);
    const leaks: string[] = [];
    for (const { row, answer } of answers) {
      const text = `${JSON.stringify(answer.headers)}\n${answer.text}`;
      if (text.includes(CANARY)) leaks.push(`${row}: a secret`);
      if (/\n\s+at .+[(:]\d+|node:internal|\/src\/|\.ts:\d+|\.js:\d+:\d+/.test(text)) leaks.push(`${row}: a stack trace`);
    }
    expect(leaks).toEqual([]);
  });

  it('counts requests refused before any provider call the same way in /report, whatever the route', async () => {
    current = 'report counting';
    const report = async () => JSON.parse((await send('GET', '/report', null, AUTH)).text);
    const overall = async () => (await report()).overall.totalRequests as number;
    const attempts = async () => (await report()).providers.anthropic.summary.attempts as number;
    const upstream = sim.stats().requests;
    const a0 = await overall();
    openaiError(await json({ model: 'no-such-model', messages: [{ role: 'user', content: 'hi' }] }), 404, 'SB_CONFIG', 'model');
    const chatRefused = (await overall()) - a0;
    const a1 = await overall();
    openaiError(await embed({ model: 'no-such-model', input: 'hi' }), 404, 'SB_CONFIG', 'model');
    const embedRefused = (await overall()) - a1;
    const t0 = await attempts();
    openaiError(await json({ model: 'claude-3-5-haiku-latest', messages: [{ role: 'user', content: 'hi' }], seed: 7 }), 400, 'SB_CONFIG', 'seed');
    const untranslatableAttempts = (await attempts()) - t0;
    expect(sim.stats().requests).toBe(upstream); // none of them reached a provider
    // One rule: a request refused as invalid before a provider is involved (SB_CONFIG: an unknown
    // model, a field with no translation) is counted nowhere — not in `overall`, not by a provider —
    // and attempts count HTTP calls only.
    expect(embedRefused).toBe(chatRefused);
    expect(untranslatableAttempts).toBe(0);
  });

  it('after the whole table: no crash, no unhandled rejection, and a normal request is served', async () => {
    expect(crashes).toEqual([]);
    current = 'a normal request at the end';
    expect(completion(await json({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'still here?' }] })).content).toBe('echo: still here?');
    expect(completion(await json({ model: 'claude-3-5-haiku-latest', messages: [{ role: 'user', content: 'and here?' }] })).content).toBe('echo: and here?');
    const health = JSON.parse((await send('GET', '/health', null)).text);
    expect(health.status).toBe('ok');
    for (const p of ['openai', 'anthropic', 'groq', 'gemini']) expect(health.providers[p].breaker, p).toBe('closed');
  });
});
