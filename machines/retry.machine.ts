import { assign, emit, setup } from 'xstate';

/**
 * One request's attempts after its first retryable failure (docs/ARCHITECTURE.md §1). Spawned then, in
 * `attempting` (the attempt that just failed), and told of that failure at once; stopped when the
 * request settles. The dispatcher's retry policy computes each wait (the provider's own wait, or
 * the backoff with the injected random) and sends it in `attempt.failed`; the `canRetry` guard is
 * the only place that decides whether another retry is allowed (`retries < maxRetries`): nothing
 * else counts retries. The wait is a named delay on the injected clock; leaving it emits
 * `attempt.start`, on which the dispatcher sends the next HTTP attempt.
 */
export interface RetryContext {
  requestId: string;
  /** Retries granted so far. */
  retries: number;
  maxRetries: number;
  delayMs: number;
  reason: string;
}

export interface RetryInput {
  requestId: string;
  maxRetries: number;
}

export type RetryEvent =
  | { type: 'attempt.succeeded' }
  | { type: 'attempt.failed'; retryable: boolean; delayMs: number; reason: string }
  | { type: 'retry.abandon' }
  | { type: 'config.update'; maxRetries?: number };

export type RetryEmitted = { type: 'attempt.start'; requestId: string; retries: number; sleptMs: number };

export const retryMachine = setup({
  types: {
    context: {} as RetryContext,
    input: {} as RetryInput,
    events: {} as RetryEvent,
    emitted: {} as RetryEmitted,
  },
  guards: {
    canRetry: ({ context, event }) => event.type === 'attempt.failed' && event.retryable && context.retries < context.maxRetries,
    hasNoWait: ({ context }) => context.delayMs <= 0,
  },
  actions: {
    scheduleRetry: assign(({ context, event }) =>
      event.type === 'attempt.failed' ? { retries: context.retries + 1, delayMs: Math.max(0, event.delayMs), reason: event.reason } : {},
    ),
    startAttempt: emit(({ context }) => ({ type: 'attempt.start' as const, requestId: context.requestId, retries: context.retries, sleptMs: context.delayMs })),
    applyConfig: assign(({ context, event }) => (event.type === 'config.update' ? { maxRetries: event.maxRetries ?? context.maxRetries } : {})),
  },
  delays: {
    backoff: ({ context }) => context.delayMs,
  },
}).createMachine({
  id: 'retry',
  context: ({ input }) => ({ requestId: input.requestId, retries: 0, maxRetries: input.maxRetries, delayMs: 0, reason: '' }),
  initial: 'attempting',
  on: {
    'config.update': { actions: 'applyConfig' },
  },
  states: {
    backingOff: {
      on: { 'retry.abandon': 'failed' },
      // A 429 with another key ready moves at once: no timer, not even a zero-delay one.
      always: { guard: 'hasNoWait', target: 'attempting', actions: 'startAttempt' },
      after: { backoff: { target: 'attempting', actions: 'startAttempt' } },
    },
    attempting: {
      on: {
        'retry.abandon': 'failed',
        'attempt.succeeded': 'succeeded',
        'attempt.failed': [{ guard: 'canRetry', target: 'backingOff', actions: 'scheduleRetry' }, { target: 'failed' }],
      },
    },
    // Terminal, but not `type: 'final'`: a final child announces `xstate.done.actor.<id>` to its
    // parent, and XState memoizes transitions per event type — one new type per request id, which
    // grew without bound. The supervisor stops the actor once the request settles.
    succeeded: {},
    failed: {},
  },
});
