import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { parseJsonText } from '../body.js';
import { FastRequest, FastResponse, type ExchangeOwner } from './exchange.js';
import { readHead } from './head.js';

/** What the front needs from the gateway. */
export interface FrontOptions {
  /** Answers one request read here (the gateway's own handler, as for Node's requests). */
  handle: (req: FastRequest, res: FastResponse) => void;
  /** Gives the connection to Node's HTTP server, `unread` the bytes it must read first. */
  handOff: (socket: Socket, unread: Buffer | null) => void;
  /** A body larger than this goes to Node's server (which answers 413 as it always did). */
  bodyLimitBytes: number;
  keepAliveTimeoutMs: number;
}

/** Bytes a client may send ahead while its answer is being prepared, before its socket is paused. */
const MAX_AHEAD_BYTES = 64 * 1024;

/**
 * The gateway's front: every connection starts here. A provider call that arrives whole in the
 * strict form of src/gateway/front/head.ts (a POST to a provider route, one `content-length`, a JSON
 * body that does not ask to stream) is read here and handed to the gateway's handler with a
 * `FastRequest` and a `FastResponse`: no Node request and response streams, no event per chunk, no
 * header object built for fifteen SDK headers, one write per answer. Everything else — another
 * route, a head or body split across reads, a chunked body, `expect`, anything odd — gives the
 * connection to Node's HTTP server for good, with the bytes it has not read, so Node's parser reads
 * that request from its first byte (and its timeouts and limits apply).
 *
 * One request at a time per connection: bytes that arrive while an answer is being prepared wait
 * (the socket pauses past 64 KiB) and are read once the answer is written. An idle connection closes
 * after `keepAliveTimeoutMs`, as Node's does.
 */
export class FastFront {
  private readonly connections = new Set<FastConnection>();
  /** As Node writes it: the keep-alive time in whole seconds. */
  readonly keepAliveTail: string;

  constructor(readonly options: FrontOptions) {
    this.keepAliveTail = `connection: keep-alive\r\nkeep-alive: timeout=${Math.floor(options.keepAliveTimeoutMs / 1000)}\r\n\r\n`;
  }

  accept(socket: Socket): void {
    const c = new FastConnection(this, socket);
    this.connections.add(c);
  }

  /** @internal */
  forget(c: FastConnection): void {
    this.connections.delete(c);
  }

  /** Closes the connections with no request in flight (a shutdown's first step). */
  closeIdle(): void {
    for (const c of this.connections) if (!c.busy) c.socket.destroy();
  }

  /** Closes every connection still here. */
  closeAll(): void {
    for (const c of this.connections) c.socket.destroy();
  }

  get size(): number {
    return this.connections.size;
  }
}

/**
 * Puts a front before `server`: Node's own connection handler is taken off the server's
 * 'connection' event and called for the connections the front gives away, after the bytes the front
 * read are put back (`unshift`), so Node's parser reads them first.
 */
export function attachFront(server: Server, options: Omit<FrontOptions, 'handOff'>): FastFront {
  const nodeConnection = server.listeners('connection')[0] as (socket: Socket) => void;
  server.removeListener('connection', nodeConnection);
  const front = new FastFront({
    ...options,
    handOff: (socket, unread) => {
      nodeConnection.call(server, socket);
      if (unread !== null) socket.unshift(unread);
      socket.resume();
    },
  });
  server.on('connection', (socket: Socket) => front.accept(socket));
  return front;
}

class FastConnection implements ExchangeOwner {
  private buffer: Buffer | null = null;
  private inFlight: FastResponse | null = null;
  private ended = false;
  private gone = false;
  readonly keepAliveTail: string;
  private readonly onData = (chunk: Buffer): void => this.received(chunk);
  // The client's end of the connection closed: as Node's server does (without httpAllowHalfOpen), a
  // request still in flight is abandoned (its upstream call aborted) and our end closes too.
  private readonly onEnd = (): void => {
    this.ended = true;
    this.inFlight?.abandon();
    this.socket.end();
  };
  private readonly onClose = (): void => {
    this.gone = true;
    this.front.forget(this);
    this.inFlight?.abandon();
  };
  private readonly onTimeout = (): void => {
    // Idle past the keep-alive time; a request in flight keeps its connection.
    if (this.inFlight === null) this.socket.destroy();
  };
  private readonly onError = (): void => {
    // 'close' follows; the answer in flight (if any) is abandoned there.
  };
  private readonly onDrain = (): void => this.next();

  constructor(
    private readonly front: FastFront,
    readonly socket: Socket,
  ) {
    this.keepAliveTail = front.keepAliveTail;
    socket.on('data', this.onData);
    socket.on('end', this.onEnd);
    socket.on('close', this.onClose);
    socket.on('error', this.onError);
    socket.on('timeout', this.onTimeout);
    socket.setTimeout(front.options.keepAliveTimeoutMs);
  }

  get busy(): boolean {
    return this.inFlight !== null;
  }

  private received(chunk: Buffer): void {
    this.buffer = this.buffer === null ? chunk : Buffer.concat([this.buffer, chunk]);
    if (this.inFlight !== null) {
      if (this.buffer.length > MAX_AHEAD_BYTES) this.socket.pause();
      return;
    }
    this.take();
  }

  /** Reads the request at the head of the buffer: answers it here, or gives the connection to Node. */
  private take(): void {
    const buf = this.buffer;
    if (buf === null || this.gone) return;
    const head = readHead(buf);
    if (head === null || head === 'more') return this.handOff();
    const end = head.bodyStart + head.bodyLength;
    if (end > buf.length || head.bodyLength > this.front.options.bodyLimitBytes) return this.handOff();
    const body = buf.toString('utf8', head.bodyStart, end);
    let json: { value: unknown } | { error: unknown };
    try {
      const value = parseJsonText(body);
      // A streamed answer is Node's to write (FastResponse writes whole answers).
      const stream = value !== null && typeof value === 'object' ? (value as { stream?: unknown }).stream : undefined;
      if (stream !== undefined && stream !== false) return this.handOff();
      json = { value };
    } catch (error) {
      json = { error };
    }
    this.buffer = end < buf.length ? buf.subarray(end) : null;
    const res = new FastResponse(this, this.socket);
    this.inFlight = res;
    this.front.options.handle(new FastRequest(head.path, head.headers, body, json, this.socket), res);
  }

  finished(res: FastResponse, closeAfter: boolean): void {
    if (this.inFlight !== res) return;
    this.inFlight = null;
    if (this.gone) return;
    if (closeAfter || this.ended) {
      this.socket.end();
      return;
    }
    this.next();
  }

  /** The next request, once the socket can take its answer. */
  private next(): void {
    if (this.inFlight !== null || this.gone || this.buffer === null) return;
    if (this.socket.writableNeedDrain) {
      this.socket.once('drain', this.onDrain);
      return;
    }
    this.socket.resume();
    this.take();
  }

  private handOff(): void {
    const socket = this.socket;
    socket.removeListener('data', this.onData);
    socket.removeListener('end', this.onEnd);
    socket.removeListener('close', this.onClose);
    socket.removeListener('error', this.onError);
    socket.removeListener('timeout', this.onTimeout);
    socket.removeListener('drain', this.onDrain);
    socket.setTimeout(0);
    socket.pause();
    this.front.forget(this);
    const unread = this.buffer;
    this.buffer = null;
    this.gone = true;
    this.front.options.handOff(socket, unread);
  }
}
