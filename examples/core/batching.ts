/** The batching scenario on the core API: `batch.flushed` events and the report's batching figures. */
import { createSupervisor } from 'switchboard';
import { runIfMain, type Runtime } from '../support/runtime.js';

export default async function example(rt: Runtime): Promise<void> {
  const board = createSupervisor({
    provider: 'gemini',
    baseUrl: rt.sim.urls.gemini,
    keys: [{ name: 'main', secret: 'your-key' }],
    batching: { enabled: true, maxBatchSize: 10, batchTimeoutMs: 500, models: ['text-embedding-004'] },
    ...rt.core,
  });
  const flushes: string[] = [];
  board.on('batch.flushed', (e) => flushes.push(`${e.size} (${e.reason}) at t=${rt.elapsed()}s`));

  const texts = Array.from({ length: 25 }, (_, i) => `passage ${i}`);
  const replies = await Promise.all(texts.map((input) => board.embed({ model: 'text-embedding-004', input })));
  rt.log('batches flushed:', flushes.join(', '));
  // Batching costs no latency with nothing to batch with: the first goes at once; the 24 arriving
  // while it is in flight collect (10, 10, then 4 when the calls in flight came back).
  rt.check(flushes.length === 4, '25 inputs in 4 calls (1 at once, then 10, 10 and 4 collected meanwhile)');
  rt.check(replies.every((r, i) => r.batched === i > 0 && r.embeddings.length === 1), 'one vector per caller, from a shared call after the first');

  // A HIGH request flushes its batch at once; a string[] input is never split.
  const t = rt.elapsed();
  await Promise.all([
    board.embed({ model: 'text-embedding-004', input: ['a', 'b', 'c'] }, { priority: 'low' }),
    board.embed({ model: 'text-embedding-004', input: 'urgent' }, { priority: 'high' }),
  ]);
  rt.log(`a low string[] of 3 and a high member: answered ${(rt.elapsed() - t).toFixed(3)} s later`);
  rt.check(rt.elapsed() - t < 0.4, 'a high-priority member to flush without waiting for batchTimeoutMs');

  const b = board.report().batching;
  rt.log('report.batching:', JSON.stringify(b));
  rt.check(b.httpCallsSaved === 21, '27 requests in 6 calls: 21 HTTP calls saved');
  await board.stop();
  rt.ok(`${b.batchedRequests} embeddings in ${b.batches} HTTP calls (avg batch ${b.avgBatchSize})`);
}

runIfMain(import.meta.url, example);
