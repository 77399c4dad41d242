import { assign, setup } from 'xstate';

/**
 * One API key (docs/ARCHITECTURE.md §1). `cooling` after a 429 or a spent budget until a given instant,
 * `exhausted` on a per-day quota until its reset, `disabled` on an invalid key (never used again;
 * `key.add` replaces it with a fresh slot). Being at `maxConcurrent` is a counter, not a state.
 * The dispatcher computes the wait from the clock and sends it in the event: the machine stays pure.
 */
export interface KeySlotContext {
  name: string;
  /**
   * False until the key's first answer: until then its budget is unknown, and the key pool lets
   * one request at a time probe it (a fresh key's probe lives here, with the key's other states).
   */
  probed: boolean;
  untilMs: number | null;
  waitMs: number;
  reason: string | null;
}

export type KeySlotEvent =
  | { type: 'key.rateLimited'; untilMs: number; waitMs: number; reason?: string }
  | { type: 'key.budgetSpent'; untilMs: number; waitMs: number; reason?: string }
  | { type: 'key.quotaExhausted'; untilMs: number; waitMs: number; reason?: string }
  | { type: 'key.invalid'; reason?: string }
  | { type: 'key.answered' };

const setWait = assign<KeySlotContext, KeySlotEvent, undefined, KeySlotEvent, never>(({ event }) => {
  if (event.type === 'key.invalid') return { untilMs: null, waitMs: 0, reason: event.reason ?? 'invalid key' };
  if (event.type === 'key.answered') return {};
  return { untilMs: event.untilMs, waitMs: Math.max(0, event.waitMs), reason: event.reason ?? null };
});

export const keySlotMachine = setup({
  types: {
    context: {} as KeySlotContext,
    input: {} as { name: string },
    events: {} as KeySlotEvent,
  },
  guards: {
    waitsLonger: ({ context, event }) =>
      (event.type === 'key.rateLimited' || event.type === 'key.budgetSpent') && context.untilMs !== null && event.untilMs > context.untilMs,
  },
  actions: {
    setWait,
    clearWait: assign({ untilMs: null, waitMs: 0, reason: null }),
    markProbed: assign({ probed: true }),
  },
  delays: {
    coolingEnds: ({ context }) => context.waitMs,
    quotaResets: ({ context }) => context.waitMs,
  },
}).createMachine({
  id: 'keySlot',
  context: ({ input }) => ({ name: input.name, probed: false, untilMs: null, waitMs: 0, reason: null }),
  initial: 'ready',
  on: {
    'key.invalid': { target: '.disabled', actions: 'setWait' },
    'key.quotaExhausted': { target: '.exhausted', actions: 'setWait' },
    'key.answered': { actions: 'markProbed' },
  },
  states: {
    ready: {
      entry: 'clearWait',
      on: {
        'key.rateLimited': { target: 'cooling', actions: 'setWait' },
        'key.budgetSpent': { target: 'cooling', actions: 'setWait' },
      },
    },
    cooling: {
      after: { coolingEnds: 'ready' },
      on: {
        // A later wait from a newer answer extends the cooling; an earlier one never shortens it.
        'key.rateLimited': { guard: 'waitsLonger', target: 'cooling', reenter: true, actions: 'setWait' },
        'key.budgetSpent': { guard: 'waitsLonger', target: 'cooling', reenter: true, actions: 'setWait' },
      },
    },
    exhausted: {
      after: { quotaResets: 'ready' },
      on: { 'key.quotaExhausted': { target: 'exhausted', reenter: true, actions: 'setWait' } },
    },
    disabled: {
      on: { 'key.quotaExhausted': {} },
    },
  },
});
