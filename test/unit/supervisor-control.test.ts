import { describe, expect, it } from 'vitest';
import { hi, makeBoard, outcome } from '../support/board.js';

describe('supervisor: commands, aborts, deadlines, stop', () => {
  it('applies strategy.set to the next dispatch while requests are in flight', async () => {
    const { board, clock, fake } = makeBoard({
      keyNames: ['a', 'b', 'c'],
      respond: (call) => ({ status: 200, delayMs: (call.body.messages as Array<{ content: string }>)[0]!.content === 'fast' ? 10 : 100 }),
    });
    // Each key's first answer tells its budget (until then one request per key probes it).
    for (let i = 0; i < 3; i++) {
      const p = board.chat(hi('fast'));
      await clock.tickAsync(10);
      await p;
    }
    const inFlight = [board.chat(hi('slow')), board.chat(hi('fast')), board.chat(hi('slow'))];
    expect(fake.calls.slice(3).map((c) => c.keyName)).toEqual(['a', 'b', 'c']);
    await clock.tickAsync(10); // b is idle again; round-robin's turn is at a
    board.send({ type: 'strategy.set', strategy: 'least-loaded' });
    expect(board.actor.getSnapshot().context.strategy).toBe('least-loaded');
    const next = board.chat(hi('slow'));
    expect(fake.calls.at(-1)!.keyName).toBe('b');
    board.send({ type: 'strategy.set', strategy: 'round-robin' });
    const after = board.chat(hi('slow'));
    expect(fake.calls.at(-1)!.keyName).toBe('a');
    await clock.tickAsync(100);
    await Promise.all([...inFlight, next, after]);
    await board.stop();
  });

  it('applies config.update to the next dispatch while requests are in flight', async () => {
    const { board, clock, fake } = makeBoard({ queue: { maxConcurrent: 1 }, latencyMs: 100 });
    const warm = board.chat(hi());
    await clock.tickAsync(100);
    await warm;
    const all = Array.from({ length: 4 }, () => board.chat(hi()));
    expect(fake.inFlight).toBe(1);
    board.send({ type: 'config.update', config: { queue: { maxConcurrent: 3 } } });
    expect(fake.inFlight).toBe(3);
    expect(board.state().maxConcurrent).toBe(3);
    await clock.tickAsync(200);
    await Promise.all(all);
    board.send({ type: 'config.update', config: { retry: { maxRetries: 0 } } });
    fake.push(503);
    const failing = outcome(board.chat(hi()));
    await clock.tickAsync(100);
    expect(await failing).toMatchObject({ ok: false, code: 'SB_RETRIES_EXHAUSTED' });
    await board.stop();
  });

  it('removes an aborted queued request and rejects it SB_ABORTED', async () => {
    const { board, clock, fake } = makeBoard({ queue: { maxConcurrent: 1 }, latencyMs: 10 });
    const running = board.chat(hi('running'));
    const ctl = new AbortController();
    const aborted = outcome(board.chat(hi('aborted'), { signal: ctl.signal }));
    const after = board.chat(hi('after'));
    expect(board.state().queue.depth).toBe(2);
    ctl.abort();
    expect(await aborted).toMatchObject({ ok: false, code: 'SB_ABORTED' });
    expect(board.state().queue.depth).toBe(1);
    await clock.tickAsync(50);
    await Promise.all([running, after]);
    expect(fake.calls.map((c) => (c.body.messages as Array<{ content: string }>)[0]!.content)).toEqual(['running', 'after']);
    await board.stop();
  });

  it('aborts an in-flight request: the caller sees SB_ABORTED and the attempt is cancelled', async () => {
    const { board, fake } = makeBoard({ script: ['hang'] });
    const ctl = new AbortController();
    const p = outcome(board.chat(hi(), { signal: ctl.signal }));
    expect(fake.inFlight).toBe(1);
    ctl.abort();
    expect(await p).toMatchObject({ ok: false, code: 'SB_ABORTED' });
    expect(fake.inFlight).toBe(0);
    expect(board.state().inFlight).toBe(0);
    await board.stop();
  });

  it("rejects SB_TIMEOUT when a request's timeoutMs passes", async () => {
    const { board, clock } = makeBoard({ script: ['hang'] });
    const p = outcome(board.chat(hi(), { timeoutMs: 2500 }));
    await clock.tickAsync(2499);
    await clock.tickAsync(1);
    expect(await p).toMatchObject({ ok: false, code: 'SB_TIMEOUT' });
    await board.stop();
  });

  it('stop({ drain: true }) finishes queued and in-flight requests', async () => {
    const { board, clock } = makeBoard({ queue: { maxConcurrent: 1 }, latencyMs: 10 });
    const all = Array.from({ length: 5 }, () => outcome(board.chat(hi())));
    const stopped = board.stop({ drain: true, timeoutMs: 10_000 });
    expect(await outcome(board.chat(hi()))).toMatchObject({ ok: false, code: 'SB_SHUTDOWN' });
    await clock.tickAsync(100);
    await stopped;
    expect((await Promise.all(all)).every((r) => r.ok)).toBe(true);
  });

  it('stop({ drain: true }) aborts what is left at its timeout with SB_SHUTDOWN', async () => {
    const { board, clock } = makeBoard({ script: ['hang'] });
    const p = outcome(board.chat(hi()));
    const stopped = board.stop({ drain: true, timeoutMs: 1000 });
    await clock.tickAsync(1000);
    await stopped;
    expect(await p).toMatchObject({ ok: false, code: 'SB_SHUTDOWN' });
  });

  it('stop() rejects queued requests with SB_SHUTDOWN and aborts in-flight ones at once', async () => {
    const { board, fake } = makeBoard({ queue: { maxConcurrent: 1 }, latencyMs: 10 });
    const all = Array.from({ length: 3 }, () => outcome(board.chat(hi())));
    await board.stop();
    expect((await Promise.all(all)).map((r) => (r.ok ? 'ok' : r.code))).toEqual(['SB_SHUTDOWN', 'SB_SHUTDOWN', 'SB_SHUTDOWN']);
    expect(fake.inFlight).toBe(0);
    await board.stop();
  });

  it('is not disturbed by a throwing board.on listener (or a throwing logger)', async () => {
    const { board } = makeBoard({ logger: { error: () => { throw new Error('logger down'); } } });
    board.on('request.dispatched', () => { throw new Error('listener bug'); });
    board.on('request.settled', () => { throw new Error('listener bug'); });
    const replies = await Promise.all([board.chat(hi()), board.chat(hi())]);
    expect(replies).toHaveLength(2);
    await board.stop();
  });

  it('stats.reset zeroes the counters and leaves the breaker and keys as they are', async () => {
    const { board } = makeBoard({ circuitBreaker: { failureThreshold: 1 }, retry: { maxRetries: 0 }, script: [503] });
    await outcome(board.chat(hi()));
    expect(board.state().breaker).toBe('open');
    board.send({ type: 'stats.reset' });
    const r = board.report();
    expect(r.summary.totalRequests).toBe(0);
    expect(r.circuitBreaker.state).toBe('open');
    await board.stop();
  });
});
