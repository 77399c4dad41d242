import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { ScriptStep } from '../../src/sim/index.js';

/** mulberry32: a small seeded PRNG, so a soak's fault mix and workload replay from one seed. */
export { mulberry32 } from '../../src/sim/random.js';

/** How often (per script step) each kind of fault starts; the rest of the steps are `ok`. */
export interface FaultMix {
  /** A run of 2–6 5xx answers (statuses drawn from `statuses5xx`). */
  burst5xx: number;
  /** A run of 10–20 503s: enough to trip a breaker and send requests to their fallbacks. */
  outage: number;
  /** A run of 3–8 429s, each announcing a wait of 10–40 ms. */
  storm429: number;
  /** One request that never answers (the attempt timeout ends it). */
  hang: number;
  /** Headers and half a body, then the socket is destroyed. */
  reset: number;
  /** A 200 with an HTML body. */
  malformed: number;
  /** A 200 with half the JSON. */
  truncated: number;
  statuses5xx: string[];
}

/**
 * A seeded fault script of `length` steps for one provider: bursts, storms and single faults
 * between `ok` steps. Steps are consumed one per upstream request in arrival order, so which
 * request meets which fault depends on timing; the multiset of faults does not.
 */
export function faultScript(random: () => number, length: number, mix: FaultMix): ScriptStep[] {
  const steps: ScriptStep[] = [];
  const between = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
  while (steps.length < length) {
    let r = random();
    const pick = (p: number) => {
      if (r < p) return true;
      r -= p;
      return false;
    };
    if (pick(mix.burst5xx)) {
      for (let n = between(2, 6); n > 0; n--) steps.push(mix.statuses5xx[Math.floor(random() * mix.statuses5xx.length)]!);
    } else if (pick(mix.outage)) {
      for (let n = between(10, 20); n > 0; n--) steps.push('503');
    } else if (pick(mix.storm429)) {
      for (let n = between(3, 8); n > 0; n--) steps.push({ status: 429, retryAfterMs: between(10, 40) });
    } else if (pick(mix.hang)) steps.push('hang');
    else if (pick(mix.reset)) steps.push('reset');
    else if (pick(mix.malformed)) steps.push('malformed');
    else if (pick(mix.truncated)) steps.push('truncated');
    else steps.push('ok');
  }
  return steps.slice(0, length);
}

/** Counts of each kind of step in a script (for the report of what the soak injected). */
export function countSteps(script: ScriptStep[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of script) {
    const k = typeof s === 'string' ? s : String(s.status ?? s.fault);
    out[k] = (out[k] ?? 0) + 1;
  }
  return out;
}

/** Runs `task(i)` for i in [0, count) with at most `concurrency` in flight; resolves when all have settled. */
export async function runPool(count: number, concurrency: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}

let gcFn: (() => void) | null = null;

/**
 * A full, synchronous garbage collection: `--expose-gc` is switched on at run time and `gc` is
 * taken from a fresh context (the flag only affects contexts created after it is set).
 */
export function fullGc(): void {
  if (!gcFn) {
    setFlagsFromString('--expose-gc');
    gcFn = runInNewContext('gc') as () => void;
  }
  // Twice: the first pass runs finalizers that free more on the second.
  gcFn();
  gcFn();
}

/** Heap in use after a full collection, bytes. */
export function settledHeap(): number {
  fullGc();
  return getHeapStatistics().used_heap_size;
}

/** `process.getActiveResourcesInfo()` as counts per resource type (`TCPSocketWrap`, `Timeout` …). */
export function activeResources(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of process.getActiveResourcesInfo()) out[r] = (out[r] ?? 0) + 1;
  return out;
}

/** The resource types that carry sockets and servers: these must come back exactly. */
export const SOCKET_RESOURCES = ['TCPSocketWrap', 'TCPServerWrap', 'TCPWRAP', 'TCPSERVERWRAP', 'PipeWrap', 'TLSWrap'] as const;

/** Resources in `now` above `baseline`, per type (only the types that grew). */
export function resourceGrowth(baseline: Record<string, number>, now: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, n] of Object.entries(now)) if (n > (baseline[k] ?? 0)) out[k] = n - (baseline[k] ?? 0);
  return out;
}

/** Counts values: `tally(['a', 'b', 'a'])` → `{ a: 2, b: 1 }`. */
export function tally(values: Iterable<string>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}
