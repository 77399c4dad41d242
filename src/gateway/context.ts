import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { invalid } from '../options.js';
import type { Router } from '../router/index.js';
import type { Simulator } from '../sim/index.js';
import type { Clock, Logger, PriorityName } from '../types.js';
import type { BodyLimits } from './body.js';

/** Everything a route handler needs for one request. */
export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  /** The client's `x-request-id` when well-formed, else a new one; echoed in the answer. */
  requestId: string;
  priority: PriorityName;
  /** Fires when the client goes away before its answer is written: aborts the upstream call. */
  signal: AbortSignal;
  router: Router;
  simulator: Simulator | null;
  clock: Clock;
  logger: Logger | undefined;
  body: BodyLimits;
  /** How long a streaming answer may wait for the client to read before it is cut off (ms). */
  writeTimeoutMs: number;
  /** Known secrets, scrubbed from error messages. */
  secrets: readonly string[];
}

/** What every request of one gateway shares. */
export type SharedContext = Pick<RequestContext, 'router' | 'simulator' | 'clock' | 'logger' | 'body' | 'secrets' | 'writeTimeoutMs'>;

/** A path WHATWG URL parsing leaves as it is: no query, no escapes, no empty or dot segments. */
const PLAIN_PATH = /^(?:\/[A-Za-z0-9_~-][A-Za-z0-9_.~-]*)*\/?$/;

/** The request target: its path at once, its URL only when something asks (most requests never do). */
/** The last request target found plain (RequestTarget.of). */
let lastPlain: string | null = null;

export class RequestTarget {
  private parsed: URL | null;
  private constructor(readonly pathname: string, private readonly raw: string, parsed: URL | null) {
    this.parsed = parsed;
  }

  /** Null for anything but an origin-form path (`*`, absolute URIs) or a target that does not parse. */
  static of(target: string | undefined): RequestTarget | null {
    if (!target || !target.startsWith('/')) return null;
    // A client sends the same path request after request: the last plain one is not tested again.
    if (target === lastPlain) return new RequestTarget(target, target, null);
    if (PLAIN_PATH.test(target) && !/\/\.\.?(?:\/|$)/.test(target)) {
      lastPlain = target;
      return new RequestTarget(target, target, null);
    }
    let url: URL;
    try {
      // Prefixing keeps `//host/path` a path rather than a protocol-relative URL.
      url = new URL(`http://gateway.invalid${target}`);
    } catch {
      return null;
    }
    return new RequestTarget(url.pathname, target, url);
  }

  url(): URL {
    return (this.parsed ??= new URL(`http://gateway.invalid${this.raw}`));
  }
}

/** One request's context: a class, so that `url` is a getter on the prototype, built on first use. */
export class GatewayRequestContext implements RequestContext {
  readonly router: Router;
  readonly simulator: Simulator | null;
  readonly clock: Clock;
  readonly logger: Logger | undefined;
  readonly body: BodyLimits;
  readonly secrets: readonly string[];
  readonly writeTimeoutMs: number;
  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    private readonly target: RequestTarget,
    readonly requestId: string,
    readonly priority: PriorityName,
    readonly signal: AbortSignal,
    shared: SharedContext,
  ) {
    this.router = shared.router;
    this.simulator = shared.simulator;
    this.clock = shared.clock;
    this.logger = shared.logger;
    this.body = shared.body;
    this.secrets = shared.secrets;
    this.writeTimeoutMs = shared.writeTimeoutMs;
  }

  get url(): URL {
    return this.target.url();
  }
}

/** A route handler: answers on `ctx.res`, or throws (the server answers the error). */
export type Handler = (ctx: RequestContext) => Promise<void> | void;

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** 16 random hex digits per process, then a 64-bit counter in 16: unique ids without a random UUID per request. */
const ID_PREFIX = `req_${randomBytes(8).toString('hex')}`;
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const hex32 = (n: number): string => HEX[n >>> 24]! + HEX[(n >>> 16) & 255]! + HEX[(n >>> 8) & 255]! + HEX[n & 255]!;
let idLow = 0;
let idHigh = 0;
/** The prefix and the counter's high half, rebuilt when the low half wraps (every 2^32 ids). */
let idStem = ID_PREFIX + hex32(idHigh);

/** The client's id when it matches `[A-Za-z0-9._:-]{1,128}`, otherwise a new one (`req_` and 32 hex digits). */
export function requestIdOf(req: IncomingMessage): string {
  const id = req.headers['x-request-id'];
  if (typeof id === 'string' && REQUEST_ID.test(id)) return id;
  // Four table lookups, not a number printed in base 16 and padded (a measurable part of a request).
  idLow = (idLow + 1) >>> 0;
  if (idLow === 0) idStem = ID_PREFIX + hex32((idHigh = (idHigh + 1) >>> 0));
  return idStem + hex32(idLow);
}

/** `x-priority: high | normal | low` (any case); absent is normal; anything else is a 400 naming the header. */
export function priorityOf(req: IncomingMessage): PriorityName {
  const raw = req.headers['x-priority'];
  if (raw === undefined) return 'normal';
  const v = typeof raw === 'string' ? raw.trim().toLowerCase() : raw;
  if (v === 'high' || v === 'normal' || v === 'low') return v;
  throw invalid('request', 'x-priority', "'high' | 'normal' | 'low'", raw);
}
