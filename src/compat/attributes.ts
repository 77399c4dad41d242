import { SCHEMA, invalid, type ResolvedConfig } from '../options.js';
import type { BreakerState } from '../types.js';

/**
 * The guide's numeric and boolean attributes, each mapped to the one core option it sets through
 * `config.update`. `seconds` attributes are assigned and read in seconds and sent in ms.
 */
export const CONFIG_ATTRIBUTES = {
  queue_size: { section: 'queue', field: 'size' },
  max_concurrent_requests: { section: 'queue', field: 'maxConcurrent' },
  failure_threshold: { section: 'circuitBreaker', field: 'failureThreshold' },
  reset_timeout: { section: 'circuitBreaker', field: 'resetTimeoutMs', seconds: true },
  collect_metrics: { section: 'metrics', field: 'enabled' },
  batching_enabled: { section: 'batching', field: 'enabled' },
  max_batch_size: { section: 'batching', field: 'maxBatchSize' },
  batch_timeout: { section: 'batching', field: 'batchTimeoutMs', seconds: true },
  max_retries: { section: 'retry', field: 'maxRetries' },
  initial_retry_delay: { section: 'retry', field: 'initialDelayMs', seconds: true },
  backoff_factor: { section: 'retry', field: 'backoffFactor' },
  max_retry_delay: { section: 'retry', field: 'maxDelayMs', seconds: true },
} as const satisfies Record<string, { section: keyof ResolvedConfig; field: string; seconds?: true }>;

export type ConfigAttribute = keyof typeof CONFIG_ATTRIBUTES;
type Spec = { section: keyof ResolvedConfig; field: string; seconds?: true };

/** Seconds to ms, rounded to the microsecond so `0.1` gives `100`, not `100.00000000000001`. */
export function secondsToMs(value: number): number {
  return Math.round(value * 1e6) / 1e3;
}

/** ms to seconds, as the seed reports them (ms rounded to 2 decimals first, as the core does). */
export function msToSeconds(ms: number): number {
  return Math.round(ms * 100) / 1e5;
}

/** The current value of `name` in `cfg`, in the attribute's own unit (seconds stay seconds). */
export function readAttribute(cfg: ResolvedConfig, name: ConfigAttribute): number | boolean {
  const spec: Spec = CONFIG_ATTRIBUTES[name];
  const value = (cfg[spec.section] as unknown as Record<string, number | boolean>)[spec.field]!;
  return spec.seconds ? (value as number) / 1000 : value;
}

/**
 * Validates an assignment with the core's rule for the option behind it, and returns the
 * `config.update` payload. Throws `ConfigError` (`SB_CONFIG`) naming the attribute.
 */
export function attributeUpdate(where: string, name: ConfigAttribute, value: unknown): Record<string, Record<string, unknown>> {
  const spec: Spec = CONFIG_ATTRIBUTES[name];
  const rule = (SCHEMA[spec.section] as Record<string, { rule: string; test: (v: unknown) => boolean }>)[spec.field]!;
  const internal = spec.seconds && typeof value === 'number' ? secondsToMs(value) : value;
  if (!rule.test(internal)) {
    throw invalid(where, name, spec.seconds ? `${rule.rule} (seconds)` : rule.rule, value);
  }
  return { [spec.section]: { [spec.field]: internal } };
}

/** Validates a model list attribute (`embedding_models`, `completion_models`, `supported_batch_models`). */
export function checkModelList(where: string, name: string, value: unknown): string[] {
  if (!Array.isArray(value) || !value.every((m) => typeof m === 'string' && m !== '')) {
    throw invalid(where, name, 'an array of model names (non-empty strings)', value);
  }
  return value;
}

/** Validates a `PRIORITY_*` assignment: any integer (lower = more urgent, as in the seed). */
export function checkPriorityValue(where: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) throw invalid(where, name, 'an integer', value);
  return value;
}

export type SeedCircuitState = 'CLOSED' | 'OPEN' | 'HALF_OPEN';

/** The seed's names for the breaker's states: `forcedOpen` reads `OPEN`, `disabled` reads `CLOSED`. */
export function seedCircuitState(state: BreakerState): SeedCircuitState {
  switch (state) {
    case 'open':
    case 'forcedOpen':
      return 'OPEN';
    case 'halfOpen':
      return 'HALF_OPEN';
    default:
      return 'CLOSED';
  }
}

const FORCE_TARGETS: Record<string, BreakerState> = { CLOSED: 'closed', OPEN: 'open', HALF_OPEN: 'halfOpen' };

/** `'CLOSED' | 'OPEN' | 'HALF_OPEN'` (any case; `HALF-OPEN` too) → the `breaker.force` target. */
export function breakerTarget(where: string, value: unknown): BreakerState {
  const target = typeof value === 'string' ? FORCE_TARGETS[value.toUpperCase().replace('-', '_')] : undefined;
  if (!target) throw invalid(where, 'circuit_state', "one of 'CLOSED', 'OPEN', 'HALF_OPEN'", value);
  return target;
}
