/**
 * Crash safety: what a user plugs in (event listeners, a logger, a report sink) may throw, a
 * provider may answer nonsense, and one AbortSignal may be shared by thousands of requests —
 * none of it may stop the supervisor, fail other requests, leave an unhandled rejection or leak
 * a listener.
 */
import { getEventListeners } from 'node:events';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestClock } from '../../src/clock.js';
import { startGateway } from '../../src/gateway/index.js';
import { createRouter } from '../../src/router/index.js';
import { createSupervisor, type Board } from '../../src/supervisor/index.js';
import type { HttpRequest, HttpResponse } from '../../src/transport/types.js';
import type { Logger, SwitchboardEventType } from '../../src/types.js';
import { hi, makeBoard, outcome } from '../support/board.js';

const EVENT_TYPES: SwitchboardEventType[] = [
  'request.queued', 'request.dispatched', 'request.retrying', 'request.settled',
  'breaker.opened', 'breaker.halfOpen', 'breaker.closed',
  'key.cooling', 'key.ready', 'key.exhausted', 'key.disabled',
  'batch.flushed', 'queue.full',
];

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
beforeAll(() => {
  process.on('unhandledRejection', onUnhandled);
});
afterAll(() => {
  process.off('unhandledRejection', onUnhandled);
});

/** One turn of the real event loop: lets Node report a rejection nobody handled. */
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

function throwingLogger() {
  const calls = { debug: 0, info: 0, warn: 0, error: 0 };
  const make = (level: keyof typeof calls) => () => {
    calls[level]++;
    throw new Error(`logger.${level} is broken`);
  };
  const logger: Logger = { debug: make('debug'), info: make('info'), warn: make('warn'), error: make('error') };
  return { logger, calls };
}

/**
 * A scripted run that makes the board emit every DESIGN §7 event: a retry, a 429 (cooling, then
 * ready), a 401 (disabled), a queue that fills, a batch, the breaker forced open, half-open and
 * closed by a probe, a spent quota (exhausted). Returns each request's outcome and the events seen.
 */
async function everyEvent(options: { throwing: boolean; logger?: Logger }) {
  const seen: string[] = [];
  const { board, clock, fake } = makeBoard({
    keyNames: ['a', 'b'],
    queue: { size: 2, maxConcurrent: 2 },
    retry: { maxRetries: 2, initialDelayMs: 0, jitter: 'none' },
    circuitBreaker: { failureThreshold: 5, resetTimeoutMs: 1_000 },
    logger: options.logger,
  });
  for (const type of EVENT_TYPES) {
    board.on(type, () => {
      seen.push(type);
      if (options.throwing) throw new Error(`the ${type} listener is broken`);
    });
  }
  const outcomes: string[] = [];
  const settle = async (p: Promise<unknown>) => {
    const o = await outcome(p);
    outcomes.push(o.ok ? 'ok' : o.code);
  };

  fake.push(503); // retried, then served
  await settle(board.chat(hi('retry')));
  fake.push({ status: 429, headers: { 'retry-after-ms': '100' } }); // cools a key; served by the other
  await settle(board.chat(hi('429')));
  await clock.tickAsync(100); // the cooled key is ready again
  fake.pushFor('b', 401); // key b is revoked: disabled, the request moves to a
  await Promise.all([settle(board.chat(hi('401-1'))), settle(board.chat(hi('401-2')))]);
  // Two in flight, two queued, one refused: the queue fills.
  for (let i = 0; i < 4; i++) fake.push({ status: 200, delayMs: 10 });
  const queued = Array.from({ length: 5 }, (_, i) => settle(board.chat(hi(`queue-${i}`))));
  await clock.tickAsync(10);
  await clock.tickAsync(10);
  await Promise.all(queued);
  await settle(board.embed({ model: 'text-embedding-3-small', input: ['x', 'y'] }, { priority: 'high' })); // a batch flushed at once
  board.send({ type: 'breaker.force', state: 'open' });
  await settle(board.chat(hi('while open')));
  board.send({ type: 'breaker.force', state: 'halfOpen' });
  await settle(board.chat(hi('probe'))); // closes the breaker
  fake.push({ status: 429, body: { error: { message: 'You exceeded your current quota', type: 'insufficient_quota', code: 'insufficient_quota' } } });
  await settle(board.chat(hi('quota'))); // the last key is exhausted
  await board.stop();
  return { outcomes, seen, calls: fake.calls.length };
}

