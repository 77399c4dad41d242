import { mkdtempSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { health, openaiClient, startGatewayProcess, waitUntil, type GatewayProcess } from '../support/gateway.js';

const hello = (model: string, content = 'Hello') => ({ model, messages: [{ role: 'user' as const, content }] });

describe('switchboard serve --sim (a process)', () => {
  let gw: GatewayProcess;
  beforeAll(async () => {
    gw = await startGatewayProcess(['--sim', '--port', '0', '--headers-timeout', '300', '--request-timeout', '600']);
    await gw.waitForLine(/Press Ctrl-C/);
  });
  afterAll(async () => {
    expect(await gw.stop()).toBe(0);
  });

  it('says where it listens, that it runs on the simulator, a curl to paste and the SDK baseURL', () => {
    expect(gw.lines[0]).toMatch(/^Switchboard gateway listening on http:\/\/127\.0\.0\.1:\d+ \(simulator mode\)$/);
    const head = gw.lines.slice(0, 6).join('\n');
    expect(head).toContain('simulator');
    expect(head).toContain(`curl ${gw.url}/v1/chat/completions -H 'content-type: application/json' -d '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hello"}]}'`);
    expect(head).toContain(`baseURL: '${gw.url}/v1'`);
  });

  it('answers chat through the openai SDK for a model of each of the four providers', async () => {
    const client = openaiClient(gw.url);
    for (const [model, provider] of [
      ['gpt-4o-mini', 'openai'], ['claude-3-5-haiku-latest', 'anthropic'], ['llama-3.1-8b-instant', 'groq'], ['gemini-2.0-flash', 'gemini'],
    ] as const) {
      const { data, response } = await client.chat.completions.create(hello(model, `hi ${provider}`)).withResponse();
      expect(data.object).toBe('chat.completion');
      expect(data.choices[0]!.message).toMatchObject({ role: 'assistant', content: `echo: hi ${provider}` });
      expect(data.choices[0]!.finish_reason).toBe('stop');
      expect(data.model).toBe(model);
      expect(data.usage!.total_tokens).toBe(data.usage!.prompt_tokens + data.usage!.completion_tokens);
      expect(response.headers.get('x-switchboard-provider')).toBe(provider);
      expect(response.headers.get('x-request-id')).toMatch(/^[A-Za-z0-9._:-]+$/);
    }
  });

  it('embeds with the SDK default (base64 float32) and with floats, for openai and gemini', async () => {
    const client = openaiClient(gw.url);
    const [b64, floats, gemini] = await Promise.all([
      client.embeddings.create({ model: 'text-embedding-3-small', input: 'hello' }, { headers: { 'x-priority': 'high' } }),
      client.embeddings.create({ model: 'text-embedding-3-small', input: 'hello', encoding_format: 'float' }, { headers: { 'x-priority': 'high' } }),
      client.embeddings.create({ model: 'gemini/text-embedding-004', input: ['hello', 'world'] }),
    ]);
    expect(b64.data[0]!.embedding).toHaveLength(16);
    b64.data[0]!.embedding.forEach((v, i) => expect(v).toBeCloseTo(floats.data[0]!.embedding[i]!, 6));
    expect(gemini.data.map((d) => d.index)).toEqual([0, 1]);
    // The simulator's vectors depend on the text only: the same text, the same vector.
    gemini.data[0]!.embedding.forEach((v, i) => expect(v).toBeCloseTo(floats.data[0]!.embedding[i]!, 6));
  });

  it('answers a fault scripted through /sim/configure as an OpenAI error with the provider status', async () => {
    const r = await fetch(`${gw.url}/sim/configure`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ openai: { script: ['422'] } }) });
    expect(r.status).toBe(204);
    const err: any = await openaiClient(gw.url).chat.completions.create(hello('gpt-4o-mini')).catch((e) => e);
    expect(err.status).toBe(422);
    expect(err.error).toMatchObject({ code: 'SB_PROVIDER', type: 'invalid_request_error' });
  });

  it('answers 408 in the OpenAI error format and closes the socket when the headers never finish', async () => {
    const { hostname, port } = new URL(gw.url);
    const socket = connect(Number(port), hostname);
    let received = '';
    socket.setEncoding('utf8').on('data', (d: string) => (received += d));
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    const started = Date.now();
    socket.write(`GET /health HTTP/1.1\r\nhost: ${hostname}\r\n`);
    await closed;
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(received).toMatch(/^HTTP\/1\.1 408 /);
    expect(JSON.parse(received.slice(received.indexOf('\r\n\r\n') + 4)).error.type).toBe('invalid_request_error');
  });

  it('answers 408 and closes the socket when a body trickles in slower than the bound', async () => {
    const { hostname, port } = new URL(gw.url);
    const socket = connect(Number(port), hostname);
    let received = '';
    socket.setEncoding('utf8').on('data', (d: string) => (received += d));
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    const started = Date.now();
    socket.write(`POST /v1/chat/completions HTTP/1.1\r\nhost: ${hostname}\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{"model":`);
    // One byte at a time, each write answered only by the server's silence: a slow-loris body.
    const trickle = setInterval(() => socket.writable && socket.write(' '), 50);
    try {
      await closed;
    } finally {
      clearInterval(trickle);
    }
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(received).toMatch(/^HTTP\/1\.1 408 /);
    expect(JSON.parse(received.slice(received.indexOf('\r\n\r\n') + 4)).error.code).toBe('SB_BODY_TIMEOUT');
  });
});

