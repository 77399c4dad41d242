// The machine's speed, read by a fixed piece of CPU work: JSON.parse + JSON.stringify of the same
// ~20 KB document, timed in this process's CPU time. On a virtual machine whose host is shared the
// same work can take twice as long for tens of seconds at a time (seen here: 125 µs a unit for
// minutes, then 250-310 µs), invisibly to /proc: no other process is busy, the guest just runs
// slower. bench/run-all.mjs probes before and after each benchmark, waits (bounded) for the usual
// speed before starting one, and reports the probes, so that a figure measured in a slow spell
// can be told from a regression.
/** A benchmark's process treats a probe this many times its reference as a slow spell (BENCH_SLOW_RATIO). */
export const SLOW_RATIO = Number(process.env.BENCH_SLOW_RATIO) || 1.3;

const doc = JSON.stringify({ items: Array.from({ length: 200 }, (_, i) => ({ id: i, name: `item-${i}`, values: [i, i * 2, { key: 'value' }] })) });
const UNITS = 60;

/** CPU µs per unit of the fixed work, the least of `samples` short samples (the machine at its best just now). */
export function probeUs(samples = 5, units = UNITS) {
  let best = Infinity;
  for (let s = 0; s < samples; s++) {
    const t0 = process.cpuUsage();
    for (let i = 0; i < units; i++) JSON.stringify(JSON.parse(doc));
    const used = process.cpuUsage(t0);
    best = Math.min(best, (used.user + used.system) / units);
  }
  return Math.round(best * 10) / 10;
}

/**
 * Waits until a probe is within `slack` × the fastest probe seen so far (`state.referenceUs`, kept
 * across calls), re-probing every 2 s, for at most `maxWaitMs`. Answers { probeUs, referenceUs,
 * waitedMs, usual } — `usual: false` when the wait ran out (the benchmark then runs anyway).
 */
export async function waitForUsualSpeed(state, { slack = 1.25, maxWaitMs = 60_000 } = {}) {
  const started = Date.now();
  for (;;) {
    const us = probeUs();
    state.referenceUs = Math.min(state.referenceUs ?? Infinity, us);
    const usual = us <= state.referenceUs * slack;
    const waitedMs = Date.now() - started;
    if (usual || waitedMs >= maxWaitMs) return { probeUs: us, referenceUs: state.referenceUs, waitedMs, usual };
    await new Promise((resolve) => setTimeout(resolve, 2_000));
  }
}

/**
 * Inside a benchmark: how much slower than usual the machine is now (1 = its usual speed), from a
 * short probe (~8 ms) against the fastest probe seen — by run-all.mjs (BENCH_SPEED_REFERENCE_US,
 * handed to every benchmark it starts) or by this process.
 */
let reference = Number(process.env.BENCH_SPEED_REFERENCE_US) || Infinity;
export function slowness() {
  const us = probeUs(2, 30);
  reference = Math.min(reference, us);
  return Math.round((us / reference) * 100) / 100;
}
