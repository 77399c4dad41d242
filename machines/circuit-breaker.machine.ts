import { assign, setup } from 'xstate';

/**
 * The circuit breaker (docs/ARCHITECTURE.md §2 "What the breaker counts"). Counts provider failures per HTTP
 * attempt, and is the only keeper of the half-open probe count: `probe.start` is taken only while
 * a place is free (the breaker gate asks, then reads the snapshot to see whether it got one). The
 * dispatcher sends it an event only when something changes state (a failure, a success after
 * failures, a probe), so a clean first-attempt success costs it nothing.
 */
export interface BreakerContext {
  failureThreshold: number;
  resetTimeoutMs: number;
  halfOpenProbes: number;
  failureCount: number;
  trips: number;
  probesInFlight: number;
  probesSucceeded: number;
  /** How long this opening lasts when another instance set it (`breaker.sync`); null: `resetTimeoutMs`. */
  openForMs: number | null;
}

export interface BreakerInput {
  failureThreshold: number;
  resetTimeoutMs: number;
  halfOpenProbes: number;
}

export type BreakerTarget = 'closed' | 'open' | 'halfOpen' | 'forcedOpen' | 'disabled';

export type BreakerEvent =
  | { type: 'attempt.failed' }
  | { type: 'attempt.succeeded' }
  | { type: 'probe.start' }
  | { type: 'probe.succeeded' }
  | { type: 'probe.failed' }
  | { type: 'probe.released' }
  | { type: 'breaker.force'; state: BreakerTarget }
  /**
   * The breaker shared with other instances moved (docs/SCALE-OUT.md): follow it. `waitMs` is how
   * long it stays open on Redis's clock. Ignored while forced open or disabled (a local override).
   */
  | { type: 'breaker.sync'; state: 'open' | 'halfOpen' | 'closed'; waitMs: number; trips?: number }
  | { type: 'config.update'; failureThreshold?: number; resetTimeoutMs?: number; halfOpenProbes?: number };

export const circuitBreakerMachine = setup({
  types: {
    context: {} as BreakerContext,
    input: {} as BreakerInput,
    events: {} as BreakerEvent,
  },
  guards: {
    reachesThreshold: ({ context }) => context.failureCount + 1 >= context.failureThreshold,
    /** The only count of half-open places: a probe starts only while one is free. */
    hasFreeProbe: ({ context }) => context.probesInFlight + context.probesSucceeded < context.halfOpenProbes,
    completesProbes: ({ context }) => context.probesSucceeded + 1 >= context.halfOpenProbes,
    forcesClosed: ({ event }) => event.type === 'breaker.force' && event.state === 'closed',
    forcesOpen: ({ event }) => event.type === 'breaker.force' && event.state === 'open',
    forcesHalfOpen: ({ event }) => event.type === 'breaker.force' && event.state === 'halfOpen',
    forcesForcedOpen: ({ event }) => event.type === 'breaker.force' && event.state === 'forcedOpen',
    forcesDisabled: ({ event }) => event.type === 'breaker.force' && event.state === 'disabled',
    syncsOpen: ({ event }) => event.type === 'breaker.sync' && event.state === 'open',
    syncsHalfOpen: ({ event }) => event.type === 'breaker.sync' && event.state === 'halfOpen',
    syncsClosed: ({ event }) => event.type === 'breaker.sync' && event.state === 'closed',
  },
  actions: {
    recordFailure: assign({ failureCount: ({ context }) => context.failureCount + 1 }),
    resetFailures: assign({ failureCount: 0 }),
    countTrip: assign({ trips: ({ context }) => context.trips + 1 }),
    resetProbes: assign({ probesInFlight: 0, probesSucceeded: 0 }),
    startProbe: assign({ probesInFlight: ({ context }) => context.probesInFlight + 1 }),
    releaseProbe: assign({ probesInFlight: ({ context }) => Math.max(0, context.probesInFlight - 1) }),
    recordProbeSuccess: assign({
      probesInFlight: ({ context }) => Math.max(0, context.probesInFlight - 1),
      probesSucceeded: ({ context }) => context.probesSucceeded + 1,
    }),
    followOpening: assign(({ context, event }) => {
      if (event.type !== 'breaker.sync') return {};
      return { openForMs: Math.max(0, event.waitMs), trips: Math.max(context.trips, event.trips ?? 0) };
    }),
    clearOpening: assign({ openForMs: null }),
    applyConfig: assign(({ context, event }) => {
      if (event.type !== 'config.update') return {};
      return {
        failureThreshold: event.failureThreshold ?? context.failureThreshold,
        resetTimeoutMs: event.resetTimeoutMs ?? context.resetTimeoutMs,
        halfOpenProbes: event.halfOpenProbes ?? context.halfOpenProbes,
      };
    }),
  },
  delays: {
    halfOpenAfter: ({ context }) => context.openForMs ?? context.resetTimeoutMs,
  },
}).createMachine({
  id: 'breaker',
  context: ({ input }) => ({
    failureThreshold: input.failureThreshold,
    resetTimeoutMs: input.resetTimeoutMs,
    halfOpenProbes: input.halfOpenProbes,
    failureCount: 0,
    trips: 0,
    probesInFlight: 0,
    probesSucceeded: 0,
    openForMs: null,
  }),
  initial: 'closed',
  on: {
    'config.update': { actions: 'applyConfig' },
    'breaker.force': [
      { guard: 'forcesClosed', target: '.closed' },
      { guard: 'forcesOpen', target: '.open' },
      { guard: 'forcesHalfOpen', target: '.halfOpen' },
      { guard: 'forcesForcedOpen', target: '.forcedOpen' },
      { guard: 'forcesDisabled', target: '.disabled' },
    ],
  },
  states: {
    closed: {
      entry: 'resetFailures',
      on: {
        'attempt.failed': [
          { guard: 'reachesThreshold', target: 'open', actions: ['recordFailure', 'countTrip'] },
          { actions: 'recordFailure' },
        ],
        'attempt.succeeded': { actions: 'resetFailures' },
        'breaker.sync': [
          { guard: 'syncsOpen', target: 'open', actions: 'followOpening' },
          { guard: 'syncsHalfOpen', target: 'halfOpen' },
        ],
      },
    },
    open: {
      exit: 'clearOpening',
      after: { halfOpenAfter: 'halfOpen' },
      on: {
        'breaker.sync': [
          { guard: 'syncsOpen', target: 'open', reenter: true, actions: 'followOpening' },
          { guard: 'syncsHalfOpen', target: 'halfOpen' },
          { guard: 'syncsClosed', target: 'closed' },
        ],
      },
    },
    halfOpen: {
      entry: 'resetProbes',
      on: {
        'probe.start': { guard: 'hasFreeProbe', actions: 'startProbe' },
        'probe.released': { actions: 'releaseProbe' },
        'probe.succeeded': [
          { guard: 'completesProbes', target: 'closed', actions: 'recordProbeSuccess' },
          { actions: 'recordProbeSuccess' },
        ],
        'probe.failed': { target: 'open', actions: ['recordFailure', 'countTrip'] },
        'breaker.sync': [
          { guard: 'syncsOpen', target: 'open', actions: 'followOpening' },
          { guard: 'syncsClosed', target: 'closed' },
        ],
      },
    },
    forcedOpen: {},
    disabled: {},
  },
});
