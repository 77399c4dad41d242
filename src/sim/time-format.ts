/** Time formats the providers put on the wire, computed from the injected clock's milliseconds. */

/**
 * A Go `time.Duration` string as OpenAI and Groq send in `x-ratelimit-reset-*`:
 * `0s`, `12ms`, `1.5s`, `6m0s`, `1h2m3s` (platform.openai.com/docs/guides/rate-limits).
 */
export function goDuration(ms: number): string {
  const total = Math.max(0, Math.ceil(ms));
  if (total === 0) return '0s';
  if (total < 1000) return `${total}ms`;
  const h = Math.floor(total / 3_600_000);
  const m = Math.floor((total % 3_600_000) / 60_000);
  const s = trimDecimals((total % 60_000) / 1000);
  if (h > 0) return `${h}h${m}m${s}s`;
  if (m > 0) return `${m}m${s}s`;
  return `${s}s`;
}

/** A protobuf `Duration` in JSON as Gemini sends `RetryInfo.retryDelay`: `"45.8s"`, `"1s"`, `"0.02s"`. */
export function protoDuration(ms: number): string {
  return `${trimDecimals(Math.max(0, ms) / 1000)}s`;
}

/** RFC 3339 at whole seconds, rounded up, as Anthropic sends `anthropic-ratelimit-*-reset`. */
export function rfc3339(ms: number): string {
  return new Date(Math.ceil(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The HTTP `date` header (RFC 9110 IMF-fixdate). */
export function httpDate(ms: number): string {
  return new Date(ms).toUTCString();
}

/** Whole seconds for a `retry-after` header, never 0 while a wait remains. */
export function retryAfterSeconds(ms: number): string {
  return String(Math.max(0, Math.ceil(ms / 1000)));
}

function trimDecimals(n: number): string {
  return String(Number(n.toFixed(3)));
}
