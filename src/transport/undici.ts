import { Pool } from 'undici';
import { TransportError } from '../errors.js';
import { describe, errorCode } from './failure.js';
import type { HttpRequest, HttpResponse, StreamResponse, Transport } from './types.js';
import { WholeBodyHandler } from './whole-body-handler.js';

export { BodyTooLargeError } from './failure.js';

export interface UndiciTransportOptions {
  /** Largest body read, in bytes (default 16 MiB). A larger one rejects `SB_BODY_TOO_LARGE`. */
  maxBodyBytes?: number;
  /**
   * Keep-alive connections per origin (default 128), or a function giving the number now: a
   * pool is then sized when first used and replaced by a larger one when the number grows (the old
   * one closes once its requests finish). Keep it to what can be in flight: undici opens every
   * connection it is allowed under a steady closed loop (a 64-at-a-time load on a pool of 128 ends
   * up on 128 sockets), and spreading the same requests over more sockets costs CPU per request.
   */
  connections?: number | (() => number);
  /**
   * undici's own timeouts, ms (default 10 minutes each). They are a backstop only: the
   * supervisor's clock-driven per-attempt timeout (`timeoutMs`, aborting the signal) is the real one.
   */
  headersTimeoutMs?: number;
  bodyTimeoutMs?: number;
}

/** A `Transport` over undici keep-alive pools; `close()` closes every pool (in-flight requests finish first). */
export type UndiciTransport = Transport & { close(): Promise<void>; stream(request: HttpRequest, signal: AbortSignal): Promise<StreamResponse> };

const MIB = 1024 * 1024;
const TEN_MINUTES = 600_000;

/**
 * No URL object per request: `scheme://host[:port]` ends at the first '/' after the '//'; the rest
 * (query included) is the path, as undici wants it.
 */
function splitUrl(url: string): { origin: string; path: string } {
  const slash = url.indexOf('/', url.indexOf('//') + 2);
  return slash === -1 ? { origin: url, path: '/' } : { origin: url.slice(0, slash), path: url.slice(slash) };
}

/** Undici gives lower-case names already; repeated headers arrive as arrays and are joined. */
function flattenHeaders(raw: Record<string, string | string[] | undefined>): Record<string, string> {
  for (const k in raw) {
    const v = raw[k];
    if (typeof v !== 'string') {
      if (Array.isArray(v)) raw[k] = v.join(', ');
      else delete raw[k];
    }
  }
  return raw as Record<string, string>;
}

/**
 * Creates the undici transport: one keep-alive `Pool` per origin (`scheme://host:port`), created on
 * first use and kept in a Map. Each body is read once as UTF-8 text with a size cap, through a
 * plain dispatch handler (`WholeBodyHandler`: no stream object per answer). Rejects with a
 * `TransportError` carrying a code when no HTTP answer came (`ECONNREFUSED`, `ECONNRESET`,
 * `UND_ERR_SOCKET` for a socket closed mid-body, `UND_ERR_HEADERS_TIMEOUT`, `UND_ERR_BODY_TIMEOUT`,
 * `UND_ERR_CLOSED` after `close()`), with a `BodyTooLargeError` (`SB_BODY_TOO_LARGE`) for a body
 * over the cap, and with the signal's own `reason`, untouched, when the signal aborts (the socket
 * is destroyed, so the server sees the close).
 *
 * ```ts
 * const transport = createUndiciTransport({ connections: 32 });
 * const res = await transport({ method: 'POST', url, headers, body }, AbortSignal.timeout(60_000));
 * await transport.close();
 * ```
 */
