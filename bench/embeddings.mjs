// Embeddings at low load: one request at a time, batching on (the defaults: maxBatchSize 10,
// batchTimeoutMs 500, text-embedding-3-small batchable), against the fast canned-body upstream in
// its own process (0 ms latency). Batching must not cost latency when there is nothing to batch
// with: the latency added over raw undici (one input, straight at the upstream) is measured
//  - for the supervisor in process (board.embed), and
//  - for `switchboard serve` in its own process (POST /v1/embeddings with raw undici),
// as the difference of the percentiles, the paths alternating request by request (shuffled each round); three runs (smoke:
// one), each with its processes started afresh, and the median of the runs' added latencies. The upstream
// counts HTTP calls, so a path that batches nothing still makes one call per request.
// A path is given at most BUDGET_MS of wall time (a batcher that waits its window would take 500 ms
// a request): the sample is then smaller, and says so.
// Targets: added p50 ≤ 1 ms for both. (Under load, the batching target — ≤ 310 HTTP calls for
// 3,000 embeds — is measured by bench/goodput.mjs.)
// Run: npm run bench:embeddings   (BENCH_SMOKE=1: 100 requests per path, one run; BENCH_RUNS=n: n runs)
import { Pool } from 'undici';
import { createSupervisor } from '../dist/src/index.js';
import { machine, round, roundOrder, smoke } from './support/common.mjs';
import { startFastUpstream, startGatewayProcess } from './support/gateway-process.mjs';
import { histogram, pooledHistograms, spread } from './support/loop.mjs';

const N = smoke ? 100 : 2_000;
const RUNS = smoke ? 1 : Number(process.env.BENCH_RUNS) || 3;
// Warm-up rounds: the first few thousand requests of a fresh gateway run 2-6x slower while V8 still
// compiles the hot path (see bench/gateway-latency.mjs); as there, 3,000 rounds.
const WARMUP = smoke ? 20 : 3_000;
const BUDGET_MS = smoke ? 2_000 : 30_000;
const TARGET_P50_ADDED_MS = 1;
const KEY = 'sk-bench-embeddings-0000';
const model = 'text-embedding-3-small';
const log = (...a) => process.stderr.write(`${a.join(' ')}\n`);

