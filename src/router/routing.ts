import type { Provider } from '../types.js';

/**
 * Routing by model: an explicit `openai/`, `anthropic/`, `groq/`, `gemini/` prefix is
 * stripped (one segment: `groq/openai/gpt-oss-20b` reaches Groq as `openai/gpt-oss-20b`); without
 * one, the known model families decide. Null when nothing matches.
 */
export function routeModel(model: string): { provider: Provider; model: string } | null {
  const slash = model.indexOf('/');
  if (slash > 0) {
    const prefix = model.slice(0, slash);
    if (prefix === 'openai' || prefix === 'anthropic' || prefix === 'groq' || prefix === 'gemini') {
      const rest = model.slice(slash + 1);
      return rest === '' ? null : { provider: prefix, model: rest };
    }
  }
  const provider = familyOf(model);
  return provider ? { provider, model } : null;
}

function familyOf(model: string): Provider | null {
  if (/^(gpt-|o1|o3|o4|text-embedding-3-|text-embedding-ada-)/.test(model)) return 'openai';
  if (model.startsWith('claude-')) return 'anthropic';
  if (/^(gemini-|text-embedding-004$|gemini-embedding-)/.test(model)) return 'gemini';
  if (/^(llama|mixtral|gemma)/.test(model)) return 'groq';
  return null;
}
