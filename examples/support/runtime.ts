/**
 * What every example shares: the embedded simulator, and — with `--fast` — a simulated clock that
 * jumps to the next timer whenever nothing is happening, so the guide's 30–60 s waits take
 * milliseconds and every run replays the same way. Without `--fast` the examples run in real time.
 */
import { pathToFileURL, fileURLToPath } from 'node:url';
import { relative, dirname } from 'node:path';
import { createTestClock, createUndiciTransport, seededRandom, type Clock, type TestClock, type Transport } from 'switchboard';
import type { CompatOptions } from 'switchboard/compat';
import { startSimulator, type Simulator } from 'switchboard/sim';

export interface Runtime {
  /** `examples/<dir>/<file>` without the extension, e.g. `compat/circuit-breaker`. */
  readonly name: string;
  readonly fast: boolean;
  readonly sim: Simulator;
  readonly clock: Clock;
  /** The third argument of `openai_api(...)` and friends, and of `new ApiKeyMultiplexer(...)`: `{}` in real time. */
  readonly compat: CompatOptions;
  /** Spread into `createSupervisor({ ... })`: `{}` in real time. */
  readonly core: { clock?: Clock; random?: () => number; transport?: Transport };
  /** Seconds since the example started, on its clock. */
  elapsed(): number;
  /** Waits on the example's clock (simulated with `--fast`). */
  sleep(seconds: number): Promise<void>;
  log(...args: unknown[]): void;
  /** Throws when `condition` is false: the example's claims are checked, not only printed. */
  check(condition: unknown, claim: string): asserts condition;
  /** Prints the example's last line, the marker the runner and the test look for. */
  ok(summary: string): void;
}

export type Example = (rt: Runtime) => Promise<void>;

const EXAMPLES_DIR = dirname(dirname(fileURLToPath(import.meta.url)));

/** A seeded PRNG, so jittered waits replay exactly in `--fast` mode. */
const seeded = seededRandom;

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Counts HTTP attempts in flight through the transport, so the clock never jumps while an answer
 * is on its way (which would fire the attempt timeout of a request that is about to succeed).
 */
function countingTransport() {
  const inner = createUndiciTransport();
  let busy = 0;
  let waiters: Array<() => void> = [];
  const transport: Transport = (request, signal) => {
    busy++;
    return inner(request, signal).finally(() => {
      if (--busy === 0) {
        const w = waiters;
        waiters = [];
        for (const fn of w) fn();
      }
    });
  };
  return {
    transport,
    busy: () => busy,
    idle: () => (busy === 0 ? Promise.resolve() : new Promise<void>((resolve) => waiters.push(resolve))),
    close: () => inner.close(),
  };
}

/**
 * Discrete-event time: after the event loop has had its turns and no HTTP attempt is in flight,
 * move the clock to the next timer. The simulator answers at once (no latency) in this mode.
 */
function autoAdvance(clock: TestClock, http: ReturnType<typeof countingTransport>): () => void {
  let stopped = false;
  void (async () => {
    while (!stopped) {
      for (let i = 0; i < 10; i++) await turn();
      if (stopped) break;
      if (http.busy() > 0) {
        await http.idle();
        continue;
      }
      const next = clock.nextAt();
      if (next === null) {
        // Nothing scheduled: the example is awaiting something else (a file, the server); look again shortly.
        await new Promise<void>((resolve) => setTimeout(resolve, 1).unref());
        continue;
      }
      await clock.tickAsync(Math.max(0, next - clock.now()));
    }
  })();
  return () => {
    stopped = true;
  };
}

/** Starts an example's runtime: the simulator, and in fast mode the simulated clock and its driver. */
export async function startRuntime(name: string, fast: boolean): Promise<Runtime & { stop(): Promise<void> }> {
  const start = Date.parse('2026-01-01T09:00:00.000Z');
  const clock: Clock = fast ? createTestClock(start) : { now: () => Date.now(), setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (id) => clearTimeout(id as NodeJS.Timeout) };
  const http = fast ? countingTransport() : null;
  const sim = await startSimulator({ seed: 7, ...(fast ? { clock } : {}) });
  const stopDriver = fast ? autoAdvance(clock as TestClock, http!) : () => {};
  const random = seeded(11);
  const t0 = clock.now();
  const runtime = {
    name,
    fast,
    sim,
    clock,
    compat: fast ? { clock, random, transport: http!.transport } : {},
    core: fast ? { clock, random, transport: http!.transport } : {},
    elapsed: () => Math.round(clock.now() - t0) / 1000,
    sleep: (seconds: number) => new Promise<void>((resolve) => clock.setTimeout(resolve, seconds * 1000)),
    log: (...args: unknown[]) => console.log(...args),
    check(condition: unknown, claim: string): asserts condition {
      if (!condition) throw new Error(`${name}: expected ${claim}`);
    },
    ok: (summary: string) => console.log(`[ok] ${name}: ${summary}`),
    async stop() {
      stopDriver();
      await sim.stop();
      await http?.close();
    },
  };
  return runtime;
}

/** `compat/circuit-breaker` for `examples/compat/circuit-breaker.ts`. */
export function exampleName(moduleUrl: string): string {
  return relative(EXAMPLES_DIR, fileURLToPath(moduleUrl)).replace(/\\/g, '/').replace(/\.ts$/, '');
}

/** Runs one example with a fresh runtime; resolves to whether it passed. */
export async function runExample(name: string, example: Example, fast: boolean): Promise<boolean> {
  const rt = await startRuntime(name, fast);
  try {
    await example(rt);
    return true;
  } catch (error) {
    console.error(`[failed] ${name}:`, error);
    return false;
  } finally {
    await rt.stop();
  }
}

/** At the bottom of each example: run it when the file is run directly (`tsx examples/compat/batching.ts --fast`). */
export function runIfMain(moduleUrl: string, example: Example): void {
  if (!process.argv[1] || pathToFileURL(process.argv[1]).href !== moduleUrl) return;
  void runExample(exampleName(moduleUrl), example, process.argv.includes('--fast')).then((passed) => {
    process.exitCode = passed ? 0 : 1;
  });
}

/** Runs `fn` with these variables set (and every provider key variable cleared), then puts everything back. */
export async function withEnv<T>(vars: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  const saved = { ...process.env };
  for (const k of Object.keys(process.env)) if (/^(OPENAI|ANTHROPIC|CLAUDE|GROQ|GOOGLE|GEMINI)_/.test(k)) delete process.env[k];
  Object.assign(process.env, vars);
  try {
    return await fn();
  } finally {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  }
}
