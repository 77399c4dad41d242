import { createRequire } from 'node:module';

/**
 * The client side of the Redis link (link.ts): what it needs of a node-redis client, the client it
 * makes itself from a URL, and the deadline on each command.
 */

/** Reconnection and recovery backoff, ms (the last repeats). */
export const BACKOFF_MS = [50, 100, 200, 400, 800, 1_600, 2_000];

/** The part of a node-redis client (`createClient()` or `createCluster()`) this module uses. */
export interface RedisClientLike {
  readonly isOpen: boolean;
  connect(): Promise<unknown>;
  duplicate(): RedisClientLike;
  on(event: 'error', fn: (err: unknown) => void): unknown;
  subscribe(channel: string, fn: (message: string, channel: string) => void): Promise<void>;
  unsubscribe(channel?: string): Promise<void>;
  close?(): Promise<void>;
  destroy?(): void;
  // Standalone: (args, options). Cluster: (firstKey, isReadonly, args, options).
  sendCommand(...args: unknown[]): Promise<unknown>;
  /** Cluster only: its masters, each with a script cache of its own, and the client of one. */
  readonly masters?: readonly unknown[];
  nodeClient?(node: unknown): Promise<{ sendCommand(args: string[]): Promise<unknown> }>;
}

type NodeRedis = typeof import('@redis/client');
let nodeRedisModule: NodeRedis | null = null;

/**
 * node-redis, loaded when a board first connects by URL (it is CommonJS, so synchronously): its
 * ~100 ms of loading is not paid at start by a process that does not share through Redis.
 */
function nodeRedis(): NodeRedis {
  return (nodeRedisModule ??= createRequire(import.meta.url)('@redis/client') as NodeRedis);
}

/** A client of our own for `url`: commands fail at once while disconnected (the caller has a fallback), never queued blindly. */
export function ownClient(url: string): RedisClientLike {
  return nodeRedis().createClient({
    url,
    disableOfflineQueue: true,
    socket: { connectTimeout: 2_000, reconnectStrategy: (retries: number) => BACKOFF_MS[Math.min(retries, BACKOFF_MS.length - 1)]! },
  }) as unknown as RedisClientLike;
}

/** A reply later than `timeoutMs` (the script may still have run: a lease then expires by itself). */
export class CommandTimeout extends Error {
  override name = 'CommandTimeout';
}

/**
 * Rejects when `p` has not settled `ms` after the command could go out. A busy instance is not a
 * slow Redis: the clock starts once the current turn of the event loop is over (a burst of calls
 * in one synchronous stretch has not even written its commands before that), and the verdict waits
 * for the check phase (setImmediate), after the poll phase has read the sockets, so a reply already
 * waiting there still wins. Real timers: an I/O deadline, whatever the board's clock.
 */
export function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let done = false;
    let timer: NodeJS.Timeout | null = null;
    setImmediate(() => {
      if (done) return;
      timer = setTimeout(() => {
        setImmediate(() => {
          if (done) return;
          done = true;
          reject(new CommandTimeout(`no reply within ${ms} ms`));
        });
      }, ms);
    });
    p.then(
      (v) => {
        if (done) return;
        done = true;
        if (timer) clearTimeout(timer);
        resolve(v);
      },
      (err: unknown) => {
        if (done) return;
        done = true;
        if (timer) clearTimeout(timer);
        reject(err);
      },
    );
  });
}
