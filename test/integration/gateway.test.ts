import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  AbortedError, AuthError, BadResponseError, CircuitOpenError, ConfigError, NoKeysError, ProviderError, QueueFullError,
  RetriesExhaustedError, ShutdownError, StreamInterruptedError, TimeoutError, UnknownModelError, type SwitchboardError,
} from '../../src/errors.js';
import { startGateway, type Gateway } from '../../src/gateway/index.js';
import { createTestClock } from '../../src/clock.js';
import { createRouter, type Router } from '../../src/router/index.js';
import { startSimulator, type Simulator } from '../../src/sim/index.js';
import { openaiClient } from '../support/gateway.js';

const hello = (model: string, content = 'Hello') => ({ model, messages: [{ role: 'user', content }] });

/** POSTs JSON (or raw text) and returns status, headers and the parsed body. */
async function post(url: string, body: unknown, headers: Record<string, string> = {}, signal?: AbortSignal) {
  const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body), signal });
  const text = await r.text();
  return { status: r.status, headers: r.headers, body: text ? JSON.parse(text) : null };
}

/** Asserts OpenAI's error shape and returns the error object. */
function openaiError(res: { status: number; body: any }, status: number, code: string): any {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(Object.keys(res.body)).toEqual(['error']);
  const e = res.body.error;
  expect(Object.keys(e).sort()).toEqual(['code', 'message', 'param', 'type']);
  expect(e).toMatchObject({ message: expect.any(String), type: expect.any(String), code });
  expect(e.param === null || typeof e.param === 'string').toBe(true);
  return e;
}