export function createUndiciTransport(options: UndiciTransportOptions = {}): UndiciTransport {
  const maxBodyBytes = options.maxBodyBytes ?? 16 * MIB;
  const connections = options.connections ?? 128;
  const sizeNow = typeof connections === 'function' ? () => Math.max(1, Math.floor(connections())) : () => connections;
  const poolOptions: Pool.Options = {
    headersTimeout: options.headersTimeoutMs ?? TEN_MINUTES,
    bodyTimeout: options.bodyTimeoutMs ?? TEN_MINUTES,
    // Counted by undici's parser as bytes arrive: the socket is destroyed at the first byte over.
    maxResponseSize: maxBodyBytes,
  };
  const pools = new Map<string, { pool: Pool; size: number }>();
  const retired = new Set<Pool>();
  let closed = false;

  const poolFor = (origin: string): Pool => {
    const have = pools.get(origin);
    const size = sizeNow();
    if (have !== undefined && have.size >= size) return have.pool;
    if (have !== undefined) {
      // Grown: new requests go to a larger pool; the old one finishes what it has, then closes.
      retired.add(have.pool);
      void have.pool.close().catch(() => undefined).finally(() => retired.delete(have.pool));
    }
    const pool = new Pool(origin, { ...poolOptions, connections: size });
    pools.set(origin, { pool, size });
    return pool;
  };

  // The last URL split: adapters hand the same string for the same endpoint (endpointUrl), so a
  // request to it is split, and its origin's pool found, without building or hashing a string.
  let lastUrl: string | null = null;
  let lastSplit = { origin: '', path: '' };
  const split = (url: string): { origin: string; path: string } => {
    if (url !== lastUrl) {
      lastSplit = splitUrl(url);
      lastUrl = url;
    }
    return lastSplit;
  };

  // Not `async`: the promise below is the one returned (no extra one wrapped around it).
  const send = (req: HttpRequest, signal: AbortSignal): Promise<HttpResponse> => {
    if (signal.aborted) return Promise.reject(signal.reason);
    if (closed) return Promise.reject(new TransportError('UND_ERR_CLOSED', 'transport is closed'));
    const { origin, path } = split(req.url);
    const pool = poolFor(origin);
    // The handler holds everything it needs (no closure per request: see WholeBodyHandler).
    return new Promise<HttpResponse>((resolve, reject) => {
      pool.dispatch({ method: req.method, path, headers: req.headers, body: req.body }, new WholeBodyHandler(signal, maxBodyBytes, resolve, reject, { method: req.method, origin, path }));
    });
  };

  /** The same request, the body handed over as it arrives (for Server-Sent Events). */
  const stream = async (req: HttpRequest, signal: AbortSignal): Promise<StreamResponse> => {
    if (signal.aborted) throw signal.reason;
    if (closed) throw new TransportError('UND_ERR_CLOSED', 'transport is closed');
    const { origin, path } = splitUrl(req.url);
    let res: Awaited<ReturnType<Pool['request']>>;
    try {
      res = await poolFor(origin).request({ method: req.method, path, headers: req.headers, body: req.body, signal });
    } catch (err) {
      if (signal.aborted) throw signal.reason;
      throw new TransportError(errorCode(err), `${req.method} ${origin} stream failed: ${describe(err)}`);
    }
    const source = res.body as AsyncIterable<Uint8Array | string>;
    // A streaming decoder: a multi-byte character split across two pieces stays whole.
    const decoder = new TextDecoder();
    async function* body(): AsyncIterable<string> {
      try {
        for await (const piece of source) yield typeof piece === 'string' ? piece : decoder.decode(piece, { stream: true });
      } catch (err) {
        if (signal.aborted) throw signal.reason;
        throw new TransportError(errorCode(err), `${req.method} ${origin} stream broke: ${describe(err)}`);
      } finally {
        if (!res.body.destroyed) res.body.destroy();
      }
    }
    return { status: res.statusCode, headers: flattenHeaders(res.headers), body: body() };
  };

  const transport = send as UndiciTransport;
  transport.stream = stream;
  transport.close = async () => {
    closed = true;
    const all = [...[...pools.values()].map((p) => p.pool.close()), ...[...retired].map((p) => p.close().catch(() => undefined))];
    pools.clear();
    await Promise.all(all);
  };
  return transport;
}
