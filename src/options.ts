import { ConfigError, scrubSecrets } from './errors.js';
import type { Clock, Jitter, KeyConfig, Logger, Provider, StrategyFn, StrategyName } from './types.js';
import type { Transport } from './transport/types.js';
import type { SharedOptions } from './shared/types.js';

/** Options of `createSupervisor` (docs/ARCHITECTURE.md §2). Times in ms. */
export interface SupervisorOptions {
  provider?: Provider;
  baseUrl?: string;
  keys?: KeyConfig[];
  strategy?: StrategyName | StrategyFn;
  queue?: { size?: number; maxConcurrent?: number; agingMs?: number };
  circuitBreaker?: { failureThreshold?: number; resetTimeoutMs?: number; halfOpenProbes?: number };
  retry?: { maxRetries?: number; initialDelayMs?: number; backoffFactor?: number; maxDelayMs?: number; jitter?: Jitter; maxRetryAfterMs?: number };
  batching?: { enabled?: boolean; maxBatchSize?: number; batchTimeoutMs?: number; models?: string[] };
  metrics?: { enabled?: boolean; registry?: unknown; recentSize?: number };
  schedule?: { report?: string; resetStats?: string; sink?: ((report: unknown) => unknown) | string; includeDetails?: boolean };
  timeoutMs?: number;
  deadlineMs?: number;
  clock?: Clock;
  random?: () => number;
  inspect?: unknown;
  logger?: Logger;
  /** The HTTP seam (default: undici). Tests and in-process benchmarks inject one. */
  transport?: Transport;
  /** Environment to read keys and base URLs from (default: `process.env` over `.env`). */
  env?: Record<string, string | undefined>;
  /** Keys, budgets and breaker shared with other instances through Redis (docs/SCALE-OUT.md). */
  shared?: SharedOptions;
}

export interface ResolvedConfig {
  provider: Provider;
  baseUrl: string | undefined;
  strategy: StrategyName | StrategyFn;
  queue: { size: number; maxConcurrent: number; agingMs: number };
  circuitBreaker: { failureThreshold: number; resetTimeoutMs: number; halfOpenProbes: number };
  retry: { maxRetries: number; initialDelayMs: number; backoffFactor: number; maxDelayMs: number; jitter: Jitter; maxRetryAfterMs: number };
  batching: { enabled: boolean; maxBatchSize: number; batchTimeoutMs: number; models: string[] };
  metrics: { enabled: boolean; recentSize: number };
  timeoutMs: number;
  deadlineMs: number;
}

/** The defaults (docs/ARCHITECTURE.md §2), deep-frozen: no caller can change the next board's defaults. */
export const DEFAULTS: Readonly<ResolvedConfig> = deepFreeze({
  provider: 'openai',
  baseUrl: undefined,
  strategy: 'round-robin',
  queue: { size: 100, maxConcurrent: 5, agingMs: 10_000 },
  circuitBreaker: { failureThreshold: 5, resetTimeoutMs: 30_000, halfOpenProbes: 1 },
  retry: { maxRetries: 5, initialDelayMs: 1_000, backoffFactor: 2, maxDelayMs: 16_000, jitter: 'full', maxRetryAfterMs: 60_000 },
  batching: { enabled: true, maxBatchSize: 10, batchTimeoutMs: 500, models: ['text-embedding-ada-002', 'text-embedding-3-small', 'text-embedding-3-large'] },
  metrics: { enabled: true, recentSize: 100 },
  timeoutMs: 60_000,
  deadlineMs: 600_000,
});

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/**
 * The longest duration a Node timer holds: past 2^31-1 ms `setTimeout` fires after 1 ms instead
 * (with a `TimeoutOverflowWarning` each time). Every duration option is capped here by validation.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** The largest `metrics.recentSize`: the recent-request ring is allocated up front. */
export const MAX_RECENT_SIZE = 100_000;

