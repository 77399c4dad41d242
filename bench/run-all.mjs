// Runs every benchmark as a child process, one after the other (they measure time and CPU: never
// two at once), collects the JSON each prints, checks the targets, and writes docs/BENCHMARKS.md
// with the commit it ran at, and the raw JSON of each run beside it (docs/bench-results/<id>.json).
//   node bench/run-all.mjs                       full run, writes the document (npm run bench)
//   node bench/run-all.mjs --no-write            full run, checks the targets only (npm run bench:check)
//   BENCH_SMOKE=1 node bench/run-all.mjs --no-write   short smoke run of every script (CI, npm test)
// bench/cluster.mjs (the Redis scale-out benchmark) runs when present.
// Options: --no-write (print only), --only core,overhead (a subset; implies --no-write),
//          --save results.json (the raw results), --from results.json (write the document from
//          saved results, running nothing).
// Exit code: 1 when a script fails (non-zero exit, no JSON, a timeout); 2 when a target is missed
// (the document is written first), printing which. A smoke run fails only on a gross regression
// (the scripts' `grossTargets`: the supervisor below 0.5× raw undici, the gateway process above 3×
// the minimal gateway's CPU per request), so the scripts cannot rot silently.
// Expects a built package (npx tsc -p tsconfig.build.json; `npm run bench` builds first).
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { probeUs, SLOW_RATIO, waitForUsualSpeed } from './support/machine-speed.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const smoke = process.env.BENCH_SMOKE === '1';
const args = process.argv.slice(2);
const flag = (name) => args.includes(name);
const value = (name) => {
  const i = args.indexOf(name);
  const inline = args.find((a) => a.startsWith(`${name}=`));
  return inline ? inline.slice(name.length + 1) : i >= 0 ? args[i + 1] : undefined;
};
const only = value('--only')?.split(',').map((s) => s.trim()).filter(Boolean);
const from = value('--from');
const save = value('--save');
const write = !flag('--no-write') && !only && !smoke;
const docPath = `${root}docs/BENCHMARKS.md`;
const resultsDir = `${root}docs/bench-results`;
const log = (line) => process.stderr.write(`${line}\n`);

