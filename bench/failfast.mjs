// Fail-fast (issue 7 §5): with the breaker open, how long a request takes to be rejected
// (SB_CIRCUIT_OPEN), call to rejection handler, as p50/p99 over many requests. Target p99 < 50 µs.
// Supervisor: default queue (size 100, maxConcurrent 5), one key, breaker forced open.
// Run: npm run bench:failfast   (BENCH_SMOKE=1 for a smoke run)
import * as hdr from 'hdr-histogram-js';
import { createSupervisor } from '../dist/src/index.js';
import { chatRequest, instantTransport, machine, round, smoke } from './support/common.mjs';

const N = smoke ? 20_000 : 200_000;
const b = createSupervisor({ provider: 'openai', keys: [{ name: 'k1', secret: 'sk-bench' }], transport: instantTransport });
b.send({ type: 'breaker.force', state: 'open' });
const h = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 10_000_000, numberOfSignificantValueDigits: 3 });
let codes = 0;
for (let i = 0; i < N; i++) {
  const t0 = process.hrtime.bigint();
  try {
    await b.chat(chatRequest);
  } catch (e) {
    if (e.code === 'SB_CIRCUIT_OPEN') codes++;
  }
  if (i >= 1000) h.recordValue(Number(process.hrtime.bigint() - t0)); // ns, after a warm-up
}
await b.stop();
if (codes !== N) throw new Error(`expected ${N} SB_CIRCUIT_OPEN rejections, got ${codes}`);
console.log(JSON.stringify({ machine: machine(), requests: N, rejectUs: { p50: round(h.getValueAtPercentile(50) / 1000), p99: round(h.getValueAtPercentile(99) / 1000), max: round(h.maxValue / 1000) }, target: { p99Us: 50 } }, null, 2));
