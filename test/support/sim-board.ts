import { createTestClock, type TestClock } from '../../src/clock.js';
import { startSimulator, type Simulator } from '../../src/sim/index.js';
import { mulberry32 } from '../../src/sim/random.js';
import { createSupervisor, type Board } from '../../src/supervisor/index.js';
import type { SupervisorOptions } from '../../src/options.js';
import type { Provider } from '../../src/types.js';
import { T0 } from './board.js';

/** The seeded random of the simulator (mulberry32). */
export const seeded = (seed = 7): (() => number) => mulberry32(seed);

/** A board on a test clock against the simulator on the same clock, over real loopback sockets. */
export async function simBoard(provider: Provider, options: SupervisorOptions & { secrets?: string[] } = {}) {
  const clock: TestClock = createTestClock(T0);
  const sim: Simulator = await startSimulator({ clock, seed: 1 });
  const { secrets, ...rest } = options;
  const names = secrets ?? [`${provider}-key-a`, `${provider}-key-b`];
  const board: Board = createSupervisor({
    provider,
    baseUrl: sim.urls[provider],
    keys: names.map((secret, i) => ({ name: `k${i + 1}`, secret })),
    clock,
    random: seeded(),
    retry: { jitter: 'none' },
    ...rest,
  });
  return {
    clock,
    sim,
    board,
    close: async () => {
      await board.stop();
      await sim.stop();
    },
  };
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Waits (in real event-loop turns, bounded in real time, no sleeps) until `pred` holds. */
export async function until(pred: () => boolean, realMs = 5000): Promise<void> {
  const start = Date.now();
  while (!pred()) {
    if (Date.now() - start > realMs) throw new Error('until: condition not met in time');
    await turn();
  }
}

/**
 * Settles `p` by letting socket I/O run between clock steps: each step first lets the event loop
 * turn until nothing more happens for a while, then moves the clock to the next timer.
 */
export async function drive<T>(clock: TestClock, p: Promise<T>, maxSimMs = 600_000): Promise<T> {
  let done = false;
  const watched = p.finally(() => {
    done = true;
  });
  watched.catch(() => {});
  const limit = clock.now() + maxSimMs;
  while (!done) {
    for (let i = 0; i < 50 && !done; i++) await turn();
    if (done) break;
    const next = clock.nextAt();
    if (next === null || next > limit) {
      for (let i = 0; i < 500 && !done; i++) await turn();
      if (!done) throw new Error('drive: nothing left to run and the promise is still pending');
      break;
    }
    await clock.tickAsync(Math.max(0, next - clock.now()));
  }
  return p;
}