/** What each benchmark runs with: its command and its configuration, for the document. */
const BENCHES = [
  {
    id: 'core', script: 'core.mjs', nodeFlags: ['--expose-gc'], npm: 'bench:core',
    title: 'Core: the supervisor\'s own CPU per request, heap per queued request',
    config: [
      'Supervisor: one key (its maxConcurrent defaults to queue.maxConcurrent = 64), queue.size 1,000, queue.maxConcurrent 64, metrics on.',
      'Transport: in-process, answers at once (no network): only Switchboard\'s own cost is measured.',
      'A closed loop of 64 over 100,000 requests, 5 runs after a warm-up (smoke: 5,000, 1 run), a run measured while the machine ran 1.3× slower than its usual speed run again (at most twice); then 100,000 requests queued behind maxConcurrent 1 (smoke: 10,000).',
    ],
  },
  {
    id: 'memory', script: 'memory.mjs', nodeFlags: ['--expose-gc'], npm: 'bench:memory',
    title: 'Memory and scale',
    config: [
      'Supervisor: one key, queue.size 200,000, queue.maxConcurrent 64 (1 for the dispatch-cost runs), metrics on; in-process instant transport.',
      '1,000,000 requests through a closed loop of 64 (heap before/after, forced GC); 100,000 queued (heap per queued request); dispatch CPU per request with 10, 1,000 and 100,000 queued behind it (smoke: 50,000 / 10,000 / 10, 1,000, 10,000).',
    ],
  },
  {
    id: 'failfast', script: 'failfast.mjs', nodeFlags: [], npm: 'bench:failfast',
    title: 'Fail-fast with the breaker open',
    config: [
      'Supervisor: default queue (size 100, maxConcurrent 5), one key, breaker forced open (`breaker.force`), in-process transport.',
      '200,000 sequential requests (smoke: 20,000); time from the call to the rejection handler (SB_CIRCUIT_OPEN), after 1,000 warm-up.',
    ],
  },
  {
    id: 'goodput', script: 'goodput.mjs', nodeFlags: [], npm: 'bench:goodput',
    title: 'Goodput under provider rate limits',
    config: [
      'Simulator in its own process (real clock, loopback): 3 keys, each limited to 50 requests/s; 3,000 embedding requests submitted at once (smoke: 300).',
      'Supervisor: strategy headroom, 3 keys each maxConcurrent 64, queue.size 5,000, queue.maxConcurrent 64, deadlineMs 300,000; batching off, then on (maxBatchSize 10, batchTimeoutMs 50).',
      'Peers, with the same 3 keys: the openai SDK (one client per key, requests dealt round-robin, its default 2 retries honouring retry-after); p-queue\'s own rate limiting at the keys\' combined rate (interval 1,000 ms, intervalCap 150) over the same round-robin SDK clients.',
    ],
  },
  {
    id: 'overhead', script: 'overhead.mjs', nodeFlags: [], npm: 'bench:overhead', speedChecked: true,
    title: 'Overhead against a fast upstream: the supervisor beside raw undici and its peers, the gateway beside the minimal Node gateway',
    config: [
      'Upstream: `bench/support/fast-upstream.mjs` in its own process, a raw node:net server with a minimal HTTP/1.1 keep-alive parser answering canned bytes prepared once (0 ms latency, loopback), so that the upstream costs far less than the client.',
      'A closed loop of 64, 10,000 requests per configuration and run, 5 runs (smoke: 3,000, 3 runs, raw undici, the supervisor and the gateways only; BENCH_RUNS, BENCH_REQUESTS, BENCH_CONFIGS override); 2,000 warm-up requests before each measurement and a warm-up round of every configuration before the first run.',
      'Raw undici: `new Pool(origin, { connections: 64 })`, POST, body read as text, JSON.parse. opossum (timeout 60 s, 50%, reset 30 s) and p-queue concurrency 64 + cockatiel (retry ×3 exponential around a consecutive-5 breaker) wrap that call.',
      'Supervisor: provider openai, one key with maxConcurrent 64, queue.size 1,000, queue.maxConcurrent 64, metrics on (default); `board.chat`.',
      'Gateways, each in its own process, called with the raw undici client: the minimal Node gateway (`bench/support/minimal-gateway.mjs`: node:http, JSON.parse of the request to route by model, an undici Pool of 64 upstream, JSON.parse + JSON.stringify of the answer) — the limit for a gateway in Node; and `switchboard serve --config <tmp>` (openai → the fast upstream, the supervisor\'s settings).',
      'CPU per request: the client\'s is `process.cpuUsage()` of the benchmark process; every server process reports its own `process.cpuUsage()` over IPC (`bench/support/cpu-report.mjs`). Each run measures every configuration (the starting one rotating); the two of each target ratio (raw undici and the supervisor; the minimal gateway and `switchboard serve`) are open together and measured in 8 alternating blocks (A B B A …) of 1/8 of the requests, so that the machine\'s drift falls on both alike; ratios are taken within a run, then the median of the runs (min–max). p50/p99 of a paired configuration are the medians of its blocks\'.',
    ],
  },
  {
    id: 'gateway-latency', script: 'gateway-latency.mjs', nodeFlags: [], npm: 'bench:gateway', speedChecked: true,
    title: 'Latency added by the gateway',
    config: [
      'The fast upstream in its own process; `switchboard serve` (configured as in the overhead benchmark) and the minimal Node gateway, each in its own process.',
      'One request at a time, 2,000 per path after 3,000 warm-up rounds (a fresh gateway is still compiling its hot path for its first few thousand requests), 3 runs each with its processes started afresh (smoke: 200 / 50, 1 run); the eight paths (undici or the openai SDK; direct, through `switchboard serve`, through the minimal gateway, through a byte relay) alternate request by request, in an order shuffled each round (seeded), so every path follows every other equally often.',
      'Added latency = the percentile through a gateway minus the same percentile direct, with the same client, in one run; the table gives the median of the runs (each run\'s value in the JSON); the paths\' own percentiles are over every run\'s requests.',
    ],
  },
  {
    id: 'embeddings', script: 'embeddings.mjs', nodeFlags: [], npm: 'bench:embeddings',
    title: 'Embeddings at low load: what batching costs when there is nothing to batch with',
    config: [
      'The fast upstream in its own process; batching on with its defaults (maxBatchSize 10, batchTimeoutMs 500); one request at a time, 3,000 warm-up rounds then 2,000 per path (smoke: 20 and 100), each path bounded to 30 s of wall time (smoke: 2 s); three runs (smoke: one), each with its processes started afresh.',
      'Paths, alternating request by request in an order shuffled each round (seeded): raw undici straight at the upstream (one input); `board.embed` (supervisor in process: one key, maxConcurrent 64); raw undici → `switchboard serve` `/v1/embeddings`.',
      'Added latency = the percentile minus the direct path\'s in the same run; the median of the runs. Under load, batching is measured by the goodput benchmark (≤ 310 HTTP calls for 3,000 embeds).',
    ],
  },
  {
    id: 'cluster', script: 'cluster.mjs', nodeFlags: [], npm: 'bench:cluster', optional: true,
    title: 'Scale-out on Redis',
    config: ['`bench/cluster.mjs` (the Redis scale-out benchmark): targets 0 failures, 0 over-limit requests, ≤ 21 s.'],
  },
];

let interrupted = false;
/** The fastest machine probe of this run (µs), handed to each benchmark; undefined in smoke runs. */
let speedReference;

