/**
 * `switchboard/sim`: an embedded simulator of the OpenAI, Anthropic, Groq and Gemini APIs on a
 * loopback port, speaking each provider's real wire format, deterministic and scriptable
 * (docs/ARCHITECTURE.md §4). See src/sim/README.md for the knobs.
 */
import { systemClock } from '../clock.js';
import { SimConfigStore } from './config.js';
import type { SimState } from './decide.js';
import { anthropicFormat } from './formats/anthropic.js';
import { geminiFormat } from './formats/gemini.js';
import { groqFormat, openaiFormat } from './formats/openai.js';
import { createHandler } from './handler.js';
import { mulberry32 } from './random.js';
import { listen } from './server.js';
import { StatsRecorder } from './stats.js';
import { validateSimConfig } from './validate.js';
import { waitsOnClock } from './respond.js';
import type { SimConfig, SimStats, SimulatorOptions } from './types.js';

export type {
  FaultKind, KeyKnobs, OutageKnobs, ProviderKnobs, RateLimitKnobs, RecordedRequest, ScriptStep, ScriptStepObject,
  SimConfig, SimCounters, SimKnobs, SimStats, SimulatorOptions,
} from './types.js';

export interface Simulator {
  /** `http://127.0.0.1:<port>` */
  url: string;
  port: number;
  /** Base URLs in each official SDK's convention: give `urls.openai` to the openai SDK's `baseURL`, and so on. */
  urls: { openai: string; anthropic: string; groq: string; gemini: string };
  /** A copy of the counts since the last `reset()`. */
  stats(): SimStats;
  /** Zeroes the stats, empties the fault scripts, refills every bucket and daily quota, reseeds; keeps the configuration. */
  reset(): void;
  /** Merges a partial configuration (see `SimConfig`); throws `SB_CONFIG` (`ConfigError`) on an unknown or out-of-bounds knob or step. */
  configure(partial: SimConfig): void;
  /** Resolves once `n` requests have arrived since the last reset; rejects after `timeoutMs` (default 5000) of real time. */
  waitForRequests(n: number, timeoutMs?: number): Promise<SimStats>;
  /** Resolves once `predicate(stats)` holds, re-checked on every change; rejects after `timeoutMs` of real time. */
  waitFor(predicate: (stats: SimStats) => boolean, timeoutMs?: number): Promise<SimStats>;
  /**
   * The requests being answered (`open`), and those of them that cannot progress until the clock
   * moves — a latency or chunk delay pending — or ever, a hang fault (`waitingOnClock`). A test on
   * a simulated clock may move time only when the two are equal: never while an answer is on its way.
   */
  activity(): { open: number; waitingOnClock: number };
  /** Closes the server and destroys every open socket, hung ones included. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts the simulator on `127.0.0.1` (an ephemeral port unless `port` is given).
 *
 * ```ts
 * const sim = await startSimulator({ seed: 7, openai: { script: ['503', 'ok'] } });
 * const client = new OpenAI({ apiKey: 'sk-test', baseURL: sim.urls.openai, maxRetries: 0 });
 * await sim.stop();
 * ```
 */
export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const { port = 0, host = '127.0.0.1', seed = 1, clock = systemClock, recordLimit = 20, ...config } = options;
  const state: SimState = {
    clock,
    config: new SimConfigStore(() => clock.now()),
    stats: new StatsRecorder(recordLimit),
    limiters: new Map(),
    quotas: new Map(),
    random: mulberry32(seed),
    open: new Set(),
  };
  validateSimConfig(config, 'startSimulator');
  state.config.apply(config);
  let stopping = false;
  const handler = createHandler(state, [openaiFormat, anthropicFormat, groqFormat, geminiFormat], () => stopping);
  const server = await listen(handler, host, port, () => {});
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${server.port}`;

  /** Event-driven: `ready` is re-checked on every stats change, never by polling. */
  const waitUntil = (ready: () => boolean, timeoutMs: number, describe: () => string): Promise<SimStats> =>
    new Promise((resolve, reject) => {
      if (ready()) return resolve(state.stats.snapshot());
      // Real time on purpose: a test clock that nobody ticks must not leave a test waiting forever.
      const timer = setTimeout(() => {
        off();
        reject(new Error(`simulator: timed out after ${timeoutMs} ms waiting for ${describe()}`));
      }, timeoutMs);
      const off = state.stats.onChange(() => {
        if (!ready()) return;
        off();
        clearTimeout(timer);
        resolve(state.stats.snapshot());
      });
    });

  return {
    url,
    port: server.port,
    urls: { openai: `${url}/openai/v1`, anthropic: `${url}/anthropic`, groq: `${url}/groq`, gemini: `${url}/gemini` },
    stats: () => state.stats.snapshot(),
    reset() {
      state.config.clearScripts();
      state.limiters.clear();
      state.quotas.clear();
      state.random = mulberry32(seed);
      state.stats.reset();
    },
    configure(partial) {
      validateSimConfig(partial, 'sim.configure');
      if (state.config.apply(partial)) state.limiters.clear();
    },
    waitForRequests: (n, timeoutMs = 5000) =>
      waitUntil(() => state.stats.arrived() >= n, timeoutMs, () => `${n} requests (${state.stats.arrived()} arrived)`),
    waitFor: (predicate, timeoutMs = 5000) =>
      waitUntil(() => predicate(state.stats.snapshot()), timeoutMs, () => 'the condition to hold'),
    activity() {
      let waiting = 0;
      for (const x of state.open) if (waitsOnClock(x)) waiting++;
      return { open: state.open.size, waitingOnClock: waiting };
    },
    async stop() {
      stopping = true;
      await server.close();
    },
  };
}
