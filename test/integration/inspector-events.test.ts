import { createServer, get, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestClock, type TestClock } from '../../src/clock.js';
import { createInspector, type Inspector, type InspectorOptions } from '../../src/inspector/index.js';
import { MAX_QUEUED_FRAMES, SseClient } from '../../src/inspector/sse.js';
import { createRouter, type Router } from '../../src/router/index.js';
import { fakeTransport, type Step } from '../support/fake-transport.js';

/** The inspector's HTTP side without a browser: the page's shape, the event stream's protocol and bounds. */
const SECRET = 'sk-events-secret-000000001';

interface Frame { event: string; data: any }
interface Stream { frames: Frame[]; raw: () => string; ended: Promise<void>; waitFor(pred: (f: Frame[]) => boolean, what: string): Promise<Frame[]>; close(): void }

let cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn();
  cleanup = [];
});

async function setup(options: InspectorOptions & { script?: Step[] } = {}) {
  const clock: TestClock = createTestClock();
  const { script, ...inspectorOptions } = options;
  const fake = fakeTransport(clock, { script, keyOf: (s) => (s === SECRET ? 'main' : 'other') });
  const router: Router = createRouter({
    clock,
    random: () => 0.5,
    transport: fake.transport,
    providers: {
      openai: { baseUrl: 'http://127.0.0.1:9/v1', keys: [{ name: 'main', secret: SECRET }], circuitBreaker: { failureThreshold: 1, resetTimeoutMs: 1_000 }, retry: { maxRetries: 2, initialDelayMs: 100 } },
      gemini: { baseUrl: 'http://127.0.0.1:9/gemini', keys: [{ name: 'g1', secret: 'AIza-events-0000000002' }] },
    },
  });
  const inspector: Inspector = createInspector(router, { clock, ...inspectorOptions });
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (req.url === '/inspect') return inspector.page(req, res);
    if (req.url === '/inspect/events') return inspector.events(req, res);
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  cleanup.push(async () => {
    inspector.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await router.stop();
  });
  return { clock, router, inspector, base };
}

/** Opens the event stream and parses frames as they come; `waitFor` is bounded in real time. */
function open(url: string): Promise<Stream> {
  return new Promise((resolve, reject) => {
    const req = get(url, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`status ${res.statusCode}`));
      let text = '';
      let buffer = '';
      const frames: Frame[] = [];
      const waiters = new Set<() => void>();
      const ended = new Promise<void>((done) => res.on('end', done).on('close', done));
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
        buffer += chunk;
        let at: number;
        while ((at = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, at);
          buffer = buffer.slice(at + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event && data !== undefined) frames.push({ event, data: JSON.parse(data) });
        }
        for (const w of [...waiters]) w();
      });
      resolve({
        frames,
        raw: () => text,
        ended,
        close: () => req.destroy(),
        waitFor: (pred, what) =>
          new Promise((ok, fail) => {
            const check = () => {
              if (!pred(frames)) return;
              waiters.delete(check);
              clearTimeout(timer);
              ok(frames);
            };
            const timer = setTimeout(() => (waiters.delete(check), fail(new Error(`no ${what} within 3 s; got ${frames.map((f) => f.event).join(',')}`))), 3_000);
            waiters.add(check);
            check();
          }),
      });
    });
    req.on('error', reject);
  });
}

const transitions = (frames: Frame[]) => frames.filter((f) => f.event === 'transition').map((f) => f.data);