function runBench(bench) {
  const timeoutMs = smoke ? 120_000 : 30 * 60_000;
  const argv = [...bench.nodeFlags, fileURLToPath(new URL(bench.script, import.meta.url))];
  return new Promise((resolve) => {
    const t0 = performance.now();
    // Its own process group, so that a timeout or Ctrl-C ends the benchmark's own children
    // (the simulator, the gateway) with it.
    // The machine's usual speed, so that each benchmark can tell a slow spell from the start.
    const env = speedReference === undefined ? process.env : { ...process.env, BENCH_SPEED_REFERENCE_US: String(speedReference) };
    const child = spawn(process.execPath, argv, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const killGroup = (signal) => {
      try {
        process.kill(-child.pid, signal);
      } catch {
        child.kill(signal);
      }
    };
    const onSignal = (signal) => {
      killGroup('SIGTERM');
      setTimeout(() => killGroup('SIGKILL'), 3000).unref();
      log(`run-all: ${signal}; stopping ${bench.id}`);
      process.exitCode = 130;
      interrupted = true;
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    let stdout = '';
    let stderrTail = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => {
      process.stderr.write(d);
      stderrTail = (stderrTail + d).slice(-4000);
    });
    const timer = setTimeout(() => {
      log(`run-all: ${bench.id} exceeded ${timeoutMs / 1000} s; killing it`);
      killGroup('SIGKILL');
    }, timeoutMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      // What it left behind in its group (an orphaned gateway, say) goes too.
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // the group is empty: nothing left
      }
      const seconds = Math.round((performance.now() - t0) / 100) / 10;
      let json = null;
      let error = null;
      try {
        json = JSON.parse(stdout);
      } catch {
        const start = stdout.indexOf('{');
        try {
          json = start >= 0 ? JSON.parse(stdout.slice(start)) : null;
        } catch {
          json = null;
        }
      }
      if (code !== 0 || signal) error = `exited with ${signal ?? code}`;
      else if (!json) error = 'printed no JSON';
      resolve({ id: bench.id, command: `node ${argv.map((a) => a.replace(root, '')).join(' ')}`, seconds, ok: !error, error, stderrTail: error ? stderrTail : undefined, json });
    });
  });
}

// ---------- targets ----------
const check = (bench, what, target, measured, met) => ({ bench, what, target, measured, met: Boolean(met) });
function targetsOf(id, j) {
  if (!j) return [];
  switch (id) {
    case 'core':
      return [
        check(id, 'supervisor CPU per request, µs (median)', `≤ ${j.targets.cpuUsPerRequest}`, j.cpuUsPerRequest.median, j.cpuUsPerRequest.median <= j.targets.cpuUsPerRequest),
        check(id, 'heap per queued request, bytes', `≤ ${j.targets.bytesPerQueuedRequest}`, j.bytesPerQueuedRequest, j.bytesPerQueuedRequest <= j.targets.bytesPerQueuedRequest),
      ];
    case 'memory': {
      const d = Object.entries(j.dispatchUsPerRequest).map(([k, v]) => [Number(k), v]).sort((a, b) => a[0] - b[0]);
      const deepest = d[d.length - 1];
      const shallower = Math.min(...d.slice(0, -1).map((x) => x[1]));
      return [
        check(id, `heap growth over ${j.million.requests.toLocaleString('en-US')} requests, MB`, `≤ ${j.targets.heapGrowthMB}`, j.million.heapGrowthMB, j.million.heapGrowthMB <= j.targets.heapGrowthMB),
        check(id, `dispatch µs/request with ${deepest[0].toLocaleString('en-US')} queued vs the least of the shallower queues`, '≤ 1.5× (flat)', `${deepest[1]} vs ${shallower}`, deepest[1] <= 1.5 * shallower),
      ];
    }
    case 'failfast':
      return [check(id, 'rejection p99 with the breaker open, µs', `< ${j.target.p99Us}`, j.rejectUs.p99, j.rejectUs.p99 < j.target.p99Us)];
    case 'goodput': {
      const off = j.rows.find((r) => /batching off/.test(r.name));
      const on = j.rows.find((r) => /batching on/.test(r.name));
      const t = j.targets;
      return [
        check(id, 'without batching: failures', `= ${t.withoutBatching.failures}`, off.failures, off.failures <= t.withoutBatching.failures),
        check(id, 'without batching: total seconds', `≤ ${t.withoutBatching.seconds}`, off.seconds, off.seconds <= t.withoutBatching.seconds),
        check(id, 'without batching: 429s, % of HTTP calls', `≤ ${t.withoutBatching.pct429}`, off.pct429, off.pct429 <= t.withoutBatching.pct429),
        check(id, 'with batching: failures', `= ${t.withBatching.failures}`, on.failures, on.failures <= t.withBatching.failures),
        check(id, 'with batching: HTTP calls', `≤ ${t.withBatching.httpCalls}`, on.httpCalls, on.httpCalls <= t.withBatching.httpCalls),
      ];
    }
    case 'cluster':
      if (!Array.isArray(j.targets)) return clusterTargets(id, j);
    // falls through: a script that lists its own targets
    default:
      // overhead, gateway-latency, embeddings (and any later script): `targets: [{ what, target, measured, met }]`
      return Array.isArray(j.targets) ? j.targets.map((t) => check(id, t.what, t.target, t.measured, t.met)) : [];
  }
}

