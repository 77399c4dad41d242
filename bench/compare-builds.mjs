// Compares the gateway's own CPU per request across builds, for a change to the hot path:
//   node bench/compare-builds.mjs <dist dir> [<dist dir> …] [--rounds 8] [--requests 3000]
// e.g. a build of main in /tmp/main-dist against this tree's dist/. Each build runs
// `startGateway` in its own process over a router whose transport answers in process (no
// upstream socket: the gateway's own cost only), beside the minimal gateway's work
// (bench/support/instant-gateway.mjs). All of them are loaded AT THE SAME TIME (one closed loop of
// 32 each), so that whatever else runs on the machine weighs on every build alike; each process
// reports its own CPU (bench/support/cpu-report.mjs). Prints µs per request per build, median of
// the rounds, and its ratio to the first build per round (median). Not part of `npm run bench`.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import { numberOption } from './support/common.mjs';
import { closedLoop } from './support/loop.mjs';
import { startServerProcess } from './support/server-process.mjs';

const args = process.argv.slice(2);
const opt = (name, dflt) => numberOption(args, name, dflt);
const ROUNDS = opt('--rounds', 8);
const N = opt('--requests', 3000);
if (args.length === 0) {
  console.error('usage: node bench/compare-builds.mjs <dist dir> [<dist dir> …] [--rounds 8] [--requests 3000]');
  process.exit(1);
}
const script = fileURLToPath(new URL('./support/instant-gateway.mjs', import.meta.url));
const servers = {};
for (const dir of args) servers[dir] = await startServerProcess({ name: dir, script, args: ['gateway', path.resolve(dir, 'src/index.js')] });
servers.minimal = await startServerProcess({ name: 'minimal', script, args: ['minimal'] });
const keys = Object.keys(servers);
const body = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
const pools = Object.fromEntries(keys.map((k) => [k, new Pool(new URL(servers[k].url).origin, { connections: 32 })]));
const callOf = (k) => async () => {
  const res = await pools[k].request({ method: 'POST', path: '/v1/chat/completions', headers: { 'content-type': 'application/json' }, body });
  const text = await res.body.text();
  if (res.statusCode !== 200) throw new Error(`${k}: HTTP ${res.statusCode} ${text.slice(0, 200)}`);
};
await Promise.all(keys.map((k) => closedLoop(callOf(k), { total: 3000, concurrency: 32 })));
const us = Object.fromEntries(keys.map((k) => [k, []]));
for (let r = 0; r < ROUNDS; r++) {
  await Promise.all(keys.map(async (k) => {
    const c0 = await servers[k].cpuUs();
    const m = await closedLoop(callOf(k), { total: N, concurrency: 32 });
    if (m.errors > 0) throw new Error(m.firstError);
    us[k].push(((await servers[k].cpuUs()) - c0) / N);
  }));
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
for (const k of keys) {
  const ratio = median(us[k].map((x, i) => x / us[keys[0]][i]));
  console.log(`${k.padEnd(24)} ${median(us[k]).toFixed(1).padStart(7)} µs/request   × first ${ratio.toFixed(3)}   rounds: ${us[k].map((x) => x.toFixed(0)).join(' ')}`);
}
await Promise.all(Object.values(pools).map((p) => p.close()));
await Promise.all(Object.values(servers).map((s) => s.stop()));
