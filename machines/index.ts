/** Every machine of the actor tree (docs/ARCHITECTURE.md §1), for visualization and model-based tests. */
export { circuitBreakerMachine } from './circuit-breaker.machine.js';
export type { BreakerContext, BreakerEvent, BreakerInput, BreakerTarget } from './circuit-breaker.machine.js';
export { keySlotMachine } from './key-slot.machine.js';
export type { KeySlotContext, KeySlotEvent } from './key-slot.machine.js';
export { batcherMachine } from './batcher.machine.js';
export type { BatcherContext, BatcherEvent, BatcherEmitted, FlushReason } from './batcher.machine.js';
export { retryMachine } from './retry.machine.js';
export type { RetryContext, RetryEvent, RetryEmitted, RetryInput } from './retry.machine.js';
export { supervisorMachine } from './supervisor.machine.js';
export type { SupervisorContext, SupervisorEvent, SupervisorEmitted, SupervisorInput } from './supervisor.machine.js';
