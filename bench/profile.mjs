// Profiles the hot path under the overhead benchmark's closed loop (64 at a time, the fast upstream):
//   node bench/profile.mjs supervisor [requests]   the client process running board.chat (in process)
//   node bench/profile.mjs undici [requests]       the same with raw undici, for comparison
//   node bench/profile.mjs gateway [requests]      the `switchboard serve` process
//   node bench/profile.mjs minimal [requests]      the minimal Node gateway process
//   node bench/profile.mjs summarize <file.cpuprofile>
// BENCH_PROFILE_CONCURRENCY=1 profiles the sequential path (the gateway-latency benchmark's load).
// Writes a V8 .cpuprofile (node --cpu-prof) to BENCH_PROFILE_DIR (default: a temporary directory)
// and prints the self time per function, per area and per file, largest first, and the total time
// of the project's functions. Not a benchmark: profiling slows everything down; compare shares, not
// absolute figures. V8 samples wall-clock time, so on a busy machine a descheduled process shows in
// the native frame it waits in (writev, idle); for on-CPU time, run the process under
// `node --perf-basic-prof-only-functions` and `perf record -g -p <pid>` (Linux), then
// `perf report --children --sort symbol`.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const [what = 'supervisor', arg] = process.argv.slice(2);
const root = fileURLToPath(new URL('..', import.meta.url));

/** Self time per function and per file of a .cpuprofile, as text. */
export function summarize(file, top = 45) {
  const prof = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const self = new Map();
  for (let i = 0; i < prof.samples.length; i++) {
    const id = prof.samples[i];
    self.set(id, (self.get(id) ?? 0) + (prof.timeDeltas[i] ?? 0));
  }
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const fns = new Map();
  const files = new Map();
  const short = (url) => url.replace(`file://${root}`, '').replace(/^.*node_modules\//, 'node_modules/') || '(native)';
  for (const [id, us] of self) {
    const { functionName, url, lineNumber } = byId.get(id).callFrame;
    const key = `${functionName || '(anonymous)'}  ${short(url)}:${lineNumber + 1}`;
    fns.set(key, (fns.get(key) ?? 0) + us);
    const f = short(url);
    files.set(f, (files.get(f) ?? 0) + us);
  }
  // Total (inclusive) time per function of the project (dist/): its self time and its callees'.
  const children = new Map(prof.nodes.map((n) => [n.id, n.children ?? []]));
  const inclusive = new Map();
  const totalOf = (id) => {
    let t = self.get(id) ?? 0;
    for (const c of children.get(id)) t += totalOf(c);
    const { functionName, url, lineNumber } = byId.get(id).callFrame;
    if (url.includes('/dist/')) {
      const key = `${functionName || '(anonymous)'}  ${short(url)}:${lineNumber + 1}`;
      const entry = inclusive.get(key) ?? { us: 0, depth: 0 };
      entry.us += t;
      inclusive.set(key, entry);
    }
    return t;
  };
  totalOf(prof.nodes[0].id);
  const pct = (us) => `${((us / total) * 100).toFixed(1).padStart(5)}%`;
  const busy = total - (fns.get('(idle)  (native):1') ?? 0);
  const lines = [`${file}: ${(total / 1000).toFixed(0)} ms sampled, ${(busy / 1000).toFixed(0)} ms not idle (wall-clock samples: a descheduled process shows in the native frame it waits in)`, '', 'self time per function:'];
  for (const [k, us] of [...fns].sort((a, b) => b[1] - a[1]).slice(0, top)) lines.push(`${pct(us)}  ${k}`);
  lines.push('', 'total time (self + callees) per project function (dist/; recursion counted once per frame):');
  for (const [k, e] of [...inclusive].sort((a, b) => b[1].us - a[1].us).slice(0, 30)) lines.push(`${pct(e.us)}  ${k}`);
  // Self time per area: what the project's layers, its dependencies and Node itself cost.
  const areaOf = (key, file) => {
    if (file === '(native)') return key.startsWith('(idle)') ? 'idle' : key.startsWith('(garbage') ? 'GC' : /^(writev|writeUtf8String|writeBuffer|read|close) /.test(key) ? 'native: socket syscalls' : 'native: other';
    const m = /^dist\/(src\/[^/]+|machines)/.exec(file);
    if (m) return m[1];
    const d = /^node_modules\/((@[^/]+\/)?[^/]+)/.exec(file);
    if (d) return d[1];
    if (file.startsWith('node:')) return /http|stream|net|buffer/.test(file) ? 'node: http, streams, sockets' : 'node: other (events, timers, ticks)';
    if (file.startsWith('wasm')) return 'undici (llhttp wasm)';
    return file;
  };
  const areas = new Map();
  for (const [k, us] of fns) {
    const file = k.slice(k.lastIndexOf('  ') + 2).replace(/:\d+$/, '');
    const a = areaOf(k, file);
    areas.set(a, (areas.get(a) ?? 0) + us);
  }
  lines.push('', 'self time per area:');
  for (const [k, us] of [...areas].sort((a, b) => b[1] - a[1])) lines.push(`${pct(us)}  ${k}`);
  lines.push('', 'self time per file:');
  for (const [k, us] of [...files].sort((a, b) => b[1] - a[1]).slice(0, 30)) lines.push(`${pct(us)}  ${k}`);
  return lines.join('\n');
}

if (what === 'summarize') {
  console.log(summarize(arg));
  process.exit(0);
}

const dir = process.env.BENCH_PROFILE_DIR || mkdtempSync(path.join(os.tmpdir(), 'sb-profile-'));
const requests = Number(arg) || 50_000;
const newest = () => readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).map((f) => path.join(dir, f)).sort().pop();

