import { describe, expect, it } from 'vitest';
import { PriorityQueue, type Queueable } from '../../src/queue/priority-queue.js';
import { hi, makeBoard, outcome, T0 } from '../support/board.js';

const item = (level: 0 | 1 | 2, name: string) => ({ level, rank: 0, seq: 0, queued: false, name }) as Queueable & { name: string };

describe('priority queue', () => {
  it('takes the smallest rank, ties by priority then arrival', () => {
    const q = new PriorityQueue<Queueable & { name: string }>();
    q.push(item(2, 'low'), 0, 10_000);
    q.push(item(1, 'normal'), 0, 10_000);
    q.push(item(0, 'high'), 0, 10_000);
    q.push(item(0, 'high2'), 0, 10_000);
    expect([q.shift(), q.shift(), q.shift(), q.shift()].map((x) => x!.name)).toEqual(['high', 'high2', 'normal', 'low']);
    expect(q.size).toBe(0);
  });

  it('lets an old LOW go before a HIGH that arrived more than 2 × agingMs later', () => {
    const q = new PriorityQueue<Queueable & { name: string }>();
    q.push(item(2, 'low'), 0, 1000);
    q.push(item(0, 'high-early'), 1999, 1000);
    q.push(item(0, 'high-late'), 2001, 1000);
    expect([q.shift(), q.shift(), q.shift()].map((x) => x!.name)).toEqual(['high-early', 'low', 'high-late']);
  });

  it('gives strict priority with agingMs Infinity', () => {
    const q = new PriorityQueue<Queueable & { name: string }>();
    q.push(item(2, 'low'), 0, Infinity);
    q.push(item(1, 'normal'), 5, Infinity);
    q.push(item(0, 'high'), 1e12, Infinity);
    expect([q.shift(), q.shift(), q.shift()].map((x) => x!.name)).toEqual(['high', 'normal', 'low']);
  });

  it('removes in O(1) with a tombstone and skips it at the head', () => {
    const q = new PriorityQueue<Queueable & { name: string }>();
    const a = item(1, 'a');
    q.push(a, 0, 10);
    q.push(item(1, 'b'), 0, 10);
    expect(q.remove(a)).toBe(true);
    expect(q.remove(a)).toBe(false);
    expect(q.size).toBe(1);
    expect(q.shift()!.name).toBe('b');
  });
});

describe('supervisor: priority and admission', () => {
  it('runs LOW, NORMAL, HIGH submitted in that order as HIGH, NORMAL, LOW when dispatch is saturated', async () => {
    const { board, clock, fake } = makeBoard({ queue: { maxConcurrent: 1 }, latencyMs: 100 });
    const blocker = board.chat(hi('blocker'));
    const low = board.chat(hi('low'), { priority: 'low' });
    const normal = board.chat(hi('normal'), { priority: 'normal' });
    const high = board.chat(hi('high'), { priority: 'high' });
    await clock.tickAsync(1000);
    await Promise.all([blocker, low, normal, high]);
    expect(fake.calls.map((c) => (c.body.messages as Array<{ content: string }>)[0]!.content)).toEqual(['blocker', 'high', 'normal', 'low']);
    await board.stop();
  });

  it('runs equal priorities first-in-first-out (numeric priorities too)', async () => {
    const { board, clock, fake } = makeBoard({ queue: { maxConcurrent: 1 }, latencyMs: 10 });
    const all = ['p0', 'p1', 'p2', 'p3', 'p4'].map((c) => board.chat(hi(c), { priority: 1 }));
    await clock.tickAsync(100);
    await Promise.all(all);
    expect(fake.calls.map((c) => (c.body.messages as Array<{ content: string }>)[0]!.content)).toEqual(['p0', 'p1', 'p2', 'p3', 'p4']);
    await board.stop();
  });

  it('dispatches a LOW request under a constant stream of HIGH within the aging bound', async () => {
    const agingMs = 1000;
    const { board, clock, fake } = makeBoard({ queue: { maxConcurrent: 1, size: 1000, agingMs }, latencyMs: 100 });
    const pending: Promise<unknown>[] = [board.chat(hi('first-high'), { priority: 'high' })];
    pending.push(board.chat(hi('low'), { priority: 'low' }));
    // HIGH arrives twice as fast as it is served: without aging LOW would wait forever.
    for (let t = 0; t < 5000; t += 50) {
      pending.push(board.chat(hi(`high@${t}`), { priority: 'high' }));
      await clock.tickAsync(50);
    }
    const contents = fake.calls.map((c) => (c.body.messages as Array<{ content: string }>)[0]!.content);
    const lowAt = contents.indexOf('low');
    expect(lowAt).toBeGreaterThan(0);
    // Every HIGH served before LOW arrived within 2 × agingMs of it; none that arrived later overtook it.
    const overtakers = contents.slice(0, lowAt).filter((c) => c.startsWith('high@')).map((c) => Number(c.slice(5)));
    expect(Math.max(...overtakers)).toBeLessThanOrEqual(2 * agingMs);
    expect(contents.slice(lowAt + 1).some((c) => c.startsWith('high@') && Number(c.slice(5)) < 2 * agingMs)).toBe(false);
    expect(fake.calls[lowAt]!.at - T0).toBeLessThan(5000);
    await board.stop();
    await Promise.allSettled(pending);
  });

  it('rejects the 4th concurrent request at once with SB_QUEUE_FULL (queue.size 2, concurrency 1); the other 3 succeed', async () => {
    const { board, clock } = makeBoard({ queue: { maxConcurrent: 1, size: 2 }, latencyMs: 10 });
    const full: unknown[] = [];
    board.on('queue.full', (p) => full.push(p));
    const results = [1, 2, 3, 4].map((i) => outcome(board.chat(hi(`r${i}`))));
    const fourth = await results[3];
    expect(fourth.ok).toBe(false);
    expect(fourth.ok === false && fourth.code).toBe('SB_QUEUE_FULL');
    expect(full).toEqual([{ depth: 2, size: 2 }]);
    await clock.tickAsync(100);
    const first3 = await Promise.all(results.slice(0, 3));
    expect(first3.every((r) => r.ok)).toBe(true);
    await board.stop();
  });

  it('never has more than maxConcurrent in flight: the peak equals the cap under 100 concurrent submissions', async () => {
    const { board, clock, fake } = makeBoard({ queue: { maxConcurrent: 5, size: 200 }, latencyMs: 20, keyNames: ['a', 'b', 'c'] });
    const all = Array.from({ length: 100 }, (_, i) => board.chat(hi(`m${i}`)));
    await clock.tickAsync(2000);
    const res = await Promise.all(all);
    expect(res).toHaveLength(100);
    expect(fake.peak).toBe(5);
    expect(board.peakInFlight).toBe(5);
    await board.stop();
  });
});