describe('a user listener or logger that throws', () => {
  afterEach(() => {
    expect(unhandled).toEqual([]);
  });

  it('a throwing board.on listener, for every event type, changes no outcome and is reported to the logger', async () => {
    const control = await everyEvent({ throwing: false });
    expect(new Set(control.seen)).toEqual(new Set(EVENT_TYPES));
    const errors: unknown[] = [];
    const logger: Logger = { debug() {}, info() {}, warn() {}, error: (...args: unknown[]) => void errors.push(args) };
    const broken = await everyEvent({ throwing: true, logger });
    expect(broken.outcomes).toEqual(control.outcomes);
    expect(broken.seen).toEqual(control.seen);
    expect(broken.calls).toBe(control.calls);
    expect(errors).toHaveLength(control.seen.length);
    await turn();
  });

  it('a logger that throws at every level, with every listener throwing too, changes no outcome', async () => {
    const control = await everyEvent({ throwing: false });
    const { logger, calls } = throwingLogger();
    const broken = await everyEvent({ throwing: true, logger });
    expect(broken.outcomes).toEqual(control.outcomes);
    expect(broken.seen).toEqual(control.seen);
    expect(calls.error).toBe(control.seen.length);
    await turn();
  });
});

describe('the gateway with a logger that throws', () => {
  const servers = () => process.getActiveResourcesInfo().filter((r) => r === 'TCPServerWrap').length;

  it('either starts, or fails without leaving a server listening', async () => {
    const before = servers();
    const { logger } = throwingLogger();
    const started = await startGateway({ port: 0, sim: true, inspector: false, env: {}, logger }).catch(() => null);
    // A throwing logger is ignored (src/logger.ts safeLogger): the gateway starts, and closes.
    expect(started).not.toBeNull();
    await started?.close();
    // libuv frees a closed server's handle a few turns of the event loop after 'close'.
    for (let i = 0; i < 50 && servers() !== before; i++) await new Promise<void>((r) => setImmediate(r));
    expect(servers()).toBe(before);
  });

  it('still answers a failed request (503) and leaves no unhandled rejection', async () => {
    const boom = () => {
      throw new Error('logger is broken');
    };
    const logger: Logger = { debug() {}, info() {}, warn: boom, error: boom };
    const gw = await startGateway({ port: 0, sim: true, inspector: false, env: {}, logger, config: { providers: { openai: { retry: { maxRetries: 0 } } } } });
    try {
      gw.simulator!.configure({ openai: { script: ['503'] } });
      const answer = await fetch(`${gw.url}/v1/chat/completions`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(hi('x')), signal: AbortSignal.timeout(3_000),
      }).then((r) => r.status, (e: unknown) => `no answer (${String(e)})`);
// The gateway's logger is made safe (src/logger.ts): a throwing warn/error cannot stop the error answer.
      expect(answer).toBe(503);
      await turn();
      expect(unhandled.splice(0).map(String)).toEqual([]);
    } finally {
      unhandled.splice(0);
      await gw.close({ drain: false });
    }
  });
});

