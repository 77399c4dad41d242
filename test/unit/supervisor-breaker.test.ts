import { describe, expect, it } from 'vitest';
import { hi, makeBoard, outcome } from '../support/board.js';

const breakerOpts = { circuitBreaker: { failureThreshold: 3, resetTimeoutMs: 1000, halfOpenProbes: 2 }, retry: { maxRetries: 0 } };

describe('supervisor: circuit breaker', () => {
  it('opens after exactly failureThreshold consecutive 503s; queued requests are rejected SB_CIRCUIT_OPEN without an HTTP call', async () => {
    const { board, clock, fake } = makeBoard({ ...breakerOpts, queue: { maxConcurrent: 1 }, script: [503, 503, 503], latencyMs: 10 });
    const opened: unknown[] = [];
    board.on('breaker.opened', (p) => opened.push(p));
    const results = [1, 2, 3, 4, 5].map((i) => outcome(board.chat(hi(`r${i}`))));
    await clock.tickAsync(100);
    const codes = (await Promise.all(results)).map((r) => (r.ok ? 'ok' : r.code));
    expect(codes).toEqual(['SB_RETRIES_EXHAUSTED', 'SB_RETRIES_EXHAUSTED', 'SB_RETRIES_EXHAUSTED', 'SB_CIRCUIT_OPEN', 'SB_CIRCUIT_OPEN']);
    expect(fake.calls).toHaveLength(3);
    expect(board.state().breaker).toBe('open');
    expect(opened).toHaveLength(1);
    const rejected = (await results[3]) as { ok: false; error: any };
    expect(rejected.error.retryAfterMs).toBeGreaterThan(0);
    expect(rejected.error.cause?.status).toBe(503);
    await board.stop();
  });

  it('is still open at resetTimeoutMs − 1 and half-open at resetTimeoutMs; exactly halfOpenProbes probes go through; all succeed → closed', async () => {
    const { board, clock, fake } = makeBoard({ ...breakerOpts, script: [503, 503, 503] });
    for (let i = 0; i < 3; i++) await outcome(board.chat(hi()));
    expect(board.state().breaker).toBe('open');
    await clock.tickAsync(999);
    expect(board.state().breaker).toBe('open');
    expect((await outcome(board.chat(hi()))).ok).toBe(false);
    await clock.tickAsync(1);
    expect(board.state().breaker).toBe('halfOpen');
    fake.push({ status: 200, delayMs: 50 }, { status: 200, delayMs: 50 });
    const before = fake.calls.length;
    const probes = [1, 2, 3].map(() => outcome(board.chat(hi('probe'))));
    const third = await probes[2];
    expect(third.ok === false && third.code).toBe('SB_CIRCUIT_OPEN');
    await clock.tickAsync(50);
    const [p1, p2] = await Promise.all(probes.slice(0, 2));
    expect(p1!.ok && p2!.ok).toBe(true);
    expect(fake.calls.length - before).toBe(2);
    expect(board.state().breaker).toBe('closed');
    expect(board.report().circuitBreaker.trips).toBe(1);
    await board.stop();
  });

  it('goes back to open (a second trip) when one half-open probe fails', async () => {
    const { board, clock, fake } = makeBoard({ ...breakerOpts, script: [503, 503, 503] });
    for (let i = 0; i < 3; i++) await outcome(board.chat(hi()));
    await clock.tickAsync(1000);
    fake.push({ status: 200, delayMs: 10 }, { status: 503, delayMs: 20 });
    const probes = [outcome(board.chat(hi())), outcome(board.chat(hi()))];
    await clock.tickAsync(20);
    await Promise.all(probes);
    expect(board.state().breaker).toBe('open');
    expect(board.report().circuitBreaker.trips).toBe(2);
    await board.stop();
  });

  for (const status of [400, 401, 403, 404, 422, 429]) {
    it(`neither counts nor resets on ${status}`, async () => {
      // One key: a 401 disables it and the request ends SB_AUTH (with more keys it would fail over).
      const { board, clock, fake } = makeBoard({ ...breakerOpts, keyNames: status === 401 ? ['a', 'b'] : ['a'], script: [503, 503, status, ...(status === 401 ? [401] : [])] });
      for (let i = 0; i < 3; i++) await outcome(board.chat(hi()));
      expect(board.report().circuitBreaker.failureCount).toBe(2);
      expect(board.state().breaker).toBe('closed');
      if (status === 401) board.send({ type: 'key.add', key: { name: 'c', secret: 'sk-c' } });
      fake.push(503);
      const last = outcome(board.chat(hi()));
      await clock.tickAsync(20_000); // a 429 cooled the key for its backoff wait
      await last;
      expect(board.report().circuitBreaker.trips).toBe(1);
      await board.stop();
    });
  }

  it('resets the consecutive count on a success', async () => {
    const { board } = makeBoard({ ...breakerOpts, script: [503, 503, 200, 503, 503] });
    for (let i = 0; i < 5; i++) await outcome(board.chat(hi()));
    expect(board.state().breaker).toBe('closed');
    expect(board.report().circuitBreaker.failureCount).toBe(2);
    await board.stop();
  });

  it('forcedOpen rejects everything; disabled lets everything through and counts nothing', async () => {
    const { board, fake } = makeBoard({ ...breakerOpts });
    board.send({ type: 'breaker.force', state: 'forcedOpen' });
    expect((await outcome(board.chat(hi()))).ok).toBe(false);
    expect(fake.calls).toHaveLength(0);
    board.send({ type: 'breaker.force', state: 'disabled' });
    fake.push(503, 503, 503, 503);
    for (let i = 0; i < 4; i++) await outcome(board.chat(hi()));
    expect(board.state().breaker).toBe('disabled');
    expect(fake.calls).toHaveLength(4);
    board.send({ type: 'breaker.force', state: 'closed' });
    expect((await outcome(board.chat(hi()))).ok).toBe(true);
    await board.stop();
  });
});