/**
 * The cluster benchmark's targets when it does not list its own: 0 failures, 0 over-limit requests,
 * ≤ 21 s, read from `shared` (the run with Redis) or the top level, as `failures`, `overLimit`, `seconds`.
 */
function clusterTargets(id, j) {
  const r = j.shared ?? j;
  return [
    check(id, 'shared: failures', '= 0', r.failures, r.failures === 0),
    check(id, 'shared: requests over the limit at the simulator', '= 0', r.overLimit, r.overLimit === 0),
    check(id, 'shared: total seconds', '≤ 21', r.seconds, typeof r.seconds === 'number' && r.seconds <= 21),
  ];
}

/** The checks a smoke run enforces: a gross regression only (the scripts' `grossTargets`). */
const grossOf = (id, j) => (Array.isArray(j?.grossTargets) ? j.grossTargets.map((t) => check(id, t.what, t.target, t.measured, t.met)) : []);

// ---------- the document ----------
const fmt = (x, d = 2) => (x === null || x === undefined || Number.isNaN(x) ? '—' : typeof x === 'number' ? x.toLocaleString('en-US', { maximumFractionDigits: d }) : String(x));
const sp = (s, d = 2) => (s ? (s.min === s.max ? fmt(s.median, d) : `${fmt(s.median, d)} (${fmt(s.min, d)}–${fmt(s.max, d)})`) : '—');
const x = (s) => (s ? (s.min === s.max ? `${fmt(s.median, 2)}×` : `${fmt(s.median, 2)}× (${fmt(s.min, 2)}–${fmt(s.max, 2)})`) : '—');
const table = (head, rows) => [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');

/** The commit measured, and whether the working tree differed from it (dist/ is built from the tree). */
function codeInfo() {
  try {
    const git = (...a) => execFileSync('git', a, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = git('status', '--porcelain', '--', 'src', 'machines', 'bench', 'package.json', 'package-lock.json') !== '';
    return { commit: git('rev-parse', 'HEAD'), short: git('rev-parse', '--short', 'HEAD'), subject: git('log', '-1', '--format=%s'), dirty };
  } catch {
    return null;
  }
}

function machineInfo() {
  const cpus = os.cpus();
  let model = cpus[0]?.model ?? '?';
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) model = m[1].trim();
  } catch {
    // not Linux
  }
  return { cpu: model, cores: cpus.length, memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10, os: `${os.type()} ${os.release()} (${os.arch()})`, node: process.version };
}

