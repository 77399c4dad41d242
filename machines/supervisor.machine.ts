import { assign, emit, enqueueActions, setup } from 'xstate';
import { batcherMachine } from './batcher.machine.js';
import { circuitBreakerMachine, type BreakerTarget } from './circuit-breaker.machine.js';
import { keySlotMachine } from './key-slot.machine.js';
import { retryMachine } from './retry.machine.js';

/**
 * The root of one provider endpoint's actor system (DESIGN §1): owns the breaker, one slot per key,
 * one batcher per batchable model and a retry actor per retrying request; takes every command.
 * Configuration lives in its context; the plain dispatcher that runs the hot path reads it from
 * the emitted `supervisor.changed` events. No secret ever enters this machine: `key.add` arrives
 * here with the key's name only (the board stores the secret).
 */
export interface SupervisorConfig {
  [section: string]: unknown;
}

export interface SupervisorContext {
  provider: string;
  strategy: string;
  config: SupervisorConfig;
  keys: Array<{ name: string; maxConcurrent: number }>;
  batchers: string[];
  breaker: { failureThreshold: number; resetTimeoutMs: number; halfOpenProbes: number };
  batching: { maxBatchSize: number; batchTimeoutMs: number };
}

export interface SupervisorInput {
  provider: string;
  strategy: string;
  config: SupervisorConfig;
  keys: Array<{ name: string; maxConcurrent: number }>;
  breaker: { failureThreshold: number; resetTimeoutMs: number; halfOpenProbes: number };
  batching: { maxBatchSize: number; batchTimeoutMs: number };
}

export type SupervisorEvent =
  | { type: 'strategy.set'; strategy: string }
  | {
      type: 'config.update';
      config: SupervisorConfig;
      breaker?: Partial<SupervisorContext['breaker']>;
      batching?: Partial<SupervisorContext['batching']>;
    }
  | { type: 'breaker.force'; state: BreakerTarget }
  | { type: 'key.add'; key: { name: string; maxConcurrent: number } }
  | { type: 'key.remove'; name: string }
  | { type: 'stats.reset' }
  | { type: 'batcher.spawn'; model: string }
  | { type: 'retry.spawn'; requestId: string; maxRetries: number; delayMs: number; reason: string }
  | { type: 'retry.stop'; requestId: string };

export type SupervisorEmitted =
  | { type: 'supervisor.changed'; what: 'strategy' | 'config' | 'keys' }
  | { type: 'stats.reset' };

export const supervisorMachine = setup({
  types: {
    context: {} as SupervisorContext,
    input: {} as SupervisorInput,
    events: {} as SupervisorEvent,
    emitted: {} as SupervisorEmitted,
  },
  actors: { circuitBreaker: circuitBreakerMachine, keySlot: keySlotMachine, batcher: batcherMachine, retry: retryMachine },
  actions: {
    spawnInitialChildren: enqueueActions(({ context, enqueue }) => {
      enqueue.spawnChild('circuitBreaker', { id: 'breaker', input: context.breaker });
      for (const key of context.keys) enqueue.spawnChild('keySlot', { id: `key:${key.name}`, input: { name: key.name } });
    }),
    setStrategy: assign({ strategy: ({ context, event }) => (event.type === 'strategy.set' ? event.strategy : context.strategy) }),
    applyConfig: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'config.update') return;
      const breaker = { ...context.breaker, ...event.breaker };
      const batching = { ...context.batching, ...event.batching };
      enqueue.assign({ config: event.config, breaker, batching });
      if (event.breaker) enqueue.sendTo('breaker', { type: 'config.update', ...event.breaker });
      if (event.batching) for (const model of context.batchers) enqueue.sendTo(`batcher:${model}`, { type: 'config.update', ...event.batching });
    }),
    forwardForce: enqueueActions(({ event, enqueue }) => {
      if (event.type === 'breaker.force') enqueue.sendTo('breaker', { type: 'breaker.force', state: event.state });
    }),
    addKey: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'key.add') return;
      const id = `key:${event.key.name}`;
      // A key.add for an existing name replaces its slot (the way to revive a disabled key).
      if (context.keys.some((k) => k.name === event.key.name)) enqueue.stopChild(id);
      enqueue.spawnChild('keySlot', { id, input: { name: event.key.name } });
      enqueue.assign({ keys: [...context.keys.filter((k) => k.name !== event.key.name), { ...event.key }] });
    }),
    removeKey: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'key.remove') return;
      enqueue.stopChild(`key:${event.name}`);
      enqueue.assign({ keys: context.keys.filter((k) => k.name !== event.name) });
    }),
    spawnBatcher: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'batcher.spawn' || context.batchers.includes(event.model)) return;
      enqueue.spawnChild('batcher', { id: `batcher:${event.model}`, input: { model: event.model, ...context.batching } });
      enqueue.assign({ batchers: [...context.batchers, event.model] });
    }),
    spawnRetry: enqueueActions(({ event, enqueue }) => {
      if (event.type !== 'retry.spawn') return;
      enqueue.spawnChild('retry', {
        id: `retry:${event.requestId}`,
        input: { requestId: event.requestId, maxRetries: event.maxRetries, delayMs: event.delayMs, reason: event.reason },
      });
    }),
    stopRetry: enqueueActions(({ event, enqueue }) => {
      if (event.type === 'retry.stop') enqueue.stopChild(`retry:${event.requestId}`);
    }),
    announceStrategy: emit({ type: 'supervisor.changed' as const, what: 'strategy' as const }),
    announceConfig: emit({ type: 'supervisor.changed' as const, what: 'config' as const }),
    announceKeys: emit({ type: 'supervisor.changed' as const, what: 'keys' as const }),
    announceStatsReset: emit({ type: 'stats.reset' as const }),
  },
}).createMachine({
  id: 'supervisor',
  context: ({ input }) => ({
    provider: input.provider,
    strategy: input.strategy,
    config: input.config,
    keys: input.keys,
    batchers: [],
    breaker: input.breaker,
    batching: input.batching,
  }),
  entry: 'spawnInitialChildren',
  initial: 'running',
  states: {
    running: {
      on: {
        'strategy.set': { actions: ['setStrategy', 'announceStrategy'] },
        'config.update': { actions: ['applyConfig', 'announceConfig'] },
        'breaker.force': { actions: 'forwardForce' },
        'key.add': { actions: ['addKey', 'announceKeys'] },
        'key.remove': { actions: ['removeKey', 'announceKeys'] },
        'stats.reset': { actions: 'announceStatsReset' },
        'batcher.spawn': { actions: 'spawnBatcher' },
        'retry.spawn': { actions: 'spawnRetry' },
        'retry.stop': { actions: 'stopRetry' },
      },
    },
  },
});
