import { assign, emit, setup } from 'xstate';

/**
 * The embedding batcher for one model (docs/ARCHITECTURE.md §2 "Batching"), and the only place that decides when
 * a batch flushes. It counts; the inputs themselves are data the dispatcher holds. Adaptive:
 * batching costs no latency when there is nothing to batch with — an input reaching an idle
 * batcher while none of its batches is in flight and the provider has a free slot (`ready`)
 * flushes at once. Otherwise inputs collect until `maxBatchSize`, `batchTimeoutMs` after the
 * first, a HIGH member, or the return of the last batch in flight (`batch.returned`), whichever
 * first. On flush it emits `batch.flush`; the dispatcher takes the members, queues them as one
 * request and answers `batch.sent`, so inputs arriving after that start the next batch.
 */
export type FlushReason = 'size' | 'timeout' | 'priority' | 'ready';

export interface BatcherContext {
  model: string;
  maxBatchSize: number;
  batchTimeoutMs: number;
  count: number;
  reason: FlushReason | null;
  /** Batches of this model sent and not yet answered. */
  inFlight: number;
}

export type BatcherEvent =
  | { type: 'input.add'; size: number; high: boolean; ready?: boolean }
  | { type: 'input.remove'; size: number }
  | { type: 'batch.flush' }
  | { type: 'batch.sent' }
  | { type: 'batch.returned' }
  | { type: 'config.update'; maxBatchSize?: number; batchTimeoutMs?: number };

export type BatcherEmitted = { type: 'batch.flush'; model: string; reason: FlushReason; count: number };

export const batcherMachine = setup({
  types: {
    context: {} as BatcherContext,
    input: {} as { model: string; maxBatchSize: number; batchTimeoutMs: number },
    events: {} as BatcherEvent,
    emitted: {} as BatcherEmitted,
  },
  guards: {
    isHighPriority: ({ event }) => event.type === 'input.add' && event.high,
    fillsBatch: ({ context, event }) => event.type === 'input.add' && context.count + event.size >= context.maxBatchSize,
    canSendNow: ({ context, event }) => event.type === 'input.add' && event.ready === true && context.inFlight === 0,
    isLastInFlight: ({ context }) => context.inFlight <= 1,
    emptiesBatch: ({ context, event }) => event.type === 'input.remove' && context.count - event.size <= 0,
  },
  actions: {
    addInput: assign({ count: ({ context, event }) => (event.type === 'input.add' ? context.count + event.size : context.count) }),
    removeInput: assign({ count: ({ context, event }) => (event.type === 'input.remove' ? Math.max(0, context.count - event.size) : context.count) }),
    clearBatch: assign({ count: 0, reason: null }),
    countSent: assign({ inFlight: ({ context }) => context.inFlight + 1 }),
    countReturned: assign({ inFlight: ({ context }) => Math.max(0, context.inFlight - 1) }),
    flushForReady: assign({ reason: 'ready' as FlushReason }),
    flushForSize: assign({ reason: 'size' as FlushReason }),
    flushForTimeout: assign({ reason: 'timeout' as FlushReason }),
    flushForPriority: assign({ reason: 'priority' as FlushReason }),
    announceFlush: emit(({ context }) => ({ type: 'batch.flush' as const, model: context.model, reason: context.reason ?? 'size', count: context.count })),
    applyConfig: assign(({ context, event }) =>
      event.type === 'config.update'
        ? { maxBatchSize: event.maxBatchSize ?? context.maxBatchSize, batchTimeoutMs: event.batchTimeoutMs ?? context.batchTimeoutMs }
        : {},
    ),
  },
  delays: {
    batchWindow: ({ context }) => context.batchTimeoutMs,
  },
}).createMachine({
  id: 'batcher',
  context: ({ input }) => ({ model: input.model, maxBatchSize: input.maxBatchSize, batchTimeoutMs: input.batchTimeoutMs, count: 0, reason: null, inFlight: 0 }),
  initial: 'idle',
  on: { 'config.update': { actions: 'applyConfig' }, 'batch.returned': { actions: 'countReturned' } },
  states: {
    idle: {
      entry: 'clearBatch',
      on: {
        'input.add': [
          { guard: 'isHighPriority', target: 'flushing', actions: ['addInput', 'flushForPriority'] },
          { guard: 'fillsBatch', target: 'flushing', actions: ['addInput', 'flushForSize'] },
          { guard: 'canSendNow', target: 'flushing', actions: ['addInput', 'flushForReady'] },
          { target: 'collecting', actions: 'addInput' },
        ],
      },
    },
    collecting: {
      after: { batchWindow: { target: 'flushing', actions: 'flushForTimeout' } },
      on: {
        'input.add': [
          { guard: 'isHighPriority', target: 'flushing', actions: ['addInput', 'flushForPriority'] },
          { guard: 'fillsBatch', target: 'flushing', actions: ['addInput', 'flushForSize'] },
          { actions: 'addInput' },
        ],
        'input.remove': [{ guard: 'emptiesBatch', target: 'idle' }, { actions: 'removeInput' }],
        'batch.flush': { target: 'flushing', actions: 'flushForSize' },
        // The last batch in flight came back: its slot is free, send what collected meanwhile.
        'batch.returned': [{ guard: 'isLastInFlight', target: 'flushing', actions: ['countReturned', 'flushForReady'] }, { actions: 'countReturned' }],
      },
    },
    flushing: {
      entry: 'announceFlush',
      on: { 'batch.sent': { target: 'idle', actions: 'countSent' } },
    },
  },
});