describe('scheduled reports (node-cron, six fields: every second) on fake timers', () => {
  const T0 = Date.parse('2026-03-01T12:00:00.000Z');
  let board: Board | null = null;

  afterEach(async () => {
    await board?.stop();
    board = null;
    vi.useRealTimers();
    await turn();
    expect(unhandled.splice(0)).toEqual([]);
  });

  /** Fake timers for node-cron; setImmediate stays real so the event loop still turns. */
  function fakeTime() {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
    vi.setSystemTime(T0);
  }

  /** Three requests answered by the in-process transport, one after the other. */
  async function serves(b: Board): Promise<void> {
    for (let i = 0; i < 3; i++) expect((await b.chat(hi(`between reports ${i}`))).text).toBe(`echo: between reports ${i}`);
  }

  it.each([
    ['throws', () => {
      throw new Error('sink is broken');
    }],
    ['rejects', () => Promise.reject(new Error('sink is broken'))],
  ])('a sink that %s is reported to the logger; reports keep coming and requests keep succeeding', async (_how, sink) => {
    fakeTime();
    const errors: string[] = [];
    const logger: Logger = { debug() {}, info() {}, warn() {}, error: (_o: unknown, msg?: unknown) => void errors.push(String(msg)) };
    const sinkCalls = vi.fn(sink);
    ({ board } = makeBoard({ schedule: { report: '* * * * * *', sink: sinkCalls }, logger }));
    for (let s = 1; s <= 3; s++) {
      await vi.advanceTimersByTimeAsync(1_000);
      expect(sinkCalls).toHaveBeenCalledTimes(s);
      await serves(board);
      await turn();
    }
    expect(errors.filter((m) => m.includes('scheduled report sink failed'))).toHaveLength(3);
  });

  it('with no sink, reports go to logger.info: a logger that throws at every level changes nothing', async () => {
    fakeTime();
    const { logger, calls } = throwingLogger();
    ({ board } = makeBoard({ schedule: { report: '* * * * * *' }, logger }));
    for (let s = 1; s <= 3; s++) {
      await vi.advanceTimersByTimeAsync(1_000);
      expect(calls.info).toBe(s);
      await serves(board);
    }
    // The throwing `info` is swallowed where it is called (src/logger.ts): nothing else is told.
    expect(calls.error).toBe(0);
    await turn();
  });

  it('when the clock jumps (a suspended machine, a blocked loop), node-cron\'s missed-run warning through a throwing logger is harmless', async () => {
    fakeTime();
    const { logger, calls } = throwingLogger();
    const sink = vi.fn();
    ({ board } = makeBoard({ schedule: { report: '* * * * * *', sink }, logger }));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(sink).toHaveBeenCalledTimes(1);
    vi.setSystemTime(Date.now() + 10_000); // the wall clock leaps: the runs in between were missed
    await vi.advanceTimersByTimeAsync(1_000);
    await turn();
    await turn();
    expect(calls.warn).toBeGreaterThan(0);
    await serves(board);
// node-cron's logger is the safe wrapper too: a missed run reported through a throwing logger rejects nothing.
    const rejections = unhandled.splice(0); // reported here, once, rather than again by afterEach
    expect(rejections.map(String)).toEqual([]);
  });
});

