import { loadKeys, type Env } from '../keys/env.js';
import { createRouter, type Router, type RouterOptions } from '../router/index.js';
import { startSimulator, type Simulator } from '../sim/index.js';
import { validateSimConfig } from '../sim/validate.js';
import { invalid } from '../options.js';
import { PROVIDERS, type Clock, type KeyConfig, type Logger, type Provider } from '../types.js';
import { keysFromEnv, type GatewaySettings, type ResolvedConfig } from './config.js';

/** Keys per provider in simulator mode: two, so key failover and round-robin are visible. */
const SIM_KEYS_PER_PROVIDER = 2;

/** What the gateway sends requests to. */
export interface Upstream {
  router: Router;
  /** Whether `close()` stops the router (it does when the gateway built it). */
  ownsRouter: boolean;
  simulator: Simulator | null;
  /** Why the simulator runs: asked for, or no key was found; null with real providers. */
  simulatorReason: 'requested' | 'no-keys' | null;
  /** The providers requests can be routed to. */
  providers: Provider[];
  /** Secrets the gateway knows, scrubbed from every error message as a second net. */
  secrets: string[];
}

export interface UpstreamOptions {
  router?: Router;
  sim: boolean;
  simConfig?: GatewaySettings['simConfig'];
  /** The checked config (file or object): provider options with keys still named, groups, aliases. */
  config?: ResolvedConfig;
  env: Env;
  logger?: Logger;
  /** The clock the router and the embedded simulator run on (tests); default real time. */
  clock?: Clock;
}

/** The simulator's fake keys: `sim-openai-key-1`, `sim-openai-key-2` … (name and value alike). */
export function simulatorKeys(provider: Provider): KeyConfig[] {
  return Array.from({ length: SIM_KEYS_PER_PROVIDER }, (_, i) => {
    // The secret differs from the name, as a real one does, so that a scan for it means something.
    return { name: `sim-${provider}-key-${i + 1}`, secret: `sim-secret-${provider}-${i + 1}` };
  });
}

/**
 * Builds the router: the caller's, or one over the providers that have keys (from the config file
 * or the environment), or — with `sim`, or when no key is found at all — one over the embedded
 * simulator for every provider, keeping each provider's other options from the config.
 */
export async function buildUpstream(options: UpstreamOptions): Promise<Upstream> {
  if (options.router) {
    return { router: options.router, ownsRouter: false, simulator: null, simulatorReason: null, providers: [...options.router.boards.keys()], secrets: [] };
  }
  const configured = options.config?.providers;
  const groups = routerGroups(options.config);
  const listed: Provider[] = configured ? (Object.keys(configured) as Provider[]) : [...PROVIDERS];
  // With --sim, every provider runs on fake keys: the config's key names need not be set.
  const found = new Map(listed.map((p) => [p, options.sim ? [] : providerKeys(p, options.config, options.env)] as const));
  const anyKey = [...found.values()].some((k) => k.length > 0);
  const reason = options.sim ? 'requested' : anyKey ? null : 'no-keys';

  if (reason) {
    const { seed, ...config } = options.simConfig ?? {};
    if (seed !== undefined && !Number.isInteger(seed)) throw invalid('startGateway', 'simConfig.seed', 'an integer', seed);
    validateSimConfig(config, 'startGateway: simConfig');
    const simulator = await startSimulator({ seed, ...config, ...(options.clock ? { clock: options.clock } : {}) });
    try {
      const providers: RouterOptions['providers'] = {};
      for (const p of PROVIDERS) providers[p] = { ...(configured?.[p] as object), baseUrl: simulator.urls[p], keys: simulatorKeys(p) };
      const router = createRouter({ providers, ...groups, logger: options.logger, env: options.env, ...(options.clock ? { clock: options.clock } : {}) });
      return { router, ownsRouter: true, simulator, simulatorReason: reason, providers: [...PROVIDERS], secrets: [] };
    } catch (error) {
      await simulator.stop();
      throw error;
    }
  }

  if (options.simConfig) options.logger?.warn?.({}, 'gateway: simConfig is ignored: the gateway runs on real providers (pass sim: true to use the simulator)');
  const providers: RouterOptions['providers'] = {};
  const secrets: string[] = [];
  for (const [p, keys] of found) {
    if (keys.length === 0) {
      // a provider with no key is not routable (its models answer 404).
      if (configured) options.logger?.warn?.({ provider: p }, `gateway: ${p} is configured but has no key; its models are not routable`);
      continue;
    }
    providers[p] = { ...(configured?.[p] as object), keys };
    for (const k of keys) secrets.push(k.secret);
  }
  const router = createRouter({ providers, ...groups, logger: options.logger, env: options.env, ...(options.clock ? { clock: options.clock } : {}) });
  return { router, ownsRouter: true, simulator: null, simulatorReason: null, providers: Object.keys(providers) as Provider[], secrets };
}

/** A provider's keys: those its config entry names (read from `env`), else the environment's own (`OPENAI_API_KEY`, `_1` …). */
export function providerKeys(p: Provider, config: ResolvedConfig | undefined, env: Env): KeyConfig[] {
  const specs = config?.providers?.[p]?.keys;
  if (specs) return keysFromEnv(specs, env, config!.source, `providers.${p}.keys`);
  return loadKeys(p, env).map((k) => ({ name: k.name, secret: k.secret }));
}

/** The aliases and groups a config gives, for `createRouter`. */
export function routerGroups(config: ResolvedConfig | undefined): Pick<RouterOptions, 'aliases' | 'fallbacks' | 'contextFallbacks' | 'contentPolicyFallbacks'> {
  if (!config) return {};
  const { aliases, fallbacks, contextFallbacks, contentPolicyFallbacks } = config;
  return Object.fromEntries(Object.entries({ aliases, fallbacks, contextFallbacks, contentPolicyFallbacks }).filter(([, v]) => v !== undefined));
}
