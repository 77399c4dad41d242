import { systemClock } from '../clock.js';
import { HEARTBEAT } from './breaker-scripts.js';
import type { EndpointNames } from './ids.js';
import { script, type RedisLink } from './link.js';

export const HEARTBEAT_EVERY_MS = 1_000;
export const HEARTBEAT_TTL_MS = 5_000;
export const HEARTBEAT_SCRIPT = script('heartbeat', HEARTBEAT);

/**
 * How many instances spend the endpoint's keys (the N of the degraded mode's 1/N share,
 * docs/ARCHITECTURE.md §14): this instance's heartbeat, every HEARTBEAT_EVERY_MS on real time
 * (Redis's clock is real), counts it alive for HEARTBEAT_TTL_MS; each beat answers the count, and
 * every join or leave is published to the others.
 */
export class Presence {
  private n = 1;
  /** The Redis instant `n` was counted at: an older count never overwrites a newer one. */
  private at = 0;
  private timer: unknown = null;
  private stopped = false;

  constructor(
    private readonly link: RedisLink,
    private readonly ep: EndpointNames,
    private readonly instanceId: string,
  ) {}

  /** The instances alive as last counted (at least 1: this one). */
  get count(): number {
    return this.n;
  }

  /** A count and the Redis instant it is true at, from a heartbeat's reply or a published join or leave. */
  counted(n: number, at: number): void {
    if (!(at >= this.at)) return;
    // Two counts of the same millisecond: the larger (a join just counted) is the later one.
    const count = Math.max(1, n || 1);
    this.n = at === this.at ? Math.max(this.n, count) : count;
    this.at = at;
  }

  /** One heartbeat now. Throws LinkDown when the link is. */
  async beat(): Promise<void> {
    const [n, at] = (await this.link.run(HEARTBEAT_SCRIPT, [this.ep.instances], [this.instanceId, HEARTBEAT_TTL_MS, this.ep.channel])) as [number, number];
    this.counted(Number(n), Number(at));
  }

  /** Beats every HEARTBEAT_EVERY_MS from now on (while the link is up) until `leave`; once. */
  schedule(): void {
    if (this.timer !== null) return;
    const next = () => {
      if (this.stopped) return;
      this.timer = systemClock.setTimeout(() => {
        if (this.link.mode === 'redis') this.beat().catch(() => undefined);
        next();
      }, HEARTBEAT_EVERY_MS);
    };
    next();
  }

  /** Stops beating and, when Redis is reachable, takes this instance out of the count at once. */
  leave(): Promise<unknown> {
    this.stopped = true;
    if (this.timer !== null) systemClock.clearTimeout(this.timer);
    this.timer = null;
    if (this.link.mode !== 'redis') return Promise.resolve(null);
    return this.link.run(HEARTBEAT_SCRIPT, [this.ep.instances], [this.instanceId, 0, this.ep.channel]);
  }
}
