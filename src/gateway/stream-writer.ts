import type { ServerResponse } from 'node:http';
import type { Clock } from '../types.js';

/** A streaming client stopped reading for longer than the write timeout; its stream is given up. */
export class StalledClientError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`the client read nothing for ${timeoutMs} ms`);
    this.name = 'StalledClientError';
  }
}

/**
 * Writes a streaming answer with backpressure: when `res.write()` says the socket buffer is full,
 * `write` resolves only on `'drain'`, so the caller stops pulling chunks (and the upstream read
 * pauses behind it). A client that reads nothing for `timeoutMs` rejects the write with
 * `StalledClientError` — the caller leaves its loop, which aborts the upstream call and frees the
 * slot — and a client that goes away rejects it at once.
 */
export class StreamWriter {
  constructor(
    private readonly res: ServerResponse,
    private readonly clock: Pick<Clock, 'setTimeout' | 'clearTimeout'>,
    private readonly timeoutMs: number,
  ) {}

  write(text: string): Promise<void> | void {
    if (this.res.destroyed) throw new StalledClientError(0);
    if (this.res.write(text)) return;
    return this.drained();
  }

  private drained(): Promise<void> {
    const res = this.res;
    return new Promise((resolve, reject) => {
      const done = (error: Error | null) => {
        this.clock.clearTimeout(timer);
        res.off('drain', onDrain);
        res.off('close', onClose);
        if (error) reject(error);
        else resolve();
      };
      const onDrain = () => done(null);
      const onClose = () => done(new StalledClientError(0));
      const timer = this.clock.setTimeout(() => done(new StalledClientError(this.timeoutMs)), this.timeoutMs);
      res.on('drain', onDrain);
      res.on('close', onClose);
    });
  }
}