describe('the inspector event stream', () => {
  it('starts with a hello holding every provider, then streams each breaker transition', async () => {
    const { router, base, clock } = await setup();
    const s = await open(`${base}/inspect/events`);
    await s.waitFor((f) => f.some((x) => x.event === 'hello'), 'hello');
    const hello = s.frames[0]!;
    expect(hello.event).toBe('hello');
    expect(Object.keys(hello.data.state.providers).sort()).toEqual(['gemini', 'openai']);
    expect(hello.data.state.providers.openai.breaker).toBe('closed');
    expect(hello.data.state.providers.openai.keys[0]).toMatchObject({ name: 'main', state: 'ready' });

    router.send({ type: 'breaker.force', state: 'open' }, 'openai');
    await s.waitFor((f) => transitions(f).length > 0, 'transition');
    expect(transitions(s.frames)[0]).toEqual({
      provider: 'openai', actor: 'breaker', from: 'closed', to: 'open', at: clock.now(), detail: { failureCount: 0, trips: 0 },
    });
  });

  it('sends the state summary at most once per intervalMs, and only when it changed', async () => {
    const { router, base, clock } = await setup({ intervalMs: 100 });
    const s = await open(`${base}/inspect/events`);
    await s.waitFor((f) => f.length > 0, 'hello');
    const states = () => s.frames.filter((f) => f.event === 'state');
    await clock.tickAsync(100);
    await clock.tickAsync(100);
    expect(states()).toHaveLength(0); // nothing changed since the hello

    router.send({ type: 'breaker.force', state: 'forcedOpen' }, 'gemini');
    router.send({ type: 'breaker.force', state: 'open' }, 'openai');
    router.send({ type: 'breaker.force', state: 'closed' }, 'openai');
    router.send({ type: 'breaker.force', state: 'disabled' }, 'openai');
    await clock.tickAsync(99);
    expect(states()).toHaveLength(0);
    await clock.tickAsync(1);
    await s.waitFor((f) => f.some((x) => x.event === 'state'), 'state');
    await clock.tickAsync(300);
    await clock.flush();
    expect(states()).toHaveLength(1); // four changes, one coalesced summary
    expect(states()[0]!.data.providers.openai.breaker).toBe('disabled');
    expect(states()[0]!.data.providers.gemini.breaker).toBe('forcedOpen');
    expect(transitions(s.frames).map((t) => `${t.provider}:${t.from}>${t.to}`)).toEqual([
      'gemini:closed>forcedOpen', 'openai:closed>open', 'openai:open>closed', 'openai:closed>disabled',
    ]);
  });

  it('follows retry actors from spawn to their final state, with figures but no secret or raw snapshot', async () => {
    const { router, base, clock } = await setup({ script: [503, 200] });
    router.send({ type: 'config.update', config: { circuitBreaker: { failureThreshold: 5 } } }, 'openai');
    const s = await open(`${base}/inspect/events`);
    await s.waitFor((f) => f.length > 0, 'hello');
    const reply = router.chat({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }, { requestId: 'req-7' });
    await clock.flush();
    await clock.tickAsync(20_000);
    await expect(reply).resolves.toMatchObject({ attempts: 2 });
    await s.waitFor((f) => transitions(f).some((t) => t.actor === 'retry:req-7' && t.to === 'succeeded'), 'retry success');
    const retry = transitions(s.frames).filter((t) => t.actor === 'retry:req-7');
    // Spawned in `attempting` (the attempt that failed), then the backoff, the retry, its success.
    expect(retry.map((t) => t.to)).toEqual(['attempting', 'backingOff', 'attempting', 'succeeded']);
    expect(retry[0]).toMatchObject({ provider: 'openai', detail: { retries: 0, reason: expect.any(String) } });
    expect(retry[1]).toMatchObject({ detail: { retries: 1, reason: 'status_503' } });
    expect(retry[0]!.from).toBeUndefined();
    await clock.tickAsync(200);
    await s.waitFor((f) => f.some((x) => x.event === 'state'), 'state');
    const raw = s.raw();
    expect(raw).not.toContain(SECRET);
    expect(raw).not.toContain('AIza-events');
    expect(raw).not.toMatch(/"(context|children|historyValue|_nodes)"/);
  });

  it('reports a key slot replaced by key.add, and one removed by key.remove', async () => {
    const { router, base } = await setup();
    const s = await open(`${base}/inspect/events`);
    await s.waitFor((f) => f.length > 0, 'hello');
    router.send({ type: 'key.add', key: { name: 'extra', secret: 'sk-extra-0000000000003' } }, 'openai');
    router.send({ type: 'key.remove', name: 'extra' }, 'openai');
    await s.waitFor((f) => transitions(f).length >= 2, 'two transitions');
    expect(transitions(s.frames).map((t) => [t.actor, t.from, t.to])).toEqual([['key:extra', undefined, 'ready'], ['key:extra', 'ready', 'removed']]);
    expect(s.raw()).not.toContain('sk-extra');
  });

  it('stops its timers when the last client leaves, and close() ends every stream', async () => {
    const { base, clock, inspector } = await setup({ intervalMs: 100, heartbeatMs: 1_000 });
    const before = clock.pending();
    const a = await open(`${base}/inspect/events`);
    const b = await open(`${base}/inspect/events`);
    await a.waitFor((f) => f.length > 0, 'hello');
    await b.waitFor((f) => f.length > 0, 'hello');
    expect(clock.pending()).toBe(before + 2); // one summary timer, one heartbeat, shared
    await clock.tickAsync(1_000);
    await a.waitFor(() => a.raw().includes(': ping'), 'heartbeat');

    a.close();
    await a.ended;
    await clock.flush();
    inspector.close();
    await b.ended;
    expect(b.frames.at(-1)?.event).toBe('bye');
    expect(clock.pending()).toBe(before);
    const after = await fetch(`${base}/inspect/events`);
    expect(after.status).toBe(503);
    expect((await fetch(`${base}/inspect`)).status).toBe(503);
  });

  it('answers 503 past maxClients and 405 to anything but GET', async () => {
    const { base } = await setup({ maxClients: 1 });
    const a = await open(`${base}/inspect/events`);
    await a.waitFor((f) => f.length > 0, 'hello');
    expect((await fetch(`${base}/inspect/events`)).status).toBe(503);
    expect((await fetch(`${base}/inspect/events`, { method: 'POST' })).status).toBe(405);
    a.close();
  });
});