describe('the gateway on the embedded simulator: every row of the error table', () => {
  let gw: Gateway;
  let sim: Simulator;
  let chat: string;
  beforeAll(async () => {
    gw = await startGateway({
      port: 0, sim: true, inspector: false, env: {},
      config: {
        providers: {
          openai: { retry: { maxRetries: 0 } },
          anthropic: { retry: { maxRetries: 0 }, circuitBreaker: { failureThreshold: 1, resetTimeoutMs: 30_000 } },
          gemini: { retry: { maxRetries: 0 } },
        },
        gateway: { bodyLimitBytes: 2048 },
      },
    });
    sim = gw.simulator!;
    chat = `${gw.url}/v1/chat/completions`;
  });
  afterAll(() => gw.close());
  beforeEach(() => sim.reset());

  it('400 naming the field: malformed JSON, missing or wrong-typed fields, a bad x-priority', async () => {
    expect(openaiError(await post(chat, '{"model":'), 400, 'SB_CONFIG').param).toBe('body');
    expect(openaiError(await post(chat, { messages: [] }), 400, 'SB_CONFIG').param).toBe('model');
    expect(openaiError(await post(chat, { model: 'gpt-4o-mini', messages: 'hi' }), 400, 'SB_CONFIG').param).toBe('messages');
    expect(openaiError(await post(chat, { ...hello('gpt-4o-mini'), temperature: 'hot' }), 400, 'SB_CONFIG').param).toBe('temperature');
    expect(openaiError(await post(chat, { ...hello('gpt-4o-mini'), max_tokens: 0 }), 400, 'SB_CONFIG').param).toBe('max_tokens');
    const prio = openaiError(await post(chat, hello('gpt-4o-mini'), { 'x-priority': 'urgent' }), 400, 'SB_CONFIG');
    expect(prio.param).toBe('x-priority');
    expect(prio.message).toContain('urgent');
  });

  it('400 naming a field that has no translation on anthropic and gemini, before any upstream call', async () => {
    expect(openaiError(await post(chat, { ...hello('claude-3-5-haiku-latest'), n: 2 }), 400, 'SB_CONFIG').param).toBe('n');
    expect(openaiError(await post(chat, { ...hello('gemini-2.0-flash'), logprobs: true }), 400, 'SB_CONFIG').param).toBe('logprobs');
    const retrieval = { ...hello('claude-3-5-haiku-latest'), tools: [{ type: 'retrieval' }] };
    expect(openaiError(await post(chat, retrieval), 400, 'SB_CONFIG').param).toBe('tools[0].type');
    const audio = { model: 'gemini-2.0-flash', messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }, { type: 'input_audio', input_audio: { data: 'AAAA', format: 'wav' } }] }] };
    expect(openaiError(await post(chat, audio), 400, 'SB_CONFIG').param).toMatch(/^messages\[0\]\.content\[1\]/);
    expect(sim.stats().requests).toBe(0);
  });

  it('joins text-only content parts for anthropic', async () => {
    const parts = { model: 'claude-3-5-haiku-latest', messages: [{ role: 'user', content: [{ type: 'text', text: 'one' }, { type: 'text', text: 'two' }] }] };
    const r = await post(chat, parts);
    expect(r.status).toBe(200);
    expect(r.body.choices[0].message.content).toBe('echo: one\ntwo');
  });

  it('SB_CONFIG on a request is 400 (embeddings for a provider without them); an unknown model or route is 404; a wrong method 405', async () => {
    openaiError(await post(`${gw.url}/v1/embeddings`, { model: 'claude-3-5-haiku-latest', input: 'x' }), 400, 'SB_CONFIG');
    expect(openaiError(await post(chat, hello('no-such-model')), 404, 'SB_CONFIG').param).toBe('model');
    openaiError(await post(`${gw.url}/v1/nothing`, {}), 404, 'SB_NOT_FOUND');
    const r = await fetch(chat);
    expect(r.headers.get('allow')).toBe('POST');
    openaiError({ status: r.status, body: await r.json() }, 405, 'SB_METHOD_NOT_ALLOWED');
  });

  it('413 for a body over the limit', async () => {
    openaiError(await post(chat, hello('gpt-4o-mini', 'x'.repeat(3000))), 413, 'SB_BODY_TOO_LARGE');
  });

  it('SB_PROVIDER keeps the provider status, except 401/403 → 502; SB_RETRIES_EXHAUSTED answers the last upstream status', async () => {
    sim.configure({ openai: { script: ['422', '403', '503', 'malformed', '429'] } });
    openaiError(await post(chat, hello('gpt-4o-mini')), 422, 'SB_PROVIDER');
    openaiError(await post(chat, hello('gpt-4o-mini')), 502, 'SB_PROVIDER');
    openaiError(await post(chat, hello('gpt-4o-mini')), 503, 'SB_RETRIES_EXHAUSTED');
    openaiError(await post(chat, hello('gpt-4o-mini')), 502, 'SB_RETRIES_EXHAUSTED');
    const limited = await post(chat, hello('gpt-4o-mini'));
    openaiError(limited, 429, 'SB_RETRIES_EXHAUSTED');
    expect(limited.headers.get('retry-after')).toBe('1');
  });

  it('SB_CIRCUIT_OPEN → 503 with retry-after from the breaker', async () => {
    sim.configure({ anthropic: { script: ['500'] } });
    openaiError(await post(chat, hello('claude-3-5-haiku-latest')), 500, 'SB_RETRIES_EXHAUSTED');
    const open = await post(chat, hello('claude-3-5-haiku-latest'));
    openaiError(open, 503, 'SB_CIRCUIT_OPEN');
    expect(Number(open.headers.get('retry-after'))).toBeGreaterThan(25);
    expect(Number(open.headers.get('retry-after'))).toBeLessThanOrEqual(30);
  });

  it('SB_QUEUE_FULL → 429 with retry-after; SB_TIMEOUT → 504', async () => {
    // The deadline runs on a test clock: the second POST may take as long as the machine needs.
    const clock = createTestClock();
    const own = await startSimulator({ clock, seed: 1, groq: { script: ['hang'] } });
    const router = createRouter({ clock, providers: { groq: { baseUrl: own.urls.groq, keys: [{ name: 'g1', secret: 'groq-secret-1' }], queue: { size: 0, maxConcurrent: 1 }, deadlineMs: 30_000 } } });
    const g = await startGateway({ port: 0, router, inspector: false, env: {} });
    try {
      const url = `${g.url}/v1/chat/completions`;
      const first = post(url, hello('llama-3.1-8b-instant'));
      await own.waitForRequests(1);
      const full = await post(url, hello('llama-3.1-8b-instant'));
      openaiError(full, 429, 'SB_QUEUE_FULL');
      expect(full.headers.get('retry-after')).toBe('1');
      await clock.tickAsync(30_000);
      openaiError(await first, 504, 'SB_TIMEOUT');
    } finally {
      await g.close({ drain: false });
      await router.stop();
      await own.stop();
    }
  });

  it('SB_AUTH → 503 once every key is rejected, then SB_NO_KEYS → 503', async () => {
    sim.configure({ gemini: { script: ['invalid-key', 'invalid-key'] } });
    openaiError(await post(chat, hello('gemini-2.0-flash')), 503, 'SB_AUTH');
    openaiError(await post(chat, hello('gemini-2.0-flash')), 503, 'SB_NO_KEYS');
    expect(((await (await fetch(`${gw.url}/health`)).json()) as any).providers.gemini.keys.map((k: any) => k.state)).toEqual(['disabled', 'disabled']);
  });
});

