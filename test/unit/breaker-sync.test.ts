import { describe, expect, it } from 'vitest';
import { createActor, SimulatedClock } from 'xstate';
import { circuitBreakerMachine } from '../../machines/circuit-breaker.machine.js';

/** The breaker actor following the breaker shared through Redis (`breaker.sync`), on a simulated clock. */
function breaker() {
  const clock = new SimulatedClock();
  const actor = createActor(circuitBreakerMachine, { clock, input: { failureThreshold: 3, resetTimeoutMs: 30_000, halfOpenProbes: 1 } }).start();
  return { clock, actor, state: () => actor.getSnapshot().value };
}

describe('breaker.sync: the local breaker follows the shared one', () => {
  it('opens for the wait the other instance set, not its own resetTimeoutMs, then half-opens on time', () => {
    const { clock, actor, state } = breaker();
    actor.send({ type: 'breaker.sync', state: 'open', waitMs: 1_200, trips: 4 });
    expect(state()).toBe('open');
    expect(actor.getSnapshot().context.trips).toBe(4);
    clock.increment(1_199);
    expect(state()).toBe('open');
    clock.increment(1);
    expect(state()).toBe('halfOpen');
  });

  it('takes a new wait while open (the shared breaker opened again), and its own reset timeout after a local trip', () => {
    const { clock, actor, state } = breaker();
    actor.send({ type: 'breaker.sync', state: 'open', waitMs: 500 });
    clock.increment(400);
    actor.send({ type: 'breaker.sync', state: 'open', waitMs: 1_000 });
    clock.increment(999);
    expect(state()).toBe('open');
    clock.increment(1);
    expect(state()).toBe('halfOpen');
    // A probe fails here: open again for this breaker's own resetTimeoutMs.
    actor.send({ type: 'probe.start' });
    actor.send({ type: 'probe.failed' });
    clock.increment(29_999);
    expect(state()).toBe('open');
    clock.increment(1);
    expect(state()).toBe('halfOpen');
  });

  it('closes when the shared breaker closed, from open or half-open', () => {
    const a = breaker();
    a.actor.send({ type: 'breaker.sync', state: 'open', waitMs: 10_000 });
    a.actor.send({ type: 'breaker.sync', state: 'closed', waitMs: 0 });
    expect(a.state()).toBe('closed');
    const b = breaker();
    b.actor.send({ type: 'breaker.sync', state: 'halfOpen', waitMs: 0 });
    expect(b.state()).toBe('halfOpen');
    b.actor.send({ type: 'breaker.sync', state: 'closed', waitMs: 0 });
    expect(b.state()).toBe('closed');
  });

  it('ignores the shared breaker while forced open or disabled (a local override)', () => {
    const { actor, state } = breaker();
    actor.send({ type: 'breaker.force', state: 'forcedOpen' });
    actor.send({ type: 'breaker.sync', state: 'closed', waitMs: 0 });
    expect(state()).toBe('forcedOpen');
    actor.send({ type: 'breaker.force', state: 'disabled' });
    actor.send({ type: 'breaker.sync', state: 'open', waitMs: 1_000 });
    expect(state()).toBe('disabled');
  });
});
