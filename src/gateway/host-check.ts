import type { IncomingMessage } from 'node:http';
import { networkInterfaces } from 'node:os';
import { isLoopback } from './auth.js';
import { HttpError } from './errors.js';

/** `[::1]` → `::1`; `Example.COM.` → `example.com`. */
function normalizeHost(host: string): string {
  let h = host.trim().toLowerCase();
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  return h.endsWith('.') ? h.slice(0, -1) : h;
}

/** The host name of a `Host` header value (`127.0.0.1:8787`, `[::1]:8787`, `localhost`). */
function hostOfHeader(value: string): string | null {
  const v = value.trim();
  if (v.startsWith('[')) {
    const end = v.indexOf(']');
    return end < 0 ? null : normalizeHost(v.slice(0, end + 1));
  }
  const colon = v.indexOf(':');
  return normalizeHost(colon < 0 ? v : v.slice(0, colon));
}

function isWildcard(host: string): boolean {
  const h = normalizeHost(host);
  return h === '0.0.0.0' || h === '::' || h === '::0';
}

/**
 * The `Host` / `Origin` allow-list that defeats DNS rebinding: a page on `evil.example` that
 * rebinds its name to 127.0.0.1 reaches the socket, but its requests carry `Host: evil.example`
 * (and `Origin: http://evil.example`) and are answered 403. Allowed: the loopback names, the bound
 * address (every local interface address for a wildcard bind), and `extra` (`--allowed-host`).
 */
export class HostCheck {
  private readonly allowed = new Set<string>();
  private lastAllowed: string | null = null;

  constructor(boundHost: string, extra: readonly string[] = []) {
    for (const h of ['localhost', '127.0.0.1', '::1']) this.allowed.add(h);
    if (isWildcard(boundHost)) {
      for (const list of Object.values(networkInterfaces())) for (const i of list ?? []) this.allowed.add(normalizeHost(i.address));
    } else this.allowed.add(normalizeHost(boundHost));
    for (const h of extra) this.allowed.add(normalizeHost(h));
  }

  private allows(host: string | null): boolean {
    if (host === null || host === '') return false;
    return this.allowed.has(host) || isLoopback(host) || host.endsWith('.localhost');
  }

  /** Throws a 403 `HttpError` unless `Host` (and `Origin`, when sent) name an allowed host. */
  check(req: IncomingMessage): void {
    const host = req.headers.host;
    // A client sends the same Host on every request: the last one allowed is not parsed again
    // (the allowed set never changes after construction).
    if (host !== this.lastAllowed) {
      if (typeof host !== 'string' || !this.allows(hostOfHeader(host))) {
        throw new HttpError(403, 'SB_FORBIDDEN', 'this gateway does not answer for that Host; add it with --allowed-host (gateway.allowedHosts)', { closeConnection: true });
      }
      this.lastAllowed = host;
    }
    const origin = req.headers.origin;
    if (origin === undefined) return;
    let originHost: string | null = null;
    try {
      originHost = normalizeHost(new URL(origin).hostname);
    } catch {
      originHost = null; // `null` (a sandboxed frame, a file: page) is no origin we know
    }
    if (!this.allows(originHost)) {
      throw new HttpError(403, 'SB_FORBIDDEN', 'requests from that Origin are refused; add its host with --allowed-host (gateway.allowedHosts)', { closeConnection: true });
    }
  }
}
