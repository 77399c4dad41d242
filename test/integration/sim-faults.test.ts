import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestClock } from '../../src/clock.js';
import { startSimulator, type Simulator } from '../../src/sim/index.js';

/** A provider's JSON answer, loosely typed for assertions. */
const json = (r: Response): Promise<any> => r.json();

const clock = createTestClock(Date.parse('2026-01-01T00:00:00Z'));
let sim: Simulator;

const chatBody = (content = 'hello simulated world', extra: Record<string, unknown> = {}) =>
  JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content }], ...extra });

function openaiChat(key = 'sk-test-0000000000000001', body = chatBody(), signal?: AbortSignal): Promise<Response> {
  return fetch(`${sim.urls.openai}/chat/completions`, {
    method: 'POST', body, signal,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'x-request-id': 'test-req-1' },
  });
}

function anthropicStream(): Promise<Response> {
  return fetch(`${sim.urls.anthropic}/v1/messages`, {
    method: 'POST',
    headers: { 'x-api-key': 'sk-ant-0000000000000001', 'anthropic-version': '2023-06-01', 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'claude-3-5-haiku-latest', max_tokens: 100, stream: true, messages: [{ role: 'user', content: 'one two three four' }] }),
  });
}

const events = (text: string) => text.split('\n\n').filter((e) => e.trim() !== '');

beforeAll(async () => {
  sim = await startSimulator({ clock, seed: 3 });
});
afterAll(async () => {
  await sim.stop();
});
beforeEach(() => {
  sim.reset();
  sim.configure({ defaults: { latencyMs: 0, chunkDelayMs: 0, errorRates: null, shouldRetry: null }, openai: { outage: null } });
});

describe('scripted faults, consumed in order', () => {
  it('answers 503, 503, then ok, in OpenAI\'s error format', async () => {
    sim.configure({ openai: { script: ['503', '503', 'ok'] } });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await openaiChat()).status);
    expect(statuses).toEqual([503, 503, 200, 200]);
    sim.configure({ openai: { script: ['500'] } });
    const r = await openaiChat();
    expect(await json(r)).toEqual({ error: { message: expect.any(String), type: 'server_error', param: null, code: null } });
  });

  it('consumes a key\'s script before its provider\'s', async () => {
    sim.configure({ openai: { script: ['500'] }, keys: { 'sk-special-000000000001': { script: ['502'] } } });
    expect((await openaiChat('sk-special-000000000001')).status).toBe(502);
    expect((await openaiChat('sk-special-000000000001')).status).toBe(500);
    expect((await openaiChat('sk-special-000000000001')).status).toBe(200);
  });

  it('resets the connection mid-body: headers arrive, the body fails', async () => {
    sim.configure({ openai: { script: ['reset'] } });
    const r = await openaiChat();
    expect(r.status).toBe(200);
    await expect(r.text()).rejects.toThrow();
    expect(sim.stats().faults.reset).toBe(1);
    expect(sim.stats().clientClosed).toBe(0);
  });

  it('answers 200 with a body that is not JSON for malformed', async () => {
    sim.configure({ openai: { script: ['malformed'] } });
    const r = await openaiChat();
    expect(r.status).toBe(200);
    const text = await r.text();
    expect(() => JSON.parse(text)).toThrow();
  });

  it('answers 200 with JSON cut short and a cleanly ended connection for truncated', async () => {
    sim.configure({ openai: { script: ['truncated'] } });
    const r = await openaiChat();
    const text = await r.text();
    expect(text.startsWith('{"id":"chatcmpl-')).toBe(true);
    expect(() => JSON.parse(text)).toThrow();
    expect(Number(r.headers.get('content-length'))).toBe(Buffer.byteLength(text));
  });

  it('hangs until the client gives up, and sees the connection close', async () => {
    sim.configure({ openai: { script: ['hang'] } });
    const controller = new AbortController();
    const pending = openaiChat(undefined, undefined, controller.signal);
    await sim.waitForRequests(1);
    await clock.tickAsync(600_000);
    controller.abort();
    await expect(pending).rejects.toThrow();
    const s = await sim.waitFor((st) => st.clientClosed === 1);
    expect(s.faults.hang).toBe(1);
    expect(s.byStatus).toEqual({});
  });

  it('adds x-should-retry when a step or the knob asks for it', async () => {
    sim.configure({ openai: { script: [{ status: 503, shouldRetry: false }, '503'], shouldRetry: true } });
    expect((await openaiChat()).headers.get('x-should-retry')).toBe('false');
    expect((await openaiChat()).headers.get('x-should-retry')).toBe('true');
    expect((await openaiChat()).headers.get('x-should-retry')).toBeNull();
  });

  it('announces a scripted 429\'s wait in retry-after and retry-after-ms', async () => {
    sim.configure({ openai: { script: [{ status: 429, retryAfterMs: 2500 }] } });
    const r = await openaiChat();
    expect(r.status).toBe(429);
    expect(r.headers.get('retry-after')).toBe('3');
    expect(r.headers.get('retry-after-ms')).toBe('2500');
    expect(r.headers.get('x-ratelimit-remaining-requests')).toBe('0');
    expect(r.headers.get('x-ratelimit-reset-requests')).toBe('2.5s');
    expect((await json(r)).error.code).toBe('rate_limit_exceeded');
  });

  it('answers Anthropic\'s 529 overloaded_error', async () => {
    sim.configure({ anthropic: { script: ['529'] } });
    const r = await anthropicStream();
    expect(r.status).toBe(529);
    expect(await json(r)).toMatchObject({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } });
  });

  it('rejects an unknown script step at configure time', () => {
    expect(() => sim.configure({ openai: { script: ['explode'] } })).toThrow(/unknown script step "explode"/);
  });
});

