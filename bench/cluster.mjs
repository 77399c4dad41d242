// Scale-out on Redis (issue 11): 3 gateway processes (`switchboard serve`, each its own process,
// the same config) in front of one simulator process whose 3 keys are each limited to 50
// requests/s; N chats submitted at once, spread round-robin over the 3 gateways.
//  - with `--redis` (one redis-server of the bench's own): targets 0 failures, 0 requests over the
//    limit (the simulator's 429s), total ≤ 21 s for 3,000 (the limit is 20 s); the Redis script
//    round trip's p50 and p99 as each gateway reports it (`/report` → providers.openai.shared).
//  - the same 3 processes without `--redis`: each believes it owns the keys: their over-limit count
//    and failures, for comparison.
// The gateways know no limit of their own: they learn each key's budget from the simulator's
// x-ratelimit headers (one probe per key first), shared through Redis in the first run.
// Run: npm run bench:cluster   (BENCH_SMOKE=1: 300 chats, a few seconds)
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agent, request } from 'undici';
import { machine, round, smoke } from './support/common.mjs';
import { startRedis } from './support/redis.mjs';
import { startSimProcess } from './support/sim-process.mjs';
import { cleanEnv } from './support/gateway-process.mjs';
import { startServerProcess } from './support/server-process.mjs';

const N = smoke ? 300 : 3_000;
const GATEWAYS = 3;
const RPS = 50;
const KEYS = ['sk-cluster-bench-1', 'sk-cluster-bench-2', 'sk-cluster-bench-3'];
const main = fileURLToPath(new URL('../dist/src/cli/main.js', import.meta.url));

function config(upstream) {
  return {
    comment: 'written by bench/cluster.mjs',
    providers: {
      openai: {
        baseUrl: upstream,
        // Keys by environment variable name, never the secret (a config file holds none).
        keys: KEYS.map((_, i) => ({ env: `SB_CLUSTER_BENCH_KEY_${i + 1}`, name: `k${i + 1}`, maxConcurrent: 64 })),
        queue: { size: 5_000, maxConcurrent: 64 },
        strategy: 'headroom',
        deadlineMs: 300_000,
      },
    },
  };
}

async function startGateway(file, dir, redis) {
  const env = cleanEnv(Object.fromEntries(KEYS.map((secret, i) => [`SB_CLUSTER_BENCH_KEY_${i + 1}`, secret])));
  let degraded = 0;
  const gateway = await startServerProcess({
    name: 'switchboard serve',
    script: main,
    args: ['serve', '--port', '0', '--config', file, ...(redis ? ['--redis', redis] : [])],
    env,
    cwd: dir,
    onStderr: (text) => (degraded += (text.match(/Redis link is degraded/g) ?? []).length),
  });
  return { url: gateway.url, degraded: () => degraded, stop: gateway.stop };
}

const agent = new Agent({ connections: 512, pipelining: 1, headersTimeout: 300_000, bodyTimeout: 300_000 });

async function chat(url, i) {
  const res = await request(`${url}/v1/chat/completions`, {
    method: 'POST',
    dispatcher: agent,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: `hello ${i}` }], max_tokens: 16 }),
  });
  const text = await res.body.text();
  if (res.statusCode !== 200) throw new Error(`${res.statusCode}: ${text.slice(0, 200)}`);
  return res.statusCode;
}

async function run(name, sim, redis) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sb-cluster-'));
  const file = path.join(dir, 'switchboard.config.json');
  writeFileSync(file, JSON.stringify(config(sim.urls.openai), null, 2));
  const gateways = await Promise.all(Array.from({ length: GATEWAYS }, () => startGateway(file, dir, redis?.url)));
  try {
    await sim.reset();
    const t0 = performance.now();
    const results = await Promise.allSettled(Array.from({ length: N }, (_, i) => chat(gateways[i % GATEWAYS].url, i)));
    const seconds = (performance.now() - t0) / 1000;
    const stats = await sim.stats();
    const failures = results.filter((r) => r.status === 'rejected');
    const row = {
      name, requests: N, gateways: GATEWAYS, failures: failures.length, seconds: round(seconds),
      httpCalls: stats.providers.openai.requests, overLimit429: stats.providers.openai.byStatus['429'] ?? 0,
      ...(failures.length ? { firstFailure: String(failures[0].reason?.message ?? failures[0].reason).slice(0, 200) } : {}),
    };
    if (redis) {
      const shared = await Promise.all(gateways.map(async (g) => (await (await fetch(`${g.url}/report`)).json()).providers?.openai?.shared ?? null));
      row.shared = shared;
      const p50s = shared.filter(Boolean).map((s) => s.scriptMsP50);
      const p99s = shared.filter(Boolean).map((s) => s.scriptMsP99);
      row.degradedEpisodes = gateways.reduce((n, g) => n + g.degraded(), 0);
      row.redisRoundTripMs = { p50: p50s.length ? round(Math.max(...p50s)) : null, p99: p99s.length ? round(Math.max(...p99s)) : null };
    }
    return row;
  } finally {
    await Promise.all(gateways.map((g) => g.stop()));
    rmSync(dir, { recursive: true, force: true });
  }
}

const sim = await startSimProcess({ openai: { rateLimit: { requestsPerSecond: RPS } } });
const redis = await startRedis();
const rows = [];
try {
  rows.push(await run('3 gateways sharing through Redis', sim, redis));
  rows.push(await run('3 gateways, nothing shared', sim, null));
} finally {
  await sim.stop();
  await redis.stop();
  await agent.close();
}
const limitSeconds = N / (RPS * KEYS.length);
const targets = { shared: { failures: 0, overLimit429: 0, seconds: smoke ? round(limitSeconds * 1.05 + 1) : 21 } };
const [sharedRow, unsharedRow] = rows;
const met = sharedRow.failures === 0 && sharedRow.overLimit429 === 0 && sharedRow.seconds <= targets.shared.seconds;
// `shared` / `unshared`: the summary bench/run-all.mjs checks (failures, overLimit, seconds).
const summary = (r) => ({ failures: r.failures, overLimit: r.overLimit429, seconds: r.seconds, httpCalls: r.httpCalls, ...(r.redisRoundTripMs ? { redisRoundTripMs: r.redisRoundTripMs, degradedEpisodes: r.degradedEpisodes } : {}) });
console.log(JSON.stringify({
  bench: 'cluster', machine: machine(), simulator: `${KEYS.length} keys × ${RPS} requests/s, separate process`,
  shared: summary(sharedRow), unshared: summary(unsharedRow), rows, targets, met,
}));
