import type { IncomingMessage, ServerResponse } from 'node:http';
import { ConfigError } from '../errors.js';

/**
 * The token: `--token` / `token`, else `SWITCHBOARD_TOKEN`, trimmed. A set but empty (or
 * whitespace-only) value is refused: no `Authorization` header could ever match it, yet it would
 * count as "a token is set" and let a non-loopback bind through.
 */
export function resolveToken(option: string | undefined, fromEnv: string | undefined): string | undefined {
  const raw = option ?? fromEnv;
  if (raw === undefined) return undefined;
  const token = raw.trim();
  if (token === '') {
    throw new ConfigError(`startGateway: the token (${option !== undefined ? '`token`' : 'SWITCHBOARD_TOKEN'}) is empty or only whitespace; set a real one or unset it`, 'token');
  }
  return token;
}

/** Whether the request announced a body the handler has not read (an early 401 or 403). */
export function hasUnreadBody(req: IncomingMessage): boolean {
  if (req.readableEnded || req.complete) return false;
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/**
 * The answer goes out with `connection: close`, and the rest of the request body is never read:
 * Node would otherwise drain it to keep the connection alive — a 1 GB upload against a 401 would
 * be read to its end. Once the answer is flushed the socket is closed.
 */
export function stopReading(req: IncomingMessage, res: ServerResponse): void {
  res.setHeader('connection', 'close');
  res.once('finish', () => {
    req.pause();
    const socket = req.socket;
    socket.pause();
    // The client has the answer in its buffer; the half-close lets it read it before the end.
    socket.end();
    socket.setTimeout(1_000, () => socket.destroy());
  });
}