function section(bench, result) {
  const out = [`## ${bench.title}`, '', `Command: \`npm run ${bench.npm}\` — \`${result?.command ?? `node ${bench.nodeFlags.join(' ')} bench/${bench.script}`}\`${result ? ` (took ${result.seconds} s)` : ''}`, ''];
  out.push(...bench.config.map((c) => `- ${c}`), '');
  const ms = result?.machineSpeed;
  if (ms) {
    out.push(`Machine speed (bench/support/machine-speed.mjs: a fixed piece of CPU work, µs; this run's fastest ${fmt(ms.referenceUs, 1)}): ${fmt(ms.beforeUs, 1)} before (${fmt(ms.beforeUs / ms.referenceUs, 2)}×${ms.waitedMs > 0 ? `, after waiting ${fmt(ms.waitedMs / 1000, 0)} s for the usual speed` : ''}), ${fmt(ms.afterUs, 1)} after (${fmt(ms.afterUs / ms.referenceUs, 2)}×).`
      + (ms.firstRunInSlowSpell ? ` Measured again at the end of the run: its first measurement fell in a slow spell of the machine (probe ${fmt(ms.firstRunInSlowSpell.beforeUs, 1)} µs before, ${fmt(ms.firstRunInSlowSpell.afterUs, 1)} after).` : ''), '');
  }
  const j = result?.json;
  if (!result?.ok || !j) {
    out.push(`**Not measured**: ${result?.error ?? 'not run'}.`, '');
    return out.join('\n');
  }
  switch (bench.id) {
    case 'core':
      out.push(table(['measure', 'result', 'target'], [
        [`supervisor CPU per request, µs, median (min–max) of ${j.runs} run${j.runs === 1 ? '' : 's'}`, sp(j.cpuUsPerRequest), `≤ ${j.targets.cpuUsPerRequest}`],
        ['wall time per request, µs (closed loop of ' + j.concurrency + ')', fmt(j.wallUsPerRequest), ''],
        [`heap per queued request, bytes (${fmt(j.queued)} queued)`, fmt(j.bytesPerQueuedRequest, 0), `≤ ${j.targets.bytesPerQueuedRequest}`],
      ]));
      break;
    case 'memory':
      out.push(table(['measure', 'result', 'target'], [
        [`heap growth over ${fmt(j.million.requests)} requests, MB`, fmt(j.million.heapGrowthMB), `≤ ${j.targets.heapGrowthMB}`],
        [`heap per queued request, bytes (${fmt(j.queued.queued)} queued)`, fmt(j.queued.bytesPerQueued, 0), ''],
        ...Object.entries(j.dispatchUsPerRequest).map(([depth, us]) => [`dispatch CPU per request with ${fmt(Number(depth))} queued, µs`, fmt(us), 'flat']),
      ]));
      break;
    case 'failfast':
      out.push(table(['measure', 'p50', 'p99', 'max', 'target'], [[`time to SB_CIRCUIT_OPEN, µs (${fmt(j.requests)} requests)`, fmt(j.rejectUs.p50), fmt(j.rejectUs.p99), fmt(j.rejectUs.max), `p99 < ${j.target.p99Us}`]]));
      break;
    case 'goodput':
      out.push(table(['client', 'requests', 'failures', 'seconds', 'HTTP calls', '429s', '429 %'], j.rows.map((r) => [r.name, fmt(r.requests), fmt(r.failures), fmt(r.seconds), fmt(r.httpCalls), fmt(r.http429), fmt(r.pct429)])));
      out.push('', `Targets: without batching ${j.targets.withoutBatching.failures} failures, ≤ ${j.targets.withoutBatching.seconds} s, ≤ ${j.targets.withoutBatching.pct429}% 429s; with batching ${j.targets.withBatching.failures} failures, ≤ ${j.targets.withBatching.httpCalls} HTTP calls.`);
      break;
    case 'overhead': {
      const c = j.config;
      out.push(`${fmt(c.requests)} requests per configuration, closed loop of ${c.concurrency}, ${c.runs} run${c.runs === 1 ? '' : 's'}; median (min–max) of the runs.`, '');
      out.push(table(
        ['configuration', 'requests/s', '× raw undici', 'p50 ms', 'p99 ms', 'client CPU µs/req', 'client CPU added µs/req', 'server process CPU µs/req', '× minimal gateway (req/s; CPU)', 'upstream CPU µs/req', 'other processes, % of machine'],
        j.rows.map((r) => [r.label, sp(r.rps, 0), x(r.vsUndici.rps), sp(r.p50Ms), sp(r.p99Ms), sp(r.clientCpuUsPerReq, 1), r.name === 'undici' ? '—' : sp(r.vsUndici.clientCpuAddedUs, 1), sp(r.serverCpuUsPerReq, 1), r.vsMinimalGateway ? `${x(r.vsMinimalGateway.rps)}; ${x(r.vsMinimalGateway.serverCpu)}` : '—', sp(r.upstreamCpuUsPerReq, 1), sp(r.otherProcessesCpuPct, 0)]),
      ), '');
      out.push('Every process reports its own CPU: the client\'s is `process.cpuUsage()` of the benchmark process, each server\'s (the fast upstream, the gateways) its own `process.cpuUsage()` over IPC. '
        + 'The runs are CPU-bound: the client, the upstream and (for the gateway rows) the gateway share the machine\'s cores, so requests/s reflect CPU per request across the processes; '
        + 'the upstream\'s own CPU per request shows how much of the budget it takes.');
      break;
    }
    case 'gateway-latency': {
      out.push(table(['path', 'requests', 'p50 ms', 'p90 ms', 'p99 ms', 'mean ms'], j.paths.map((p) => [p.label, fmt(p.requests), fmt(p.p50Ms, 3), fmt(p.p90Ms, 3), fmt(p.p99Ms, 3), fmt(p.meanMs, 3)])), '');
      const row = (label, a) => [label, fmt(a.p50Ms, 3), fmt(a.p90Ms, 3), fmt(a.p99Ms, 3), fmt(a.meanMs, 3)];
      out.push(table(['added (same client)', 'p50 ms', 'p90 ms', 'p99 ms', 'mean ms'], [
        row('`switchboard serve`, openai SDK', j.added.openaiSdk),
        row('`switchboard serve`, undici', j.added.undici),
        row('minimal Node gateway, openai SDK', j.added.minimalOpenaiSdk),
        row('minimal Node gateway, undici', j.added.minimalUndici),
        ...(j.added.relayOpenaiSdk ? [row('byte relay (the floor), openai SDK', j.added.relayOpenaiSdk), row('byte relay (the floor), undici', j.added.relayUndici)] : []),
      ]), '');
      if (j.added.relayOpenaiSdk) out.push('The byte relay (`bench/support/byte-relay.mjs`) only copies bytes between the client and the upstream: what one more process on the path costs on this machine before any gateway work.', '');
      out.push(`Process CPU per request, one request at a time: \`switchboard serve\` ${fmt(j.gatewayCpuUsPerRequest, 0)} µs, the minimal gateway ${fmt(j.minimalGatewayCpuUsPerRequest, 0)} µs.`, '');
      if (j.schedule) {
        const ps = Object.entries(j.schedule.processes);
        const waited = ps.reduce((a, [, v]) => a + v.mainWaitMs, 0);
        out.push(`Waiting for a CPU (Linux schedstat, over ${fmt(j.schedule.wallMs / 1000, 1)} s of measurement): the processes' JavaScript threads were runnable but not running for ${fmt(waited, 0)} ms in all (${ps.map(([k, v]) => `${k} ${fmt(v.mainWaitMs, 0)}`).join(', ')}), while their worker threads (V8's compiler and GC helpers, libuv) ran ${fmt(ps.reduce((a, [, v]) => a + v.othersRunMs, 0), 0)} ms. `
          + `For comparison, the requests' time above their path's median came to ${fmt(j.schedule.aboveMedianMs, 0)} ms in all: there is enough waiting for a CPU to account for every path's tail.`, '');
      }
      const pub = Object.entries(j.published.addedMs).map(([k, v]) => `${k} +${v} ms`).join(', ');
      out.push(`For comparison, figures from elsewhere (not measured here): ${pub} — ${j.published.source}.`);
      if (j.noise) out.push('', `Other processes used ${fmt(j.noise.otherProcessesCpuPct?.median, 0)}% of the machine (median of the kept blocks; max ${fmt(j.noise.otherProcessesCpuPct?.max, 0)}%); ${j.noise.repeatedBlocks} block(s) re-measured for noise (${fmt(j.noise.slowBlocks ?? 0, 0)} of them in a slow spell of the machine), ${j.noise.noisyBlocksKept} noisy block(s) kept.`);
      break;
    }
    case 'embeddings':
      out.push(table(['path', 'requests', 'p50 ms', 'p99 ms', 'mean ms'], j.paths.map((p) => [p.label + (p.cappedByBudget ? ' (capped by the time budget)' : ''), fmt(p.requests), fmt(p.p50Ms, 3), fmt(p.p99Ms, 3), fmt(p.meanMs, 3)])), '');
      out.push(table(['added over raw undici', 'p50 ms', 'p99 ms'], [['board.embed', fmt(j.added.supervisor.p50Ms, 3), fmt(j.added.supervisor.p99Ms, 3)], ['`switchboard serve` /v1/embeddings', fmt(j.added.gateway.p50Ms, 3), fmt(j.added.gateway.p99Ms, 3)]]), '');
      out.push(`The upstream answered ${fmt(j.upstreamHttpCalls)} embeddings HTTP calls for ${fmt(j.requests)} requests.`);
      break;
    default:
      out.push('```json', JSON.stringify(j, null, 2), '```');
  }
  out.push('');
  return out.join('\n');
}

