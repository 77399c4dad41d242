import type { ServerResponse } from 'node:http';

/** At most this many transition frames wait for a slow client; older ones are dropped (and counted). */
export const MAX_QUEUED_FRAMES = 256;

/** A client that has read nothing for this long (its socket buffer full) is cut off. */
export const STALLED_CLIENT_MS = 30_000;

/** One Server-Sent Events frame. JSON never holds a raw newline, so `data:` is one line. */
export function frame(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/**
 * One connected `/inspect/events` client with bounded memory: transitions queue up to
 * `MAX_QUEUED_FRAMES` while the socket is full (the oldest are dropped and a `dropped` frame says how
 * many), and only the newest state summary is kept — a slow client sees fewer, never older, states.
 */
export class SseClient {
  private queue: string[] = [];
  private state: string | null = null;
  private dropped = 0;
  /** What the last summary handed to this client said (its providers part), to skip repeats. */
  private lastSummary = '';
  private waiting = false;
  /** When the socket last filled up (`now()`), while `waiting`. */
  private waitingSince = 0;
  private ended = false;

  constructor(
    private readonly res: ServerResponse,
    private readonly now: () => number = Date.now,
    private readonly stalledMs = STALLED_CLIENT_MS,
  ) {}

  get closed(): boolean {
    return this.ended || this.res.destroyed || this.res.writableEnded;
  }

  transition(text: string): void {
    if (this.closed) return;
    this.queue.push(text);
    if (this.queue.length > MAX_QUEUED_FRAMES) {
      const over = this.queue.length - MAX_QUEUED_FRAMES;
      this.queue.splice(0, over);
      this.dropped += over;
    }
  }

  /** Replaces any summary not yet written (summaries coalesce); `key` equal to the last one: nothing new. */
  summary(text: () => string, key: string): void {
    if (this.closed || key === this.lastSummary) return;
    this.lastSummary = key;
    this.state = text();
  }

  /** Marks `key` as what this client already has (the summary inside its `hello`). */
  sent(key: string): void {
    this.lastSummary = key;
  }

  /** A comment line, only when nothing else is waiting (it exists to keep proxies from timing out). */
  heartbeat(): void {
    if (this.closed) return;
    if (this.waiting && this.now() - this.waitingSince >= this.stalledMs) {
      // Nothing read for the whole write timeout: the socket and its buffer go (the close drops the client).
      this.res.destroy();
      return;
    }
    if (!this.waiting && this.queue.length === 0) this.res.write(': ping\n\n');
  }

  /** Writes what is queued in one `write`, unless the socket is still draining the last one. */
  pump(): void {
    if (this.closed || this.waiting) return;
    if (this.queue.length === 0 && this.state === null && this.dropped === 0) return;
    let text = this.dropped > 0 ? frame('dropped', { count: this.dropped }) : '';
    text += this.queue.join('');
    if (this.state !== null) text += this.state;
    this.queue = [];
    this.state = null;
    this.dropped = 0;
    if (!this.res.write(text)) {
      this.waiting = true;
      this.waitingSince = this.now();
      this.res.once('drain', () => {
        this.waiting = false;
        this.pump();
      });
    }
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.queue = [];
    this.state = null;
    if (!this.res.writableEnded) this.res.end();
  }
}
