export { SharedBudget, LEASE_GRACE_MS, type SharedBudgetInput } from './shared-budget.js';
export { HEARTBEAT_EVERY_MS, HEARTBEAT_TTL_MS } from './presence.js';
export { SharedBreaker, type BreakerConfig, type BreakerView, type ProbeGrant } from './shared-breaker.js';
export { keyId, endpointId } from './ids.js';
export type { RedisClientLike } from './redis-client.js';
export type {
  SharedOptions,
  SharedKeySpec,
  SharedLease,
  SharedGrant,
  SharedEvent,
  SharedReport,
  SharedMode,
  HeaderBudget,
  KeyLimits,
} from './types.js';
