/**
 * The transport seam: the supervisor sends every HTTP attempt through one of these.
 * The real one is undici (`createUndiciTransport`); tests may inject a scripted one.
 */
export interface HttpRequest {
  method: 'GET' | 'POST';
  url: string;
  /** Lower-case header names. The auth header is the only place a secret ever appears. */
  headers: Record<string, string>;
  body?: string;
}

export interface HttpResponse {
  status: number;
  /** Lower-case header names. */
  headers: Record<string, string>;
  /** The body, read once, as text. */
  body: string;
}

/**
 * Sends one HTTP attempt. Resolves with any status; rejects only when no answer came
 * (connection refused/reset, socket closed mid-body, aborted) — with a `TransportError`
 * or the signal's reason.
 */
export type Transport = (request: HttpRequest, signal: AbortSignal) => Promise<HttpResponse>;

/** A streamed answer: the status and headers as they arrive, the body as text pieces. */
export interface StreamResponse {
  status: number;
  headers: Record<string, string>;
  body: AsyncIterable<string>;
}

/**
 * A transport that can also stream (docs/ARCHITECTURE.md §11). `stream` resolves once the headers are in; the
 * body iterates as it arrives and throws (a `TransportError`, or the signal's reason) if the
 * connection fails mid-body.
 */
export type StreamingTransport = Transport & { stream?(request: HttpRequest, signal: AbortSignal): Promise<StreamResponse> };
