import { TransportError } from '../errors.js';

/**
 * The body was larger than `maxBodyBytes`. An answer did come (`status`), but it cannot be read:
 * the supervisor should report it to the caller as `BadResponseError(message, status)`
 * (`SB_BAD_RESPONSE`: the provider's body is not what its API promises), retried like any bad 2xx body.
 */
export class BodyTooLargeError extends TransportError {
  readonly status: number;
  readonly limitBytes: number;
  constructor(status: number, limitBytes: number, detail: string) {
    super('SB_BODY_TOO_LARGE', `provider answered ${status} with a body over ${limitBytes} bytes (${detail})`);
    this.name = 'BodyTooLargeError';
    this.status = status;
    this.limitBytes = limitBytes;
  }
}

/** Raised inside the whole-body handler when the declared content-length is over the cap. */
export class DeclaredTooLarge extends Error {
  constructor(
    readonly status: number,
    readonly length: string,
  ) {
    super(`content-length ${length}`);
  }
}

/** Undici's error for a body past `maxResponseSize` (undici/lib/core/errors.js). */
const UND_ERR_RES_EXCEEDED_MAX_SIZE = 'UND_ERR_RES_EXCEEDED_MAX_SIZE';

/**
 * The code of a failure with no HTTP answer: undici's (`UND_ERR_SOCKET`, `UND_ERR_HEADERS_TIMEOUT`,
 * `UND_ERR_BODY_TIMEOUT`, `UND_ERR_CONNECT_TIMEOUT` …) or the system's (`ECONNREFUSED`,
 * `ECONNRESET`, `ENOTFOUND` …). Happy-eyeballs connects fail with an `AggregateError` whose
 * members carry the code.
 */
export function errorCode(err: unknown): string {
  if (err !== null && typeof err === 'object') {
    const e = err as { code?: unknown; errors?: unknown; cause?: unknown };
    if (typeof e.code === 'string' && e.code !== '') return e.code;
    if (Array.isArray(e.errors)) {
      for (const inner of e.errors) {
        const c = (inner as { code?: unknown } | null)?.code;
        if (typeof c === 'string' && c !== '') return c;
      }
    }
    if (e.cause !== undefined && e.cause !== err) return errorCode(e.cause);
  }
  return 'ETRANSPORT';
}

export function describe(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  return String(err);
}

/** Where a request went, for a failure's message: the query is left out (it is not ours to show). */
export interface RequestPlace {
  method: string;
  origin: string;
  path: string;
}

/**
 * What a plain request rejects with when no readable answer came: the signal's own reason when it
 * aborted, `BodyTooLargeError` for a body over the cap, else a `TransportError` with the code.
 */
export function failureOf(err: unknown, status: number, signal: AbortSignal, maxBodyBytes: number, at: RequestPlace): unknown {
  if (signal.aborted) return signal.reason;
  if (err instanceof DeclaredTooLarge) return new BodyTooLargeError(err.status, maxBodyBytes, err.message);
  const code = errorCode(err);
  if (code === UND_ERR_RES_EXCEEDED_MAX_SIZE) return new BodyTooLargeError(status, maxBodyBytes, 'read past the limit');
  const q = at.path.indexOf('?');
  const where = `${at.method} ${at.origin}${q === -1 ? at.path : at.path.slice(0, q)}`;
  return new TransportError(code, `${where} failed${status ? ` after status ${status}` : ''}: ${describe(err)}`);
}
