import { randomUUID } from 'node:crypto';
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
  /** Known secrets, scrubbed from error messages. */
  secrets: readonly string[];
}

/** A route handler: answers on `ctx.res`, or throws (the server answers the error). */
export type Handler = (ctx: RequestContext) => Promise<void> | void;

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** the client's id when it matches `[A-Za-z0-9._:-]{1,128}`, otherwise a new one. */
export function requestIdOf(req: IncomingMessage): string {
  const id = req.headers['x-request-id'];
  return typeof id === 'string' && REQUEST_ID.test(id) ? id : `req_${randomUUID().replaceAll('-', '')}`;
}

/** `x-priority: high | normal | low` (any case); absent is normal; anything else is a 400 naming the header. */
export function priorityOf(req: IncomingMessage): PriorityName {
  const raw = req.headers['x-priority'];
  if (raw === undefined) return 'normal';
  const v = typeof raw === 'string' ? raw.trim().toLowerCase() : raw;
  if (v === 'high' || v === 'normal' || v === 'low') return v;
  throw invalid('request', 'x-priority', "'high' | 'normal' | 'low'", raw);
}
