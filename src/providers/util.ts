import { BadResponseError } from '../errors.js';
import type { HttpResponse } from '../transport/types.js';

/** Joins a base URL and a path without doubling or dropping the slash. */
export function joinUrl(base: string, path: string): string {
  return (base.endsWith('/') ? base.slice(0, -1) : base) + (path.startsWith('/') ? path : `/${path}`);
}

/** Parses a 2xx JSON body; a non-JSON or truncated body is `SB_BAD_RESPONSE`. */
export function parseJsonBody(res: HttpResponse): unknown {
  let body: unknown;
  try {
    body = JSON.parse(res.body);
  } catch {
    throw new BadResponseError(`provider answered ${res.status} with a body that is not JSON (${res.body.length} bytes)`, res.status);
  }
  if (body === null || typeof body !== 'object') throw new BadResponseError(`provider answered ${res.status} with a JSON ${typeof body}, not an object`, res.status);
  return body;
}
