import { BadResponseError } from '../errors.js';
import type { Usage } from '../types.js';
import type { HttpResponse } from '../transport/types.js';

/** Joins a base URL and a path without doubling or dropping the slash. */
export function joinUrl(base: string, path: string): string {
  return (base.endsWith('/') ? base.slice(0, -1) : base) + (path.startsWith('/') ? path : `/${path}`);
}

/** Per base URL, its endpoints' URLs already joined (at most ENDPOINTS_PER_BASE each). */
const endpoints = new Map<string, Map<string, string>>();
const ENDPOINTS_PER_BASE = 256;

/**
 * `joinUrl` for a request's endpoint, the same string each time for the same base and path: a
 * transport that split it once knows it at a glance (src/transport/undici.ts), and no string is
 * built per request.
 */
export function endpointUrl(base: string, path: string): string {
  let byPath = endpoints.get(base);
  if (byPath === undefined) endpoints.set(base, (byPath = new Map()));
  let url = byPath.get(path);
  if (url === undefined) {
    url = joinUrl(base, path);
    if (byPath.size < ENDPOINTS_PER_BASE) byPath.set(path, url);
  }
  return url;
}

/** Parses a 2xx JSON body; a non-JSON or truncated body is `SB_BAD_RESPONSE`. */
export function parseJsonBody(res: HttpResponse): Record<string, unknown> {
  let body: unknown;
  try {
    body = JSON.parse(res.body);
  } catch {
    throw new BadResponseError(`provider answered ${res.status} with a body that is not JSON (${res.body.length} bytes)`, res.status);
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new BadResponseError(`provider answered ${res.status} with a JSON ${Array.isArray(body) ? 'array' : typeof body}, not an object`, res.status);
  }
  return body as Record<string, unknown>;
}

/** Parses an error body leniently: undefined when it is not JSON (a proxy's HTML page, say). */
export function tryParseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** A finite number, or `fallback`. */
/** A count from a provider's answer: a number in 0..2^53, else `fallback` (1e999 parses as Infinity). */
export function numberOr<T>(v: unknown, fallback: T): number | T {
  return typeof v === 'number' && v >= 0 && v <= Number.MAX_SAFE_INTEGER ? v : fallback;
}

export function makeUsage(input: number, output: number, total?: number): Usage {
  return { inputTokens: input, outputTokens: output, totalTokens: total ?? input + output };
}
