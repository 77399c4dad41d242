import { ServerResponse, type IncomingMessage, type OutgoingHttpHeader, type OutgoingHttpHeaders } from 'node:http';

/**
 * The gateway's responses (`createServer({ ServerResponse: GatewayResponse })`): each carries its
 * request's `x-request-id`, added as the head is written instead of set beforehand. A header set
 * before `writeHead` sends every answer down Node's merging path (each header set, then copied);
 * an answer whose headers all come in `writeHead`'s object is written as it is (~3 µs a request
 * less, measured one request at a time). Implicit heads (`end` without `writeHead`) come here too.
 */
export class GatewayResponse<Req extends IncomingMessage = IncomingMessage> extends ServerResponse<Req> {
  requestId: string | null = null;

  override writeHead(statusCode: number, reason?: string | OutgoingHttpHeaders | OutgoingHttpHeader[], headers?: OutgoingHttpHeaders | OutgoingHttpHeader[]): this {
    const id = this.requestId;
    if (id === null || this.headersSent) return super.writeHead(statusCode, reason as string, headers);
    const given = typeof reason === 'string' ? headers : reason;
    if (given === undefined || Array.isArray(given)) {
      this.setHeader('x-request-id', id);
      return super.writeHead(statusCode, reason as string, headers);
    }
    // Written as given when it names the id already (sendJsonText's head); else a copy with it (the
    // object may be the caller's constant).
    if (given['x-request-id'] !== undefined) return super.writeHead(statusCode, reason as string, headers);
    const withId = { 'x-request-id': id, ...given };
    return typeof reason === 'string' ? super.writeHead(statusCode, reason, withId) : super.writeHead(statusCode, withId);
  }
}

/** Answers `body` as JSON. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  sendJsonText(res, status, JSON.stringify(body), headers);
}

/** Answers JSON text already encoded. */
export function sendJsonText(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  // One head, all its headers in one object built here (see GatewayResponse): the fixed ones in a
  // literal (one shape), the caller's added to it.
  const id = (res as Partial<GatewayResponse>).requestId;
  const length = Buffer.byteLength(text);
  const head: Record<string, string | number> = id != null
    ? { 'x-request-id': id, 'content-type': 'application/json; charset=utf-8', 'content-length': length }
    : { 'content-type': 'application/json; charset=utf-8', 'content-length': length };
  for (const k in headers) head[k] = headers[k]!;
  res.writeHead(status, head);
  res.end(text);
}

/** Answers plain text (or any `contentType`). */
export function sendText(res: ServerResponse, status: number, text: string, contentType = 'text/plain; charset=utf-8'): void {
  res.statusCode = status;
  res.setHeader('content-type', contentType);
  res.setHeader('content-length', Buffer.byteLength(text));
  res.end(text);
}