describe('provider answers that break the parser fail their own request only', () => {
  const good = (text: string, usage = '{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}') =>
    `{"id":"c","object":"chat.completion","model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":${JSON.stringify(text)}},"finish_reason":"stop"}],"usage":${usage}}`;
  const nest = (n: number, inner: string) => '['.repeat(n) + inner + ']'.repeat(n);
  const BAD: Array<[string, string]> = [
    ['choices a string', '{"choices":"x"}'],
    ['choices empty', '{"choices":[]}'],
    ['choices 100k arrays deep', `{"choices":${nest(100_000, '')}}`],
    ['content an object', '{"choices":[{"message":{"role":"assistant","content":{"text":"hi"}}}]}'],
    ['tool_calls a string', '{"choices":[{"message":{"role":"assistant","content":null,"tool_calls":"call it"}}]}'],
    ['a tool call without a name', '{"choices":[{"message":{"role":"assistant","content":null,"tool_calls":[{"id":"1","function":{}}]}}]}'],
    ['the answer under __proto__', `{"__proto__":${good('hidden')}}`],
    ['a JSON array', '[]'],
    ['a JSON string', '"ok"'],
    ['JSON null', 'null'],
    ['an empty body', ''],
    ['HTML', '<html><body>502 Bad Gateway</body></html>'],
    ['JSON cut short', '{"choices":[{"message":{"role":"assis'],
  ];

  /** A transport answering each request by its text: `bad:<name>` gets that shape, anything else a good answer. */
  function transport(shapes: Record<string, string>) {
    return async (req: HttpRequest): Promise<HttpResponse> => {
      const body = JSON.parse(req.body ?? '{}') as { messages: Array<{ content: string }> };
      const text = body.messages.at(-1)!.content;
      // Answered on a later turn so that the good requests are in flight beside the bad one.
      await new Promise<void>((resolve) => setImmediate(resolve));
      return { status: 200, headers: {}, body: shapes[text] ?? good(`echo: ${text}`) };
    };
  }

  it.each(BAD)('%s: that request fails SB_BAD_RESPONSE (after its retries), the 40 beside it succeed', async (name, body) => {
    const board = createSupervisor({
      provider: 'openai', keys: [{ name: 'k', secret: 'sk-parser-test' }], baseUrl: 'http://127.0.0.1:9/v1',
      transport: transport({ [`bad:${name}`]: body }), retry: { maxRetries: 1, initialDelayMs: 0, jitter: 'none' },
      queue: { size: 100, maxConcurrent: 50 },
    });
    const others = Array.from({ length: 40 }, (_, i) => board.chat(hi(`good ${i}`)));
    const bad = await outcome(board.chat(hi(`bad:${name}`)));
    expect(bad.ok).toBe(false);
    if (!bad.ok) {
      expect(bad.code).toBe('SB_RETRIES_EXHAUSTED');
      expect(bad.error.cause.code).toBe('SB_BAD_RESPONSE');
    }
    const texts = (await Promise.all(others)).map((r) => r.text);
    expect(texts).toEqual(Array.from({ length: 40 }, (_, i) => `echo: good ${i}`));
    expect(board.report().summary).toMatchObject({ totalRequests: 41, succeeded: 40, failed: 1 });
    await board.stop();
    await turn();
    expect(unhandled.splice(0)).toEqual([]);
  });

  it('a huge token count (1e999 → Infinity) neither poisons /report nor breaks the Prometheus text', async () => {
    const board = createSupervisor({
      provider: 'openai', keys: [{ name: 'k', secret: 'sk-parser-test' }], baseUrl: 'http://127.0.0.1:9/v1',
      transport: transport({ huge: good('huge', '{"prompt_tokens":1e999,"completion_tokens":2,"total_tokens":1e999}') }),
    });
    const others = Promise.all(Array.from({ length: 10 }, (_, i) => board.chat(hi(`good ${i}`))));
    const huge = await outcome(board.chat(hi('huge')));
    expect((await others).length).toBe(10);
// A token count that is not a number in 0..2^53 (1e999 parses as Infinity) counts as absent,
// so the reply, the report and the Prometheus text stay finite.
    if (huge.ok) expect(Number.isFinite(huge.value.usage?.inputTokens ?? 0)).toBe(true);
    expect(Number.isFinite(board.report().models['gpt-4o-mini']!.inputTokens)).toBe(true);
    await expect(board.metricsText()).resolves.toContain('provider="openai"');
    await board.stop();
  });

  it('through the gateway: a 200 nested 100k levels deep in a field it passes back answers that request 502, never a crash', async () => {
    const deepAnswer = `{"id":"c","object":"chat.completion","model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}],"system_fingerprint":${nest(100_000, '')}}`;
    const router = createRouter({ providers: { openai: { keys: [{ name: 'k', secret: 'sk-parser-test' }], baseUrl: 'http://127.0.0.1:9/v1', retry: { maxRetries: 0 } } }, transport: transport({ deep: deepAnswer }) });
    const gw = await startGateway({ router, port: 0, inspector: false, env: {} });
    try {
      const post = (content: string) =>
        fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(hi(content)) });
      const others = Promise.all(Array.from({ length: 10 }, (_, i) => post(`good ${i}`).then((r) => r.json() as Promise<any>)));
      const deep = await post('deep');
      const body: any = await deep.json();
      expect((await others).map((b) => b.choices[0].message.content)).toEqual(Array.from({ length: 10 }, (_, i) => `echo: good ${i}`));
// A provider body the gateway cannot re-encode is answered from the unified reply instead (200).
      expect([200, 502]).toContain(deep.status);
      expect(body.error?.code ?? 'ok').not.toBe('SB_INTERNAL');
    } finally {
      await gw.close();
      await router.stop();
    }
  });
});

