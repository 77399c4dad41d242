import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';

/**
 * A request the front read itself (src/gateway/front/front.ts): the part of Node's `IncomingMessage`
 * the gateway's handlers use — method, url, headers, the socket — with the body already read whole
 * and parsed once (`json`: the parsed value, or the error parsing threw; src/gateway/body.ts hands it
 * to the route as its own reading would).
 */
export class FastRequest {
  readonly method = 'POST';
  readonly httpVersion = '1.1';
  /** The body is in: nothing is left to read or to drain. */
  readonly complete = true;
  readonly readableEnded = true;
  constructor(
    readonly url: string,
    readonly headers: Record<string, string>,
    readonly body: string,
    readonly json: { value: unknown } | { error: unknown },
    readonly socket: Socket,
  ) {}

  resume(): this {
    return this;
  }

  pause(): this {
    return this;
  }
}

/** What a response tells its connection. */
export interface ExchangeOwner {
  /** The answer is written (or given up): the connection may read its next request. */
  finished(res: FastResponse, closeAfter: boolean): void;
  /** The head's last lines on a kept connection: `connection: keep-alive`, `keep-alive: timeout=N`, the blank line. */
  keepAliveTail: string;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const NOT_ASCII_TEXT = /[^\t\x20-\x7e]/;
const NOT_LATIN1_TEXT = /[^\t\x20-\x7e\x80-\xff]/;

let dateSecond = -1;
let dateText = '';
/** The `date` header, built once a second (as Node's server does). */
function httpDate(): string {
  const now = Date.now();
  const second = Math.floor(now / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    dateText = new Date(second * 1000).toUTCString();
  }
  return dateText;
}

type Listener = () => void;

/**
 * The answer to a `FastRequest`: the part of Node's `ServerResponse` the gateway's handlers use for a
 * whole (not streamed) answer — `statusCode`, `setHeader`, `writeHead`, `end`, `destroy`, the
 * `finish` and `close` events — written to the socket as one head-and-body string. Heads are checked
 * as Node checks them (a name that is not a token, a value with a control character: `TypeError`);
 * `write` (a streamed answer) is not here: the front gives streamed requests to Node's server.
 * `requestId` is added as `x-request-id` when the head does not name one (as GatewayResponse does).
 */
export class FastResponse {
  statusCode = 200;
  requestId: string | null = null;
  headersSent = false;
  writableFinished = false;
  private abandoned = false;
  private set: Record<string, string | number | readonly string[]> | null = null;
  private listeners: Array<[string, Listener, boolean]> | null = null;

  constructor(
    private readonly owner: ExchangeOwner,
    readonly socket: Socket,
  ) {}

  get destroyed(): boolean {
    return this.abandoned || this.socket.destroyed;
  }

  setHeader(name: string, value: string | number | readonly string[]): this {
    if (this.headersSent) throw new Error('Cannot set headers after they are sent to the client');
    (this.set ??= {})[name.toLowerCase()] = value;
    return this;
  }

  getHeader(name: string): string | number | readonly string[] | undefined {
    return this.set?.[name.toLowerCase()];
  }

  removeHeader(name: string): void {
    if (this.set) delete this.set[name.toLowerCase()];
  }

  private head: Record<string, string | number | readonly string[]> | null = null;

  writeHead(status: number, reason?: string | Record<string, string | number | readonly string[]>, headers?: Record<string, string | number | readonly string[]>): this {
    const given = typeof reason === 'string' ? headers : reason;
    this.statusCode = status;
    this.head = given ?? null;
    return this;
  }

  end(body?: string | Buffer): this {
    if (this.writableFinished || this.abandoned) return this;
    const text = body === undefined ? '' : typeof body === 'string' ? body : body.toString('utf8');
    const status = this.statusCode;
    const head = this.head;
    const w: HeadWriter = { out: statusLine(status), length: false, close: false, latin1: false };
    const set = this.set;
    if (set !== null) for (const k in set) if (head === null || !hasName(head, k)) addHeader(w, k, set[k]!);
    if (head !== null) for (const k in head) addHeader(w, k, head[k]!);
    if (this.requestId !== null && (head === null || head['x-request-id'] === undefined) && set?.['x-request-id'] === undefined) w.out += `x-request-id: ${this.requestId}\r\n`;
    const bodyless = status === 204 || status === 304;
    if (!w.length && !bodyless) w.out += `content-length: ${Buffer.byteLength(text)}\r\n`;
    const out = `${w.out}date: ${httpDate()}\r\n${w.close ? 'connection: close\r\n\r\n' : this.owner.keepAliveTail}`;
    this.headersSent = true;
    this.writableFinished = true;
    // One write: head and body together (latin1 keeps the head's bytes when a value has any above 0x7f).
    if (bodyless || text === '') this.socket.write(out, 'latin1');
    else if (!w.latin1) this.socket.write(out + text);
    else {
      this.socket.cork();
      this.socket.write(out, 'latin1');
      this.socket.write(text);
      this.socket.uncork();
    }
    process.nextTick(finish, this, w.close);
    return this;
  }