/** One validation rule: what a value must be (for the message) and the test. */
export type Rule = { rule: string; test: (v: unknown) => boolean };
/** An integer in `[min, max]`. */
export const int = (min: number, max = Number.MAX_SAFE_INTEGER): Rule => ({
  rule: max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer from ${min} to ${max}`,
  test: (v) => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max,
});
/** A finite number `>= min` (or `> min`), at most `max`. */
export const num = (min: number, exclusive = false, max = Number.MAX_VALUE): Rule => ({
  rule: `a number ${exclusive ? '>' : '>='} ${min}${max === Number.MAX_VALUE ? '' : ` and <= ${max}`}`,
  test: (v) => typeof v === 'number' && !Number.isNaN(v) && Number.isFinite(v) && (exclusive ? v > min : v >= min) && v <= max,
});
/** A duration: a number of ms a timer can hold (`MAX_TIMER_MS`). */
export const ms = (min = 0, exclusive = false): Rule => num(min, exclusive, MAX_TIMER_MS);
/** A duration that may also be Infinity (never): a finite value is capped like `ms`. */
const msOrInfinity: Rule = {
  rule: `a number from 0 to ${MAX_TIMER_MS} (or Infinity)`,
  test: (v) => typeof v === 'number' && !Number.isNaN(v) && v >= 0 && (v === Infinity || v <= MAX_TIMER_MS),
};
export const oneOf = (...values: string[]): Rule => ({ rule: `one of ${values.map((x) => `'${x}'`).join(', ')}`, test: (v) => typeof v === 'string' && values.includes(v) });
export const bool: Rule = { rule: 'a boolean', test: (v) => typeof v === 'boolean' };
const str: Rule = { rule: 'a non-empty string', test: (v) => typeof v === 'string' && v.length > 0 };
const strings: Rule = { rule: 'an array of strings', test: (v) => Array.isArray(v) && v.every((x) => typeof x === 'string') };
/** A built-in strategy name or a `StrategyFn`. */
export const strategyRule: Rule = {
  rule: "one of 'round-robin', 'least-loaded', 'headroom', or a function (ready, request) => key | undefined",
  test: (v) => typeof v === 'function' || (typeof v === 'string' && ['round-robin', 'least-loaded', 'headroom'].includes(v)),
};
const fn: Rule = { rule: 'a function', test: (v) => typeof v === 'function' };
const anyObject: Rule = { rule: 'an object', test: (v) => typeof v === 'object' && v !== null };
const url: Rule = {
  rule: 'an http(s) URL',
  test: (v) => {
    if (typeof v !== 'string') return false;
    try {
      const u = new URL(v);
      return u.protocol === 'http:' || u.protocol === 'https:';
    } catch {
      return false;
    }
  },
};
const clockRule: Rule = {
  rule: 'a Clock ({ now, setTimeout, clearTimeout })',
  test: (v) => typeof v === 'object' && v !== null && ['now', 'setTimeout', 'clearTimeout'].every((k) => typeof (v as Record<string, unknown>)[k] === 'function'),
};
const LIMIT_NAMES = ['rpm', 'tpm', 'rpd'];
/** `keys[].limits`: `{ rpm?, tpm?, rpd? }`, each a number > 0. */
export const limitsRule: Rule = {
  rule: 'an object { rpm?, tpm?, rpd? } of numbers > 0',
  test: (v) =>
    typeof v === 'object' && v !== null && !Array.isArray(v) &&
    Object.entries(v).every(([k, n]) => LIMIT_NAMES.includes(k) && (n === undefined || (typeof n === 'number' && Number.isFinite(n) && n > 0))),
};
const keysRule: Rule = {
  rule: 'an array of { name, secret, maxConcurrent?, limits? } with unique names',
  test: (v) => {
    if (!Array.isArray(v)) return false;
    const names = new Set<string>();
    for (const k of v) {
      if (typeof k !== 'object' || k === null) return false;
      if (typeof k.name !== 'string' || k.name === '' || typeof k.secret !== 'string' || k.secret === '') return false;
      if (k.maxConcurrent !== undefined && !int(1).test(k.maxConcurrent)) return false;
      if (k.limits !== undefined && !limitsRule.test(k.limits)) return false;
      if (names.has(k.name)) return false;
      names.add(k.name);
    }
    return true;
  },
};

/** The schema: every option name, its rule. Nested objects are sections. Looked up with `Object.hasOwn` only. */
export const SCHEMA: Record<string, Rule | Record<string, Rule>> = {
  provider: oneOf('openai', 'anthropic', 'groq', 'gemini'),
  baseUrl: url,
  keys: keysRule,
  strategy: strategyRule,
  queue: { size: int(0), maxConcurrent: int(1), agingMs: msOrInfinity },
  circuitBreaker: { failureThreshold: int(1), resetTimeoutMs: ms(0), halfOpenProbes: int(1) },
  retry: {
    maxRetries: int(0),
    initialDelayMs: ms(0),
    backoffFactor: num(1),
    maxDelayMs: ms(0),
    jitter: oneOf('none', 'full', 'equal'),
    maxRetryAfterMs: msOrInfinity,
  },
  batching: { enabled: bool, maxBatchSize: int(1), batchTimeoutMs: ms(0), models: strings },
  metrics: { enabled: bool, registry: anyObject, recentSize: int(1, MAX_RECENT_SIZE) },
  schedule: { report: str, resetStats: str, sink: { rule: 'a function or a file path', test: (v) => typeof v === 'function' || (typeof v === 'string' && v.length > 0) }, includeDetails: bool },
  timeoutMs: ms(0, true),
  deadlineMs: ms(0, true),
  clock: clockRule,
  random: fn,
  inspect: { rule: 'an inspection observer (function or { next })', test: (v) => typeof v === 'function' || (typeof v === 'object' && v !== null) },
  logger: anyObject,
  transport: fn,
  env: anyObject,
  shared: {
    redis: {
      rule: 'a redis:// or rediss:// URL, or a node-redis client',
      test: (v) => (typeof v === 'string' && /^rediss?:\/\/./.test(v)) || (typeof v === 'object' && v !== null && typeof (v as { sendCommand?: unknown }).sendCommand === 'function'),
    },
    namespace: { rule: 'a non-empty string without braces', test: (v) => typeof v === 'string' && v.length > 0 && !/[{}]/.test(v) },
    timeoutMs: num(0, true),
    failClosed: bool,
  },
};

function describe(v: unknown): string {
  // A secret passed where something else belongs must not reach the message.
  if (typeof v === 'string') return `"${scrubSecrets(v.length > 60 ? `${v.slice(0, 60)}…` : v)}" (string)`;
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'function') return 'a function';
  return `${String(v)} (${typeof v})`;
}

function distance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++)
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
  return d[a.length]![b.length]!;
}

/** Edit distance, with a shared start counted in the candidate's favour (`retries` is meant as `retry`, not `metrics`). */
function closeness(typed: string, known: string): number {
  const a = typed.toLowerCase();
  const b = known.toLowerCase();
  let prefix = 0;
  while (prefix < a.length && prefix < b.length && a[prefix] === b[prefix]) prefix++;
  return distance(a, b) - Math.min(prefix, 3) * 0.5;
}

export function unknownOption(where: string, path: string, known: string[]): ConfigError {
  const name = path.split('.').pop()!;
  const close = known.map((k) => [k, closeness(name, k)] as const).sort((x, y) => x[1] - y[1])[0];
  const hint = close && close[1] <= Math.max(2, Math.floor(name.length / 3)) ? `; did you mean \`${path.slice(0, -name.length)}${close[0]}\`?` : '';
  return new ConfigError(`${where}: unknown option \`${path}\`${hint}`, path);
}

/** Throws the one-template `SB_CONFIG` error: ``createSupervisor: expected `retry.maxRetries` to be an integer >= 0, got -1 (number)``. */
export function invalid(where: string, path: string, rule: string, value: unknown): ConfigError {
  return new ConfigError(`${where}: expected \`${path}\` to be ${rule}, got ${describe(value)}`, path);
}

/** Validates a (partial) options object against the schema: types, ranges, unknown names. */
export function validateOptions(options: unknown, where = 'createSupervisor'): void {
  if (options === undefined) return;
  if (typeof options !== 'object' || options === null || Array.isArray(options)) throw invalid(where, 'options', 'an object', options);
  for (const [key, value] of Object.entries(options)) {
    // `__proto__`, `constructor` … are unknown names, never Object.prototype's members.
    const spec = Object.hasOwn(SCHEMA, key) ? SCHEMA[key] : undefined;
    if (!spec) throw unknownOption(where, key, Object.keys(SCHEMA));
    if (value === undefined) continue;
    if ('test' in spec && typeof spec.test === 'function') {
      if (!(spec as Rule).test(value)) throw invalid(where, key, (spec as Rule).rule, value);
      continue;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid(where, key, 'an object', value);
    const section = spec as Record<string, Rule>;
    for (const [sub, subValue] of Object.entries(value)) {
      const rule = Object.hasOwn(section, sub) ? section[sub] : undefined;
      if (!rule) throw unknownOption(where, `${key}.${sub}`, Object.keys(section));
      if (subValue !== undefined && !rule.test(subValue)) throw invalid(where, `${key}.${sub}`, rule.rule, subValue);
    }
  }
}

/** A fresh section: `base` under `over`; arrays are copied, so no two boards share one. */
function pick<T extends object>(base: T, over: Partial<T> | undefined): T {
  const out = { ...base } as Record<string, unknown>;
  if (over) for (const [k, v] of Object.entries(over)) if (v !== undefined) out[k] = v;
  for (const [k, v] of Object.entries(out)) if (Array.isArray(v)) out[k] = [...v];
  return out as T;
}

/** Merges validated options over the defaults (or over a current config, for `config.update`). */
export function resolveConfig(options: SupervisorOptions, base: Readonly<ResolvedConfig> = DEFAULTS): ResolvedConfig {
  return {
    provider: options.provider ?? base.provider,
    baseUrl: options.baseUrl ?? base.baseUrl,
    strategy: options.strategy ?? base.strategy,
    queue: pick(base.queue, options.queue),
    circuitBreaker: pick(base.circuitBreaker, options.circuitBreaker),
    retry: pick(base.retry, options.retry),
    batching: pick(base.batching, options.batching),
    metrics: pick(base.metrics, options.metrics as Partial<ResolvedConfig['metrics']>),
    timeoutMs: options.timeoutMs ?? base.timeoutMs,
    deadlineMs: options.deadlineMs ?? base.deadlineMs,
  };
}

/** The sections `config.update` may change at run time. */
export const UPDATABLE = ['queue', 'circuitBreaker', 'retry', 'batching', 'timeoutMs', 'deadlineMs', 'strategy', 'metrics'] as const;

export function validateUpdate(config: unknown): void {
  validateOptions(config, 'config.update');
  for (const key of Object.keys(config as object)) {
    if (!(UPDATABLE as readonly string[]).includes(key)) throw new ConfigError(`config.update: \`${key}\` cannot be changed at run time`, key);
  }
  const metrics = (config as SupervisorOptions).metrics;
  if (metrics && metrics.registry !== undefined) throw new ConfigError('config.update: `metrics.registry` cannot be changed at run time', 'metrics.registry');
}
