// How busy the whole machine was (from /proc/stat), so a measurement disturbed by other processes
// (a test suite running beside the benchmark) can be seen, and repeated.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { SLOW_RATIO, slowness } from './machine-speed.mjs';
import { procCpuUs, ticksPerSecond } from './proc.mjs';

/** Busy CPU time of the whole machine so far, µs (all cores; USER_HZ ticks as in /proc/<pid>/stat); null without /proc. */
export function machineBusyUs() {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0];
    const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
    return ((user + nice + system + irq + softirq + (steal || 0)) / ticksPerSecond) * 1e6;
  } catch {
    return null;
  }
}

/**
 * Starts a measurement of the CPU used by processes other than this one and `pids`; `stop()`
 * answers it as a percentage of the whole machine (all cores) over the interval, or null. With
 * `speed`, the machine's speed is probed at the start and, on `slowness()`, at the end: the larger
 * slowness of the two (bench/support/machine-speed.mjs; 1 = the usual speed).
 */
export function foreignLoad(pids = [], { speed = false } = {}) {
  const slow0 = speed ? slowness() : 1;
  const cores = os.cpus().length;
  const ours = () => {
    const cpu = process.cpuUsage();
    let sum = cpu.user + cpu.system;
    for (const pid of pids) sum += procCpuUs(pid) ?? 0;
    return sum;
  };
  const busy0 = machineBusyUs();
  const ours0 = ours();
  const t0 = performance.now();
  return {
    stop() {
      const busy = machineBusyUs();
      if (busy === null || busy0 === null) return null;
      const wallUs = (performance.now() - t0) * 1000;
      const foreign = busy - busy0 - (ours() - ours0);
      return Math.max(0, (foreign / (wallUs * cores)) * 100);
    },
    slowness: () => (speed ? Math.max(slow0, slowness()) : 1),
  };
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** All the waiting one benchmark process may do, ms (BENCH_QUIET_BUDGET_MS, default 5 minutes); then it measures as it can. */
let budgetMs = Number(process.env.BENCH_QUIET_BUDGET_MS) || 300_000;
export const quietBudgetLeftMs = () => budgetMs;

/**
 * Waits until the other processes use less than `thresholdPct` of the machine over a `windowMs`
 * window and the machine runs at its usual speed (slowness ≤ SLOW_RATIO), for at most `maxWaitMs`. Answers { waitedMs, foreignCpuPct } (the last window's load).
 */
export async function waitForQuiet({ pids = [], thresholdPct = 10, windowMs = 500, maxWaitMs = 60_000 } = {}) {
  const t0 = performance.now();
  const limit = Math.min(maxWaitMs, budgetMs);
  for (;;) {
    const load = foreignLoad(pids);
    await sleep(windowMs);
    const pct = load.stop();
    const waitedMs = Math.round(performance.now() - t0);
    // Quiet, and at its usual speed (a slow spell of the host shows in no process's CPU).
    if (((pct === null || pct < thresholdPct) && slowness() <= SLOW_RATIO) || waitedMs >= limit) {
      budgetMs = Math.max(0, budgetMs - waitedMs);
      return { waitedMs, foreignCpuPct: pct };
    }
  }
}
