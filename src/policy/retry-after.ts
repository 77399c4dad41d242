/**
 * The provider's own wait, read from the current answer (DESIGN §2 "What is retried"):
 * `retry-after-ms` (OpenAI, Anthropic SDK convention), then `retry-after` as seconds or an HTTP date
 * (RFC 9110 §10.2.3) measured against the injected clock. Returns ms, or null when absent/unparsable.
 */
export function parseRetryAfter(headers: Record<string, string>, now: number): number | null {
  const ms = headers['retry-after-ms'];
  if (ms !== undefined) {
    const n = Number(ms);
    if (ms.trim() !== '' && Number.isFinite(n) && n >= 0) return n;
  }
  const ra = headers['retry-after'];
  if (ra === undefined || ra.trim() === '') return null;
  const secs = Number(ra);
  if (Number.isFinite(secs)) return secs >= 0 ? secs * 1000 : null;
  const at = Date.parse(ra);
  if (Number.isNaN(at)) return null;
  return Math.max(0, at - now);
}

/**
 * Go-style durations as OpenAI and Groq send them in `x-ratelimit-reset-*`:
 * `6m0s`, `1.5s`, `12ms`, `1h2m3.5s`, `2d`? (not sent). Returns ms or null.
 */
export function parseDuration(text: string): number | null {
  const s = text.trim();
  if (s === '') return null;
  if (/^\d+(\.\d+)?$/.test(s)) return Number(s) * 1000;
  const re = /(\d+(?:\.\d+)?)(ms|us|µs|ns|h|m|s)/gy;
  let total = 0;
  let matched = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s)) !== null) {
    const v = Number(m[1]);
    switch (m[2]) {
      case 'h': total += v * 3_600_000; break;
      case 'm': total += v * 60_000; break;
      case 's': total += v * 1000; break;
      case 'ms': total += v; break;
      case 'us': case 'µs': total += v / 1000; break;
      case 'ns': total += v / 1e6; break;
    }
    matched = re.lastIndex;
  }
  return matched === s.length ? total : null;
}

/** Gemini's `RetryInfo.retryDelay` (protobuf Duration JSON: `"45.8s"`, `"3s"`). Returns ms or null. */
export function parseProtoDuration(text: unknown): number | null {
  if (typeof text !== 'string') return null;
  const m = /^(\d+(?:\.\d+)?)s$/.exec(text.trim());
  return m ? Number(m[1]) * 1000 : null;
}