describe('a first request that hangs on a fresh key', () => {
  it('does not hold back the requests behind it', async () => {
    const released: Array<() => void> = [];
    // A test clock: the probe window passes when the test says so, not when a loaded machine gets to it.
    const clock = createTestClock();
    const b = createSupervisor({
      provider: 'openai', keys: [{ name: 'k', secret: 'sk-hang-test' }], baseUrl: 'http://127.0.0.1:9/v1', clock,
      queue: { size: 100, maxConcurrent: 10 }, // timeoutMs: the default 60 s
      transport: (req, signal) => {
        const text = (JSON.parse(req.body ?? '{}') as { messages: Array<{ content: string }> }).messages[0]!.content;
        if (text !== 'slow') return Promise.resolve({ status: 200, headers: {}, body: `{"choices":[{"index":0,"message":{"role":"assistant","content":"echo: ${text}"},"finish_reason":"stop"}]}` });
        return new Promise((resolve, reject) => {
          signal.addEventListener('abort', () => reject(signal.reason), { once: true });
          released.push(() => resolve({ status: 200, headers: {}, body: '{"choices":[{"index":0,"message":{"role":"assistant","content":"late"},"finish_reason":"stop"}]}' }));
        });
      },
    });
    const slow = b.chat(hi('slow'));
    let done = 0;
    const quick = Array.from({ length: 9 }, (_, i) => b.chat(hi(`quick ${i}`)).then((r) => (done++, r.text)));
    try {
// A fresh key's budget probe holds the key for at most PROBE_WINDOW_MS (1 s): a hung or long first
// request does not stall the requests behind it until its attempt timeout.
      await clock.tickAsync(1_000);
      await vi.waitFor(() => expect(done).toBe(9), { timeout: 5_000, interval: 5 });
      expect(await Promise.all(quick)).toEqual(Array.from({ length: 9 }, (_, i) => `echo: quick ${i}`));
    } finally {
      for (const r of released) r();
      await Promise.allSettled([slow, ...quick]);
      await b.stop();
    }
  });
});