describe('the inspector page', () => {
  it('is one self-contained document under a strict content security policy', async () => {
    const { base } = await setup();
    const res = await fetch(`${base}/inspect`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("connect-src 'self'");
    const html = await res.text();
    expect(html).not.toMatch(/(src|href)\s*=\s*["']?(https?:)?\/\//i);
    expect(html).not.toMatch(/@import|url\(\s*["']?https?:/i);
    expect(html).not.toContain(SECRET);
    for (const machine of ['supervisor', 'circuitBreaker', 'keySlot', 'batcher', 'retry']) expect(html).toContain(`data-machine="${machine}"`);
    const nonce = /script-src 'nonce-([^']+)'/.exec(csp)![1]!;
    expect(html).toContain(`<script nonce="${nonce}">`);
    const boot = JSON.parse(/<script type="application\/json" id="sb-boot">([\s\S]*?)<\/script>/.exec(html)![1]!);
    expect(boot.state.providers.openai.breaker).toBe('closed');
  });
});

describe('a slow client', () => {
  it('keeps at most MAX_QUEUED_FRAMES transitions, drops the oldest and says how many; summaries coalesce', () => {
    const written: string[] = [];
    let drain: (() => void) | null = null;
    const res = {
      destroyed: false, writableEnded: false,
      write: (text: string) => (written.push(text), false),
      once: (_event: string, fn: () => void) => void (drain = fn),
      end() { this.writableEnded = true; },
    };
    const client = new SseClient(res as unknown as ServerResponse);
    client.transition('event: transition\ndata: 0\n\n');
    client.pump(); // the socket is now full
    for (let i = 1; i <= MAX_QUEUED_FRAMES + 10; i++) client.transition(`event: transition\ndata: ${i}\n\n`);
    client.summary(() => 'event: state\ndata: "old"\n\n', 'old');
    client.summary(() => 'event: state\ndata: "new"\n\n', 'new');
    client.summary(() => 'event: state\ndata: "again"\n\n', 'new');
    client.pump();
    expect(written).toHaveLength(1);
    drain!();
    expect(written).toHaveLength(2);
    const second = written[1]!;
    expect(second.startsWith('event: dropped\ndata: {"count":10}\n\n')).toBe(true);
    expect(second).toContain('data: 11\n');
    expect(second).not.toContain('data: 10\n');
    expect(second).toContain(`data: ${MAX_QUEUED_FRAMES + 10}\n`);
    expect(second).toContain('data: "new"');
    expect(second).not.toContain('"old"');
    expect(second).not.toContain('"again"');
  });
});
