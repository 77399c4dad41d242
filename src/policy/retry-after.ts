/**
 * The provider's own wait, read from the current answer (docs/ARCHITECTURE.md §2 "What is retried"):
 * `retry-after-ms` (OpenAI and Anthropic send it; their SDKs read it first), then `retry-after` as
 * delta-seconds (fractions accepted) or an HTTP date (RFC 9110 §10.2.3) measured against the
 * injected clock's `now` (a date in the past is a wait of 0). Returns ms, or null when absent or
 * unparsable. Header names are lower-case (the transport guarantees it).
 */
export function parseRetryAfter(headers: Record<string, string>, now: number): number | null {
  const ms = headers['retry-after-ms'];
  if (ms !== undefined && ms.trim() !== '') {
    const n = Number(ms);
    if (Number.isFinite(n) && n >= 0) return n;
  }
  const ra = headers['retry-after'];
  if (ra === undefined || ra.trim() === '') return null;
  const secs = Number(ra);
  if (Number.isFinite(secs)) return secs >= 0 ? secs * 1000 : null;
  const at = Date.parse(ra);
  if (Number.isNaN(at)) return null;
  return Math.max(0, at - now);
}

const UNIT_MS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 1e-3, 'µs': 1e-3, 'μs': 1e-3, ns: 1e-6 };

/**
 * Go-style durations (Go's `time.Duration.String()`) as OpenAI and Groq send them in
 * `x-ratelimit-reset-*`: `6m0s`, `1.5s`, `12ms`, `2m59.56s`, `1h2m3.5s`; a bare number is seconds.
 * Returns ms, or null when the text is not wholly a duration.
 */
export function parseDuration(text: string): number | null {
  const s = text.trim();
  if (s === '') return null;
  if (/^\d+(?:\.\d+)?$/.test(s)) return Number(s) * 1000;
  // `ms` before `m`, so `12ms` is not read as 12 minutes and a stray `s`.
  const re = /(\d+(?:\.\d+)?|\.\d+)(ms|us|µs|μs|ns|h|m|s)/y;
  let total = 0;
  let m: RegExpExecArray | null;
  while (re.lastIndex < s.length && (m = re.exec(s)) !== null) total += Number(m[1]) * UNIT_MS[m[2]!]!;
  return re.lastIndex === s.length ? total : null;
}

/**
 * Gemini's `RetryInfo.retryDelay`: a protobuf Duration in JSON (`"45.8s"`, `"3s"`, `"0.5s"`), or the
 * `{ seconds, nanos }` object form some gateways send. Returns ms, or null.
 */
export function parseProtoDuration(value: unknown): number | null {
  if (typeof value === 'string') {
    const m = /^(\d+(?:\.\d+)?)s$/.exec(value.trim());
    return m ? Number(m[1]) * 1000 : null;
  }
  if (value !== null && typeof value === 'object') {
    const { seconds, nanos } = value as { seconds?: unknown; nanos?: unknown };
    const s = seconds === undefined ? 0 : Number(seconds);
    const n = nanos === undefined ? 0 : Number(nanos);
    if (seconds === undefined && nanos === undefined) return null;
    if (!Number.isFinite(s) || !Number.isFinite(n) || s < 0 || n < 0) return null;
    return s * 1000 + n / 1e6;
  }
  return null;
}

/**
 * The wait the provider asked for on this failure: the headers' (`parseRetryAfter`) and the body's
 * (Gemini's `RetryInfo`, from the adapter's `parseError`). When both are present the longer one is
 * honoured — retrying earlier than either asked would only earn another 429. Null when neither says.
 */
export function providerWaitMs(headers: Record<string, string>, bodyWaitMs: number | null, now: number): number | null {
  const fromHeaders = parseRetryAfter(headers, now);
  if (fromHeaders === null) return bodyWaitMs;
  if (bodyWaitMs === null) return fromHeaders;
  return Math.max(fromHeaders, bodyWaitMs);
}