describe('one AbortSignal shared by thousands of requests', () => {
  const COUNT = 5_000;

  /** A board whose transport answers at once, except for texts starting with `hold`, answered only when aborted. */
  function board(maxConcurrent: number): Board {
    return createSupervisor({
      provider: 'openai', keys: [{ name: 'k', secret: 'sk-signal-test' }], baseUrl: 'http://127.0.0.1:9/v1',
      queue: { size: COUNT, maxConcurrent },
      batching: { maxBatchSize: 10, batchTimeoutMs: 5 },
      transport: (req, signal) => {
        const body = JSON.parse(req.body ?? '{}') as { messages?: Array<{ content: string }>; input?: string[] };
        if (body.input) {
          const data = body.input.map((_, index) => ({ object: 'embedding', index, embedding: [index] }));
          return Promise.resolve({ status: 200, headers: {}, body: JSON.stringify({ object: 'list', data, usage: { prompt_tokens: 1, total_tokens: 1 } }) });
        }
        const text = body.messages!.at(-1)!.content;
        if (!text.startsWith('hold')) {
          return Promise.resolve({ status: 200, headers: {}, body: `{"choices":[{"index":0,"message":{"role":"assistant","content":"echo: ${text}"},"finish_reason":"stop"}]}` });
        }
        return new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));
      },
    });
  }

  it(`leaves no abort listener behind once ${COUNT} requests (chat and batched embeddings) have settled`, async () => {
    const b = board(100);
    const shared = new AbortController();
    try {
      const all = Array.from({ length: COUNT }, (_, i) =>
        i % 5 === 0
          ? b.embed({ model: 'text-embedding-3-small', input: `e${i}` }, { signal: shared.signal })
          : b.chat(hi(`r${i}`), { signal: shared.signal }),
      );
      expect(getEventListeners(shared.signal, 'abort').length).toBeGreaterThan(0);
      const settled = await Promise.allSettled(all);
      expect(settled.filter((s) => s.status === 'rejected')).toEqual([]);
      expect(getEventListeners(shared.signal, 'abort')).toHaveLength(0);
      expect(b.report().summary).toMatchObject({ totalRequests: COUNT, succeeded: COUNT });
    } finally {
      await b.stop();
    }
  });

  it('sharing it does not make Node warn of a listener leak', async () => {
    const b = board(100);
    const shared = new AbortController();
    const warnings: string[] = [];
    const onWarning = (w: Error) => void warnings.push(`${w.name}: ${w.message}`);
    process.on('warning', onWarning);
    try {
      await Promise.all(Array.from({ length: 20 }, (_, i) => b.chat(hi(`r${i}`), { signal: shared.signal })));
      await turn();
      // One listener per signal fans out to its requests, so sharing it never trips Node's
      // MaxListenersExceededWarning.
      expect(warnings.filter((w) => w.startsWith('MaxListenersExceededWarning'))).toEqual([]);
    } finally {
      process.off('warning', onWarning);
      await b.stop();
    }
  });

  it('aborting it rejects only the requests still pending (in flight or queued), and leaves no listener', async () => {
    const b = board(50);
    // A first answer lets the key take more than one request at a time (see the next describe).
    expect((await b.chat(hi('first'))).text).toBe('echo: first');
    const shared = new AbortController();
    // Every 100th request hangs: 50 of them fill every slot, so the rest of the queue waits behind them.
    const all = Array.from({ length: COUNT }, (_, i) => outcome(b.chat(hi(i % 100 === 0 ? `hold ${i}` : `r${i}`), { signal: shared.signal })));
    // Steady state: the 50 hung requests hold every slot; the 99 after the last of them wait in the queue.
    await vi.waitFor(() => expect(b.state()).toMatchObject({ inFlight: 50, queue: { depth: COUNT - 4_901 } }), { timeout: 5_000, interval: 1 });
    const pending = b.state().inFlight + b.state().queue.depth;
    // One listener for the signal however many requests share it (src/supervisor/signals.ts).
    expect(getEventListeners(shared.signal, 'abort')).toHaveLength(1);
    shared.abort(new Error('the caller gave up'));
    const outcomes = await Promise.all(all);
    const rejected = outcomes.filter((o) => !o.ok);
    expect(rejected).toHaveLength(pending);
    expect(new Set(rejected.map((o) => (o.ok ? 'ok' : o.code)))).toEqual(new Set(['SB_ABORTED']));
    expect(outcomes.filter((o) => o.ok)).toHaveLength(COUNT - pending);
    expect(b.report()).toMatchObject({ summary: { totalRequests: COUNT + 1, succeeded: COUNT + 1 - pending, failed: pending }, errors: { SB_ABORTED: pending } });
    expect(getEventListeners(shared.signal, 'abort')).toHaveLength(0);
    expect(b.state()).toMatchObject({ inFlight: 0, queue: { depth: 0 } });
    // A request given the already-aborted signal is refused at admission.
    expect((await outcome(b.chat(hi('late'), { signal: shared.signal }))).ok).toBe(false);
    await b.stop();
  });
});
