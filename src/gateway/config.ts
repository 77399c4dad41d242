import { readFileSync } from 'node:fs';
import { ConfigError } from '../errors.js';
import type { Env } from '../keys/env.js';
import { invalid, MAX_TIMER_MS } from '../options.js';
import { validateGroups, type ModelGroups } from '../router/index.js';
import type { SimConfig } from '../sim/index.js';
import { PROVIDERS, type KeyConfig, type Provider } from '../types.js';

/** Server settings, from `startGateway` options or a config file's `gateway` section. Times in ms. */
export interface GatewaySettings {
  /** Default `127.0.0.1`. A non-loopback host needs a token. */
  host?: string;
  /** Default 8787; 0 picks an ephemeral port. */
  port?: number;
  /** Route every provider to the embedded simulator. */
  sim?: boolean;
  /** The embedded simulator's configuration (`SimConfig`, and its `seed`); sim mode only. */
  simConfig?: SimConfig & { seed?: number };
  /** Largest request body, bytes. Default 1 MiB. */
  bodyLimitBytes?: number;
  /** Time to receive a request's headers. Default 10,000. */
  headersTimeoutMs?: number;
  /** Time to receive a whole request (headers and body). Default 30,000. */
  requestTimeoutMs?: number;
  /** Time to receive a body once the headers are in. Default: `requestTimeoutMs`. */
  bodyTimeoutMs?: number;
  /** How long an idle keep-alive connection stays open. Default 5,000. */
  keepAliveTimeoutMs?: number;
  /** The bound of a draining `close()` (and of SIGINT/SIGTERM in the CLI). Default 10,000. */
  drainTimeoutMs?: number;
  /** How long a streaming answer waits for a client that reads nothing before cutting it off. Default 30,000. */
  writeTimeoutMs?: number;
  /**
   * Host names (or addresses) accepted in `Host` and `Origin` besides the loopback names and the
   * bound address; anything else is answered 403 (a DNS-rebinding page never gets an answer).
   */
  allowedHosts?: string[];
}

/**
 * A key in a config file: the NAME of an environment variable, or `{ env, name?, maxConcurrent? }`.
 * Never the secret itself: a value that looks like one is refused, and so is `{ secret }`.
 */
export type ConfigKey = string | { env: string; name?: string; maxConcurrent?: number };

/** A key named in a config file, not yet read from the environment. */
export interface KeySpec {
  env: string;
  name: string;
  maxConcurrent?: number;
}

/** The JSON config file (`--config`): createSupervisor options per provider, aliases, fallback groups, and the server settings. */
export interface GatewayConfig {
  providers?: Partial<Record<string, Record<string, unknown> & { keys?: ConfigKey[] }>>;
  fallbacks?: Record<string, string[]>;
  contextFallbacks?: Record<string, string[]>;
  contentPolicyFallbacks?: Record<string, string[]>;
  aliases?: Record<string, string>;
  gateway?: GatewaySettings;
}

/** A checked config: provider options with their keys still named (`KeySpec`), the groups, the server settings. */
export interface ResolvedConfig extends Partial<ModelGroups> {
  /** Where it came from, for messages: `config switchboard.config.json`. */
  source: string;
  providers?: Partial<Record<Provider, Record<string, unknown> & { keys?: KeySpec[] }>>;
  gateway: GatewaySettings;
}

