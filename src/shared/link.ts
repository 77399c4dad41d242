import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Clock } from '../types.js';
import { BACKOFF_MS, ownClient, withTimeout, type RedisClientLike } from './redis-client.js';
import type { RoundTrips } from './round-trip.js';

/**
 * The Redis link of one instance: a command connection (scripts, EVALSHA with a reload on
 * NOSCRIPT), a duplicate connection for Pub/Sub, and the degraded mode. Any failed or slow command
 * (over `timeoutMs`) puts the link in `degraded`; from then on nothing is sent on the hot path
 * (the caller answers from its local fallback) while a recovery loop pings with backoff; once
 * Redis answers, scripts are reloaded, `onRestore` resynchronises and the link is `redis` again.
 *
 * On Redis Cluster each script goes to the master of its keys' slot (one hash tag per script: see
 * ids.ts); the scripts are loaded on every master, and a NOSCRIPT (a failover, a node added)
 * reloads on that node. Events are classic Pub/Sub: a PUBLISH reaches every node of a cluster, so
 * the duplicate subscribes on any one. (Sharded Pub/Sub would need the channel in the slot of each
 * publishing script's keys: a key's and the endpoint's scripts publish on one channel.)
 */

export interface Script {
  name: string;
  source: string;
  sha: string;
}

export function script(name: string, source: string): Script {
  return { name, source, sha: createHash('sha1').update(source).digest('hex') };
}

export type LinkMode = 'connecting' | 'redis' | 'degraded';

export interface LinkOptions {
  redis: string | RedisClientLike;
  timeoutMs: number;
  clock: Clock;
  roundTrips: RoundTrips;
  scripts: Script[];
  onDegraded(reason: string): void;
  /** Runs on the link before it counts as back (resynchronisation); a throw keeps it degraded. */
  onRestore(firstConnect: boolean): Promise<void>;
  onRestored(): void;
  logger?: { debug(...a: unknown[]): void };
}

/** Thrown to the caller (never to a request) when the link cannot answer now. */
export class LinkDown extends Error {}

/** How long the first connection may take before the instance says it is degraded. */
const FIRST_CONNECT_WAIT_MS = 1_000;

function isNoScript(err: unknown): boolean {
  return err instanceof Error && err.message.startsWith('NOSCRIPT');
}

/**
 * connect() stays pending while the client retries on its own: awaited at most a moment (a Redis
 * that is there is not announced as lost on start-up); meanwhile a command fails at once
 * ("offline"), and the next round of recovery tries again.
 */
async function connectedOrLater(connecting: Promise<unknown> | null): Promise<void> {
  await Promise.race([connecting, new Promise((r) => setTimeout(r, FIRST_CONNECT_WAIT_MS).unref())]);
}

export class RedisLink {
  mode: LinkMode = 'connecting';
  readonly owned: boolean;
  private readonly client: RedisClientLike;
  private sub: RedisClientLike | null = null;
  private subConnecting: Promise<unknown> | null = null;
  private readonly cluster: boolean;
  private attempt = 0;
  private timer: unknown = null;
  private everUp = false;
  /** `onDegraded` was called and `onRestored` not yet: the two always alternate. */
  private announcedDown = false;
  private stopped = false;
  private recovering = false;
  private subscribed = false;
  private readonly subscriptions = new Map<string, (message: string) => void>();

  constructor(private readonly o: LinkOptions) {
    this.owned = typeof o.redis === 'string';
    this.client =
      typeof o.redis === 'string'
        ? ownClient(o.redis)
        : o.redis;
    this.cluster = 'masters' in (this.client as object);
    this.client.on('error', (err) => this.o.logger?.debug({ err: String(err) }, 'shared: redis connection error'));
  }

  /** Connects (when the client is ours) and loads the scripts; degraded until it succeeds. */
  start(): void {
    this.scheduleRecovery(0);
  }

  /** EVALSHA with the command timeout; NOSCRIPT → SCRIPT LOAD once and again. Throws LinkDown. */
  async run(s: Script, keys: string[], args: Array<string | number>): Promise<unknown> {
    if (this.mode !== 'redis') throw new LinkDown(this.mode);
    try {
      return await this.timed(s, keys, args);
    } catch (err) {
      this.degrade(err instanceof Error ? `${err.name}: ${err.message}` : String(err));
      throw new LinkDown(String(err));
    }
  }

