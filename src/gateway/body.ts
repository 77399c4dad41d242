import type { IncomingMessage } from 'node:http';
import { AbortedError, ConfigError } from '../errors.js';
import { HttpError } from './errors.js';
import { FastRequest } from './front/exchange.js';

/** Limits on reading one request body. */
export interface BodyLimits {
  /** Largest body accepted, in bytes (413 above it). */
  limitBytes: number;
  /**
   * Time allowed to receive the whole body once its headers are in, in ms (408 after it); null
   * when the server's own `requestTimeout` (counted from the request's first byte, so never later)
   * already bounds it, and no timer per request is needed.
   */
  timeoutMs: number | null;
}

/**
 * Reads a request body, bounded in size and in time, and parses it as a JSON object.
 * Rejects with an `HttpError` (413 over the limit, 408 too slow — both close the connection),
 * a `ConfigError` (400: empty, malformed, or not an object), or an `AbortedError` when the
 * client goes away mid-body.
 */
export function readJsonObject(req: IncomingMessage, limits: BodyLimits): Promise<Record<string, unknown>> {
  // A JSON content type is required: a web page can send `text/plain` (or a form) to a loopback
  // gateway cross-origin without a preflight, and spend the keys; `application/json` it cannot.
  const type = String(req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json' && !type.endsWith('+json')) {
    req.resume();
    return Promise.reject(new HttpError(415, 'SB_UNSUPPORTED_MEDIA_TYPE', `expected a JSON body (content-type: application/json), got ${type === '' ? 'no content-type' : JSON.stringify(type)}`, { param: 'content-type' }));
  }
  // Read and parsed by the front already (src/gateway/front/front.ts): the same checks on its result.
  if (req instanceof FastRequest) {
    const { json } = req;
    try {
      if ('error' in json) throw json.error;
      return Promise.resolve(asJsonObject(json.value));
    } catch (error) {
      return Promise.reject(error);
    }
  }
  // Not `async`, and parsed as the body ends: the body's promise is the one returned, and it settles
  // with the object (one promise and one turn per request, not two).
  return readBody(req, limits, parseJsonObject);
}

/** The body as a JSON object, or a `ConfigError` (400) saying why not. */
function parseJsonObject(text: string): Record<string, unknown> {
  return asJsonObject(parseJsonText(text));
}

/** The body parsed as JSON, or a `ConfigError` (400) when it is empty or not JSON. */
export function parseJsonText(text: string): unknown {
  // Trimmed (a copy) only when it starts blank: a body that starts with `{` is not empty.
  if (text.length === 0 || (text.charCodeAt(0) <= 32 && text.trim() === '')) throw new ConfigError('the request body is empty; expected a JSON object', 'body');
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`the request body is not valid JSON: ${(error as Error).message}`, 'body');
  }
}

/** A parsed body as a JSON object, or a `ConfigError` (400) saying why not. */
function asJsonObject(value: unknown): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ConfigError(`the request body must be a JSON object, got ${Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value}`, 'body');
  }
  // Checked on the parsed value, not on the text: V8's JSON.parse does not recurse (a million
  // levels parse), and a walk visits the objects and arrays only, where a scan of the text visits
  // every character (a 100 KB prompt: ~170 µs per request).
  if (deeperThan(value, MAX_DEPTH)) throw new ConfigError(`the request body nests more than ${MAX_DEPTH} levels deep; at most ${MAX_DEPTH} are accepted`, 'body');
  return value as Record<string, unknown>;
}

const MAX_DEPTH = 64;

/** Whether `value` nests arrays and objects more than `levels` deep (it is level 1); walks at most `levels + 1` deep. */
function deeperThan(value: unknown, levels: number): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (levels === 0) return true;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (deeperThan(value[i], levels - 1)) return true;
    return false;
  }
  for (const k in value) if (deeperThan((value as Record<string, unknown>)[k], levels - 1)) return true;
  return false;
}

function tooLarge(limitBytes: number): HttpError {
  return new HttpError(413, 'SB_BODY_TOO_LARGE', `the request body is larger than the limit of ${limitBytes} bytes`, { closeConnection: true });
}

/**
 * Reads the body as UTF-8 text within `limits` and settles with `decode(text)` (rejects with what
 * it throws). The hot path is kept lean (it runs per request): two listeners and no timer unless
 * `limits.timeoutMs` asks for one; no 'error' listener, as an IncomingMessage emits 'error' only
 * to listeners and always emits 'close' when it breaks.
 */
export function readBody<T>(req: IncomingMessage, limits: BodyLimits, decode: (text: string) => T): Promise<T> {
  const declared = Number(req.headers['content-length']);
  // Refused before reading a byte: the client said how much it will send.
  if (Number.isFinite(declared) && declared > limits.limitBytes) return Promise.reject(tooLarge(limits.limitBytes));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const fail = (error: unknown): void => {
      if (done) return;
      done = true;
      if (timer !== undefined) clearTimeout(timer);
      req.off('data', onData);
      // Keep the stream flowing so the rest of the body is discarded rather than buffered.
      req.resume();
      reject(error);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limits.limitBytes) return fail(tooLarge(limits.limitBytes));
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.on('end', () => {
      if (done) return;
      done = true;
      if (timer !== undefined) clearTimeout(timer);
      let value: T;
      try {
        value = decode(chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks, size).toString('utf8'));
      } catch (error) {
        return reject(error);
      }
      resolve(value);
    });
    // Fires after 'end' too, on every request (once the answer is written): then it does nothing,
    // and builds no error (two Errors with their stacks per request were 3% of the gateway's time).
    req.on('close', () => {
      if (!done) fail(new AbortedError(new Error('the client closed the connection mid-body')));
    });
    // A slow-loris body: the headers came quickly, the bytes trickle. Bounded from the first byte we wait for.
    if (limits.timeoutMs !== null) {
      const ms = limits.timeoutMs;
      timer = setTimeout(() => fail(new HttpError(408, 'SB_BODY_TIMEOUT', `the request body was not received within ${ms} ms`, { closeConnection: true })), ms);
    }
  });
}
