/**
 * The process-wide redaction registry: every secret the runtime holds (provider keys, the gateway
 * token) is registered where it enters, so any text bound for a log line, an error or an event can
 * be scrubbed of the actual values, not only of strings that look like keys (`sk-…`). A key whose
 * value is `prod-7f3a…` is caught as surely as one named `sk-proj-…`.
 *
 * Module state on purpose: a secret registered by one board must be scrubbed from a log line
 * written by any other component in the process (a gateway, a compat client, a logger).
 */

/** Shorter values are not secrets worth the false positives (they could shred ordinary words). */
const MIN_SECRET_LENGTH = 8;

/** How many holders registered each value: a key shared by two boards stays until both forget it. */
const secrets = new Map<string, number>();
/** The registered values, longest first, so a secret that contains another is replaced whole. */
let ordered: string[] = [];

/** `scheme://user:pass@host` — the credentials of a URL, whatever they look like. */
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@"'<>]+@/gi;

function reorder(): void {
  ordered = [...secrets.keys()].sort((a, b) => b.length - a.length);
}

/** Registers `secret` for redaction (reference-counted; values under 8 characters are ignored). */
export function registerSecret(secret: string | undefined | null): void {
  if (typeof secret !== 'string') return;
  const s = secret.trim();
  if (s.length < MIN_SECRET_LENGTH) return;
  const n = secrets.get(s);
  secrets.set(s, (n ?? 0) + 1);
  if (n === undefined) reorder();
}

/** Drops one registration of `secret`; the value is forgotten when its last holder forgets it. */
export function forgetSecret(secret: string | undefined | null): void {
  if (typeof secret !== 'string') return;
  const s = secret.trim();
  const n = secrets.get(s);
  if (n === undefined) return;
  if (n > 1) secrets.set(s, n - 1);
  else {
    secrets.delete(s);
    reorder();
  }
}

/** Replaces every registered secret, and the credentials of any URL, with `[redacted]`. */
export function redact(text: string): string {
  let out = text;
  for (const s of ordered) if (out.includes(s)) out = out.split(s).join('[redacted]');
  return out.includes('://') ? out.replace(URL_CREDENTIALS, '$1[redacted]@') : out;
}

/**
 * A log record's fields, redacted: strings anywhere in plain objects and arrays (to a small depth;
 * deeper values are summarised), errors as their redacted message. Never mutates its input.
 */
export function redactValue(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redact(value);
  if (value instanceof Error) {
    // An error stays an error (loggers read `.message`, `.stack`); a copy only when it held a secret.
    const message = redact(value.message);
    const stack = value.stack === undefined ? undefined : redact(value.stack);
    if (message === value.message && stack === value.stack) return value;
    const copy = new Error(message);
    copy.name = value.name;
    copy.stack = stack;
    return copy;
  }
  if (typeof value !== 'object' || value === null) return value;
  if (depth >= 4) return '[…]';
  if (Array.isArray(value)) return value.map((v) => redactValue(v, depth + 1));
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = redactValue(v, depth + 1);
  return out;
}

/** Upstream origins (`http://127.0.0.1:35825`) and the name a client may see instead ("the openai upstream"). */
const origins = new Map<string, { label: string; holders: number }>();

/** Any absolute URL, to its end (whitespace, a quote, a bracket or a closing parenthesis). */
const ANY_URL = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>)\]]+/gi;
/** A bare `ip:port` or `[v6]:port` (a connection error's address). */
const ADDRESS = /(?:\b\d{1,3}(?:\.\d{1,3}){3}|\[[0-9a-f.]*:[0-9a-f:.]*\])(?::\d{1,5})?\b/gi;

function originOf(url: string): string | null {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}`;
  } catch {
    return null;
  }
}

/** Registers an upstream's base URL under a public label (reference-counted, like secrets). */
export function registerOrigin(url: string, label: string): void {
  const origin = originOf(url);
  if (origin === null) return;
  const o = origins.get(origin);
  if (o) o.holders++;
  else origins.set(origin, { label, holders: 1 });
}

export function forgetOrigin(url: string): void {
  const origin = originOf(url);
  const o = origin === null ? undefined : origins.get(origin);
  if (!o) return;
  if (--o.holders === 0) origins.delete(origin!);
}

/**
 * Text a client outside the process may see: redacted, and with every URL and network address
 * replaced by a name — "the openai upstream" for a registered origin, "the upstream" otherwise —
 * so neither credentials nor the layout of the internal network leave the gateway.
 */
export function publicText(text: string): string {
  // The credentials go first, whole: a client needs no `[redacted]@` either.
  return redact(text.replace(URL_CREDENTIALS, '$1'))
    .replace(ANY_URL, (url) => {
      const origin = originOf(url);
      return origin !== null ? origins.get(origin)?.label ?? 'the upstream' : 'the upstream';
    })
    .replace(ADDRESS, 'the upstream address');
}