function documentOf(results, checks, started, code, fromSmoke = false) {
  const m = machineInfo();
  const byId = Object.fromEntries(results.map((r) => [r.id, r]));
  const lines = [
    '# Benchmarks',
    '',
    `${fromSmoke ? '**From a smoke run: the figures are not measurements.** ' : ''}Generated by \`npm run bench\` (\`node bench/run-all.mjs\`) on ${started}. Do not edit by hand: rerun it. `
      + 'Every script also runs alone (`npm run bench:<name>`); `npm run bench:check` runs them all and fails when a target is missed; '
      + '`npm run bench:smoke:built` (part of `npm test`) runs all of them briefly and fails on a gross regression.',
    '',
    '## Machine',
    '',
    table(['CPU', 'cores', 'memory', 'OS', 'Node.js', 'date', 'code'], [[m.cpu, String(m.cores), `${m.memoryGiB} GiB`, m.os, m.node, started, code ? `${code.short ?? code.commit}${code.dirty ? ' + uncommitted changes' : ''}` : '—']]),
    '',
    code ? `Measured at commit \`${code.commit}\`${code.subject ? ` ("${code.subject}")` : ''}${code.dirty ? ', with uncommitted changes in src/, machines/, bench/ or package.json: rerun on a clean tree' : ''}. The raw JSON of each run is in [\`docs/bench-results/\`](bench-results/).` : 'Commit unknown (no git).',
    '',
    'Every benchmark imports the built package (`dist/`). Overhead and latency are measured against a fast canned-body upstream in its own process (`bench/support/fast-upstream.mjs`); '
      + 'behaviour under rate limits against the simulator in its own process over loopback with the real clock. '
      + 'The machine may be shared, so the overhead and gateway-latency benchmarks wait for other processes to go quiet before each measurement and repeat a disturbed one (the share other processes used is reported). '
      + 'A shared host can also slow the whole machine for tens of seconds with no process busy (the same CPU work taking twice as long): a fixed CPU probe runs before each benchmark, which waits (at most a minute) for the machine\'s usual speed, and after it; each section gives both probes.',
    '',
    '## Targets',
    '',
    table(['benchmark', 'measure', 'target', 'measured', 'met'], checks.map((c) => [c.bench, c.what, c.target, fmt(c.measured, 3), c.met ? 'yes' : '**no**'])),
    '',
  ];
  for (const bench of BENCHES) lines.push(section(bench, byId[bench.id]));
  return `${lines.join('\n').replace(/\n{3,}/g, '\n\n').trim()}\n`;
}

