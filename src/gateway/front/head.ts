/**
 * The request heads the gateway's front reads itself (src/gateway/front/front.ts): the provider calls
 * as API clients send them, and nothing else. A head is taken only when it is in the strict form
 * below; anything else — another method or path, a query string, HTTP/1.0, a folded or repeated
 * header, a byte outside printable ASCII, a chunked or missing length, `expect`, `upgrade`,
 * `connection: close` — is left to Node's HTTP server, which then reads the same bytes from the
 * start. So no request is ever read two ways: either it is in the one form whose end is plain (one
 * `content-length`, digits only), or Node's own parser reads it whole.
 *
 *   POST <fast path> HTTP/1.1 CRLF
 *   *( token ":" OWS *( VCHAR / SP / HTAB ) OWS CRLF )      — each name at most once, `host` required
 *   CRLF
 */

/** The paths read here, each with its request line as it must appear byte for byte. */
export const FAST_PATHS = ['/v1/chat/completions', '/v1/embeddings', '/v1/messages', '/v1/responses'] as const;
const LINES = new Map<string, string>(FAST_PATHS.map((p) => [`POST ${p} HTTP/1.1`, p]));

/** The longest head read here (Node's own default limit on a head is 16 KiB; a longer one goes to it). */
export const MAX_HEAD_BYTES = 16 * 1024;

/**
 * The header lines, checked whole by one match (no capture: nothing is built): each a token, a
 * colon, a value of printable ASCII with blanks only inside or around it, CRLF.
 */
const HEADER_LINES = /^(?:[!#$%&'*+.^_`|~0-9A-Za-z-]+:[ \t]*(?:[\x21-\x7e](?:[ \t]*[\x21-\x7e])*)?[ \t]*\r\n)*$/;
const DIGITS = /^[0-9]{1,15}$/;

/** A head taken: where its body starts and how long it is, and its headers by lower-case name. */
export interface FastHead {
  path: string;
  headers: Record<string, string>;
  /** Index of the body's first byte in the buffer. */
  bodyStart: number;
  bodyLength: number;
}

/** `'more'`: the head has not ended yet (and is still short enough to be read here). `null`: Node's. */
export type HeadResult = FastHead | 'more' | null;

/**
 * Reads the head at the start of `buf`. Headers get lower-case names and values without the blanks
 * around them, as Node gives them; every name appears once, so no joining rule is needed.
 */
export function readHead(buf: Buffer): HeadResult {
  const end = buf.indexOf('\r\n\r\n');
  if (end === -1) return buf.length > MAX_HEAD_BYTES ? null : 'more';
  if (end > MAX_HEAD_BYTES) return null;
  // latin1: one char per byte, so the indices below are byte offsets and nothing is decoded.
  const head = buf.toString('latin1', 0, end + 2);
  const lineEnd = head.indexOf('\r\n');
  const path = LINES.get(head.slice(0, lineEnd));
  if (path === undefined) return null;
  const lines = head.slice(lineEnd + 2);
  if (!HEADER_LINES.test(lines)) return null;
  // The form is known good: the first colon ends the name, CRLF the line.
  const headers: Record<string, string> = {};
  for (let at = 0; at < lines.length; ) {
    const colon = lines.indexOf(':', at);
    const eol = lines.indexOf('\r\n', colon);
    const name = lines.slice(at, colon).toLowerCase();
    if (name === '__proto__' || Object.hasOwn(headers, name)) return null;
    let from = colon + 1;
    let to = eol;
    while (from < to && isBlank(lines.charCodeAt(from))) from++;
    while (to > from && isBlank(lines.charCodeAt(to - 1))) to--;
    headers[name] = lines.slice(from, to);
    at = eol + 2;
  }
  const length = headers['content-length'];
  if (length === undefined || !DIGITS.test(length) || headers.host === undefined) return null;
  if (headers['transfer-encoding'] !== undefined || headers.expect !== undefined || headers.upgrade !== undefined) return null;
  const connection = headers.connection;
  if (connection !== undefined && connection.toLowerCase() !== 'keep-alive') return null;
  return { path, headers, bodyStart: end + 4, bodyLength: Number(length) };
}

const isBlank = (c: number): boolean => c === 32 || c === 9;