if (process.env.SB_PROFILE_CHILD !== '1' && (what === 'supervisor' || what === 'undici')) {
  // The client itself is profiled: run this script again under --cpu-prof.
  const r = spawnSync(process.execPath, ['--cpu-prof', '--cpu-prof-dir', dir, fileURLToPath(import.meta.url), what, String(requests)], { stdio: 'inherit', env: { ...process.env, SB_PROFILE_CHILD: '1' } });
  if (r.status !== 0) process.exit(r.status ?? 1);
  console.log(summarize(newest()));
  process.exit(0);
}

const { Pool } = await import('undici');
const { createSupervisor } = await import('../dist/src/index.js');
const { startFastUpstream, startGatewayProcess, startMinimalGateway } = await import('./support/gateway-process.mjs');
const { closedLoop } = await import('./support/loop.mjs');
const chatBody = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] };
const fast = await startFastUpstream();
const raw = (origin, p) => {
  const pool = new Pool(origin, { connections: 64 });
  const headers = { 'content-type': 'application/json', authorization: 'Bearer sk-profile' };
  return {
    call: async () => {
      const res = await pool.request({ method: 'POST', path: p, headers, body: JSON.stringify(chatBody) });
      const text = await res.body.text();
      if (res.statusCode !== 200) throw new Error(`HTTP ${res.statusCode}`);
      return JSON.parse(text);
    },
    close: () => pool.close(),
  };
};
let client;
let server = null;
if (what === 'supervisor') {
  const board = createSupervisor({ provider: 'openai', baseUrl: fast.urls.openai, keys: [{ name: 'k1', secret: 'sk-profile', maxConcurrent: 64 }], queue: { size: 1000, maxConcurrent: 64 } });
  client = { call: () => board.chat(chatBody), close: () => board.stop() };
} else if (what === 'undici') {
  client = raw(new URL(fast.urls.openai).origin, '/openai/v1/chat/completions');
} else if (what === 'gateway') {
  server = await startGatewayProcess({ upstream: fast.urls.openai, nodeFlags: ['--cpu-prof', '--cpu-prof-dir', dir] });
  client = raw(new URL(server.url).origin, '/v1/chat/completions');
} else if (what === 'minimal') {
  server = await startMinimalGateway({ upstreams: { openai: fast.urls.openai }, nodeFlags: ['--cpu-prof', '--cpu-prof-dir', dir] });
  client = raw(new URL(server.url).origin, '/v1/chat/completions');
} else {
  console.error(`profile: unknown target ${what} (supervisor, undici, gateway, minimal, summarize <file>)`);
  process.exit(1);
}
const concurrency = Number(process.env.BENCH_PROFILE_CONCURRENCY) || 64;
await closedLoop(client.call, { total: 5_000, concurrency });
const m = await closedLoop(client.call, { total: requests, concurrency, probes: server ? { server: server.cpuUs } : {} });
process.stderr.write(`profile ${what}: ${Math.round(m.rps)} req/s, client ${m.clientCpuUsPerReq.toFixed(1)} µs/req${server ? `, server ${m.otherCpuUsPerReq.server.toFixed(1)} µs/req` : ''}, ${m.errors} errors\n`);
await client.close();
if (server) await server.stop();
await fast.stop();
if (what === 'gateway' || what === 'minimal') {
  const file = newest();
  if (file) console.log(summarize(file));
  else console.error(`profile: no .cpuprofile in ${dir} (the gateway did not exit cleanly?)`);
}