describe('the gateway in process', () => {
  let gw: Gateway;
  let sim: Simulator;
  beforeAll(async () => {
    gw = await startGateway({ port: 0, sim: true, inspector: false, env: {}, config: { fallbacks: { 'gpt-4o-mini': ['anthropic/claude-3-5-haiku-latest'] }, providers: { openai: { retry: { maxRetries: 0 } } } } });
    sim = gw.simulator!;
  });
  afterAll(() => gw.close());
  beforeEach(() => sim.reset());

  it('echoes a well-formed x-request-id and sends it upstream; never forwards the client Authorization', async () => {
    const r = await post(`${gw.url}/v1/chat/completions`, hello('gpt-4o-mini'), { 'x-request-id': 'client.id:42', authorization: 'Bearer client-own-secret' });
    expect(r.status).toBe(200);
    expect(r.headers.get('x-request-id')).toBe('client.id:42');
    const seen = sim.stats().providers.openai.recent[0]!;
    expect(seen.headers['x-request-id']).toBe('client.id:42');
    expect(seen.key).toMatch(/^sim-secret-openai-[12]$/);
    expect(JSON.stringify(seen)).not.toContain('client-own-secret');
    const bad = await post(`${gw.url}/v1/chat/completions`, hello('gpt-4o-mini'), { 'x-request-id': 'has spaces and ünïcode' });
    expect(bad.headers.get('x-request-id')).toMatch(/^req_[0-9a-f]{32}$/);
  });

  it('passes fields it does not model through verbatim on openai and groq routes, content parts included', async () => {
    const body = {
      model: 'gpt-4o-mini', seed: 7, user: 'u-1', tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { location: { type: 'string' } }, required: ['location'] } } }],
      messages: [{ role: 'user', content: [{ type: 'text', text: 'weather?' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } }] }],
    };
    const r = await post(`${gw.url}/v1/chat/completions`, body);
    expect(r.status).toBe(200);
    const sent = sim.stats().providers.openai.recent[0]!.body as any;
    expect(sent).toMatchObject({ seed: 7, user: 'u-1', tools: body.tools, messages: body.messages });
    // An OpenAI answer is returned as the provider wrote it: the tool call survives.
    expect(r.body.choices[0].finish_reason).toBe('tool_calls');
    expect(r.body.choices[0].message.tool_calls[0].function.name).toBe('get_weather');
  });

  it('maps max_tokens, temperature, top_p and stop for gemini and names the serving model', async () => {
    const r = await post(`${gw.url}/v1/chat/completions`, { ...hello('gemini/gemini-2.0-flash', 'a long sentence to cut'), max_completion_tokens: 2, temperature: 0.5, top_p: 0.9, stop: 'END' });
    expect(r.body.choices[0].finish_reason).toBe('length');
    expect((sim.stats().providers.gemini.recent[0]!.body as any).generationConfig).toEqual({ maxOutputTokens: 2, temperature: 0.5, topP: 0.9, stopSequences: ['END'] });
  });

  it('answers with fallback_from when the fallback group served the request', async () => {
    sim.configure({ openai: { script: ['503'] } });
    const r = await openaiClient(gw.url).chat.completions.create(hello('gpt-4o-mini', 'fall') as any);
    expect(r.model).toBe('claude-3-5-haiku-latest');
    expect((r as any).fallback_from).toBe('gpt-4o-mini');
    expect(r.choices[0]!.message.content).toBe('echo: fall');
  });

  it('aborts the upstream call when the client disconnects', async () => {
    sim.configure({ openai: { script: ['hang'] } });
    const ac = new AbortController();
    const gone = post(`${gw.url}/v1/chat/completions`, hello('gpt-4o-mini'), {}, ac.signal).catch((e) => e);
    await sim.waitForRequests(1);
    ac.abort();
    await gone;
    await sim.waitFor((s) => s.clientClosed === 1);
    await expect.poll(() => gw.router.state().openai!.inFlight).toBe(0);
  });

  it('lists the known models of the routable providers, and retrieves one', async () => {
    const client = openaiClient(gw.url);
    const list = await client.models.list();
    const owners = new Set(list.data.map((m) => m.owned_by));
    expect([...owners].sort()).toEqual(['anthropic', 'gemini', 'groq', 'openai']);
    expect(list.data.find((m) => m.id === 'claude-3-5-haiku-latest')!.owned_by).toBe('anthropic');
    expect((await client.models.retrieve('groq/openai/gpt-oss-20b')).owned_by).toBe('groq');
    await expect(client.models.retrieve('nope')).rejects.toMatchObject({ status: 404 });
  });

  it('serves /health (names and states only), /report?details=1 and Prometheus /metrics from one registry', async () => {
    await post(`${gw.url}/v1/chat/completions`, hello('gpt-4o-mini'));
    const h: any = await (await fetch(`${gw.url}/health`)).json();
    expect(h.providers.openai).toMatchObject({ breaker: 'closed', keys: [{ name: 'sim-openai-key-1', state: 'ready' }, { name: 'sim-openai-key-2', state: 'ready' }] });
    const report: any = await (await fetch(`${gw.url}/report?details=1`)).json();
    expect(report.overall.totalRequests).toBeGreaterThan(0);
    expect(report.providers.openai.details.recent.length).toBeGreaterThan(0);
    const m = await fetch(`${gw.url}/metrics`);
    expect(m.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await m.text();
    expect(text).toContain('provider="openai"');
    expect(text).toMatch(/switchboard_gateway_http_requests_total\{route="\/v1\/chat\/completions",method="POST",status="200"\} \d+/);
  });

  it('answers 503 SB_SHUTDOWN to a request still in flight when closed without draining', async () => {
    const g = await startGateway({ port: 0, sim: true, inspector: false, env: {} });
    g.simulator!.configure({ openai: { script: ['hang'] } });
    const pending = post(`${g.url}/v1/chat/completions`, hello('gpt-4o-mini'));
    await g.simulator!.waitForRequests(1);
    const closing = g.close({ drain: false });
    openaiError(await pending, 503, 'SB_SHUTDOWN');
    await closing;
  });
});

