import { ConfigError, type SwitchboardError } from '../errors.js';
import { routeModel } from './routing.js';

/** The router's model groups, each keyed by the model name as the caller writes it. */
export interface ModelGroups {
  /** `{ [model]: [fallback models, in order] }`: tried on 5xx, timeouts, open breakers, no keys, 429-exhausted. */
  fallbacks: Record<string, string[]>;
  /** Tried when the provider says the prompt exceeds the model's context window (`SB_CONTEXT_LENGTH`). */
  contextFallbacks: Record<string, string[]>;
  /** Tried when the provider refuses the content on policy grounds (`SB_CONTENT_POLICY`). */
  contentPolicyFallbacks: Record<string, string[]>;
  /** `{ [alias]: model }`, resolved before routing: `{ fast: 'groq/llama-3.1-8b-instant' }`. */
  aliases: Record<string, string>;
}

export type GroupName = 'fallbacks' | 'contextFallbacks' | 'contentPolicyFallbacks';
export const GROUP_NAMES: readonly GroupName[] = ['fallbacks', 'contextFallbacks', 'contentPolicyFallbacks'];

/**
 * Which group a failure moves the request on in, or null when it is the caller's answer
 *: the regular group on `SB_CIRCUIT_OPEN`, `SB_NO_KEYS`, `SB_TIMEOUT`, and on
 * `SB_RETRIES_EXHAUSTED` / `SB_PROVIDER` from a 5xx, a 429 (every key rate-limited past what the
 * deadline can wait) or no answer; the context and policy groups on their own codes; never another 4xx.
 */
export function failureGroup(error: unknown): GroupName | null {
  const e = error as SwitchboardError & { status?: number | null };
  switch (e?.code) {
    case 'SB_CIRCUIT_OPEN':
    case 'SB_NO_KEYS':
    case 'SB_TIMEOUT':
      return 'fallbacks';
    case 'SB_RETRIES_EXHAUSTED':
      return e.status === null || e.status === undefined || e.status >= 500 || e.status === 429 ? 'fallbacks' : null;
    case 'SB_PROVIDER':
      return typeof e.status === 'number' && (e.status >= 500 || e.status === 429) ? 'fallbacks' : null;
    case 'SB_CONTEXT_LENGTH':
      return 'contextFallbacks';
    case 'SB_CONTENT_POLICY':
      return 'contentPolicyFallbacks';
    default:
      return null;
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Checks the groups and aliases, with the options' message template. A model in a group, or an
 * alias target, must be routable (a known family or a provider prefix); a group member may be an alias.
 */
export function validateGroups(options: Partial<Record<keyof ModelGroups, unknown>>, where = 'createRouter'): ModelGroups {
  const aliases = options.aliases ?? {};
  if (!isObject(aliases)) throw new ConfigError(`${where}: expected \`aliases\` to be an object of name → model, got ${JSON.stringify(aliases)}`, 'aliases');
  for (const [name, target] of Object.entries(aliases)) {
    if (typeof target !== 'string' || routeModel(target) === null) {
      throw new ConfigError(`${where}: expected \`aliases.${name}\` to be a routable model name (a known family, or prefixed openai/, anthropic/, groq/ or gemini/), got ${JSON.stringify(target)}`, `aliases.${name}`);
    }
  }
  const routable = (m: unknown) => typeof m === 'string' && (routeModel(m) !== null || Object.hasOwn(aliases, m));
  const out = { aliases: aliases as Record<string, string> } as ModelGroups;
  for (const group of GROUP_NAMES) {
    const value = options[group] ?? {};
    if (!isObject(value)) throw new ConfigError(`${where}: expected \`${group}\` to be an object of model → model[], got ${JSON.stringify(value)}`, group);
    for (const [model, list] of Object.entries(value)) {
      if (!Array.isArray(list) || !list.every(routable)) {
        throw new ConfigError(`${where}: expected \`${group}.${model}\` to be an array of routable model names or aliases, got ${JSON.stringify(list)}`, `${group}.${model}`);
      }
    }
    out[group] = value as Record<string, string[]>;
  }
  return out;
}
