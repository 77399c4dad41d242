// Shared by the benchmarks: the smoke switch, medians, the machine line, an instant transport.
import os from 'node:os';
import { mulberry32 } from '../../dist/src/sim/random.js';

export const smoke = process.env.BENCH_SMOKE === '1';
export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
export const round = (x, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

/**
 * The order of the paths in each round of a sequential benchmark, shuffled with a seeded random:
 * every path follows every other equally often. A fixed rotation gives each path the same
 * predecessor every round, and the request right after a CPU-heavy one (the openai SDK's) pays for
 * that one's leftovers in the client (a path measured 25-30 µs slower at p50 for its place alone).
 */
export function roundOrder(paths, seed = 1) {
  const random = mulberry32(seed);
  return () => {
    const order = [...paths];
    for (let j = order.length - 1; j > 0; j--) {
      const r = Math.floor(random() * (j + 1));
      [order[j], order[r]] = [order[r], order[j]];
    }
    return order;
  };
}

export function machine() {
  return { node: process.version, cpus: `${os.cpus().length} × ${os.cpus()[0]?.model ?? '?'}`, memGiB: round(os.totalmem() / 2 ** 30, 1), date: new Date().toISOString() };
}

const body = JSON.stringify({
  id: 'chatcmpl-1', object: 'chat.completion', model: 'gpt-4o-mini',
  choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 },
});
const answer = { status: 200, headers: {}, body };
/** An in-process transport that answers at once: no network, so only our own cost is measured. */
export const instantTransport = async () => answer;
export const chatRequest = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] };

export function heap() {
  global.gc?.();
  global.gc?.();
  return process.memoryUsage().heapUsed;
}

/** `--name <number>` taken out of `args` (a script's argv), or `dflt` when absent. */
export function numberOption(args, name, dflt) {
  const i = args.indexOf(name);
  if (i < 0) return dflt;
  const v = Number(args[i + 1]);
  args.splice(i, 2);
  return v;
}
