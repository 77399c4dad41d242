import type { ServerResponse } from 'node:http';
import { CircuitOpenError, ProviderError, RetriesExhaustedError, scrubSecrets, SwitchboardError, UnknownModelError, type ErrorCode } from '../errors.js';
import { publicText } from '../keys/redact.js';

/**
 * Codes of failures of the HTTP exchange itself (no provider involved). They sit beside the
 * `SwitchboardError` codes in the `code` field of an error answer.
 */
export type GatewayErrorCode =
  | 'SB_NOT_FOUND'
  | 'SB_METHOD_NOT_ALLOWED'
  | 'SB_UNAUTHORIZED'
  | 'SB_FORBIDDEN'
  | 'SB_BODY_TOO_LARGE'
  | 'SB_BODY_TIMEOUT'
  | 'SB_UNSUPPORTED_MEDIA_TYPE'
  | 'SB_INTERNAL';

/** A failure the gateway answers itself: a status, a code, and the request field it is about. */
export class HttpError extends Error {
  readonly status: number;
  readonly code: GatewayErrorCode;
  readonly param: string | null;
  readonly headers: Record<string, string>;
  /** The connection cannot be reused (the body was not read to its end). */
  readonly closeConnection: boolean;
  constructor(status: number, code: GatewayErrorCode, message: string, options: { param?: string | null; headers?: Record<string, string>; closeConnection?: boolean } = {}) {
    super(message);
    this.name = 'HttpError';
    this.status = status;
    this.code = code;
    this.param = options.param ?? null;
    this.headers = options.headers ?? {};
    this.closeConnection = options.closeConnection ?? false;
  }
}

/** An upstream status as the client should see it: 401/403 (the gateway's own key) and non-errors become 502. */
function upstreamStatus(status: number | null | undefined): number {
  if (typeof status !== 'number' || status === 401 || status === 403 || status < 400 || status > 599) return 502;
  return status;
}

/** the HTTP status of every `SwitchboardError` code. */
const STATUS_BY_CODE: Record<ErrorCode, (e: SwitchboardError & { status?: number | null }) => number> = {
  SB_CONFIG: (e) => (e instanceof UnknownModelError || e.status === 404 ? 404 : 400),
  SB_QUEUE_FULL: () => 429,
  SB_CIRCUIT_OPEN: () => 503,
  SB_NO_KEYS: () => 503,
  SB_AUTH: () => 503,
  SB_SHUTDOWN: () => 503,
  SB_TIMEOUT: () => 504,
  SB_BAD_RESPONSE: () => 502,
  SB_PROVIDER: (e) => upstreamStatus(e.status),
  SB_CONTEXT_LENGTH: () => 400,
  SB_CONTENT_POLICY: () => 400,
  SB_RETRIES_EXHAUSTED: (e) => upstreamStatus(e.status),
  // Only reached when the client has gone; nobody reads it (nginx's "client closed request").
  SB_ABORTED: () => 499,
  SB_STREAM_INTERRUPTED: () => 502,
};

/** A queue-full client should come back soon; the queue moves in well under a second typically. */
const QUEUE_FULL_RETRY_AFTER_S = 1;

/** The answer for any thrown value: status, body fields and headers. Unknown errors are 500 with a generic message. */
export function describeError(error: unknown): { status: number; code: string; message: string; param: string | null; headers: Record<string, string> } {
  if (error instanceof HttpError) {
    return { status: error.status, code: error.code, message: error.message, param: error.param, headers: error.headers };
  }
  if (error instanceof SwitchboardError) {
    const status = (STATUS_BY_CODE[error.code] ?? (() => 500))(error);
    const headers: Record<string, string> = {};
    const wait = retryAfterSeconds(error);
    if (wait !== null) headers['retry-after'] = String(wait);
    const field = (error as { field?: unknown }).field;
    const param = error.code === 'SB_CONFIG' && typeof field === 'string' ? field : null;
    return { status, code: error.code, message: error.message, param, headers };
  }
  return { status: 500, code: 'SB_INTERNAL', message: 'internal error in the gateway', param: null, headers: {} };
}

/** `retry-after` in whole seconds (rounded up): the breaker's wait, the queue's, or a provider 429's. */
function retryAfterSeconds(error: SwitchboardError): number | null {
  if (error instanceof CircuitOpenError) return Math.max(0, Math.ceil(error.retryAfterMs / 1000));
  if (error.code === 'SB_QUEUE_FULL') return QUEUE_FULL_RETRY_AFTER_S;
  const provider = error instanceof RetriesExhaustedError ? error.cause : error;
  if (provider instanceof ProviderError && provider.status === 429 && provider.retryAfterMs !== null) {
    return Math.max(0, Math.ceil(provider.retryAfterMs / 1000));
  }
  return null;
}

/** OpenAI's error `type` for a status. */
function errorType(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 429) return 'rate_limit_error';
  if (status >= 500) return 'server_error';
  return 'invalid_request_error';
}

/** The body of an error answer, in OpenAI's format: `{ error: { message, type, param, code } }`. */
export function errorBody(status: number, code: string, message: string, param: string | null = null): { error: { message: string; type: string; param: string | null; code: string } } {
  return { error: { message, type: errorType(status), param, code } };
}

/**
 * An error message as a client may see it: no key-like string, no known secret, no URL credentials,
 * and no internal address — an upstream's URL reads "the openai upstream".
 */
export function publicMessage(message: string, secrets: Iterable<string> = []): string {
  return publicText(scrubSecrets(message, secrets));
}

/** The body of an error answer for `error`, its message made public (`publicMessage`). */
export function publicErrorBody(error: unknown, secrets: Iterable<string> = []): ReturnType<typeof errorBody> {
  const d = describeError(error);
  return errorBody(d.status, d.code, publicMessage(d.message, secrets), d.param);
}

/**
 * Answers `error` on `res` in OpenAI's error format, its message made public (`publicMessage`).
 * When the answer has already started, the connection is cut instead.
 */
export function writeError(res: ServerResponse, error: unknown, secrets: Iterable<string> = []): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (res.destroyed) return;
  const d = describeError(error);
  const body = JSON.stringify(errorBody(d.status, d.code, publicMessage(d.message, secrets), d.param));
  for (const [k, v] of Object.entries(d.headers)) res.setHeader(k, v);
  if (error instanceof HttpError && error.closeConnection) res.setHeader('connection', 'close');
  res.statusCode = d.status;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.setHeader('content-length', Buffer.byteLength(body));
  res.end(body);
}
