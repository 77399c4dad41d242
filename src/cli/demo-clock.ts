import type { TestClock } from '../clock.js';
import type { Simulator } from '../sim/index.js';
import { createUndiciTransport } from '../transport/undici.js';
import type { StreamingTransport } from '../transport/types.js';

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * An undici transport that counts the HTTP exchanges in flight (a stream counts until its body is
 * read to the end or abandoned), so a driver knows when an answer is still on its way.
 */
export function countingTransport(): { transport: StreamingTransport; busy: () => number; close: () => Promise<void> } {
  const inner = createUndiciTransport();
  let busy = 0;
  const transport = ((request, signal) => {
    busy++;
    return inner(request, signal).finally(() => busy--);
  }) as StreamingTransport;
  transport.stream = async (request, signal) => {
    busy++;
    let res;
    try {
      res = await inner.stream(request, signal);
    } catch (error) {
      busy--;
      throw error;
    }
    const body = res.body;
    async function* counted(): AsyncIterable<string> {
      try {
        yield* body;
      } finally {
        busy--;
      }
    }
    return { ...res, body: counted() };
  };
  return { transport, busy: () => busy, close: () => inner.close() };
}

/**
 * Discrete-event time for the demo on a simulated clock: after the event loop has had its turns,
 * and only when no answer is on its way (every request in flight is held by the simulator on this
 * clock), the clock moves to its next timer. Jumping while an answer travels would fire timeouts
 * that real time would never fire. Returns a function that stops the driver.
 */
export function driveClock(clock: TestClock, sim: Simulator, busy: () => number): () => void {
  let stopped = false;
  void (async () => {
    while (!stopped) {
      for (let i = 0; i < 10; i++) await turn();
      if (stopped) break;
      const { open, waitingOnClock } = sim.activity();
      if (open !== waitingOnClock || busy() > waitingOnClock) continue;
      const next = clock.nextAt();
      if (next === null) continue;
      await clock.tickAsync(Math.max(0, next - clock.now()));
    }
  })();
  return () => {
    stopped = true;
  };
}