describe('startGateway with real provider keys (the simulator standing in for the providers)', () => {
  let upstream: Simulator;
  let gw: Gateway;
  const secret = 'sk-test-realmode-0123456789abcdef';
  beforeAll(async () => {
    upstream = await startSimulator();
    gw = await startGateway({ port: 0, inspector: false, env: { OPENAI_API_KEY: secret, OPENAI_BASE_URL: upstream.urls.openai } });
  });
  afterAll(async () => {
    await gw.close();
    await upstream.stop();
  });
  afterEach(() => upstream.reset());

  it('routes only the providers that have keys; the others are 404', async () => {
    expect(gw.simulator).toBeUndefined();
    expect(gw.providers).toEqual(['openai']);
    const client = openaiClient(gw.url);
    expect((await client.chat.completions.create(hello('gpt-4o-mini') as any)).choices[0]!.message.content).toBe('echo: Hello');
    await expect(client.chat.completions.create(hello('claude-3-5-haiku-latest') as any)).rejects.toMatchObject({ status: 404, code: 'SB_CONFIG' });
    expect(new Set((await client.models.list()).data.map((m) => m.owned_by))).toEqual(new Set(['openai']));
    expect(upstream.stats().keys[secret]!.requests).toBe(1);
  });

  it('never shows a secret: not in /health, not in an error', async () => {
    upstream.configure({ openai: { script: ['invalid-key'] } });
    const r = await post(`${gw.url}/v1/chat/completions`, hello('gpt-4o-mini'));
    openaiError(r, 503, 'SB_AUTH');
    expect(JSON.stringify(r.body)).not.toContain(secret);
    const h = await (await fetch(`${gw.url}/health`)).text();
    expect(h).toContain('OPENAI_API_KEY');
    expect(h).not.toContain(secret);
  });
});

