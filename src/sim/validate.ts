import { ConfigError } from '../errors.js';
import { bool, int, invalid, ms, num, unknownOption, type Rule } from '../options.js';
import { parseStep } from './faults.js';

/** The largest embedding the simulator makes: one vector is allocated per input (Gemini's largest is 3,072). */
export const MAX_SIM_DIMENSIONS = 8_192;
/** A script longer than this is a mistake, not a test. */
const MAX_SCRIPT_STEPS = 100_000;

const nullable = (r: Rule): Rule => ({ rule: `${r.rule} (or null)`, test: (v) => v === null || r.test(v) });
const status: Rule = int(100, 599);
const latency = nullable(ms(0));
const count = (min: number): Rule => int(min, Number.MAX_SAFE_INTEGER);

const rateLimit: Record<string, Rule> = {
  requestsPerSecond: num(0, true, 1e9),
  requestsPerMinute: num(0, true, 1e9),
  tokensPerMinute: num(0, true, 1e12),
};
const outage: Record<string, Rule> = { status: status, untilMs: num(0), forMs: ms(0) };
const errorRates: Rule = {
  rule: 'an object of HTTP statuses (100-599) to rates from 0 to 1 whose sum is at most 1 (or null)',
  test: (v) => {
    if (v === null) return true;
    if (typeof v !== 'object' || Array.isArray(v)) return false;
    let sum = 0;
    for (const [k, r] of Object.entries(v as Record<string, unknown>)) {
      if (!/^[1-5]\d\d$/.test(k) || typeof r !== 'number' || !(r >= 0 && r <= 1)) return false;
      sum += r;
    }
    return sum <= 1 + 1e-9;
  },
};
const step: Record<string, Rule> = {
  status,
  fault: { rule: 'a fault name', test: (v) => typeof v === 'string' },
  afterChunks: count(0),
  retryAfterMs: ms(0),
  shouldRetry: bool,
  latencyMs: ms(0),
};

/** Every knob a layer (`defaults`, a provider, a key) takes; sections are checked field by field. */
const KNOBS: Record<string, Rule | Record<string, Rule> | 'script' | 'outage'> = {
  latencyMs: latency,
  chunkDelayMs: latency,
  errorRates,
  script: 'script',
  rateLimit,
  dailyQuota: nullable(count(0)),
  outage: 'outage',
  shouldRetry: nullable(bool),
  dimensions: nullable(int(1, MAX_SIM_DIMENSIONS)),
};
const PROVIDER_KNOBS = { ...KNOBS, invalidKeys: nullable({ rule: 'an array of strings', test: (v) => Array.isArray(v) && v.every((k) => typeof k === 'string') }) };
const KEY_KNOBS = { ...KNOBS, invalid: nullable(bool) };
const TOP = ['defaults', 'openai', 'anthropic', 'groq', 'gemini', 'keys'];

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function checkSection(where: string, path: string, value: unknown, rules: Record<string, Rule>): void {
  if (!isObject(value)) throw invalid(where, path, 'an object', value);
  for (const [k, v] of Object.entries(value)) {
    const rule = Object.hasOwn(rules, k) ? rules[k] : undefined;
    if (!rule) throw unknownOption(where, `${path}.${k}`, Object.keys(rules));
    if (v !== undefined && !rule.test(v)) throw invalid(where, `${path}.${k}`, rule.rule, v);
  }
}

function checkLayer(where: string, path: string, layer: unknown, knobs: typeof KNOBS): void {
  if (!isObject(layer)) throw invalid(where, path, 'an object of simulator knobs', layer);
  for (const [k, v] of Object.entries(layer)) {
    const spec = Object.hasOwn(knobs, k) ? knobs[k] : undefined;
    if (spec === undefined) throw unknownOption(where, `${path}.${k}`, Object.keys(knobs));
    if (v === undefined || v === null) continue;
    const at = `${path}.${k}`;
    if (spec === 'script') {
      if (!Array.isArray(v) || v.length > MAX_SCRIPT_STEPS) throw invalid(where, at, `an array of at most ${MAX_SCRIPT_STEPS} steps (or null)`, v);
      v.forEach((s: unknown, i) => {
        if (isObject(s)) checkSection(where, `${at}[${i}]`, s, step);
        else if (typeof s !== 'string') throw invalid(where, `${at}[${i}]`, "a step ('503', 'reset' …) or { status, fault, … }", s);
        try {
          parseStep(s as never);
        } catch (error) {
          throw new ConfigError(`${where}: \`${at}[${i}]\`: ${(error as Error).message}`, `${at}[${i}]`);
        }
      });
    } else if (spec === 'outage') {
      if (typeof v !== 'boolean') checkSection(where, at, v, outage);
    } else if ('test' in spec && typeof spec.test === 'function') {
      if (!(spec as Rule).test(v)) throw invalid(where, at, (spec as Rule).rule, v);
    } else checkSection(where, at, v, spec as Record<string, Rule>);
  }
}

/**
 * Validates a simulator configuration like the library's options (src/options.ts): one message
 * template, unknown names with a "did you mean", and bounds that keep the simulator alive —
 * `dimensions` at most 8,192 (one vector is allocated per input), latencies from 0 to 2^31-1 ms,
 * numeric rates. Throws `SB_CONFIG` (`ConfigError`) naming the field.
 */
export function validateSimConfig(config: unknown, where = 'sim.configure'): void {
  if (!isObject(config)) throw invalid(where, 'config', 'an object (a SimConfig)', config);
  for (const [k, v] of Object.entries(config)) {
    if (v === undefined) continue;
    if (!TOP.includes(k)) throw unknownOption(where, k, TOP);
    if (k === 'defaults') checkLayer(where, k, v, KNOBS);
    else if (k === 'keys') {
      if (!isObject(v)) throw invalid(where, k, 'an object of key names to knobs', v);
      for (const [name, knobs] of Object.entries(v)) checkLayer(where, `keys.${name}`, knobs, KEY_KNOBS);
    } else checkLayer(where, k, v, PROVIDER_KNOBS);
  }
}
