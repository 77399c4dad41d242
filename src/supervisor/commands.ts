import { ConfigError } from '../errors.js';
import { invalid, limitsRule, resolveConfig, strategyRule, validateUpdate, type ResolvedConfig, type SupervisorOptions } from '../options.js';
import type { BreakerState, KeyConfig, KeyLimits, StrategyFn, StrategyName } from '../types.js';

/** What `config.update` may change at run time (docs/ARCHITECTURE.md §2). */
export type ConfigUpdate = Partial<Pick<SupervisorOptions, 'queue' | 'circuitBreaker' | 'retry' | 'batching' | 'timeoutMs' | 'deadlineMs' | 'strategy'>> & {
  metrics?: { enabled?: boolean };
};

/**
 * The public commands (docs/ARCHITECTURE.md §2): the same through `board.send` (validated, throws `SB_CONFIG`)
 * and `board.actor.send` (a bad one changes nothing and emits `command.rejected`). Internal events
 * are not in this type.
 */
export type SupervisorCommand =
  | { type: 'strategy.set'; strategy: StrategyName | StrategyFn }
  | { type: 'config.update'; config: ConfigUpdate }
  | { type: 'breaker.force'; state: BreakerState }
  | { type: 'key.add'; key: KeyConfig }
  | { type: 'key.remove'; name: string }
  | { type: 'stats.reset' };

/** `key.add` as the supervisor machine sees it: the secret already went to the secret store. */
export interface KeySpec {
  name: string;
  /** Null: follows `queue.maxConcurrent`. */
  maxConcurrent: number | null;
  limits: KeyLimits | null;
}

export const PUBLIC_COMMANDS: ReadonlySet<string> = new Set(['strategy.set', 'config.update', 'breaker.force', 'key.add', 'key.remove', 'stats.reset']);
const BREAKER_TARGETS = ['closed', 'open', 'halfOpen', 'forcedOpen', 'disabled'];

/**
 * Why `command` is invalid, as the `SB_CONFIG` error `board.send` throws; null when it is valid.
 * `keyNames` are the keys that exist now (`key.remove` must name one). `key.add` is checked
 * without its secret when `secretChecked` (the secret store already took it).
 */
export function commandError(command: unknown, keyNames: readonly string[], secretChecked = false): ConfigError | null {
  const cmd = command as { type?: unknown } | null;
  switch (cmd?.type) {
    case 'strategy.set': {
      const strategy = (cmd as { strategy?: unknown }).strategy;
      return strategyRule.test(strategy) ? null : invalid('strategy.set', 'strategy', strategyRule.rule, strategy);
    }
    case 'config.update':
      try {
        validateUpdate((cmd as { config?: unknown }).config ?? {});
        return null;
      } catch (error) {
        return error as ConfigError;
      }
    case 'breaker.force': {
      const state = (cmd as { state?: unknown }).state;
      return typeof state === 'string' && BREAKER_TARGETS.includes(state) ? null : invalid('breaker.force', 'state', BREAKER_TARGETS.map((s) => `'${s}'`).join(' | '), state);
    }
    case 'key.add':
      return keyError((cmd as { key?: unknown }).key, secretChecked);
    case 'key.remove': {
      const name = (cmd as { name?: unknown }).name;
      return typeof name === 'string' && keyNames.includes(name) ? null : new ConfigError(`key.remove: no key named ${JSON.stringify(name)}`, 'name');
    }
    case 'stats.reset':
      return null;
    default:
      return new ConfigError(`board.send: unknown command type ${JSON.stringify(cmd?.type)}`, 'type');
  }
}

function keyError(key: unknown, secretChecked: boolean): ConfigError | null {
  const k = key as Partial<KeyConfig> | null;
  if (!k || typeof k !== 'object' || typeof k.name !== 'string' || k.name === '' || (!secretChecked && (typeof k.secret !== 'string' || k.secret === ''))) {
    return new ConfigError('key.add: expected `key` to be { name, secret, maxConcurrent?, limits? } with non-empty strings', 'key');
  }
  if (k.maxConcurrent !== undefined && k.maxConcurrent !== null && !(Number.isInteger(k.maxConcurrent) && k.maxConcurrent >= 1)) {
    return invalid('key.add', 'key.maxConcurrent', 'an integer >= 1', k.maxConcurrent);
  }
  if (k.limits !== undefined && k.limits !== null && !limitsRule.test(k.limits)) return invalid('key.add', 'key.limits', limitsRule.rule, k.limits);
  return null;
}

/** The strategy's display name (docs/ARCHITECTURE.md §10): the built-in name, the function's name, or 'custom'. */
export function strategyName(strategy: StrategyName | StrategyFn): string {
  if (typeof strategy === 'string') return strategy;
  return strategy.name || 'custom';
}

/** The configuration after a valid `config.update` (a new object; the old one is left as it was). */
export function updatedConfig(cfg: ResolvedConfig, update: ConfigUpdate): ResolvedConfig {
  return resolveConfig(update as SupervisorOptions, cfg);
}

/** A key spec from a validated `KeyConfig` (no secret). */
export function keySpec(key: Pick<KeyConfig, 'name' | 'maxConcurrent' | 'limits'>): KeySpec {
  return { name: key.name, maxConcurrent: key.maxConcurrent ?? null, limits: key.limits ? { ...key.limits } : null };
}
