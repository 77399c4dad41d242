/**
 * `switchboard demo [--json] [--fast]`: a mixed workload against the embedded simulator, with a live
 * progress view and the final report. One file on purpose: the workload, its live view and its
 * tables only make sense together, and nothing else imports them.
 */
import { setTimeout as realSleep } from 'node:timers/promises';
import type { TestClock } from '../clock.js';
import { countingTransport, driveClock } from './demo-clock.js';
import { MultiBar, type SingleBar } from 'cli-progress';
import { invalid } from '../options.js';
import { createRouter, routeModel, type Router, type RouterReport } from '../router/index.js';
import { startSimulator } from '../sim/index.js';
import { mulberry32 } from '../sim/random.js';
import type { PriorityName, Provider } from '../types.js';

export interface DemoOptions {
  /** Print only the final report as JSON (no progress view, no tables). */
  json?: boolean;
  /** A run of ~3 s instead of ~12 s. */
  fast?: boolean;
  /** A stream (a TTY gets live bars, anything else plain periodic lines) or a line sink. Default `process.stdout`. */
  out?: NodeJS.WritableStream | ((line: string) => void);
  /** Seed of the workload and the simulator (default 7): the same seed sends the same requests. */
  seed?: number;
  /**
   * Runs the workload on this simulated clock instead of real time (tests): the simulator and the
   * router share it, and it moves only when no answer is on its way, so the breaker opens and
   * recovers at the same simulated instants however loaded the machine is.
   */
  clock?: TestClock;
}

export interface DemoResult {
  report: RouterReport;
  /** Wall time of the whole run, ms. */
  elapsedMs: number;
  /** Every breaker transition, ms since the start: the outage trips one and it recovers. */
  breakerLog: Array<{ provider: Provider; to: string; atMs: number }>;
}

type Job = { at: number; priority: PriorityName; kind: 'chat' | 'embed'; model: string; text: string };

const PRIORITIES: PriorityName[] = ['high', 'normal', 'low'];
/** The mix: [weight, kind, model]. Embeddings on openai are micro-batched; gemini's too. */
const MIX: Array<[number, Job['kind'], string]> = [
  [34, 'chat', 'gpt-4o-mini'], [18, 'chat', 'claude-3-5-haiku-latest'], [12, 'chat', 'gemini-2.0-flash'],
  [10, 'chat', 'llama-3.1-8b-instant'], [16, 'embed', 'text-embedding-3-small'], [10, 'embed', 'text-embedding-004'],
];
const RATE_LIMITED_KEY = 'sk-demo-openai-c-0000000000000003';

function plan(seed: number, durationMs: number, perSecond: number): Job[] {
  const random = mulberry32(seed);
  const total = Math.round((durationMs / 1000) * perSecond);
  const weight = MIX.reduce((s, [w]) => s + w, 0);
  const jobs: Job[] = [];
  for (let i = 0; i < total; i++) {
    let pick = random() * weight;
    const [, kind, model] = MIX.find(([w]) => (pick -= w) < 0) ?? MIX[0]!;
    const p = random();
    jobs.push({ at: (i / total) * durationMs, priority: p < 0.2 ? 'high' : p < 0.7 ? 'normal' : 'low', kind, model, text: `demo request ${i}: ${Math.floor(random() * 1e6)}` });
  }
  return jobs;
}

/**
 * Runs the demo: the simulator on a loopback port, a router over openai, anthropic, gemini and groq
 * with several keys each (one openai key rate-limited by the simulator), three priorities, chat and
 * embeddings, and an openai outage that trips its breaker, which then recovers. Resolves with the
 * final report once every request has settled and everything is stopped.
 */
