// The machine's speed, read by a fixed piece of CPU work: JSON.parse + JSON.stringify of the same
// ~20 KB document, timed in this process's CPU time. On a virtual machine whose host is shared the
// same work can take twice as long for tens of seconds at a time (seen here: 125 µs a unit for
// minutes, then 250-310 µs), invisibly to /proc: no other process is busy, the guest just runs
// slower. bench/run-all.mjs probes before and after each benchmark, waits (bounded) for the usual
// speed before starting one, and reports the probes, so that a figure measured in a slow spell
// can be told from a regression.
const doc = JSON.stringify({ items: Array.from({ length: 200 }, (_, i) => ({ id: i, name: `item-${i}`, values: [i, i * 2, { key: 'value' }] })) });
const UNITS = 60;

/** CPU µs per unit of the fixed work, the least of `samples` short samples (the machine at its best just now). */
export function probeUs(samples = 5) {
  let best = Infinity;
  for (let s = 0; s < samples; s++) {
    const t0 = process.cpuUsage();
    for (let i = 0; i < UNITS; i++) JSON.stringify(JSON.parse(doc));
    const used = process.cpuUsage(t0);
    best = Math.min(best, (used.user + used.system) / UNITS);
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
