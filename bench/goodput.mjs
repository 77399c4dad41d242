// Goodput under provider rate limits (issue 7 §3): 3 keys each limited to 50 requests/s by the
// simulator (its own process, real time, over loopback), N embedding requests submitted at once.
//  - switchboard without batching: targets 0 failures, total ≤ 21 s for 3,000 (the limit is 20 s),
//    429s ≤ 1% of HTTP calls. Supervisor: queue.size 5000, maxConcurrent 64, keys' maxConcurrent 64,
//    strategy 'headroom', batching off.
//  - switchboard with batching (maxBatchSize 10, batchTimeoutMs 50): 0 failures, ≤ 310 HTTP calls.
// Peers, given the same three keys:
//  - the official openai SDK: one client per key, requests dealt round-robin, its default retries
//    (2, honouring retry-after), all requests at once;
//  - the competent hand-rolled peer: p-queue's own rate limiting at the keys' combined rate
//    (interval 1,000 ms, intervalCap 150), round-robin over the 3 SDK clients (default retries).
// Run: npm run bench:goodput   (BENCH_SMOKE=1: 300 requests)
import OpenAI from 'openai';
import PQueue from 'p-queue';
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
const sdkClients = () => KEYS.map((apiKey) => new OpenAI({ apiKey, baseURL: sim.urls.openai, timeout: 300_000 }));
{
  const clients = sdkClients();
  rows.push(await measure('openai SDK, 3 keys round-robin, default retries', () => Promise.allSettled(Array.from({ length: N }, (_, i) => clients[i % 3].embeddings.create({ model, input: `text ${i}` })))));
}
{
  const clients = sdkClients();
  const queue = new PQueue({ interval: 1000, intervalCap: 150 });
  rows.push(await measure('p-queue rate limit (150 per 1,000 ms) + 3 keys round-robin, openai SDK default retries', () => Promise.allSettled(Array.from({ length: N }, (_, i) => queue.add(() => clients[i % 3].embeddings.create({ model, input: `text ${i}` }))))));
}
await sim.stop();
const targets = { withoutBatching: { failures: 0, seconds: N === 3000 ? 21 : round((N / 150) * 1.05 + 1), pct429: 1 }, withBatching: { failures: 0, httpCalls: Math.ceil(N / 10) + 10 } };
console.log(JSON.stringify({ machine: machine(), simulator: '3 keys × 50 requests/s, separate process', rows, targets }, null, 2));