describe('startGateway options and configuration', () => {
  it('refuses a non-loopback host without a token', async () => {
    await expect(startGateway({ host: '0.0.0.0', port: 0, sim: true, env: {} })).rejects.toThrow(/refusing to listen on 0\.0\.0\.0 without a token.*SWITCHBOARD_TOKEN/);
  });

  it('validates options and config with the library messages', async () => {
    await expect(startGateway({ prot: 1 } as never)).rejects.toThrow('startGateway: unknown option `prot`; did you mean `port`?');
    await expect(startGateway({ port: 70_000, env: {} })).rejects.toThrow('startGateway: expected `port` to be an integer from 0 to 65535, got 70000 (number)');
    await expect(startGateway({ env: {}, config: { gateway: { prot: 1 } as never } })).rejects.toThrow('startGateway: config: unknown option `gateway.prot`; did you mean `gateway.port`?');
    await expect(startGateway({ env: {}, port: 0, config: { providers: { openai: { queue: { size: -1 } } } } })).rejects.toThrow('createRouter: providers.openai: expected `queue.size` to be an integer >= 0, got -1 (number)');
    await expect(startGateway({ env: {}, config: { providers: { openai: { keys: ['OPENAI_API_KEY_9'] } } } })).rejects.toThrow('`providers.openai.keys[0]` names the environment variable OPENAI_API_KEY_9, which is not set');
    await expect(startGateway({ env: {}, configFile: '/nonexistent/switchboard.json' })).rejects.toThrow(/cannot read the file/);
    await expect(startGateway({ env: {}, headersTimeoutMs: 5_000, requestTimeoutMs: 1_000 })).rejects.toThrow('`headersTimeoutMs` to be <= requestTimeoutMs (1000)');
  });

  it('starts from switchboard.config.example.json with its keys named by variables', async () => {
    const upstream = await startSimulator();
    const file = fileURLToPath(new URL('../../switchboard.config.example.json', import.meta.url));
    const env = { OPENAI_API_KEY: 'sk-ex-1-aaaaaaaaaaaa', OPENAI_API_KEY_2: 'sk-ex-2-bbbbbbbbbbbb', ANTHROPIC_API_KEY: 'sk-ant-ex-cccccccccc', OPENAI_BASE_URL: upstream.urls.openai, ANTHROPIC_BASE_URL: upstream.urls.anthropic };
    const gw = await startGateway({ configFile: file, port: 0, env, inspector: false });
    try {
      expect(gw.providers.sort()).toEqual(['anthropic', 'openai']);
      expect(gw.router.state().openai!.keys.map((k) => k.name)).toEqual(['OPENAI_API_KEY', 'OPENAI_API_KEY_2']);
      const r = await post(`${gw.url}/v1/chat/completions`, hello('gpt-4o-mini'));
      expect(r.status).toBe(200);
    } finally {
      await gw.close();
      await upstream.stop();
    }
  });

  it('mounts an inspector at /inspect and /inspect/events, and finds src/inspector by itself when present', async () => {
    const calls: string[] = [];
    const gw = await startGateway({
      port: 0, sim: true, env: {},
      inspector: () => ({ page: (_q, res) => res.end('page'), events: (_q, res) => res.end('events'), close: () => calls.push('close') }),
    });
    expect(await (await fetch(`${gw.url}/inspect`)).text()).toBe('page');
    expect(await (await fetch(`${gw.url}/inspect/events`)).text()).toBe('events');
    await gw.close();
    expect(calls).toEqual(['close']);
    const auto = await startGateway({ port: 0, sim: true, env: {} });
    expect(auto.inspector).toBe(existsSync(fileURLToPath(new URL('../../src/inspector/index.ts', import.meta.url))));
    if (!auto.inspector) expect((await fetch(`${auto.url}/inspect`)).status).toBe(404);
    await auto.close();
  });
});