export async function runDemo(options: DemoOptions = {}): Promise<DemoResult> {
  const { json = false, fast = false, seed = 7 } = options;
  const durationMs = fast ? 3_000 : 12_000;
  const resetTimeoutMs = fast ? 400 : 1_500;
  const sink = output(options.out ?? process.stdout);
  const clock = options.clock;
  const now = clock ? () => clock.now() : () => Date.now();
  const sleep = clock ? (ms: number) => new Promise<void>((resolve) => clock.setTimeout(resolve, ms)) : (ms: number) => realSleep(ms);
  const http = clock ? countingTransport() : null;
  const sim = await startSimulator({
    ...(clock ? { clock } : {}),
    seed,
    defaults: { latencyMs: fast ? 15 : 40 },
    anthropic: { errorRates: { 529: 0.04 } },
    groq: { errorRates: { 500: 0.03 } },
    keys: { [RATE_LIMITED_KEY]: { rateLimit: { requestsPerSecond: 3 } } },
  });
  const common = {
    queue: { size: 300, maxConcurrent: 6 },
    circuitBreaker: { failureThreshold: 3, resetTimeoutMs, halfOpenProbes: 1 },
    retry: { maxRetries: 3, initialDelayMs: 100, maxDelayMs: 1_000 },
    ...(http ? { transport: http.transport } : {}),
  };
  const keys = (provider: string, n: number) =>
    Array.from({ length: n }, (_, i) => ({ name: `${provider}-${'abc'[i]}`, secret: `sk-demo-${provider}-${'abc'[i]}-000000000000000${i + 1}` }));
  const router: Router = createRouter({
    ...(clock ? { clock, random: mulberry32(seed + 1) } : {}),
    providers: {
      openai: { ...common, baseUrl: sim.urls.openai, keys: keys('openai', 3), batching: { maxBatchSize: 8, batchTimeoutMs: 80 } },
      anthropic: { ...common, baseUrl: sim.urls.anthropic, keys: keys('anthropic', 2) },
      gemini: { ...common, baseUrl: sim.urls.gemini, keys: keys('gemini', 2), batching: { maxBatchSize: 8, batchTimeoutMs: 80, models: ['text-embedding-004'] } },
      groq: { ...common, baseUrl: sim.urls.groq, keys: keys('groq', 2) },
    },
    fallbacks: { 'gpt-4o-mini': ['anthropic/claude-3-5-haiku-latest', 'gemini/gemini-2.0-flash'] },
  });

  const stopDriving = clock ? driveClock(clock, sim, http!.busy) : () => {};
  const started = now();
  const breakerLog: DemoResult['breakerLog'] = [];
  const cooled = new Map<string, number>();
  for (const [provider, board] of router.boards) {
    board.on('key.cooling', ({ keyName }) => void cooled.set(keyName, (cooled.get(keyName) ?? 0) + 1));
    for (const type of ['breaker.opened', 'breaker.halfOpen', 'breaker.closed'] as const) {
      board.on(type, () => breakerLog.push({ provider, to: board.state().breaker, atMs: now() - started }));
    }
  }

  const jobs = plan(seed, durationMs, fast ? 60 : 45);
  const count = { submitted: { high: 0, normal: 0, low: 0 }, done: { high: 0, normal: 0, low: 0 }, failed: { high: 0, normal: 0, low: 0 } };
  const totals = { high: 0, normal: 0, low: 0 };
  for (const j of jobs) totals[j.priority]++;
  const view = json ? null : liveView(sink, router, count, totals, started, now);
  const pending: Array<Promise<unknown>> = [];
  const outage = { from: durationMs * 0.25, forMs: durationMs * 0.3, on: false };

  for (const job of jobs) {
    const wait = started + job.at - now();
    if (wait > 0) await sleep(wait);
    if (!outage.on && now() - started >= outage.from) {
      outage.on = true;
      sim.configure({ openai: { outage: { status: 503, forMs: outage.forMs } } });
      view?.note(`openai outage: 503 for ${(outage.forMs / 1000).toFixed(1)} s`);
    }
    count.submitted[job.priority]++;
    const request = job.kind === 'chat'
      ? router.chat({ model: job.model, messages: [{ role: 'user', content: job.text }], maxTokens: 32 }, { priority: job.priority })
      : router.embed({ model: job.model, input: job.text }, { priority: job.priority });
    pending.push(request.then(
      () => void count.done[job.priority]++,
      () => void (count.done[job.priority]++, count.failed[job.priority]++),
    ));
  }
  await Promise.all(pending);
  const report = router.report({ includeDetails: false });
  const elapsedMs = now() - started;
  view?.stop();
  stopDriving();
  await router.stop();
  await http?.close();
  await sim.stop();

  if (json) sink.line(JSON.stringify(report, null, 2));
  else printReport(sink, report, breakerLog, elapsedMs, count, cooled);
  return { report, elapsedMs, breakerLog };
}