/** One run: the upstream, the gateway and the board started afresh, warmed up, N rounds measured, stopped. */
async function measureRun(seed) {
  const fast = await startFastUpstream();
  const gateway = await startGatewayProcess({ upstream: fast.urls.openai, maxConcurrent: 64, queueSize: 1000 });
  const upstreamUrl = new URL(fast.urls.openai);
  const board = createSupervisor({
    provider: 'openai', baseUrl: fast.urls.openai,
    keys: [{ name: 'k1', secret: KEY, maxConcurrent: 64 }],
    queue: { size: 1000, maxConcurrent: 64 },
    batching: { enabled: true },
  });

  function raw(origin, path, key) {
    const pool = new Pool(origin, { connections: 4 });
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${key}` };
    return {
      call: async (i) => {
        const res = await pool.request({ method: 'POST', path, headers, body: JSON.stringify({ model, input: `text ${i}` }) });
        const text = await res.body.text();
        if (res.statusCode !== 200) throw new Error(`HTTP ${res.statusCode}: ${text.slice(0, 200)}`);
        return JSON.parse(text);
      },
      close: () => pool.close(),
    };
  }

  const PATHS = [
    { name: 'direct', label: 'undici → upstream (one input)', ...raw(upstreamUrl.origin, `${upstreamUrl.pathname.replace(/\/$/, '')}/embeddings`, KEY) },
    { name: 'supervisor', label: 'board.embed (batching on) → upstream', call: (i) => board.embed({ model, input: `text ${i}` }), close: () => board.stop() },
    { name: 'gateway', label: 'undici → switchboard serve /v1/embeddings (batching on) → upstream', ...raw(new URL(gateway.url).origin, '/v1/embeddings', 'anything') },
  ];

  const hist = Object.fromEntries(PATHS.map((p) => [p.name, histogram()]));
  const spentMs = Object.fromEntries(PATHS.map((p) => [p.name, 0]));
  const nextOrder = roundOrder(PATHS, seed);
  async function rounds(count, record) {
    for (let i = 0; i < count; i++) {
      for (const p of nextOrder()) {
        if (record && spentMs[p.name] > BUDGET_MS) continue;
        const t0 = performance.now();
        await p.call(i);
        const ms = performance.now() - t0;
        if (!record) continue;
        spentMs[p.name] += ms;
        hist[p.name].recordValue(Math.max(1, Math.round(ms * 1e6)));
      }
      if (record && PATHS.every((p) => spentMs[p.name] > BUDGET_MS)) break;
    }
  }
  // The warm-up: JIT, connections, the key's first answer (bounded too, for a slow batcher).
  const w0 = performance.now();
  for (let i = 0; i < WARMUP && performance.now() - w0 < BUDGET_MS / 3; i++) await rounds(1, false);
  await fast.reset();
  await rounds(N, true);
  const upstream = await fast.stats();
  for (const p of PATHS) await p.close();
  await Promise.all([gateway.stop(), fast.stop()]);
  const labels = Object.fromEntries(PATHS.map((p) => [p.name, p.label]));
  return { hist, labels, upstreamHttpCalls: upstream.byRoute['openai.embeddings'] ?? 0, upstreamCommand: fast.command, gatewayCommand: gateway.command, gatewayConfig: gateway.config };
}

const runs = [];
for (let r = 0; r < RUNS; r++) {
  runs.push(await measureRun(r + 1));
  log(`embeddings: run ${r + 1}/${RUNS} done`);
}

const ms = (ns) => round(ns / 1e6, 3);
const { labels } = runs[0];
// The paths' own percentiles over every run's requests together.
const pooled = pooledHistograms(runs, Object.keys(labels));
const paths = Object.entries(labels).map(([name, label]) => {
  const h = pooled[name];
  return { name, label, requests: h.totalCount, cappedByBudget: runs.some((run) => run.hist[name].totalCount < N), p50Ms: ms(h.getValueAtPercentile(50)), p99Ms: ms(h.getValueAtPercentile(99)), meanMs: ms(h.mean) };
});
/** Added latency: in each run the percentile of the path minus the same percentile direct; the median of the runs. */
const added = (name) => {
  const each = runs.map(({ hist }) => ({ p50Ms: ms(hist[name].getValueAtPercentile(50) - hist.direct.getValueAtPercentile(50)), p99Ms: ms(hist[name].getValueAtPercentile(99) - hist.direct.getValueAtPercentile(99)) }));
  return { p50Ms: spread(each.map((e) => e.p50Ms), 3).median, p99Ms: spread(each.map((e) => e.p99Ms), 3).median, runs: each };
};
const addedSupervisor = added('supervisor');
const addedGateway = added('gateway');
const upstreamHttpCalls = runs.reduce((a, run) => a + run.upstreamHttpCalls, 0);
const result = {
  machine: machine(),
  config: {
    requestsPerPath: N,
    runs: RUNS,
    warmupRounds: WARMUP,
    aggregation: 'added latency per run (percentile of the path minus the same percentile direct); the median of the runs',
    budgetMsPerPath: BUDGET_MS,
    order: 'sequential, one request at a time, the paths alternating request by request in an order shuffled each round (seeded: run r uses seed r)',
    batching: 'on, defaults (maxBatchSize 10, batchTimeoutMs 500)',
    upstream: { command: runs[0].upstreamCommand, process: 'separate, canned bodies, 0 ms latency, loopback' },
    gateway: { command: runs[0].gatewayCommand, config: { ...runs[0].gatewayConfig, comment: undefined } },
  },
  paths,
  added: { supervisor: addedSupervisor, gateway: addedGateway },
  upstreamHttpCalls,
  requests: paths.reduce((s, p) => s + p.requests, 0),
  targets: [
    { what: 'embeddings at low load: p50 added by board.embed (batching on), ms', target: `≤ ${TARGET_P50_ADDED_MS}`, measured: addedSupervisor.p50Ms, met: addedSupervisor.p50Ms <= TARGET_P50_ADDED_MS },
    { what: 'embeddings at low load: p50 added by `switchboard serve` /v1/embeddings (batching on), ms', target: `≤ ${TARGET_P50_ADDED_MS}`, measured: addedGateway.p50Ms, met: addedGateway.p50Ms <= TARGET_P50_ADDED_MS },
  ],
};
log(`embeddings: low load added p50 ${addedSupervisor.p50Ms} ms (board.embed), ${addedGateway.p50Ms} ms (gateway); ${result.upstreamHttpCalls} HTTP calls for ${result.requests} requests`);
console.log(JSON.stringify(result, null, 2));
