// The simulator in its own process, for the benchmarks: `node sim-server.mjs '<config json>'`.
// Prints one JSON line { url, urls } when ready; stops on SIGTERM or when stdin closes.
import { startSimulator } from '../../dist/src/sim/index.js';

const config = JSON.parse(process.argv[2] ?? '{}');
const sim = await startSimulator({ seed: 1, recordLimit: 0, ...config });
process.stdout.write(`${JSON.stringify({ url: sim.url, urls: sim.urls })}\n`);
const stop = async () => {
  await sim.stop();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.stdin.on('end', stop);
process.stdin.resume();
process.on('message', async (m) => {
  if (m?.type === 'stats') process.send?.({ type: 'stats', stats: sim.stats() });
  if (m?.type === 'reset') {
    sim.reset();
    process.send?.({ type: 'reset' });
  }
  if (m?.type === 'configure') {
    sim.configure(m.config);
    process.send?.({ type: 'configure' });
  }
});