/** The README's benchmark table (between `<!-- bench:start -->` and `<!-- bench:end -->`): every target, measured. */
function readmeTable(checks, started, code) {
  const m = machineInfo();
  return [
    '<!-- Written by `npm run bench` (bench/run-all.mjs); do not edit by hand. -->',
    `Measured on ${started.slice(0, 10)} at commit \`${code?.short ?? code?.commit ?? '?'}\`${code?.dirty ? ' (with uncommitted changes)' : ''} on ${m.cores} cores (${m.cpu}, Node ${m.node}); medians, ratios within one run. Details: [\`docs/BENCHMARKS.md\`](docs/BENCHMARKS.md).`,
    '',
    table(['benchmark', 'measure', 'measured', 'target', 'met'], checks.map((c) => [`\`npm run ${BENCHES.find((b) => b.id === c.bench)?.npm ?? c.bench}\``, c.what, fmt(c.measured, 3), c.target, c.met ? 'yes' : '**no**'])),
  ].join('\n');
}

function writeReadme(checks, started, code) {
  const path = `${root}README.md`;
  let text;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return;
  }
  const start = '<!-- bench:start -->';
  const end = '<!-- bench:end -->';
  const a = text.indexOf(start);
  const b = text.indexOf(end);
  if (a < 0 || b < a) return log('run-all: README.md has no <!-- bench:start --> … <!-- bench:end --> block; left as it was');
  writeFileSync(path, `${text.slice(0, a + start.length)}\n${readmeTable(checks, started, code)}\n${text.slice(b)}`);
  log('run-all: wrote the benchmark table of README.md');
}

// ---------- main ----------
const started = new Date().toISOString();
const codeAtStart = codeInfo();
let results;
if (from) {
  ({ results } = JSON.parse(readFileSync(from, 'utf8')));
} else {
  if (!existsSync(`${root}dist/src/index.js`)) {
    log('run-all: dist/ is missing: build first (npx tsc -p tsconfig.build.json, or npm run bench)');
    process.exit(1);
  }
  const present = BENCHES.filter((b) => !b.optional || existsSync(fileURLToPath(new URL(b.script, import.meta.url))));
  const selected = only ? present.filter((b) => only.includes(b.id)) : present;
  if (only && selected.length !== only.length) {
    log(`run-all: unknown benchmark in --only; known: ${present.map((b) => b.id).join(', ')}`);
    process.exit(1);
  }
  results = [];
  // The machine's speed (bench/support/machine-speed.mjs): the fastest of a few probes first, then
  // before each benchmark a wait (at most a minute; not in smoke runs) for the usual speed.
  const speed = { referenceUs: smoke ? undefined : Math.min(probeUs(), probeUs(), probeUs()) };
  for (const bench of selected) {
    if (interrupted) break;
    const before = smoke ? null : await waitForUsualSpeed(speed);
    speedReference = speed.referenceUs;
    if (before && !before.usual) log(`run-all: the machine is still ${fmt(before.probeUs / before.referenceUs, 2)}× slower than its usual speed after ${before.waitedMs / 1000} s; running ${bench.id} anyway`);
    log(`run-all: ${bench.id}${smoke ? ' (smoke)' : ''}…`);
    const r = await runBench(bench);
    if (before) r.machineSpeed = { referenceUs: speed.referenceUs, beforeUs: before.probeUs, afterUs: probeUs(), waitedMs: before.waitedMs };
    log(`run-all: ${bench.id} ${r.ok ? 'ok' : `FAILED (${r.error})`} in ${r.seconds} s${r.machineSpeed ? ` (machine probe ${r.machineSpeed.beforeUs} µs before, ${r.machineSpeed.afterUs} after; fastest ${r.machineSpeed.referenceUs})` : ''}`);
    if (!r.ok && r.stderrTail) log(r.stderrTail);
    results.push(r);
  }
  // The first probes may themselves fall in a slow spell (then a benchmark measured in it looks
  // usual): with the fastest probe of the whole run known, a benchmark that started SLOW_RATIO
  // slower than that — or ended so, unless it re-measures its own slow blocks (speedChecked: the
  // machine is often slow right after a heavy benchmark) — is run again, once, at the usual speed.
  for (let i = 0; !smoke && i < results.length && !interrupted; i++) {
    const first = results[i];
    const m = first.machineSpeed;
    const bench = selected.find((b) => b.id === first.id);
    const slow = (us) => us > SLOW_RATIO * speed.referenceUs;
    if (!first.ok || !m || !(slow(m.beforeUs) || (slow(m.afterUs) && !bench.speedChecked))) continue;
    const before = await waitForUsualSpeed(speed);
    speedReference = speed.referenceUs;
    log(`run-all: ${bench.id} again: measured while the machine ran ${fmt(Math.max(m.beforeUs, m.afterUs) / speed.referenceUs, 2)}× slower than its usual speed (probe ${m.beforeUs} µs before, ${m.afterUs} after; fastest ${speed.referenceUs})…`);
    const r = await runBench(bench);
    r.machineSpeed = { referenceUs: speed.referenceUs, beforeUs: before.probeUs, afterUs: probeUs(), waitedMs: before.waitedMs, firstRunInSlowSpell: { beforeUs: m.beforeUs, afterUs: m.afterUs } };
    log(`run-all: ${bench.id} ${r.ok ? 'ok' : `FAILED (${r.error})`} in ${r.seconds} s (machine probe ${r.machineSpeed.beforeUs} µs before, ${r.machineSpeed.afterUs} after)`);
    if (r.ok) results[i] = r;
  }
  if (save) writeFileSync(save, JSON.stringify({ started, smoke, code: codeAtStart, results }, null, 2));
}

