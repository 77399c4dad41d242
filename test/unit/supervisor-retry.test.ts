import { describe, expect, it } from 'vitest';
import { hi, makeBoard, outcome } from '../support/board.js';

const noJitter = { retry: { jitter: 'none' as const }, circuitBreaker: { failureThreshold: 100 } };
const gaps = (calls: Array<{ at: number }>) => calls.slice(1).map((c, i) => c.at - calls[i]!.at);

describe('supervisor: retries', () => {
  it('waits 1, 2, 4, 8, 16 s between attempts with jitter none', async () => {
    const { board, clock, fake } = makeBoard({ ...noJitter, script: [503, 503, 503, 503, 503, 200] });
    const delays: number[] = [];
    board.on('request.retrying', (p) => delays.push(p.delayMs));
    const p = board.chat(hi());
    await clock.tickAsync(31_000);
    const reply = await p;
    expect(reply.attempts).toBe(6);
    expect(delays).toEqual([1000, 2000, 4000, 8000, 16000]);
    expect(gaps(fake.calls)).toEqual([1000, 2000, 4000, 8000, 16000]);
    expect(board.report({ includeDetails: true }).details!.backoffDelaysMs).toMatchObject({ count: 5, min: 1000, max: 16000 });
    await board.stop();
  });

  it('waits 1, 2, 4, 8, 16 s with the breaker disabled instead of a high threshold', async () => {
    const { board, clock, fake } = makeBoard({ retry: { jitter: 'none' }, script: [503, 503, 503, 503, 503, 200] });
    board.send({ type: 'breaker.force', state: 'disabled' });
    const p = board.chat(hi());
    await clock.tickAsync(31_000);
    await p;
    expect(gaps(fake.calls)).toEqual([1000, 2000, 4000, 8000, 16000]);
    await board.stop();
  });

  it('honours retry-after: 2, retry-after-ms: 1500 and an HTTP date, read from the current failure each time', async () => {
    const { board, clock, fake } = makeBoard({ ...noJitter, script: [] });
    fake.push({ status: 503, headers: { 'retry-after': '2' } });
    fake.push({ status: 503, headers: { 'retry-after-ms': '1500' } });
    const p = board.chat(hi());
    await clock.tickAsync(0);
    // The date (whole seconds, as HTTP dates are) is read against the clock's now() when the
    // third failure arrives, at T0 + 3.5 s: T0 + 7 s is a 3.5 s wait.
    fake.push({ status: 503, headers: { 'retry-after': new Date(clock.now() + 7000).toUTCString() } });
    await clock.tickAsync(10_000);
    await p;
    expect(gaps(fake.calls)).toEqual([2000, 1500, 3500]);
    await board.stop();
  });

  it('fails at once with the provider error when the provider asks for a wait above maxRetryAfterMs', async () => {
    const { board, clock, fake } = makeBoard({ ...noJitter, script: [{ status: 503, headers: { 'retry-after': '120' } }] });
    const r = await outcome(board.chat(hi()));
    expect(r.ok === false && r.code).toBe('SB_PROVIDER');
    expect(r.ok === false && r.error.status).toBe(503);
    expect(r.ok === false && r.error.retryAfterMs).toBe(120_000);
    await clock.tickAsync(200_000);
    expect(fake.calls).toHaveLength(1);
    await board.stop();
  });

  it('does not retry a 400', async () => {
    const { board, fake } = makeBoard({ ...noJitter, script: [400] });
    const r = await outcome(board.chat(hi()));
    expect(r.ok === false && r.code).toBe('SB_PROVIDER');
    expect(r.ok === false && r.error.status).toBe(400);
    expect(fake.calls).toHaveLength(1);
    await board.stop();
  });

  it('rejects SB_RETRIES_EXHAUSTED with attempts = maxRetries + 1 after maxRetries', async () => {
    const { board, clock } = makeBoard({ ...noJitter, retry: { jitter: 'none', maxRetries: 3 }, script: [500, 502, 504, 503, 200] });
    const p = outcome(board.chat(hi()));
    await clock.tickAsync(60_000);
    const r = await p;
    expect(r.ok === false && r.code).toBe('SB_RETRIES_EXHAUSTED');
    expect(r.ok === false && r.error.attempts).toBe(4);
    expect(r.ok === false && r.error.cause.status).toBe(503);
    expect(board.state().actors).toBe(3); // supervisor, breaker, key: the retry actor is gone
    await board.stop();
  });

  it('retries connection resets, hung attempts (attempt timeout), malformed and truncated bodies', async () => {
    const { board, clock, fake } = makeBoard({ ...noJitter, timeoutMs: 5000, script: ['reset', 'hang', 'malformed', 'truncated', 200] });
    const reasons: string[] = [];
    board.on('request.retrying', (p) => reasons.push(p.reason));
    const p = board.chat(hi());
    await clock.tickAsync(60_000);
    expect((await p).attempts).toBe(5);
    expect(reasons).toEqual(['connection', 'timeout', 'bad_response', 'bad_response']);
    expect(fake.inFlight).toBe(0);
    await board.stop();
  });

  it('gives SB_BAD_RESPONSE as the cause when bad bodies persist', async () => {
    const { board, clock } = makeBoard({ ...noJitter, retry: { jitter: 'none', maxRetries: 1 }, script: ['malformed', 'truncated'] });
    const p = outcome(board.chat(hi()));
    await clock.tickAsync(10_000);
    const r = await p;
    expect(r.ok === false && r.code).toBe('SB_RETRIES_EXHAUSTED');
    expect(r.ok === false && r.error.cause.code).toBe('SB_BAD_RESPONSE');
    await board.stop();
  });

  it('spawns a retry actor only for a retrying request and stops it when the request settles', async () => {
    const { board, clock } = makeBoard({ ...noJitter, script: [503] });
    expect(board.state().actors).toBe(3);
    const p = board.chat(hi());
    await clock.tickAsync(0);
    expect(Object.keys(board.actor.getSnapshot().children).some((id) => id.startsWith('retry:'))).toBe(true);
    expect(board.state().actors).toBe(4);
    await clock.tickAsync(1000);
    await p;
    expect(board.state().actors).toBe(3);
    await board.stop();
  });
});