type Check = { rule: string; test: (v: unknown) => boolean };
const int = (min: number, max = Number.MAX_SAFE_INTEGER): Check => ({
  rule: max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer from ${min} to ${max}`,
  test: (v) => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max,
});
/** Every duration is a Node timer: past 2^31-1 ms Node fires it after 1 ms instead. */
const ms = (min: number): Check => int(min, MAX_TIMER_MS);
const SETTINGS: Record<keyof GatewaySettings, Check> = {
  host: { rule: 'a non-empty string', test: (v) => typeof v === 'string' && v.trim().length > 0 },
  port: int(0, 65535),
  sim: { rule: 'a boolean', test: (v) => typeof v === 'boolean' },
  simConfig: { rule: 'an object (the simulator configuration)', test: (v) => typeof v === 'object' && v !== null && !Array.isArray(v) },
  bodyLimitBytes: int(1),
  headersTimeoutMs: ms(1),
  requestTimeoutMs: ms(1),
  bodyTimeoutMs: ms(1),
  keepAliveTimeoutMs: ms(1),
  drainTimeoutMs: ms(0),
  writeTimeoutMs: ms(1),
  allowedHosts: {
    rule: 'an array of host names',
    test: (v) => Array.isArray(v) && v.every((h) => typeof h === 'string' && /^[A-Za-z0-9.:[\]_-]+$/.test(h.trim())),
  },
};

/** The names `startGateway` takes beside the settings (validated by their users). */
const OTHER_OPTIONS = ['router', 'token', 'env', 'logger', 'configFile', 'config', 'inspector', 'clock'];

function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length]!;
}

function unknownName(where: string, path: string, known: string[]): ConfigError {
  const name = path.split('.').pop()!;
  const best = known.map((k) => [k, distance(name.toLowerCase(), k.toLowerCase())] as const).sort((x, y) => x[1] - y[1])[0];
  const hint = best && best[1] <= Math.max(2, Math.floor(name.length / 3)) ? `; did you mean \`${path.slice(0, -name.length)}${best[0]}\`?` : '';
  return new ConfigError(`${where}: unknown option \`${path}\`${hint}`, path);
}

/**
 * Validates server settings (`prefix` is `gateway.` in a file). Unknown names are errors, with a
 * "did you mean"; `headersTimeoutMs` may not exceed `requestTimeoutMs` (Node refuses it).
 */
export function validateSettings(settings: Record<string, unknown>, where: string, prefix = '', extra: string[] = []): void {
  for (const [key, value] of Object.entries(settings)) {
    const check = Object.hasOwn(SETTINGS, key) ? SETTINGS[key as keyof GatewaySettings] : undefined;
    if (!check) {
      if (extra.includes(key)) continue;
      if (key === 'token') throw new ConfigError(`${where}: \`${prefix}token\` does not belong in a file; set SWITCHBOARD_TOKEN (or --token)`, `${prefix}token`);
      throw unknownName(where, prefix + key, [...Object.keys(SETTINGS), ...extra]);
    }
    if (value !== undefined && !check.test(value)) throw invalid(where, prefix + key, check.rule, value);
  }
  const h = settings.headersTimeoutMs as number | undefined;
  const r = settings.requestTimeoutMs as number | undefined;
  if (h !== undefined && r !== undefined && h > r) {
    throw invalid(where, `${prefix}headersTimeoutMs`, `<= requestTimeoutMs (${r})`, h);
  }
}

/** Validates `startGateway`'s own options (everything but the router, env, logger … which their users check). */
export function validateGatewayOptions(options: Record<string, unknown>): void {
  validateSettings(options, 'startGateway', '', OTHER_OPTIONS);
  if (options.token !== undefined && (typeof options.token !== 'string' || options.token.trim() === '')) {
    throw invalid('startGateway', 'token', 'a string with something besides whitespace', options.token);
  }
}

/** Reads and checks a config file (JSON). Keys stay environment variable names until `keysFromEnv`. */
export function loadConfigFile(path: string, _env?: Env): ResolvedConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`config ${path}: cannot read the file (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, 'configFile');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`config ${path}: not valid JSON: ${(error as Error).message}`, 'configFile');
  }
  return resolveConfig(json, `config ${path}`);
}

const TOP_LEVEL = ['providers', 'aliases', 'fallbacks', 'contextFallbacks', 'contentPolicyFallbacks', 'gateway'];

/**
 * Checks a config object's shape: unknown names (with a "did you mean"), the server settings, the
 * aliases and fallback groups (the router's own check), and that every key is an environment
 * variable's name. The provider options themselves are validated by `createRouter`, with the same
 * messages as the library's options.
 */
export function resolveConfig(json: unknown, where: string, _env?: Env): ResolvedConfig {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw invalid(where, 'config', 'a JSON object', json);
  const config = json as Record<string, unknown>;
  for (const key of Object.keys(config)) {
    if (![...TOP_LEVEL, '$schema', 'comment'].includes(key)) throw unknownName(where, key, TOP_LEVEL);
  }
  const gateway = config.gateway ?? {};
  if (typeof gateway !== 'object' || gateway === null || Array.isArray(gateway)) throw invalid(where, 'gateway', 'an object', gateway);
  validateSettings(gateway as Record<string, unknown>, where, 'gateway.');
  let providers: ResolvedConfig['providers'];
  if (config.providers !== undefined) {
    if (typeof config.providers !== 'object' || config.providers === null || Array.isArray(config.providers)) throw invalid(where, 'providers', 'an object of provider options', config.providers);
    providers = {};
    for (const [name, opts] of Object.entries(config.providers as Record<string, unknown>)) {
      if (!(PROVIDERS as readonly string[]).includes(name)) throw unknownName(where, `providers.${name}`, [...PROVIDERS]);
      if (typeof opts !== 'object' || opts === null || Array.isArray(opts)) throw invalid(where, `providers.${name}`, 'an object of createSupervisor options', opts);
      const o: Record<string, unknown> = { ...(opts as Record<string, unknown>) };
      if (o.keys !== undefined) o.keys = keySpecs(o.keys, where, `providers.${name}.keys`);
      providers[name as Provider] = o;
    }
  }
  const groups = validateGroups(config, where);
  const present = Object.fromEntries(Object.entries(groups).filter(([k]) => config[k] !== undefined));
  return { source: where, ...present, ...(providers ? { providers } : {}), gateway: gateway as GatewaySettings };
}

/** An environment variable's name as shells write them. */
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
/** What providers' keys look like: OpenAI `sk-…`, Anthropic `sk-ant-…`, Groq `gsk_…`, Google `AIza…`. */
const SECRET_PREFIX = /^(?:sk-|sk_|gsk_|AIza|xai-|key-)/;

/** Whether a config value is a secret pasted where a variable's name belongs (and so must not be echoed). */
export function looksLikeSecret(value: string): boolean {
  if (!ENV_NAME.test(value) || SECRET_PREFIX.test(value)) return true;
  // A long run of mixed case and digits is a token, not a name (names are UPPER_SNAKE by convention).
  return value.length >= 24 && /[a-z]/.test(value) && /[A-Z]/.test(value) && /\d/.test(value);
}

function refuseSecret(where: string, at: string, value: string): ConfigError {
  // Four characters at most: enough to recognise which key it was, too few to use it.
  const shown = value.length > 4 ? `${value.slice(0, 4)}…` : '…';
  return new ConfigError(
    `${where}: \`${at}\` looks like a secret ("${shown}"), not the name of an environment variable. Put the key in the environment (for example OPENAI_API_KEY=…, or in .env) and write the variable's name here; then rotate that key, since it was saved in a file`,
    at,
  );
}