/** `switchboard demo [--json] [--fast]`, as `src/cli/main.ts` calls it. */
export async function runDemoCommand(argv: string[] = []): Promise<DemoResult | null> {
  const options: DemoOptions = {};
  for (const arg of argv) {
    if (arg === '--json') options.json = true;
    else if (arg === '--fast') options.fast = true;
    else if (arg === '--help' || arg === '-h') {
      console.log('usage: switchboard demo [--json] [--fast]\n  --json  print only the final report, as JSON\n  --fast  a run of a few seconds');
      return null;
    } else throw invalid('switchboard demo', 'argument', 'one of --json, --fast', arg);
  }
  return runDemo(options);
}

// ── output ────────────────────────────────────────────────────────────────────────────────────

interface Sink {
  line(text: string): void;
  /** The stream, when it is a terminal (live bars go there). */
  tty: NodeJS.WriteStream | null;
}

function output(out: NodeJS.WritableStream | ((line: string) => void)): Sink {
  if (typeof out === 'function') return { line: out, tty: null };
  const tty = (out as NodeJS.WriteStream).isTTY ? (out as NodeJS.WriteStream) : null;
  return { line: (text) => void out.write(text + '\n'), tty };
}

type Counts = Record<'submitted' | 'done' | 'failed', Record<PriorityName, number>>;

/** Bars on a terminal; elsewhere (a pipe, a CI log) one plain line per period. */
function liveView(sink: Sink, router: Router, count: Counts, totals: Record<PriorityName, number>, started: number, now: () => number = Date.now) {
  const figures = () => {
    const queued = { high: 0, normal: 0, low: 0 };
    const breakers: string[] = [];
    for (const [name, s] of Object.entries(router.state())) {
      for (const p of PRIORITIES) queued[p] += s!.queue.byPriority[p];
      breakers.push(`${name}=${s!.breaker}`);
    }
    const rows = PRIORITIES.map((p) => ({
      p, done: count.done[p], failed: count.failed[p], queued: queued[p],
      inflight: Math.max(0, count.submitted[p] - count.done[p] - queued[p]),
    }));
    return { rows, breakers: breakers.join(' '), t: ((now() - started) / 1000).toFixed(1) };
  };

  if (sink.tty) {
    const multi = new MultiBar({
      stream: sink.tty, hideCursor: true, clearOnComplete: false, fps: 10, barsize: 24, autopadding: true,
      format: ' {name} {bar} {value}/{total} done | {inflight} in flight | {queued} queued | {failed} failed',
    });
    const bars = new Map<PriorityName, SingleBar>(PRIORITIES.map((p) => [p, multi.create(totals[p], 0, { name: p.padEnd(6), inflight: 0, queued: 0, failed: 0 })]));
    const status = multi.create(1, 0, { text: '' }, { format: ' {text}' });
    const timer = setInterval(() => {
      const f = figures();
      for (const r of f.rows) bars.get(r.p)!.update(r.done, { inflight: r.inflight, queued: r.queued, failed: r.failed });
      status.update(0, { text: `t=${f.t}s  breakers: ${f.breakers}` });
    }, 100);
    return {
      note: (text: string) => multi.log(`${text}\n`),
      stop: () => {
        clearInterval(timer);
        const f = figures();
        for (const r of f.rows) bars.get(r.p)!.update(r.done, { inflight: r.inflight, queued: r.queued, failed: r.failed });
        status.update(0, { text: `t=${f.t}s  breakers: ${f.breakers}` });
        multi.stop();
      },
    };
  }

  const print = () => {
    const f = figures();
    const parts = f.rows.map((r) => `${r.p} ${r.done}/${totals[r.p]} (${r.inflight} in flight, ${r.queued} queued, ${r.failed} failed)`);
    sink.line(`[${f.t.padStart(5)}s] ${parts.join(' | ')} | ${f.breakers}`);
  };
  const timer = setInterval(print, 1_000);
  return {
    note: (text: string) => sink.line(text),
    stop: () => {
      clearInterval(timer);
      print();
    },
  };
}

