import type { ActorRefFrom } from 'xstate';
import type { circuitBreakerMachine } from '../../machines/circuit-breaker.machine.js';
import { CircuitOpenError } from '../errors.js';
import type { BreakerState, Clock } from '../types.js';

type BreakerRef = ActorRefFrom<typeof circuitBreakerMachine>;
export type BreakerSnapshot = ReturnType<BreakerRef['getSnapshot']>;

/**
 * The only code that talks to the breaker machine (docs/ARCHITECTURE.md §1 "Each decision has one home"). It
 * keeps no copy of the breaker's state: every question reads the machine's snapshot (a property
 * read), and the machine itself counts failures and half-open probes. A clean success on a closed
 * breaker with no failures counted sends no event at all.
 */
export class BreakerGate {
  /** When the breaker last opened (for `retryAfterMs`), seen by the subscription. */
  private openedAt = 0;
  /** The last provider error, the `cause` of a fail-fast rejection. */
  lastError: Error | null = null;
  /** Set when the board shares its breaker through Redis: every probe's end, whatever the local state. */
  probeEnded: ((outcome: 'ok' | 'failed' | 'released') => void) | null = null;

  constructor(
    private readonly ref: BreakerRef,
    private readonly clock: Clock,
    onChange: (state: BreakerState, previous: BreakerState, snapshot: BreakerSnapshot) => void,
  ) {
    let previous = this.state();
    ref.subscribe((snap) => {
      const state = snap.value as BreakerState;
      if (state === 'open' && previous !== 'open') this.openedAt = this.clock.now();
      const was = previous;
      previous = state;
      onChange(state, was, snap);
    });
  }

  state(): BreakerState {
    return this.ref.getSnapshot().value as BreakerState;
  }

  snapshot(): BreakerSnapshot {
    return this.ref.getSnapshot();
  }

  /** Null when the breaker lets a new attempt through now; else the fail-fast error. Sends nothing. */
  refusal(): CircuitOpenError | null {
    const snap = this.ref.getSnapshot();
    switch (snap.value) {
      case 'closed':
      case 'disabled':
        return null;
      case 'halfOpen': {
        const c = snap.context;
        return c.probesInFlight + c.probesSucceeded < c.halfOpenProbes ? null : new CircuitOpenError(0, this.lastError ?? undefined);
      }
      case 'open':
        return new CircuitOpenError(Math.max(0, this.openedAt + snap.context.resetTimeoutMs - this.clock.now()), this.lastError ?? undefined);
      default:
        return new CircuitOpenError(snap.context.resetTimeoutMs, this.lastError ?? undefined);
    }
  }

  /**
   * An attempt is about to go. On a half-open breaker it asks the machine for a probe place:
   * `'probe'` when granted, `'refused'` when none is free; `'pass'` otherwise (no event).
   */
  enter(): 'pass' | 'probe' | 'refused' {
    const snap = this.ref.getSnapshot();
    if (snap.value !== 'halfOpen') return 'pass';
    const before = snap.context.probesInFlight;
    this.ref.send({ type: 'probe.start' });
    return this.ref.getSnapshot().context.probesInFlight > before ? 'probe' : 'refused';
  }

  /** The attempt succeeded. */
  succeeded(probe: boolean): void {
    const snap = this.ref.getSnapshot();
    if (probe) {
      this.probeEnded?.('ok');
      if (snap.value === 'halfOpen') this.ref.send({ type: 'probe.succeeded' });
    } else if (snap.value === 'closed' && snap.context.failureCount > 0) {
      this.ref.send({ type: 'attempt.succeeded' });
    }
  }

  /** The attempt failed; `counts` when the breaker counts it (5xx, 408, timeouts, connection errors). */
  failed(probe: boolean, counts: boolean, error: Error | null): void {
    if (error) this.lastError = error;
    const snap = this.ref.getSnapshot();
    if (probe) {
      this.probeEnded?.(counts ? 'failed' : 'released');
      if (snap.value === 'halfOpen') this.ref.send({ type: counts ? 'probe.failed' : 'probe.released' });
    } else if (counts && snap.value === 'closed') {
      this.ref.send({ type: 'attempt.failed' });
    }
  }

  /** The attempt ended with no outcome (aborted, abandoned, never sent): its probe place frees. */
  released(probe: boolean): void {
    if (probe) this.probeEnded?.('released');
    if (probe && this.ref.getSnapshot().value === 'halfOpen') this.ref.send({ type: 'probe.released' });
  }
}