describe('mid-stream faults', () => {
  it('resets a stream after N events', async () => {
    sim.configure({ openai: { script: ['stream-reset:2'] } });
    const r = await openaiChat(undefined, chatBody('a b c d e f', { stream: true }));
    expect(r.status).toBe(200);
    const reader = r.body!.getReader();
    let received = '';
    await expect((async () => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        received += new TextDecoder().decode(value);
      }
    })()).rejects.toThrow();
    expect(events(received).filter((e) => e.startsWith('data: {') && e.endsWith('}')).length).toBe(2);
    expect(received).not.toContain('[DONE]');
    expect(sim.stats().streams).toEqual({ started: 1, completed: 0, abortedByClient: 0 });
  });

  it('sends one malformed event then ends the stream', async () => {
    sim.configure({ anthropic: { script: ['stream-malformed:3'] } });
    const text = await (await anthropicStream()).text();
    const datas = events(text).map((e) => e.split('\n').find((l) => l.startsWith('data: '))!.slice(6));
    expect(datas).toHaveLength(4);
    expect(() => datas.slice(0, 3).forEach((d) => JSON.parse(d))).not.toThrow();
    expect(() => JSON.parse(datas[3]!)).toThrow();
  });

  it('cuts the last event of a stream in half for truncated, and ends cleanly', async () => {
    sim.configure({ openai: { script: ['truncated'] } });
    const text = await (await openaiChat(undefined, chatBody('p q r', { stream: true }))).text();
    expect(text).not.toContain('[DONE]');
    expect(text).toContain('chat.completion.chunk');
    expect(sim.stats().faults.truncated).toBe(1);
  });

  it('streams Gemini without alt=sse as one JSON array', async () => {
    const r = await fetch(`${sim.urls.gemini}/v1beta/models/gemini-2.0-flash:streamGenerateContent`, {
      method: 'POST', headers: { 'x-goog-api-key': 'AIza-k' }, body: JSON.stringify({ contents: [{ parts: [{ text: 'a b c' }] }] }),
    });
    const chunks = (await json(r)) as Array<{ candidates: Array<{ content: { parts: Array<{ text: string }> } }> }>;
    expect(chunks.map((c) => c.candidates[0]!.content.parts[0]!.text).join('')).toBe('echo: a b c');
  });

  it('hangs a stream after N events and sees the client abort it', async () => {
    sim.configure({ openai: { script: ['stream-hang:1'] } });
    const controller = new AbortController();
    const r = await openaiChat(undefined, chatBody('x y z', { stream: true }), controller.signal);
    const reader = r.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    expect(events(first)).toHaveLength(1);
    controller.abort();
    const s = await sim.waitFor((st) => st.streams.abortedByClient === 1);
    expect(s.streams).toEqual({ started: 1, completed: 0, abortedByClient: 1 });
    expect(s.providers.openai.clientClosed).toBe(1);
  });
});

describe('seeded error rates', () => {
  it('draws the same statuses for the same seed', async () => {
    const run = async () => {
      sim.reset();
      sim.configure({ openai: { errorRates: { 500: 0.3, 503: 0.2 } } });
      const out: number[] = [];
      for (let i = 0; i < 30; i++) out.push((await openaiChat()).status);
      return out;
    };
    const a = await run();
    const b = await run();
    expect(a).toEqual(b);
    expect(new Set(a)).toEqual(new Set([200, 500, 503]));
    sim.configure({ openai: { errorRates: null } });
  });
});

describe('latency and pacing on the injected clock', () => {
  it('answers only once the clock has moved by latencyMs', async () => {
    sim.configure({ openai: { latencyMs: 1000 } });
    let settled = false;
    const pending = openaiChat().then((r) => {
      settled = true;
      return r;
    });
    await sim.waitForRequests(1);
    await clock.tickAsync(999);
    expect(settled).toBe(false);
    await clock.tickAsync(1);
    expect((await pending).status).toBe(200);
    sim.configure({ openai: { latencyMs: null } });
  });

  it('paces stream events chunkDelayMs apart', async () => {
    sim.configure({ anthropic: { chunkDelayMs: 100 } });
    const r = await anthropicStream();
    const reader = r.body!.getReader();
    let text = '';
    const pump = (async () => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        text += new TextDecoder().decode(value);
      }
    })();
    await sim.waitFor((s) => s.streams.started === 1);
    // message_start, content_block_start, ping, 5 deltas ("echo: one two three four"), content_block_stop, message_delta, message_stop
    const frames = 11;
    await clock.tickAsync(100 * (frames - 1) - 1);
    expect(sim.stats().streams.completed).toBe(0);
    await clock.tickAsync(1);
    await sim.waitFor((s) => s.streams.completed === 1);
    await pump;
    expect(events(text)).toHaveLength(frames);
    sim.configure({ anthropic: { chunkDelayMs: null } });
  });

  it('stamps the date header with the clock\'s time', async () => {
    const r = await openaiChat();
    expect(r.headers.get('date')).toBe(new Date(clock.now()).toUTCString());
    expect(sim.stats().providers.openai.recent[0]!.at).toBe(clock.now());
  });
});

describe('stop', () => {
  it('destroys hung sockets and is idempotent', async () => {
    const local = await startSimulator({ clock, openai: { script: ['hang'] } });
    const pending = fetch(`${local.urls.openai}/chat/completions`, { method: 'POST', headers: { authorization: 'Bearer sk-x' }, body: chatBody() });
    await local.waitForRequests(1);
    await Promise.all([local.stop(), local.stop()]);
    await expect(pending).rejects.toThrow();
    await local.stop();
    expect(local.stats().clientClosed).toBe(0);
  });
});
