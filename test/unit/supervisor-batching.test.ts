import { describe, expect, it } from 'vitest';
import { makeBoard, outcome, T0 } from '../support/board.js';
import { vectorOf } from '../support/fake-transport.js';

const model = 'text-embedding-3-small';

describe('supervisor: batching', () => {
  it('makes 3 calls (10, 10, 5) for 25 concurrent embeds at maxBatchSize 10, and each caller gets its own vector in order', async () => {
    const { board, clock, fake } = makeBoard({ keyNames: ['a', 'b', 'c'], latencyMs: 5 });
    const flushed: unknown[] = [];
    board.on('batch.flushed', (p) => flushed.push(p));
    const texts = Array.from({ length: 25 }, (_, i) => `text-${i}`);
    const all = texts.map((input) => board.embed({ model, input }));
    await clock.tickAsync(600);
    const replies = await Promise.all(all);
    expect(fake.calls.map((c) => (c.body.input as string[]).length)).toEqual([10, 10, 5]);
    replies.forEach((r, i) => {
      expect(r.embeddings).toEqual([vectorOf(texts[i]!)]);
      expect(r.batched).toBe(true);
    });
    expect(flushed).toEqual([
      { model, size: 10, reason: 'size' },
      { model, size: 10, reason: 'size' },
      { model, size: 5, reason: 'timeout' },
    ]);
    const report = board.report();
    expect(report.batching).toEqual({ batches: 3, batchedRequests: 25, avgBatchSize: 8.33, httpCallsSaved: 22 });
    expect(report.summary.totalRequests).toBe(25);
    await board.stop();
  });

  it('flushes a lone embed at exactly batchTimeoutMs', async () => {
    const { board, clock, fake } = makeBoard({ batching: { batchTimeoutMs: 500 } });
    const p = board.embed({ model, input: 'alone' });
    await clock.tickAsync(499);
    expect(fake.calls).toHaveLength(0);
    await clock.tickAsync(1);
    expect(fake.calls).toHaveLength(1);
    expect(fake.calls[0]!.at).toBe(T0 + 500);
    const reply = await p;
    expect(reply.batched).toBe(false);
    expect(reply.usage).toEqual({ inputTokens: 2, outputTokens: 0, totalTokens: 2 });
    await board.stop();
  });

  it('flushes at once for a HIGH member, taking the members already waiting', async () => {
    const { board, clock, fake } = makeBoard({});
    const low = board.embed({ model, input: 'waiting' }, { priority: 'low' });
    const high = board.embed({ model, input: 'urgent' }, { priority: 'high' });
    await clock.tickAsync(0);
    expect(fake.calls).toHaveLength(1);
    expect(fake.calls[0]!.body.input).toEqual(['waiting', 'urgent']);
    expect(fake.calls[0]!.at).toBe(T0);
    await Promise.all([low, high]);
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
    const { board, clock, fake } = makeBoard({});
    const inputs = [['a1', 'a2', 'a3', 'a4'], ['b1', 'b2', 'b3', 'b4'], ['c1', 'c2', 'c3', 'c4']];
    const all = inputs.map((input) => board.embed({ model, input }));
    await clock.tickAsync(500);
    const replies = await Promise.all(all);
    expect(fake.calls.map((c) => c.body.input)).toEqual([[...inputs[0]!, ...inputs[1]!], inputs[2]]);
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
    const { board, clock, fake } = makeBoard({});
    const ctl = new AbortController();
    const gone = outcome(board.embed({ model, input: 'gone' }, { signal: ctl.signal }));
    const kept = board.embed({ model, input: 'kept' });
    ctl.abort();
    expect(await gone).toMatchObject({ ok: false, code: 'SB_ABORTED' });
    await clock.tickAsync(500);
    await kept;
    expect(fake.calls[0]!.body.input).toEqual(['kept']);
    await board.stop();
  });

  it('rejects an embed on a provider without embeddings with SB_CONFIG', async () => {
    const { board } = makeBoard({ provider: 'anthropic' });
    const r = await outcome(board.embed({ model: 'x', input: 'y' }));
    expect(r.ok === false && r.code).toBe('SB_CONFIG');
    await board.stop();
  });
});
