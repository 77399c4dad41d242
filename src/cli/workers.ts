import cluster, { type Worker } from 'node:cluster';
import { startSimulator, type Simulator } from '../sim/index.js';
import { parseSimConfig, type ServeCommandOptions } from './serve.js';

/** Exit code of `serve --workers N` without Redis. */
export const EXIT_WORKERS_WITHOUT_REDIS = 2;

/** Set in a worker's environment: the primary's simulator URLs (JSON), one simulator for all. */
export const SIM_URLS_VAR = 'SWITCHBOARD_WORKER_SIM_URLS';

/**
 * Why `--workers N` cannot run, or null. Without Redis, N gateway processes would each believe
 * they own every key and together spend N times its budget.
 */
export function workersRefusal(workers: number | undefined, redis: string | undefined): string | null {
  if (workers === undefined || workers <= 1 || redis) return null;
  return (
    `switchboard: --workers ${workers} needs Redis (--redis redis://… or SWITCHBOARD_REDIS_URL): ` +
    `${workers} gateway processes without a shared Redis would each spend every key's whole budget and trip their breakers one by one.`
  );
}

/** In a worker process: the simulator URLs the primary started, when it runs one. */
export function workerSimulatorUrls(env: NodeJS.ProcessEnv = process.env): Simulator['urls'] | undefined {
  const raw = env[SIM_URLS_VAR];
  return raw ? (JSON.parse(raw) as Simulator['urls']) : undefined;
}

export interface WorkersCommand {
  /** Resolves once every worker exited after SIGINT/SIGTERM. */
  closed: Promise<void>;
}

/**
 * The primary of `serve --workers N` (node:cluster): one port shared by N gateway processes, each
 * a whole gateway with its own router, sharing keys, budgets and breakers through Redis. With
 * `--sim`, one simulator here serves them all. SIGHUP and SIGTERM go on to every worker; SIGINT
 * and SIGTERM end the primary once the workers have drained. A worker that dies is replaced.
 */
export async function runWorkersPrimary(options: ServeCommandOptions & { workers: number; redis: string }): Promise<WorkersCommand> {
  const out = options.out ?? ((line: string) => console.log(line));
  let simulator: Simulator | null = null;
  const env: Record<string, string> = {};
  if (options.sim) {
    const { seed, ...config } = options.simConfig !== undefined ? parseSimConfig(options.simConfig) : {};
    simulator = await startSimulator({ seed, ...config });
    env[SIM_URLS_VAR] = JSON.stringify(simulator.urls);
  }
  cluster.setupPrimary({ exec: process.argv[1]!, args: process.argv.slice(2) });
  const workers = new Set<Worker>();
  let stopping = false;
  let bannerShown = false;
  const fork = (): void => {
    const w = cluster.fork(env);
    workers.add(w);
    w.on('message', (m: { type?: string; lines?: string[] }) => {
      if (m?.type !== 'banner' || bannerShown || !m.lines?.length) return;
      bannerShown = true;
      const [first, ...rest] = m.lines;
      out(`${first} — ${options.workers} worker processes, sharing through Redis`);
      if (simulator) rest.unshift(`One simulator for every worker at ${simulator.url}.`);
      for (const l of rest) out(l);
    });
    w.on('exit', (code, signal) => {
      workers.delete(w);
      if (stopping) return;
      console.error(`switchboard: worker ${w.process.pid} exited (${signal ?? `code ${code}`}); starting another`);
      fork();
    });
  };
  for (let i = 0; i < options.workers; i++) fork();

  const forward = (signal: NodeJS.Signals) => () => {
    for (const w of workers) w.process.kill(signal);
  };
  const onHup = forward('SIGHUP');
  process.on('SIGHUP', onHup);
  const closed = new Promise<void>((resolve) => {
    const onStop = (signal: NodeJS.Signals) => {
      if (stopping) return;
      stopping = true;
      out(`${signal}: stopping ${workers.size} workers (each drains its requests)…`);
      const left = [...workers].map((w) => new Promise<void>((r) => (w.isDead() ? r() : w.once('exit', () => r()))));
      for (const w of workers) w.process.kill('SIGTERM');
      void Promise.all(left).then(async () => {
        process.off('SIGHUP', onHup);
        await simulator?.stop();
        out('Stopped.');
        resolve();
      });
    };
    process.once('SIGINT', onStop);
    process.once('SIGTERM', onStop);
  });
  return { closed };
}
