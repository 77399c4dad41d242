import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { ConfigError } from '../errors.js';
import { HttpError } from './errors.js';

/** The cookie `/inspect?token=…` sets, so the inspector page and its event stream work in a browser. */
export const AUTH_COOKIE = 'switchboard_session';

/** Addresses that only this machine can reach. */
export function isLoopback(host: string): boolean {
  const h = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  return h === 'localhost' || h === '::1' || /^127(?:\.\d{1,3}){3}$/.test(h) || /^::ffff:127(?:\.\d{1,3}){3}$/.test(h);
}

/** Equal in constant time, whatever the lengths (both sides are hashed first). */
function sameSecret(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

/**
 * Checks `Authorization: Bearer <token>`, and on GET the session cookie `/inspect?token=…` set.
 * The cookie holds an HMAC of the token, never the token itself; it is honoured on GET only, so a
 * cross-site form can never spend it on a POST (SameSite=Strict keeps it same-site besides).
 */
export class TokenAuth {
  private readonly session: string;

  private readonly token: string;

  constructor(token: string) {
    // Trimmed on every side alike: `'abc '` is the token `abc`, by header and by `?token=`.
    this.token = token.trim();
    if (this.token === '') throw new ConfigError('the token is empty or only whitespace', 'token');
    this.session = createHmac('sha256', this.token).update('switchboard inspector session').digest('base64url');
  }

  /** Throws a 401 `HttpError` unless the request carries the token (or, on GET, the session cookie). */
  check(req: IncomingMessage): void {
    const header = req.headers.authorization;
    if (typeof header === 'string') {
      const m = /^Bearer\s+(.+)$/i.exec(header.trim());
      if (m && sameSecret(m[1]!.trim(), this.token)) return;
    }
    // Anthropic's SDK (and Claude-based tools) send the key as `x-api-key`: the gateway token too.
    const apiKey = req.headers['x-api-key'];
    if (typeof apiKey === 'string' && sameSecret(apiKey.trim(), this.token)) return;
    if ((req.method === 'GET' || req.method === 'HEAD') && this.hasSession(req)) return;
    throw new HttpError(401, 'SB_UNAUTHORIZED', 'missing or wrong token: send `Authorization: Bearer <SWITCHBOARD_TOKEN>` (or `x-api-key: <SWITCHBOARD_TOKEN>`)', {
      headers: { 'www-authenticate': 'Bearer realm="switchboard"' },
    });
  }

  /** True when `?token=` is the token (constant-time). */
  matchesToken(candidate: string): boolean {
    return sameSecret(candidate.trim(), this.token);
  }

  /** The `Set-Cookie` value that opens a browser session. */
  sessionCookie(): string {
    return `${AUTH_COOKIE}=${this.session}; HttpOnly; SameSite=Strict; Path=/; Max-Age=86400`;
  }

  private hasSession(req: IncomingMessage): boolean {
    const cookie = req.headers.cookie;
    if (!cookie) return false;
    for (const part of cookie.split(';')) {
      const eq = part.indexOf('=');
      if (eq < 0 || part.slice(0, eq).trim() !== AUTH_COOKIE) continue;
      if (sameSecret(part.slice(eq + 1).trim(), this.session)) return true;
    }
    return false;
  }
}