/** A plain-text table: a header, a rule, right-aligned numbers. */
function table(sink: Sink, title: string, head: string[], rows: Array<Array<string | number>>): void {
  sink.line('');
  sink.line(title);
  if (rows.length === 0) return sink.line('  (none)');
  const cells = [head, ...rows.map((r) => r.map(String))];
  const widths = head.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const numeric = head.map((_, i) => rows.every((r) => typeof r[i] === 'number'));
  const fmt = (r: string[]) => '  ' + r.map((c, i) => (numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  sink.line(fmt(head));
  sink.line('  ' + widths.map((w) => '─'.repeat(w)).join('  '));
  for (const r of cells.slice(1)) sink.line(fmt(r));
}

function printReport(sink: Sink, report: RouterReport, breakerLog: DemoResult['breakerLog'], elapsedMs: number, count: Counts, cooled: Map<string, number>): void {
  const o = report.overall;
  const providers = Object.entries(report.providers);
  const sent = sum(PRIORITIES.map((p) => count.submitted[p]));
  const failed = sum(PRIORITIES.map((p) => count.failed[p]));
  sink.line('');
  // The caller's view first: a request that fell back is one request, counted by both providers below.
  sink.line(`Switchboard demo: ${sent} requests in ${(elapsedMs / 1000).toFixed(1)} s — ${sent - failed} answered (${o.fallbacks} of them by a fallback model after their first provider failed), ${failed} failed; ${o.retries} retries`);
  // Served by a fallback after failing at this provider: `report.fallbacks` is keyed by the model asked for.
  const fellBack = new Map<string, number>();
  for (const [from, to] of Object.entries(report.fallbacks)) {
    const provider = routeModel(from)?.provider;
    if (provider) fellBack.set(provider, (fellBack.get(provider) ?? 0) + sum(Object.values(to)));
  }
  table(sink, 'Providers (a request that fell back is counted at each provider it reached)', ['provider', 'requests', 'ok', 'failed', 'then served by a fallback', 'success %', 'retries', 'p50 ms', 'p95 ms', 'breaker', 'trips'],
    providers.map(([name, r]) => [name, r!.summary.totalRequests, r!.summary.succeeded, r!.summary.failed, fellBack.get(name) ?? 0, r!.summary.successRate, r!.summary.retries,
      Math.round(r!.summary.p50LatencyMs), Math.round(r!.summary.p95LatencyMs), r!.circuitBreaker.state, r!.circuitBreaker.trips]));
  // Caller requests, once each (they add up to the headline); the waits are the worst provider's.
  table(sink, 'Priorities (caller requests; queue wait at the worst provider)', ['priority', 'requests', 'answered', 'failed', 'wait p50 ms', 'wait p99 ms'],
    PRIORITIES.map((p) => [p, count.submitted[p], count.submitted[p] - count.failed[p], count.failed[p],
      Math.round(Math.max(0, ...providers.map(([, r]) => r!.byPriority[p].queueWaitP50Ms))), Math.round(Math.max(0, ...providers.map(([, r]) => r!.byPriority[p].queueWaitP99Ms)))]));
  table(sink, 'Keys (cooled: paused on a 429 or a spent request budget)', ['provider', 'key', 'attempts', 'ok', 'failed', '429s', 'cooled', 'state'],
    providers.flatMap(([name, r]) => Object.entries(r!.keys).map(([k, v]) => [name, k, v.attempts, v.succeeded, v.failed, v.rateLimited, cooled.get(k) ?? 0, v.state])));
  table(sink, 'Batching', ['provider', 'batches', 'batched requests', 'avg size', 'HTTP calls saved'],
    providers.filter(([, r]) => r!.batching.batches > 0).map(([name, r]) => [name, r!.batching.batches, r!.batching.batchedRequests, r!.batching.avgBatchSize, r!.batching.httpCallsSaved]));
  const errors = new Map<string, number>();
  for (const [, r] of providers) for (const [code, n] of Object.entries(r!.errors)) errors.set(code, (errors.get(code) ?? 0) + n);
  table(sink, 'Errors', ['code', 'count'], [...errors].sort((a, b) => b[1] - a[1]).map(([code, n]) => [code, n]));
  table(sink, 'Fallbacks', ['requested', 'served by', 'count'],
    Object.entries(report.fallbacks).flatMap(([from, to]) => Object.entries(to).map(([model, n]) => [from, model, n])));
  table(sink, 'Breaker transitions', ['provider', 'to', 'at s'], breakerLog.map((b) => [b.provider, b.to, (b.atMs / 1000).toFixed(2)]));
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
