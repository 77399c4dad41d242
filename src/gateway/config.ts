import { readFileSync } from 'node:fs';
import { ConfigError } from '../errors.js';
import type { Env } from '../keys/env.js';
import { invalid, MAX_TIMER_MS } from '../options.js';
import type { RouterOptions } from '../router/index.js';
import type { SimConfig } from '../sim/index.js';
import { PROVIDERS, type KeyConfig } from '../types.js';

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

/** A key in a config file: an environment variable's name, or `{ env, name?, maxConcurrent? }`, or `{ name, secret, maxConcurrent? }`. */
export type ConfigKey = string | { env: string; name?: string; maxConcurrent?: number } | KeyConfig;

/** The JSON config file (`--config`): createSupervisor options per provider, fallbacks, and the server settings. */
export interface GatewayConfig {
  providers?: Partial<Record<string, Record<string, unknown> & { keys?: ConfigKey[] }>>;
  fallbacks?: Record<string, string[]>;
  gateway?: GatewaySettings;
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

/** Reads and checks a config file (JSON). Keys named by environment variables are resolved against `env`. */
export function loadConfigFile(path: string, env: Env): ReturnType<typeof resolveConfig> {
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
  return resolveConfig(json, `config ${path}`, env);
}

/**
 * Checks a config object's shape and turns its keys into `{ name, secret }`. The provider options
 * themselves are validated by `createRouter`, with the same messages as the library's options.
 */
export function resolveConfig(json: unknown, where: string, env: Env): { providers?: RouterOptions['providers']; fallbacks?: Record<string, string[]>; gateway: GatewaySettings } {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw invalid(where, 'config', 'a JSON object', json);
  const config = json as Record<string, unknown>;
  for (const key of Object.keys(config)) {
    if (!['providers', 'fallbacks', 'gateway', '$schema', 'comment'].includes(key)) throw unknownName(where, key, ['providers', 'fallbacks', 'gateway']);
  }
  const gateway = config.gateway ?? {};
  if (typeof gateway !== 'object' || gateway === null || Array.isArray(gateway)) throw invalid(where, 'gateway', 'an object', gateway);
  validateSettings(gateway as Record<string, unknown>, where, 'gateway.');
  let providers: RouterOptions['providers'] | undefined;
  if (config.providers !== undefined) {
    if (typeof config.providers !== 'object' || config.providers === null || Array.isArray(config.providers)) throw invalid(where, 'providers', 'an object of provider options', config.providers);
    providers = {};
    for (const [name, opts] of Object.entries(config.providers as Record<string, unknown>)) {
      if (!(PROVIDERS as readonly string[]).includes(name)) throw unknownName(where, `providers.${name}`, [...PROVIDERS]);
      if (typeof opts !== 'object' || opts === null || Array.isArray(opts)) throw invalid(where, `providers.${name}`, 'an object of createSupervisor options', opts);
      const o = { ...(opts as Record<string, unknown>) };
      if (o.keys !== undefined) o.keys = resolveKeys(o.keys, `${where}`, `providers.${name}.keys`, env);
      (providers as Record<string, unknown>)[name] = o;
    }
  }
  const fallbacks = config.fallbacks as Record<string, string[]> | undefined;
  return { providers, fallbacks, gateway: gateway as GatewaySettings };
}

function resolveKeys(keys: unknown, where: string, path: string, env: Env): KeyConfig[] {
  if (!Array.isArray(keys)) throw invalid(where, path, 'an array of environment variable names or { env | secret, name?, maxConcurrent? }', keys);
  return keys.map((k: unknown, i): KeyConfig => {
    const at = `${path}[${i}]`;
    const fromEnv = (variable: string): string => {
      const secret = env[variable]?.trim();
      if (!secret) throw new ConfigError(`${where}: \`${at}\` names the environment variable ${variable}, which is not set`, at);
      return secret;
    };
    if (typeof k === 'string' && k !== '') return { name: k, secret: fromEnv(k) };
    if (typeof k === 'object' && k !== null && !Array.isArray(k)) {
      const o = k as Record<string, unknown>;
      const max = o.maxConcurrent === undefined ? {} : { maxConcurrent: o.maxConcurrent as number };
      if (typeof o.env === 'string' && o.env !== '') return { name: typeof o.name === 'string' && o.name ? o.name : o.env, secret: fromEnv(o.env), ...max };
      if (typeof o.secret === 'string') return { name: o.name as string, secret: o.secret, ...max };
    }
    throw invalid(where, at, 'an environment variable name or { env | secret, name?, maxConcurrent? }', k);
  });
}