  write(): boolean {
    throw new Error('a FastResponse writes whole answers only (the front gives streamed requests to Node)');
  }

  destroy(): this {
    this.socket.destroy();
    return this;
  }

  on(event: 'close' | 'finish', fn: Listener): this {
    (this.listeners ??= []).push([event, fn, false]);
    return this;
  }

  once(event: 'close' | 'finish', fn: Listener): this {
    (this.listeners ??= []).push([event, fn, true]);
    return this;
  }

  /** The connection closed before the answer was written: `close` without `finish`. */
  abandon(): void {
    if (this.writableFinished || this.abandoned) return;
    this.abandoned = true;
    this.emit('close');
  }

  /** @internal */
  emit(event: 'close' | 'finish'): void {
    const ls = this.listeners;
    if (ls === null) return;
    for (const l of ls.slice()) {
      if (l[0] !== event) continue;
      if (l[2]) ls.splice(ls.indexOf(l), 1);
      l[1]();
    }
  }

  /** @internal */
  get ownerOf(): ExchangeOwner {
    return this.owner;
  }
}

/** A head being written: its text so far and what its headers said. */
interface HeadWriter {
  out: string;
  length: boolean;
  close: boolean;
  latin1: boolean;
}

const PLAIN = 0;
const LENGTH = 1;
const CONNECTION = 2;
/** What each header name is to the writer, checked once per distinct name (a response names the same few). */
const nameKinds = new Map<string, number>();

function kindOf(name: string): number {
  let kind = nameKinds.get(name);
  if (kind !== undefined) return kind;
  if (!TOKEN.test(name)) throw new TypeError(`Header name must be a valid HTTP token ["${name}"]`);
  const lower = name.toLowerCase();
  if (lower === 'transfer-encoding') throw new TypeError('a FastResponse writes whole answers only');
  kind = lower === 'content-length' ? LENGTH : lower === 'connection' ? CONNECTION : PLAIN;
  if (nameKinds.size < 1024) nameKinds.set(name, kind);
  return kind;
}

function addHeader(w: HeadWriter, name: string, value: string | number | readonly string[]): void {
  const kind = kindOf(name);
  if (kind === CONNECTION) {
    w.close = String(value).toLowerCase() === 'close';
    return;
  }
  if (kind === LENGTH) w.length = true;
  if (typeof value === 'number') w.out += `${name}: ${value}\r\n`;
  else if (typeof value === 'string') addValue(w, name, value);
  else for (const v of value) addValue(w, name, String(v));
}

function addValue(w: HeadWriter, name: string, value: string): void {
  if (NOT_ASCII_TEXT.test(value)) {
    if (NOT_LATIN1_TEXT.test(value)) throw new TypeError(`Invalid character in header content ["${name}"]`);
    w.latin1 = true;
  }
  w.out += `${name}: ${value}\r\n`;
}

const statusLines = new Map<number, string>();
/** `HTTP/1.1 200 OK\r\n`, built once per status. */
function statusLine(status: number): string {
  let line = statusLines.get(status);
  if (line === undefined) statusLines.set(status, (line = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'unknown'}\r\n`));
  return line;
}

function hasName(head: Record<string, unknown>, lower: string): boolean {
  for (const k in head) if (k.toLowerCase() === lower) return true;
  return false;
}


/** After the write: `finish`, then `close` (as Node emits them, a turn later), then the next request. */
function finish(res: FastResponse, closeAfter: boolean): void {
  res.emit('finish');
  res.emit('close');
  res.ownerOf.finished(res, closeAfter);
}
