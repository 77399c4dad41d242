import type { ServerResponse } from 'node:http';
import { describeError, publicMessage } from '../errors.js';

/**
 * Anthropic's `error.type` for a status (docs.anthropic.com/en/api/errors): 400 invalid_request_error,
 * 401 authentication_error, 403 permission_error, 404 not_found_error, 413 request_too_large,
 * 429 rate_limit_error, 503/529 overloaded_error (a breaker open, no key left), other 5xx api_error.
 */
export function anthropicErrorType(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 404) return 'not_found_error';
  if (status === 413) return 'request_too_large';
  if (status === 429) return 'rate_limit_error';
  if (status === 503 || status === 529) return 'overloaded_error';
  if (status >= 500) return 'api_error';
  return 'invalid_request_error';
}

/** `{ type: 'error', error: { type, message } }`, with the Switchboard code beside it for callers who match on it. */
export function anthropicErrorBody(error: unknown, secrets: Iterable<string>): { status: number; headers: Record<string, string>; body: Record<string, unknown> } {
  const d = describeError(error);
  return {
    status: d.status,
    headers: d.headers,
    body: { type: 'error', error: { type: anthropicErrorType(d.status), message: publicMessage(d.message, secrets), code: d.code } },
  };
}

/** Answers `error` in Anthropic's shape; cuts the connection when the answer had already started. */
export function writeAnthropicError(res: ServerResponse, error: unknown, secrets: Iterable<string>): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (res.destroyed) return;
  const { status, headers, body } = anthropicErrorBody(error, secrets);
  const text = JSON.stringify(body);
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  res.statusCode = status;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.setHeader('content-length', Buffer.byteLength(text));
  res.end(text);
}