  /** Subscribes on the Pub/Sub connection (kept across reconnects by the client). */
  async subscribe(channel: string, fn: (message: string) => void): Promise<void> {
    this.subscriptions.set(channel, fn);
    if (this.subscribed && this.sub) await this.sub.subscribe(channel, fn);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) this.o.clock.clearTimeout(this.timer);
    const close = async (c: RedisClientLike | null) => {
      if (!c) return;
      try {
        if (c.close) await c.close();
        else c.destroy?.();
      } catch {
        c.destroy?.();
      }
    };
    await close(this.sub);
    if (this.owned) await close(this.client);
  }

  private async timed(s: Script, keys: string[], args: Array<string | number>): Promise<unknown> {
    const evalsha = ['EVALSHA', s.sha, String(keys.length), ...keys, ...args.map(String)];
    const t0 = performance.now();
    let reply: unknown;
    try {
      reply = await this.send(keys[0], evalsha);
    } catch (err) {
      if (!isNoScript(err)) throw err;
      await this.send(keys[0], ['SCRIPT', 'LOAD', s.source]);
      reply = await this.send(keys[0], evalsha);
    }
    this.o.roundTrips.record(performance.now() - t0);
    return reply;
  }

  /** SCRIPT LOAD wherever a script may run: the server, or every master of a cluster. */
  private async loadScripts(): Promise<void> {
    const load = async (send: (args: string[]) => Promise<unknown>) => {
      for (const s of this.o.scripts) await withTimeout(send(['SCRIPT', 'LOAD', s.source]), this.o.timeoutMs);
    };
    if (!this.cluster) return load((args) => this.client.sendCommand(args));
    for (const master of this.client.masters ?? []) {
      const node = await withTimeout(this.client.nodeClient!(master), this.o.timeoutMs);
      await load((args) => node.sendCommand(args));
    }
  }

  private send(firstKey: string | undefined, args: string[]): Promise<unknown> {
    const p = this.cluster ? this.client.sendCommand(firstKey, false, args) : this.client.sendCommand(args);
    return withTimeout(p, this.o.timeoutMs);
  }

  private degrade(reason: string): void {
    if (this.mode === 'degraded' || this.stopped) return;
    this.mode = 'degraded';
    if (!this.announcedDown) {
      this.announcedDown = true;
      this.o.onDegraded(reason);
    }
    this.attempt = 0;
    this.scheduleRecovery(BACKOFF_MS[0]!);
  }

  private scheduleRecovery(ms: number): void {
    if (this.stopped || this.recovering) return;
    if (this.timer !== null) this.o.clock.clearTimeout(this.timer);
    this.timer = this.o.clock.setTimeout(() => {
      this.timer = null;
      void this.recover();
    }, ms);
  }

  private async recover(): Promise<void> {
    if (this.stopped || this.recovering) return;
    this.recovering = true;
    const first = !this.everUp;
    try {
      if (!this.client.isOpen) await connectedOrLater(this.client.connect().catch(() => undefined));
      await this.send(undefined, ['PING']);
      await this.loadScripts();
      if (!this.sub) {
        this.sub = this.client.duplicate();
        this.sub.on('error', (err) => this.o.logger?.debug({ err: String(err) }, 'shared: redis pub/sub connection error'));
        this.subConnecting = this.sub.connect().catch(() => undefined);
      }
      if (!this.subscribed) {
        // A cluster client refuses to subscribe before it knows its nodes: wait for its connection.
        await connectedOrLater(this.subConnecting);
        // The client resubscribes by itself after a reconnect; this runs once.
        for (const [channel, fn] of this.subscriptions) await this.sub.subscribe(channel, fn);
        this.subscribed = true;
      }
      this.mode = 'redis';
      await this.o.onRestore(first);
      if (this.mode !== 'redis') throw new Error('resynchronisation failed');
      this.everUp = true;
      this.attempt = 0;
      if (this.announcedDown) {
        this.announcedDown = false;
        this.o.onRestored();
      }
      return;
    } catch (err) {
      this.o.logger?.debug({ err: String(err) }, 'shared: redis not back yet');
      if (this.mode !== 'degraded') {
        this.mode = 'connecting';
        this.degrade(err instanceof Error ? `${err.name}: ${err.message}` : String(err));
      }
    } finally {
      this.recovering = false;
    }
    this.attempt++;
    this.scheduleRecovery(BACKOFF_MS[Math.min(this.attempt, BACKOFF_MS.length - 1)]!);
  }
}