describe('the status table, for every SwitchboardError (a stand-in router throws each)', () => {
  const rows: Array<[string, SwitchboardError, number, string | null]> = [
    ['SB_CONFIG', new ConfigError('bad option', 'temperature'), 400, null],
    ['SB_CONFIG (unknown model)', new UnknownModelError('x', 'no'), 404, null],
    ['SB_QUEUE_FULL', new QueueFullError(100, 100), 429, '1'],
    ['SB_CIRCUIT_OPEN', new CircuitOpenError(1_500), 503, '2'],
    ['SB_NO_KEYS', new NoKeysError(), 503, null],
    ['SB_AUTH', new AuthError('KEY_1'), 503, null],
    ['SB_SHUTDOWN', new ShutdownError(), 503, null],
    ['SB_TIMEOUT', new TimeoutError(1_000), 504, null],
    ['SB_BAD_RESPONSE', new BadResponseError('not json', 200), 502, null],
    ['SB_PROVIDER 400', new ProviderError({ status: 400, message: 'bad' }), 400, null],
    ['SB_PROVIDER 401', new ProviderError({ status: 401, message: 'key sk-abcdefghijklmnop is wrong' }), 502, null],
    ['SB_PROVIDER 403', new ProviderError({ status: 403, message: 'region' }), 502, null],
    ['SB_PROVIDER 429', new ProviderError({ status: 429, message: 'slow down', retryAfterMs: 90_000 }), 429, '90'],
    ['SB_RETRIES_EXHAUSTED 529', new RetriesExhaustedError(3, new ProviderError({ status: 529, message: 'overloaded' })), 529, null],
    ['SB_RETRIES_EXHAUSTED 401', new RetriesExhaustedError(3, new ProviderError({ status: 401, message: 'no' })), 502, null],
    ['SB_RETRIES_EXHAUSTED (no status)', new RetriesExhaustedError(3, new Error('reset')), 502, null],
    ['SB_STREAM_INTERRUPTED', new StreamInterruptedError('par'), 502, null],
  ];
  let gw: Gateway;
  let next: unknown;
  beforeAll(async () => {
    const stand = {
      boards: new Map([['openai', {}]]),
      route: (model: string) => ({ provider: 'openai', model, board: {} }),
      chat: async () => {
        throw next;
      },
    };
    gw = await startGateway({ router: stand as unknown as Router, port: 0, inspector: false, env: {} });
  });
  afterAll(() => gw.close());

  it.each(rows)('%s', async (_name, error, status, retryAfter) => {
    next = error;
    const r = await post(`${gw.url}/v1/chat/completions`, hello('gpt-4o-mini'));
    const e = openaiError(r, status, error.code);
    expect(r.headers.get('retry-after')).toBe(retryAfter);
    expect(e.message).not.toMatch(/sk-abcdefghijklmnop/);
  });

  it('an error that is not a SwitchboardError is a 500 that says nothing of it', async () => {
    next = new Error('secret internals');
    const e = openaiError(await post(`${gw.url}/v1/chat/completions`, hello('gpt-4o-mini')), 500, 'SB_INTERNAL');
    expect(e.message).not.toContain('internals');
  });

  it('SB_ABORTED (only ever met once the client has left) maps to 499', async () => {
    next = new AbortedError();
    openaiError(await post(`${gw.url}/v1/chat/completions`, hello('gpt-4o-mini')), 499, 'SB_ABORTED');
  });
});