function keySpecs(keys: unknown, where: string, path: string): KeySpec[] {
  if (!Array.isArray(keys)) throw invalid(where, path, 'an array of environment variable names or { env, name?, maxConcurrent? }', Array.isArray(keys) ? keys : typeof keys);
  return keys.map((k: unknown, i): KeySpec => {
    const at = `${path}[${i}]`;
    if (typeof k === 'string' && k !== '') {
      if (looksLikeSecret(k)) throw refuseSecret(where, at, k);
      return { env: k, name: k };
    }
    if (typeof k === 'object' && k !== null && !Array.isArray(k)) {
      const o = k as Record<string, unknown>;
      if ('secret' in o) {
        throw new ConfigError(`${where}: \`${at}.secret\` is not accepted: a config file never holds a secret. Name the environment variable that holds it: { "env": "OPENAI_API_KEY" }`, `${at}.secret`);
      }
      for (const field of Object.keys(o)) if (!['env', 'name', 'maxConcurrent'].includes(field)) throw unknownName(where, `${at}.${field}`, ['env', 'name', 'maxConcurrent']);
      if (typeof o.env !== 'string' || o.env === '') throw invalid(where, `${at}.env`, 'the name of an environment variable', typeof o.env === 'string' ? o.env : typeof o.env);
      if (looksLikeSecret(o.env)) throw refuseSecret(where, `${at}.env`, o.env);
      if (o.name !== undefined && (typeof o.name !== 'string' || o.name === '')) throw invalid(where, `${at}.name`, 'a non-empty string', o.name);
      if (o.maxConcurrent !== undefined && (typeof o.maxConcurrent !== 'number' || !Number.isInteger(o.maxConcurrent) || o.maxConcurrent < 1)) throw invalid(where, `${at}.maxConcurrent`, 'an integer >= 1', o.maxConcurrent);
      return { env: o.env, name: typeof o.name === 'string' ? o.name : o.env, ...(o.maxConcurrent !== undefined ? { maxConcurrent: o.maxConcurrent as number } : {}) };
    }
    throw invalid(where, at, 'an environment variable name or { env, name?, maxConcurrent? }', typeof k === 'string' ? k : typeof k);
  });
}

/** Reads the keys a config names from `env`; `SB_CONFIG` naming the first variable that is not set. */
export function keysFromEnv(specs: readonly KeySpec[], env: Env, where: string, path: string): KeyConfig[] {
  return specs.map((spec, i) => {
    const secret = env[spec.env]?.trim();
    if (!secret) throw new ConfigError(`${where}: \`${path}[${i}]\` names the environment variable ${spec.env}, which is not set`, `${path}[${i}]`);
    return { name: spec.name, secret, ...(spec.maxConcurrent !== undefined ? { maxConcurrent: spec.maxConcurrent } : {}) };
  });
}
