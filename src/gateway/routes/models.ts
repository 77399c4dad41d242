import type { Router } from '../../router/index.js';
import type { Provider } from '../../types.js';
import type { RequestContext } from '../context.js';
import { HttpError } from '../errors.js';
import { sendJson } from '../respond.js';

/**
 * A few well-known models per provider, listed by `GET /v1/models` for the routable providers.
 * Any other model of a known family (or with a provider prefix) routes as well; this is a menu,
 * not a whitelist.
 */
export const KNOWN_MODELS: Record<Provider, readonly string[]> = {
  openai: ['gpt-4o-mini', 'gpt-4o', 'gpt-4.1-mini', 'o4-mini', 'text-embedding-3-small', 'text-embedding-3-large'],
  anthropic: ['claude-3-5-haiku-latest', 'claude-3-7-sonnet-latest', 'claude-sonnet-4-0'],
  groq: ['llama-3.1-8b-instant', 'llama-3.3-70b-versatile', 'groq/openai/gpt-oss-20b'],
  gemini: ['gemini-2.0-flash', 'gemini-2.5-flash', 'gemini-2.5-pro', 'text-embedding-004', 'gemini-embedding-001'],
};

function modelObject(id: string, provider: Provider): Record<string, unknown> {
  // `created` is unknown for a listed name; 0 says so rather than inventing a date.
  return { id, object: 'model', created: 0, owned_by: provider };
}

/** The provider `id` routes to, or null when no configured provider serves it. */
function routedProvider(router: Router, id: string): Provider | null {
  try {
    return router.route(id).provider;
  } catch {
    return null;
  }
}

/** `GET /v1/models`: OpenAI's list format, `owned_by` = the provider; the configured aliases first (those that route). */
export function listModels(ctx: RequestContext): void {
  const data: Array<Record<string, unknown>> = [];
  for (const alias of Object.keys(ctx.router.modelGroups().aliases)) {
    const provider = routedProvider(ctx.router, alias);
    if (provider) data.push(modelObject(alias, provider));
  }
  for (const [provider, ids] of Object.entries(KNOWN_MODELS) as Array<[Provider, readonly string[]]>) {
    for (const id of ids) if (routedProvider(ctx.router, id) === provider) data.push(modelObject(id, provider));
  }
  sendJson(ctx.res, 200, { object: 'list', data });
}

/** `GET /v1/models/{id}`: any routable model (the openai SDK's `models.retrieve`); 404 otherwise. */
export function retrieveModel(ctx: RequestContext): void {
  const encoded = ctx.url.pathname.slice('/v1/models/'.length);
  let id: string;
  try {
    id = decodeURIComponent(encoded);
  } catch {
    throw new HttpError(404, 'SB_NOT_FOUND', 'not a model id', { param: 'model' });
  }
  // Throws UnknownModelError (SB_CONFIG, 404), as a chat for that model would.
  sendJson(ctx.res, 200, modelObject(id, ctx.router.route(id).provider));
}
