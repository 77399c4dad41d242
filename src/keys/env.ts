import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'dotenv';
import type { Provider } from '../types.js';

/** Variables read as text, as `process.env` is. */
export type Env = Record<string, string | undefined>;

/** A key found in the environment: its variable name (the only thing ever shown) and its secret. */
export interface EnvKey {
  name: string;
  secret: string;
}

/** The variable families of each provider, in discovery order (docs/ARCHITECTURE.md §5). */
const KEY_PREFIXES: Record<Provider, readonly string[]> = {
  openai: ['OPENAI_API_KEY'],
  anthropic: ['ANTHROPIC_API_KEY', 'CLAUDE_API_KEY'],
  groq: ['GROQ_API_KEY'],
  gemini: ['GOOGLE_API_KEY', 'GEMINI_API_KEY'],
};

/** The endpoint variables, as each official SDK reads them. */
const BASE_URL_VARS: Record<Provider, readonly string[]> = {
  openai: ['OPENAI_BASE_URL'],
  anthropic: ['ANTHROPIC_BASE_URL'],
  groq: ['GROQ_BASE_URL'],
  gemini: ['GEMINI_BASE_URL', 'GOOGLE_GEMINI_BASE_URL'],
};

/**
 * The environment the library sees: `process.env` over the `.env` file in `cwd` (parsed with
 * `dotenv.parse`, so real variables win). Nothing is printed and `process.env` is left as it is;
 * a missing or unreadable `.env` is no `.env`.
 */
export function readEnv(cwd: string = process.cwd()): Env {
  let fromFile: Env = {};
  try {
    fromFile = parse(readFileSync(join(cwd, '.env')));
  } catch {
    // No .env (or not readable): the process environment alone.
  }
  const out: Env = { ...fromFile };
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) out[k] = v;
  return out;
}

function value(env: Env, name: string): string | undefined {
  const v = env[name]?.trim();
  return v === undefined || v === '' ? undefined : v;
}

/**
 * The keys of `provider` found in `env` (default: `readEnv()`), in the documented order:
 * `PREFIX`, then `PREFIX_1`, `PREFIX_2`, … in numeric order, for each of the provider's prefixes
 * (anthropic: `ANTHROPIC_API_KEY*` then `CLAUDE_API_KEY*`; gemini: `GOOGLE_API_KEY*` then
 * `GEMINI_API_KEY*`). Empty values are ignored; the same secret under two names is one key,
 * named by the first. Values are trimmed.
 *
 * ```ts
 * loadKeys('openai', { OPENAI_API_KEY_2: 'sk-b', OPENAI_API_KEY: 'sk-a' });
 * // [{ name: 'OPENAI_API_KEY', secret: 'sk-a' }, { name: 'OPENAI_API_KEY_2', secret: 'sk-b' }]
 * ```
 */
export function loadKeys(provider: Provider, env: Env = readEnv()): EnvKey[] {
  const prefixes = KEY_PREFIXES[provider];
  if (!prefixes) return [];
  const out: EnvKey[] = [];
  const seen = new Set<string>();
  const add = (name: string): void => {
    const secret = value(env, name);
    if (secret === undefined || seen.has(secret)) return;
    seen.add(secret);
    out.push({ name, secret });
  };
  const names = Object.keys(env);
  for (const prefix of prefixes) {
    add(prefix);
    const numbered: Array<{ name: string; n: number }> = [];
    const head = `${prefix}_`;
    for (const name of names) {
      if (!name.startsWith(head)) continue;
      const suffix = name.slice(head.length);
      if (/^\d+$/.test(suffix)) numbered.push({ name, n: Number(suffix) });
    }
    // Numeric order (`_2` before `_10`); `_01` and `_1` tie, then by name, so the order is stable.
    numbered.sort((a, b) => a.n - b.n || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const { name } of numbered) add(name);
  }
  return out;
}

/**
 * The endpoint of `provider` from `env` (default: `readEnv()`): `OPENAI_BASE_URL`,
 * `ANTHROPIC_BASE_URL`, `GROQ_BASE_URL`, `GEMINI_BASE_URL` (then `GOOGLE_GEMINI_BASE_URL`);
 * undefined when unset or empty.
 */
export function loadBaseUrl(provider: Provider, env: Env = readEnv()): string | undefined {
  for (const name of BASE_URL_VARS[provider] ?? []) {
    const v = value(env, name);
    if (v !== undefined) return v;
  }
  return undefined;
}
