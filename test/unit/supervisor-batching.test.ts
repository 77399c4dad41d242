import { describe, expect, it } from 'vitest';
import { makeBoard, outcome, T0 } from '../support/board.js';
import { vectorOf } from '../support/fake-transport.js';

const model = 'text-embedding-3-small';

/** An embed of the model sent at once (nothing to batch with) and kept in flight `latencyMs`: later inputs collect. */
async function leadInFlight(board: ReturnType<typeof makeBoard>['board'], clock: ReturnType<typeof makeBoard>['clock']) {
  const lead = board.embed({ model, input: 'lead' });
  await clock.tickAsync(0);
  return { lead };
}

describe('supervisor: batching', () => {
  it('sends the first of 25 concurrent embeds at once and batches the 24 arriving while it is in flight (10, 10, 4), each caller getting its own vector in order', async () => {
    const { board, clock, fake } = makeBoard({ keyNames: ['a', 'b', 'c'], latencyMs: 5 });
    const flushed: unknown[] = [];
    board.on('batch.flushed', (p) => flushed.push(p));
    const texts = Array.from({ length: 25 }, (_, i) => `text-${i}`);
    const all = texts.map((input) => board.embed({ model, input }));
    await clock.tickAsync(600);
    const replies = await Promise.all(all);
    expect(fake.calls.map((c) => (c.body.input as string[]).length)).toEqual([1, 10, 10, 4]);
    replies.forEach((r, i) => {
      expect(r.embeddings).toEqual([vectorOf(texts[i]!)]);
      expect(r.batched).toBe(i > 0);
    });
    // The first goes alone at once, the last four when the batches in flight came back (the window closing early).
    expect(flushed).toEqual([
      { model, size: 1, reason: 'timeout' },
      { model, size: 10, reason: 'size' },
      { model, size: 10, reason: 'size' },
      { model, size: 4, reason: 'timeout' },
    ]);
    expect(fake.calls[3]!.at, 'the last batch left when the batches in flight returned, not after the whole window').toBeLessThan(T0 + 500);
    const report = board.report();
    expect(report.batching).toEqual({ batches: 4, batchedRequests: 25, avgBatchSize: 6.25, httpCallsSaved: 21 });
    expect(report.summary.totalRequests).toBe(25);
    await board.stop();
  });

  it('sends a lone embed at once when nothing is in flight: batching adds no latency with nothing to batch with', async () => {
    const { board, clock, fake } = makeBoard({ batching: { batchTimeoutMs: 500 } });
    const p = board.embed({ model, input: 'alone' });
    await clock.tickAsync(0);
    expect(fake.calls).toHaveLength(1);
    expect(fake.calls[0]!.at).toBe(T0);
    const reply = await p;
    expect(reply.batched).toBe(false);
    await board.stop();
  });

  it('flushes a lone embed arriving while a batch is in flight at exactly batchTimeoutMs', async () => {
    const { board, clock, fake } = makeBoard({ batching: { batchTimeoutMs: 500 }, latencyMs: 2_000, keyNames: ['a', 'b'] });
    const { lead } = await leadInFlight(board, clock);
    const p = board.embed({ model, input: 'alone' });
    await clock.tickAsync(499);
    expect(fake.calls).toHaveLength(1);
    await clock.tickAsync(1);
    expect(fake.calls).toHaveLength(2);
    expect(fake.calls[1]!.at).toBe(T0 + 500);
    await clock.tickAsync(2_000);
    await lead;
    const reply = await p;
    expect(reply.batched).toBe(false);
    expect(reply.usage).toEqual({ inputTokens: 2, outputTokens: 0, totalTokens: 2 });
    await board.stop();
  });

  it('flushes at once for a HIGH member, taking the members already waiting', async () => {
    const { board, clock, fake } = makeBoard({ latencyMs: 100, keyNames: ['a', 'b'] });
    const { lead } = await leadInFlight(board, clock);
    const low = board.embed({ model, input: 'waiting' }, { priority: 'low' });
    const high = board.embed({ model, input: 'urgent' }, { priority: 'high' });
    await clock.tickAsync(0);
    expect(fake.calls).toHaveLength(2);
    expect(fake.calls[1]!.body.input).toEqual(['waiting', 'urgent']);
    expect(fake.calls[1]!.at).toBe(T0);
    await clock.tickAsync(100);
    await Promise.all([lead, low, high]);
    await board.stop();
  });

  it('splits a batch answered 400 so that only the bad input fails', async () => {
    const { board, clock, fake } = makeBoard({
      respond: (call) => ((call.body.input as string[] | undefined)?.includes('BAD') ? { status: 400, body: { error: { message: 'bad input', code: 'invalid_input' } } } : undefined),
    });
    const texts = ['t0', 't1', 't2', 'BAD', 't4', 't5', 't6'];
    const all = texts.map((input) => outcome(board.embed({ model, input })));
    await clock.tickAsync(500);
    const results = await Promise.all(all);
    expect(results.map((r) => (r.ok ? 'ok' : r.code))).toEqual(['ok', 'ok', 'ok', 'SB_PROVIDER', 'ok', 'ok', 'ok']);
    results.forEach((r, i) => r.ok && expect(r.value.embeddings).toEqual([vectorOf(texts[i]!)]));
    // 1 + bisection: [0..3]|[4..6] → [0..1]|[2..3] → [2]|[3]
    expect(fake.calls.length).toBeLessThanOrEqual(7);
    expect(board.report().summary.retries).toBe(0);
    await board.stop();
  });

  it('keeps string[] inputs whole: one that does not fit starts the next batch', async () => {
    const { board, clock, fake } = makeBoard({ latencyMs: 1_000 });
    const { lead } = await leadInFlight(board, clock);
    const inputs = [['a1', 'a2', 'a3', 'a4'], ['b1', 'b2', 'b3', 'b4'], ['c1', 'c2', 'c3', 'c4']];
    const all = inputs.map((input) => board.embed({ model, input }));
    await clock.tickAsync(3_000);
    const replies = await Promise.all(all);
    await lead;
    expect(fake.calls.slice(1).map((c) => c.body.input)).toEqual([[...inputs[0]!, ...inputs[1]!], inputs[2]]);
    replies.forEach((r, i) => expect(r.embeddings).toEqual(inputs[i]!.map(vectorOf)));
    await board.stop();
  });

  it('sends an input larger than maxBatchSize alone', async () => {
    const { board, clock, fake } = makeBoard({});
    const big = Array.from({ length: 15 }, (_, i) => `x${i}`);
    const small = board.embed({ model, input: 'small' });
    const reply = await board.embed({ model, input: big });
    expect(reply.embeddings).toEqual(big.map(vectorOf));
    await clock.tickAsync(500);
    await small;
    expect(fake.calls.map((c) => (c.body.input as string[]).length).sort()).toEqual([1, 15]);
    await board.stop();
  });

  it('removes an aborted member before the flush', async () => {
    const { board, clock, fake } = makeBoard({ latencyMs: 1_000, keyNames: ['a', 'b'] });
    const { lead } = await leadInFlight(board, clock);
    const ctl = new AbortController();
    const gone = outcome(board.embed({ model, input: 'gone' }, { signal: ctl.signal }));
    const kept = board.embed({ model, input: 'kept' });
    ctl.abort();
    expect(await gone).toMatchObject({ ok: false, code: 'SB_ABORTED' });
    await clock.tickAsync(1_500);
    await kept;
    await lead;
    expect(fake.calls[1]!.body.input).toEqual(['kept']);
    await board.stop();
  });

  it('rejects an embed on a provider without embeddings with SB_CONFIG', async () => {
    const { board } = makeBoard({ provider: 'anthropic' });
    const r = await outcome(board.embed({ model: 'x', input: 'y' }));
    expect(r.ok === false && r.code).toBe('SB_CONFIG');
    await board.stop();
  });
});
