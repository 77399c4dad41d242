// Goodput under provider rate limits (issue 7 §3): 3 keys each limited to 50 requests/s by the
// simulator (its own process, real time, over loopback), N embedding requests submitted at once.
//  - switchboard without batching: targets 0 failures, total ≤ 21 s for 3,000 (the limit is 20 s),
//    429s ≤ 1% of HTTP calls. Supervisor: queue.size 5000, maxConcurrent 64, keys' maxConcurrent 64,
//    strategy 'headroom', batching off.
//  - switchboard with batching (maxBatchSize 10, batchTimeoutMs 50): 0 failures, ≤ 310 HTTP calls.
//  - the official openai SDK, one key, its default retries (2), all requests at once.
//  - round-robin over the 3 keys with p-retry (its defaults: 10 retries, 1 s × 2^n), all at once.
// Run: npm run bench:goodput   (BENCH_SMOKE=1: 300 requests)
import OpenAI from 'openai';
import pRetry from 'p-retry';
import { createSupervisor } from '../dist/src/index.js';
import { machine, round, smoke } from './support/common.mjs';
import { startSimProcess } from './support/sim-process.mjs';

const N = smoke ? 300 : 3_000;
const KEYS = ['sk-goodput-1', 'sk-goodput-2', 'sk-goodput-3'];
const model = 'text-embedding-3-small';
const sim = await startSimProcess({ openai: { rateLimit: { requestsPerSecond: 50 } } });

async function measure(name, run) {
  await sim.reset();
  const t0 = performance.now();
  const results = await run();
  const seconds = (performance.now() - t0) / 1000;
  const stats = await sim.stats();
  const failures = results.filter((r) => r.status === 'rejected').length;
  const calls = stats.providers.openai.requests;
  const rate429 = stats.providers.openai.byStatus['429'] ?? 0;
  return { name, requests: N, failures, seconds: round(seconds), httpCalls: calls, http429: rate429, pct429: round((rate429 / Math.max(1, calls)) * 100) };
}

const board = (batching) =>
  createSupervisor({
    provider: 'openai', baseUrl: sim.urls.openai, strategy: 'headroom',
    keys: KEYS.map((secret, i) => ({ name: `k${i + 1}`, secret, maxConcurrent: 64 })),
    queue: { size: 5000, maxConcurrent: 64 },
    batching: { enabled: batching, maxBatchSize: 10, batchTimeoutMs: 50, models: [model] },
    deadlineMs: 300_000,
  });

const rows = [];
for (const batching of [false, true]) {
  const b = board(batching);
  rows.push(await measure(`switchboard (batching ${batching ? 'on' : 'off'})`, () => Promise.allSettled(Array.from({ length: N }, (_, i) => b.embed({ model, input: `text ${i}` })))));
  await b.stop();
}
{
  const client = new OpenAI({ apiKey: KEYS[0], baseURL: sim.urls.openai, timeout: 300_000 });
  rows.push(await measure('openai SDK, one key, default retries', () => Promise.allSettled(Array.from({ length: N }, (_, i) => client.embeddings.create({ model, input: `text ${i}` })))));
}
{
  const clients = KEYS.map((apiKey) => new OpenAI({ apiKey, baseURL: sim.urls.openai, maxRetries: 0, timeout: 300_000 }));
  let next = 0;
  rows.push(await measure('round-robin keys + p-retry', () => Promise.allSettled(Array.from({ length: N }, (_, i) => pRetry(() => clients[next++ % 3].embeddings.create({ model, input: `text ${i}` }))))));
}
await sim.stop();
const targets = { withoutBatching: { failures: 0, seconds: N === 3000 ? 21 : round((N / 150) * 1.05 + 1), pct429: 1 }, withBatching: { failures: 0, httpCalls: Math.ceil(N / 10) + 10 } };
console.log(JSON.stringify({ machine: machine(), simulator: '3 keys × 50 requests/s, separate process', rows, targets }, null, 2));
