// A/B of the supervisor's client CPU per request across builds, in one process, against the fast
// upstream: raw undici (the limit) and board.chat of each build, interleaved round by round so
// machine load weighs on all alike. Prints the median µs/request and the median added over raw undici.
//   node bench/ab-client.mjs <dist dir> [<dist dir> …] [--rounds 6] [--requests 8000]
// Not part of `npm run bench`.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Pool } from 'undici';
import { startFastUpstream } from './support/gateway-process.mjs';
import { numberOption } from './support/common.mjs';
import { closedLoop } from './support/loop.mjs';

const args = process.argv.slice(2);
const opt = (name, dflt) => numberOption(args, name, dflt);
const ROUNDS = opt('--rounds', 6);
const N = opt('--requests', 8000);
const fast = await startFastUpstream();
const url = new URL(fast.urls.openai);
const chatBody = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] };
const KEY = 'sk-bench-ab-0000';
const pool = new Pool(url.origin, { connections: 64 });
const headers = { 'content-type': 'application/json', authorization: `Bearer ${KEY}` };
const calls = {
  undici: async () => {
    const res = await pool.request({ method: 'POST', path: `${url.pathname}/chat/completions`, headers, body: JSON.stringify(chatBody) });
    const text = await res.body.text();
    if (res.statusCode !== 200) throw new Error(text);
    return JSON.parse(text);
  },
};
const boards = [];
for (const dir of args) {
  const { createSupervisor } = await import(pathToFileURL(path.resolve(dir, 'src/index.js')).href);
  const board = createSupervisor({ provider: 'openai', baseUrl: fast.urls.openai, keys: [{ name: 'k1', secret: KEY, maxConcurrent: 64 }], queue: { size: 1000, maxConcurrent: 64 } });
  boards.push(board);
  calls[dir] = () => board.chat(chatBody);
}
const names = Object.keys(calls);
for (const n of names) await closedLoop(calls[n], { total: 4000, concurrency: 64 });
const us = Object.fromEntries(names.map((n) => [n, []]));
const upUs = Object.fromEntries(names.map((n) => [n, []]));
for (let r = 0; r < ROUNDS; r++) {
  for (const n of [...names.slice(r % names.length), ...names.slice(0, r % names.length)]) {
    global.gc?.();
    const m = await closedLoop(calls[n], { total: N, concurrency: 64, probes: { upstream: fast.cpuUs } });
    if (m.errors) throw new Error(m.firstError);
    us[n].push(m.clientCpuUsPerReq);
    upUs[n].push(m.otherCpuUsPerReq.upstream);
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
for (const n of names) {
  const added = median(us[n].map((x, i) => x - us.undici[i]));
  console.log(`${n.padEnd(24)} client ${median(us[n]).toFixed(1).padStart(6)} µs/req  added ${added.toFixed(1).padStart(5)}  upstream ${median(upUs[n]).toFixed(1)} µs/req  rounds: ${us[n].map((x) => x.toFixed(0)).join(' ')}`);
}
await Promise.all(boards.map((b) => b.stop()));
await pool.close();
await fast.stop();