describe('switchboard serve: priorities, tokens, shutdown (processes)', () => {
  it('lets a HIGH request overtake queued LOW ones when the provider is saturated', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sb-gw-'));
    const config = join(dir, 'switchboard.config.json');
    writeFileSync(config, JSON.stringify({ providers: { openai: { queue: { maxConcurrent: 1 } } } }));
    // The first openai request hangs and holds the only slot until its client lets go of it.
    const gw = await startGatewayProcess(['--sim', '--port', '0', '--config', config, '--sim-config', '{"openai":{"script":["hang"]}}']);
    try {
      const client = openaiClient(gw.url);
      const order: string[] = [];
      const send = (label: string, priority: string, signal?: AbortSignal) =>
        client.chat.completions.create(hello('gpt-4o-mini', label), { headers: { 'x-priority': priority }, signal }).then((r) => {
          order.push(label);
          return r.choices[0]!.message.content;
        });
      const blocker = new AbortController();
      const blocked = send('blocker', 'normal', blocker.signal).catch((e) => e);
      await waitUntil(async () => (await health(gw.url)).providers.openai.inFlight === 1, 5_000, 'the blocker in flight');
      const lows = [send('low-1', 'low'), send('low-2', 'low'), send('low-3', 'low')];
      await waitUntil(async () => (await health(gw.url)).providers.openai.queue.depth === 3, 5_000, 'three LOW queued');
      const high = send('high', 'high');
      await waitUntil(async () => (await health(gw.url)).providers.openai.queue.depth === 4, 5_000, 'the HIGH queued');
      blocker.abort();
      expect(await blocked).toBeInstanceOf(Error);
      expect(await Promise.all([high, ...lows])).toEqual(['echo: high', 'echo: low-1', 'echo: low-2', 'echo: low-3']);
      expect(order).toEqual(['high', 'low-1', 'low-2', 'low-3']);
    } finally {
      expect(await gw.stop()).toBe(0);
    }
  });

  it('with SWITCHBOARD_TOKEN, requires the bearer token everywhere but /health, and /inspect?token= opens a cookie session', async () => {
    const token = 'tok-process-test-0123456789';
    const gw = await startGatewayProcess(['--sim', '--port', '0'], { SWITCHBOARD_TOKEN: token });
    try {
      await gw.waitForLine(/Press Ctrl-C/);
      expect(gw.lines.slice(0, 6).join('\n')).toContain('authorization: Bearer $SWITCHBOARD_TOKEN');
      expect((await fetch(`${gw.url}/health`)).status).toBe(200);
      const denied: any = await openaiClient(gw.url, { apiKey: 'wrong' }).chat.completions.create(hello('gpt-4o-mini')).catch((e) => e);
      expect(denied.status).toBe(401);
      expect(denied.error.code).toBe('SB_UNAUTHORIZED');
      const ok = await openaiClient(gw.url, { apiKey: token }).chat.completions.create(hello('gpt-4o-mini'));
      expect(ok.choices[0]!.message.content).toBe('echo: Hello');
      expect((await fetch(`${gw.url}/report`)).status).toBe(401);

      const opened = await fetch(`${gw.url}/inspect?token=${token}`, { redirect: 'manual' });
      expect(opened.status).toBe(303);
      expect(opened.headers.get('location')).toBe('/inspect');
      const cookie = opened.headers.get('set-cookie')!;
      expect(cookie).toMatch(/HttpOnly/);
      expect(cookie).toMatch(/SameSite=Strict/);
      expect(cookie).not.toContain(token);
      const session = cookie.split(';')[0]!;
      expect((await fetch(`${gw.url}/report`, { headers: { cookie: session } })).status).toBe(200);
      if (gw.lines.some((l) => l.includes('/inspect'))) {
        // The inspector is in this build: its page and its event stream open with the cookie alone.
        expect((await fetch(`${gw.url}/inspect`, { headers: { cookie: session } })).status).toBe(200);
        const ac = new AbortController();
        const events = await fetch(`${gw.url}/inspect/events`, { headers: { cookie: session }, signal: ac.signal });
        expect(events.status).toBe(200);
        expect(events.headers.get('content-type')).toMatch(/^text\/event-stream/);
        ac.abort();
      }
      // The cookie opens pages and streams (GET), never a provider call.
      const post = await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { cookie: session }, body: JSON.stringify(hello('gpt-4o-mini')) });
      expect(post.status).toBe(401);
      expect((await fetch(`${gw.url}/inspect?token=nope`, { redirect: 'manual' })).status).toBe(401);
    } finally {
      const code = await gw.stop();
      expect(code, gw.lines.join('\n') + gw.stderr()).toBe(0);
    }
  });

  it('on SIGTERM stops accepting, lets the in-flight request finish, and exits 0', async () => {
    // Only the first openai answer is slow: long enough to be caught in flight, and drained.
    const gw = await startGatewayProcess(['--sim', '--port', '0', '--sim-config', '{"openai":{"script":[{"latencyMs":800}]}}']);
    const pending = openaiClient(gw.url).chat.completions.create(hello('gpt-4o-mini', 'still here'));
    await waitUntil(async () => (await health(gw.url)).providers.openai.inFlight === 1, 5_000, 'the request in flight');
    gw.child.kill('SIGTERM');
    await gw.waitForLine(/draining/);
    await expect(fetch(`${gw.url}/health`)).rejects.toThrow();
    expect((await pending).choices[0]!.message.content).toBe('echo: still here');
    expect(await gw.exited).toBe(0);
    expect(gw.lines.at(-1)).toBe('Stopped.');
  });
});