const checks = results.flatMap((r) => (r.ok ? targetsOf(r.id, r.json) : []));
const gross = results.flatMap((r) => (r.ok ? grossOf(r.id, r.json) : []));
const failed = results.filter((r) => !r.ok);
// A full run enforces every target; a smoke run (too short to measure them) only the gross ones.
const enforced = smoke ? gross : checks;
const missed = enforced.filter((c) => !c.met);
const summary = {
  smoke,
  code: codeAtStart,
  machine: machineInfo(),
  scripts: results.map((r) => ({ id: r.id, ok: r.ok, seconds: r.seconds, error: r.error ?? undefined })),
  targets: checks,
  grossTargets: gross,
  results: Object.fromEntries(results.map((r) => [r.id, r.json])),
};
console.log(JSON.stringify(summary, null, 2));
for (const c of enforced) log(`run-all: ${smoke ? 'gross check' : 'target'} ${c.met ? 'met   ' : 'MISSED'} ${c.bench}: ${c.what} ${c.target} — measured ${fmt(c.measured, 3)}`);

if (interrupted) {
  log('run-all: interrupted; docs/BENCHMARKS.md left as it was');
  process.exit(130);
}
if ((write || (from && !flag('--no-write'))) && failed.length === 0) {
  const saved = from ? JSON.parse(readFileSync(from, 'utf8')) : null;
  const runStarted = saved ? saved.started : started;
  const runCode = saved ? saved.code ?? null : codeAtStart;
  writeFileSync(docPath, documentOf(results, checks, runStarted, runCode, Boolean(saved?.smoke)));
  log(`run-all: wrote ${docPath.replace(root, '')}`);
  // The raw JSON of each run, beside the document, with what it ran at.
  mkdirSync(resultsDir, { recursive: true });
  for (const r of results) {
    const file = `${resultsDir}/${r.id}.json`;
    writeFileSync(file, `${JSON.stringify({ id: r.id, started: runStarted, code: runCode, machine: machineInfo(), command: r.command, seconds: r.seconds, machineSpeed: r.machineSpeed, targets: targetsOf(r.id, r.json), result: r.json }, null, 2)}\n`);
  }
  log(`run-all: wrote ${resultsDir.replace(root, '')}/<id>.json (${results.map((r) => r.id).join(', ')})`);
  writeReadme(checks, runStarted, runCode);
} else if (write) {
  log('run-all: a script failed; docs/BENCHMARKS.md left as it was');
}
if (smoke && !flag('--no-write')) log('run-all: smoke mode: docs/BENCHMARKS.md is never written from smoke numbers');
if (failed.length > 0) {
  log(`run-all: ${failed.length} script(s) failed: ${failed.map((r) => r.id).join(', ')}`);
  process.exit(1);
}
if (missed.length > 0) {
  log(`run-all: ${missed.length} ${smoke ? 'gross regression check(s) failed' : 'target(s) missed'}:`);
  for (const c of missed) log(`  ${c.bench}: ${c.what} ${c.target} — measured ${fmt(c.measured, 3)}`);
  process.exit(2);
}
log(`run-all: ${smoke ? 'smoke run: no gross regression' : `all ${checks.length} targets met`}`);
