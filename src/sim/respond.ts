import type { ServerResponse } from 'node:http';
import type { Clock, Provider } from '../types.js';
import { MALFORMED_BODY } from './faults.js';
import type { StatsRecorder } from './stats.js';

interface PendingSleep {
  id: unknown;
  resolve: () => void;
}

/** One request being answered: its response, where its counts go, and its pending clock timers. */
export interface Exchange {
  res: ServerResponse;
  scope: { provider: Provider; key: string | null };
  stats: StatsRecorder;
  clock: Clock;
  /** The simulator destroyed the socket itself (a reset fault, `stop()`): not the client's doing. */
  destroyedByUs: boolean;
  clientGone: boolean;
  streaming: boolean;
  sleeps: Set<PendingSleep>;
  /** A hang fault: the answer never comes (until the client gives up). */
  hung?: boolean;
}

/** True when the exchange cannot progress until the clock moves (a pending sleep) or ever (a hang). */
export function waitsOnClock(x: Exchange): boolean {
  return x.hung === true || x.sleeps.size > 0;
}

/** Waits `ms` on the injected clock; resolves early if the exchange is cancelled. */
export function sleep(x: Exchange, ms: number): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const entry: PendingSleep = { id: undefined, resolve };
    entry.id = x.clock.setTimeout(() => {
      x.sleeps.delete(entry);
      resolve();
    }, ms);
    x.sleeps.add(entry);
  });
}

export function cancelSleeps(x: Exchange): void {
  for (const s of x.sleeps) {
    x.clock.clearTimeout(s.id);
    s.resolve();
  }
  x.sleeps.clear();
}

/** Destroys the socket once `chunk` has been handed to the kernel: the client sees a cut body. */
function writeThenDestroy(x: Exchange, chunk: string): void {
  x.destroyedByUs = true;
  if (chunk === '') x.res.socket?.destroy();
  else x.res.write(chunk, () => x.res.socket?.destroy());
}

export type BodyFault = 'reset' | 'malformed' | 'truncated' | null;

/** Sends a whole body, or a faulty one: cut by a reset, not JSON, or JSON cut short but ended cleanly. */
export function sendBody(x: Exchange, status: number, headers: Record<string, string>, text: string, fault: BodyFault): void {
  if (x.clientGone || x.res.destroyed) return;
  let body = text;
  if (fault === 'malformed') body = MALFORMED_BODY;
  if (fault === 'truncated') body = text.slice(0, Math.max(1, Math.floor(text.length / 2)));
  x.res.writeHead(status, { ...headers, 'content-length': String(Buffer.byteLength(body)) });
  x.stats.status(x.scope, status);
  if (fault) x.stats.fault(x.scope, fault);
  if (fault === 'reset') writeThenDestroy(x, body.slice(0, Math.max(1, Math.floor(body.length / 2))));
  else x.res.end(body);
}

export interface StreamPlan {
  fault: 'stream-reset' | 'stream-hang' | 'stream-malformed' | 'truncated' | null;
  /** Good events sent before the fault. */
  afterChunks: number;
  chunkDelayMs: number;
  malformedFrame: string;
}

/**
 * Resolves once the socket has room again (`'drain'`), or the client is gone. A real provider's
 * server waits for a slow reader too, so a gateway that stops reading sees its upstream pause.
 */
function drained(x: Exchange): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      x.res.off('drain', done);
      x.res.off('close', done);
      resolve();
    };
    x.res.on('drain', done);
    x.res.on('close', done);
  });
}

/**
 * Streams `frames` paced by `chunkDelayMs` on the clock, applying a mid-stream fault if planned.
 * Honours backpressure: no frame is written while the socket buffer is full.
 */
export async function sendStream(x: Exchange, headers: Record<string, string>, frames: string[], plan: StreamPlan): Promise<void> {
  if (x.clientGone || x.res.destroyed) return;
  x.res.writeHead(200, headers);
  x.res.flushHeaders();
  x.streaming = true;
  x.stats.status(x.scope, 200);
  x.stats.stream(x.scope, 'started');
  if (plan.fault) x.stats.fault(x.scope, plan.fault);
  for (let i = 0; i < frames.length; i++) {
    if (i > 0) await sleep(x, plan.chunkDelayMs);
    if (x.clientGone || x.res.destroyed) return;
    if (i === plan.afterChunks) {
      if (plan.fault === 'stream-hang') {
        x.hung = true;
        return;
      }
      if (plan.fault === 'stream-reset') return writeThenDestroy(x, frames[i]!.slice(0, Math.ceil(frames[i]!.length / 2)));
      if (plan.fault === 'stream-malformed') {
        x.res.end(plan.malformedFrame);
        return;
      }
    }
    if (plan.fault === 'truncated' && i === frames.length - 1) {
      x.res.end(frames[i]!.slice(0, Math.ceil(frames[i]!.length / 2)));
      return;
    }
    if (!x.res.write(frames[i]!)) await drained(x);
  }
  if (plan.afterChunks >= frames.length && plan.fault === 'stream-hang') {
    x.hung = true;
    return;
  }
  if (plan.afterChunks >= frames.length && plan.fault === 'stream-reset') return writeThenDestroy(x, '');
  x.res.end();
  x.stats.stream(x.scope, 'completed');
}
