import { assign, emit, enqueueActions, setup } from 'xstate';
import type { ResolvedConfig } from '../src/options.js';
import { commandError, keySpec, strategyName, updatedConfig, type ConfigUpdate, type KeySpec } from '../src/supervisor/commands.js';
import type { KeyLimits, StrategyFn, StrategyName } from '../src/types.js';
import { batcherMachine } from './batcher.machine.js';
import { circuitBreakerMachine, type BreakerTarget } from './circuit-breaker.machine.js';
import { keySlotMachine } from './key-slot.machine.js';
import { retryMachine } from './retry.machine.js';

/**
 * The root of one provider endpoint's actor system (docs/ARCHITECTURE.md §1), and the only writer of its live
 * configuration: the strategy, every option, the key set. Its state value is the board's lifecycle
 * (`running` → `draining` → `stopped`). It owns the breaker, one slot per key, one batcher per
 * batchable model and a retry actor per retrying request.
 *
 * Public commands are validated here (the same check `board.send` throws on): a bad one changes
 * nothing and emits `command.rejected` ({ type, reason }, never the payload). No secret ever
 * enters: `key.add` reaches this machine with the key's name only (the board's secret store took
 * the secret first). Internal events (spawning and stopping children, the lifecycle) carry
 * `INTERNAL`; without it they are ignored, so nothing sent from outside can strand a request.
 */
export const INTERNAL: unique symbol = Symbol('switchboard.internal');

export interface SupervisorContext {
  provider: string;
  /** The strategy's display name: a built-in name, the function's `name`, or 'custom'. */
  strategy: string;
  /** The live configuration (`config.strategy` may be a function: it stays reachable here). */
  config: ResolvedConfig;
  keys: KeySpec[];
  batchers: string[];
}

export interface SupervisorInput {
  provider: string;
  config: ResolvedConfig;
  keys: KeySpec[];
}

/** Public commands as the machine receives them (`key.add` without its secret). */
export type SupervisorMachineCommand =
  | { type: 'strategy.set'; strategy: StrategyName | StrategyFn }
  | { type: 'config.update'; config: ConfigUpdate }
  | { type: 'breaker.force'; state: BreakerTarget }
  | { type: 'key.add'; key: { name: string; maxConcurrent?: number; limits?: KeyLimits; secret?: '' } }
  | { type: 'key.remove'; name: string }
  | { type: 'stats.reset' };

/** Events only the board sends (with `INTERNAL`). */
export type SupervisorInternalEvent =
  | { type: 'batcher.spawn'; token: typeof INTERNAL; model: string }
  | { type: 'retry.spawn'; token: typeof INTERNAL; requestId: string }
  | { type: 'retry.stop'; token: typeof INTERNAL; requestId: string }
  | { type: 'lifecycle.drain'; token: typeof INTERNAL }
  | { type: 'lifecycle.stop'; token: typeof INTERNAL };

export type SupervisorEvent = SupervisorMachineCommand | SupervisorInternalEvent;

export type SupervisorEmitted = { type: 'command.rejected'; command: string; reason: string } | { type: 'stats.reset' };

const changed = (a: object, b: object): boolean => JSON.stringify(a) !== JSON.stringify(b);

