// A closed loop (N workers, each sends its next request when the last one settles) with latency in
// an HDR histogram, wall time and CPU (this process's, and optionally other processes' by pid),
// plus the spread helpers the overhead and gateway benchmarks share.
import * as hdr from 'hdr-histogram-js';
import { foreignLoad, quietBudgetLeftMs, waitForQuiet } from './machine-load.mjs';
import { SLOW_RATIO } from './machine-speed.mjs';
import { procCpuUs } from './proc.mjs';
import { round } from './common.mjs';

/** How quiet the machine must be (other processes' share, %) and how long to wait for it: BENCH_QUIET_PCT, BENCH_QUIET_WAIT_MS. */
export const quietPct = Number(process.env.BENCH_QUIET_PCT) || 10;
export const quietWaitMs = Number(process.env.BENCH_QUIET_WAIT_MS) || 30_000;

/** A histogram of nanoseconds (1 ns .. 10 min, 3 significant digits). */
export const histogram = () => hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 600e9, numberOfSignificantValueDigits: 3 });

/**
 * Runs `total` calls with `concurrency` workers. `probes` maps a name to an async function answering
 * another process's own CPU so far (µs; a server process's `cpuUs`), read before and after; `pids`
 * does the same from /proc (10 ms resolution) for a process without one. `watch` lists every process
 * of the benchmark, so that `foreignCpuPct` is the share of the machine the OTHER processes used
 * meanwhile (null without /proc). Errors are counted, not thrown; the first is kept.
 */
export async function closedLoop(call, { total, concurrency, pids = {}, probes = {}, watch = Object.values(pids) }) {
  const h = histogram();
  let left = total;
  let errors = 0;
  let firstError = null;
  const worker = async () => {
    while (left > 0) {
      left--;
      const t0 = performance.now();
      try {
        await call();
      } catch (error) {
        errors++;
        firstError ??= error;
      }
      h.recordValue(Math.max(1, Math.round((performance.now() - t0) * 1e6)));
    }
  };
  const other0 = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, procCpuUs(pid)]));
  const probe0 = Object.fromEntries(await Promise.all(Object.entries(probes).map(async ([k, f]) => [k, await f()])));
  const load = foreignLoad(watch, { speed: true });
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const foreignCpuPct = load.stop();
  const slowness = load.slowness();
  const other = {};
  for (const [k, pid] of Object.entries(pids)) {
    const now = procCpuUs(pid);
    other[k] = now === null || other0[k] === null ? null : (now - other0[k]) / total;
  }
  for (const [k, f] of Object.entries(probes)) other[k] = ((await f()) - probe0[k]) / total;
  return {
    requests: total,
    errors,
    firstError: firstError ? String(firstError?.message ?? firstError).slice(0, 300) : undefined,
    seconds,
    rps: total / seconds,
    p50Ms: h.getValueAtPercentile(50) / 1e6,
    p99Ms: h.getValueAtPercentile(99) / 1e6,
    clientCpuUsPerReq: (cpu.user + cpu.system) / total,
    otherCpuUsPerReq: other,
    foreignCpuPct,
    slowness,
  };
}

/** { median, min, max } of numbers, rounded; null when there are none. */
export function spread(xs, digits = 2) {
  const v = xs.filter((x) => typeof x === 'number' && Number.isFinite(x));
  if (v.length === 0) return null;
  const s = [...v].sort((a, b) => a - b);
  const mid = s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  return { median: round(mid, digits), min: round(s[0], digits), max: round(s[s.length - 1], digits) };
}

/** One histogram per name holding every run's requests together (`runs[i].hist[name]`). */
export function pooledHistograms(runs, names) {
  return Object.fromEntries(names.map((name) => {
    const h = histogram();
    for (const run of runs) h.add(run.hist[name]);
    return [name, h];
  }));
}

/** `list` rotated left by `by`: run r starts with configuration r, so no one always goes first. */
export const rotate = (list, by) => list.map((_, i) => list[(i + by) % list.length]);

/**
 * Runs `measure()` (which answers an object with `foreignCpuPct` and `slowness`) when the machine is
 * quiet and at its usual speed, and again (at most `attempts` times in all) when other processes
 * used more than `thresholdPct` × 1.5 of it meanwhile or the machine slowed past SLOW_RATIO
 * (bench/support/machine-speed.mjs), while the process's waiting budget lasts. In smoke mode it neither waits nor
 * repeats. The answer carries `attempts` and `waitedMs`.
 */
export async function quietly(measure, { pids = [], smoke = false, thresholdPct = quietPct, maxWaitMs = quietWaitMs, attempts = 3 } = {}) {
  let result;
  let waitedMs = 0;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    if (!smoke) waitedMs += (await waitForQuiet({ pids, thresholdPct, maxWaitMs })).waitedMs;
    result = await measure();
    result.attempts = attempt;
    result.waitedMs = waitedMs;
    const disturbed = (result.foreignCpuPct !== null && result.foreignCpuPct > thresholdPct * 1.5) || (result.slowness ?? 1) > SLOW_RATIO;
    if (smoke || !disturbed || quietBudgetLeftMs() <= 0) break;
  }
  return result;
}
