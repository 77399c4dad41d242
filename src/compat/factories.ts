import { ConfigError } from '../errors.js';
import type { Provider } from '../types.js';
import { CompatClient, type CompatOptions } from './client.js';

/**
 * The guide's `metadata`: one key per provider (its field name becomes the key's name in reports),
 * and `base_url` to move the endpoint (a proxy, a compatible server, the simulator). Other fields
 * are ignored, as the seed's backends ignored fields they did not use.
 */
export interface CompatMetadata {
  openai_api_key?: string;
  anthropic_api_key?: string;
  claude_api_key?: string;
  groq_api_key?: string;
  gemini_api_key?: string;
  google_api_key?: string;
  base_url?: string;
  [field: string]: unknown;
}

/** The guide's constructor arguments: `openai_api({ resources: {}, metadata: { openai_api_key } })`. */
export interface CompatInit {
  /** Accepted for the seed's signature; unused. */
  resources?: Record<string, unknown>;
  metadata?: CompatMetadata;
}

/** The metadata fields holding each provider's key, in the order they are looked at. */
export const KEY_FIELDS: Record<Provider, readonly string[]> = {
  openai: ['openai_api_key'],
  anthropic: ['anthropic_api_key', 'claude_api_key'],
  groq: ['groq_api_key'],
  gemini: ['gemini_api_key', 'google_api_key'],
};

function build(provider: Provider, where: string, init: CompatInit | undefined, options: CompatOptions | undefined): CompatClient {
  const metadata = init?.metadata ?? {};
  if (typeof metadata !== 'object' || metadata === null) throw new ConfigError(`${where}: expected \`metadata\` to be an object`, 'metadata');
  let key: { name: string; secret: string } | undefined;
  for (const field of KEY_FIELDS[provider]) {
    const value = metadata[field];
    if (value === undefined || value === null || value === '') continue;
    // The value is never echoed: it may be a secret of the wrong type.
    if (typeof value !== 'string') throw new ConfigError(`${where}: expected \`metadata.${field}\` to be a string (the API key), got ${typeof value}`, field);
    key = { name: field, secret: value.trim() };
    break;
  }
  const baseUrl = metadata.base_url;
  if (baseUrl !== undefined && baseUrl !== null && typeof baseUrl !== 'string') {
    throw new ConfigError(`${where}: expected \`metadata.base_url\` to be an http(s) URL string, got ${typeof baseUrl}`, 'base_url');
  }
  return new CompatClient(
    { provider, where, keys: key ? [key] : undefined, baseUrl: baseUrl ? baseUrl : undefined },
    options,
  );
}

/**
 * An OpenAI client with the guide's attributes and methods. The key comes from
 * `metadata.openai_api_key`, else from the environment (`OPENAI_API_KEY`, `OPENAI_API_KEY_1`, … and
 * `.env`); the endpoint from `metadata.base_url`, else `OPENAI_BASE_URL`, else OpenAI's.
 * Throws `SB_CONFIG` on a bad argument. `options` injects a clock, random and transport (tests).
 *
 * ```ts
 * const client = openai_api({ resources: {}, metadata: { openai_api_key: process.env.MY_KEY } });
 * client.max_retries = 5;
 * const { text } = await client.chat('gpt-4o-mini', [{ role: 'user', content: 'Hi' }], { priority: client.PRIORITY_HIGH });
 * ```
 */
export function openai_api(init?: CompatInit, options?: CompatOptions): CompatClient {
  return build('openai', 'openai_api', init, options);
}

/** An Anthropic client: `metadata.anthropic_api_key` (or `claude_api_key`), else `ANTHROPIC_API_KEY*`, `CLAUDE_API_KEY*`. */
export function claude(init?: CompatInit, options?: CompatOptions): CompatClient {
  return build('anthropic', 'claude', init, options);
}

/** A Groq client: `metadata.groq_api_key`, else `GROQ_API_KEY*`. */
export function groq(init?: CompatInit, options?: CompatOptions): CompatClient {
  return build('groq', 'groq', init, options);
}

/** A Gemini client: `metadata.gemini_api_key` (or `google_api_key`), else `GOOGLE_API_KEY*`, `GEMINI_API_KEY*`. */
export function gemini(init?: CompatInit, options?: CompatOptions): CompatClient {
  return build('gemini', 'gemini', init, options);
}