export const supervisorMachine = setup({
  types: {
    context: {} as SupervisorContext,
    input: {} as SupervisorInput,
    events: {} as SupervisorEvent,
    emitted: {} as SupervisorEmitted,
  },
  actors: { circuitBreaker: circuitBreakerMachine, keySlot: keySlotMachine, batcher: batcherMachine, retry: retryMachine },
  guards: {
    isValidCommand: ({ context, event }) => {
      // A key.add reaching the machine carries `secret: ''` only when its secret was invalid.
      const secretChecked = event.type === 'key.add' && typeof event.key === 'object' && event.key !== null && !('secret' in event.key);
      return commandError(event, context.keys.map((k) => k.name), secretChecked) === null;
    },
    isInternal: ({ event }) => (event as { token?: unknown }).token === INTERNAL,
  },
  actions: {
    spawnInitialChildren: enqueueActions(({ context, enqueue }) => {
      enqueue.spawnChild('circuitBreaker', { id: 'breaker', input: { ...context.config.circuitBreaker } });
      for (const key of context.keys) enqueue.spawnChild('keySlot', { id: `key:${key.name}`, input: { name: key.name } });
    }),
    rejectCommand: emit(({ context, event }) => {
      const secretChecked = event.type === 'key.add' && typeof event.key === 'object' && event.key !== null && !('secret' in event.key);
      const error = commandError(event, context.keys.map((k) => k.name), secretChecked);
      return { type: 'command.rejected' as const, command: String((event as { type?: unknown }).type), reason: error?.message ?? 'invalid' };
    }),
    setStrategy: assign(({ context, event }) => {
      if (event.type !== 'strategy.set') return {};
      return { strategy: strategyName(event.strategy), config: { ...context.config, strategy: event.strategy } };
    }),
    applyConfig: enqueueActions(({ context, event, enqueue, self }) => {
      if (event.type !== 'config.update') return;
      const prev = context.config;
      const next = updatedConfig(prev, event.config);
      enqueue.assign({ config: next, strategy: strategyName(next.strategy) });
      if (changed(prev.circuitBreaker, next.circuitBreaker)) enqueue.sendTo('breaker', { type: 'config.update', ...next.circuitBreaker });
      if (next.batching.maxBatchSize !== prev.batching.maxBatchSize || next.batching.batchTimeoutMs !== prev.batching.batchTimeoutMs) {
        const update = { type: 'config.update' as const, maxBatchSize: next.batching.maxBatchSize, batchTimeoutMs: next.batching.batchTimeoutMs };
        for (const model of context.batchers) enqueue.sendTo(`batcher:${model}`, update);
      }
      if (next.retry.maxRetries !== prev.retry.maxRetries) {
        for (const id of Object.keys(self.getSnapshot().children)) {
          if (id.startsWith('retry:')) enqueue.sendTo(id, { type: 'config.update', maxRetries: next.retry.maxRetries });
        }
      }
    }),
    forwardForce: enqueueActions(({ event, enqueue }) => {
      if (event.type === 'breaker.force') enqueue.sendTo('breaker', { type: 'breaker.force', state: event.state });
    }),
    addKey: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'key.add') return;
      const spec = keySpec(event.key);
      const id = `key:${spec.name}`;
      // A key.add for an existing name replaces its slot (the way to revive a disabled key).
      if (context.keys.some((k) => k.name === spec.name)) enqueue.stopChild(id);
      enqueue.spawnChild('keySlot', { id, input: { name: spec.name } });
      const at = context.keys.findIndex((k) => k.name === spec.name);
      enqueue.assign({ keys: at >= 0 ? context.keys.map((k, i) => (i === at ? spec : k)) : [...context.keys, spec] });
    }),
    removeKey: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'key.remove') return;
      enqueue.stopChild(`key:${event.name}`);
      enqueue.assign({ keys: context.keys.filter((k) => k.name !== event.name) });
    }),
    spawnBatcher: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'batcher.spawn' || context.batchers.includes(event.model)) return;
      const { maxBatchSize, batchTimeoutMs } = context.config.batching;
      enqueue.spawnChild('batcher', { id: `batcher:${event.model}`, input: { model: event.model, maxBatchSize, batchTimeoutMs } });
      enqueue.assign({ batchers: [...context.batchers, event.model] });
    }),
    spawnRetry: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'retry.spawn') return;
      enqueue.spawnChild('retry', { id: `retry:${event.requestId}`, input: { requestId: event.requestId, maxRetries: context.config.retry.maxRetries } });
    }),
    stopRetry: enqueueActions(({ event, enqueue }) => {
      if (event.type === 'retry.stop') enqueue.stopChild(`retry:${event.requestId}`);
    }),
    announceStatsReset: emit({ type: 'stats.reset' as const }),
  },
}).createMachine({
  id: 'supervisor',
  context: ({ input }) => ({
    provider: input.provider,
    strategy: strategyName(input.config.strategy),
    config: input.config,
    keys: input.keys,
    batchers: [],
  }),
  entry: 'spawnInitialChildren',
  initial: 'running',
  on: {
    'strategy.set': [{ guard: 'isValidCommand', actions: 'setStrategy' }, { actions: 'rejectCommand' }],
    'config.update': [{ guard: 'isValidCommand', actions: 'applyConfig' }, { actions: 'rejectCommand' }],
    'breaker.force': [{ guard: 'isValidCommand', actions: 'forwardForce' }, { actions: 'rejectCommand' }],
    'key.add': [{ guard: 'isValidCommand', actions: 'addKey' }, { actions: 'rejectCommand' }],
    'key.remove': [{ guard: 'isValidCommand', actions: 'removeKey' }, { actions: 'rejectCommand' }],
    'stats.reset': { actions: 'announceStatsReset' },
    'batcher.spawn': { guard: 'isInternal', actions: 'spawnBatcher' },
    'retry.spawn': { guard: 'isInternal', actions: 'spawnRetry' },
    'retry.stop': { guard: 'isInternal', actions: 'stopRetry' },
  },
  states: {
    running: {
      on: { 'lifecycle.drain': { guard: 'isInternal', target: 'draining' }, 'lifecycle.stop': { guard: 'isInternal', target: 'stopped' } },
    },
    draining: {
      on: { 'lifecycle.stop': { guard: 'isInternal', target: 'stopped' } },
    },
    // Not `type: 'final'`: a final root stops the actor at once, children and all, before the
    // board has settled its requests; the board stops the actor itself once everything settled.
    stopped: {},
  },
});
