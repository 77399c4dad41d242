/**
 * `SIGHUP`: the config file, re-read and applied to the running router as commands (`config.update`
 * per provider, `key.add` / `key.remove`, the fallback groups and aliases) — no request is dropped:
 * queued and in-flight requests carry on under the new settings, a removed key finishes what it
 * has. Everything is checked before anything is applied, so an invalid file changes nothing; its
 * message is the one `--config` gives at start.
 */
import type { Env } from '../keys/env.js';
import { DEFAULTS, validateOptions } from '../options.js';
import type { Router } from '../router/index.js';
import type { BoardCommand } from '../supervisor/index.js';
import type { Provider } from '../types.js';
import { loadConfigFile, type ResolvedConfig } from './config.js';
import { providerKeys } from './upstream.js';

/** The options a running supervisor takes through `config.update`; the others need a restart. */
const LIVE = ['strategy', 'queue', 'circuitBreaker', 'retry', 'batching', 'timeoutMs', 'deadlineMs'] as const;
/** Read when the gateway starts, not by `config.update`. */
const AT_START = new Set(['keys', 'baseUrl', 'metrics', 'env', 'logger', 'clock', 'random', 'transport', 'inspect']);

export interface ReloadPlan {
  groups: Required<Pick<ResolvedConfig, 'aliases' | 'fallbacks' | 'contextFallbacks' | 'contentPolicyFallbacks'>>;
  commands: Array<{ provider: Provider; command: BoardCommand }>;
  /** What the file asks that a reload cannot do (a provider added or removed, a base URL changed). */
  notes: string[];
}

/**
 * Works out the commands that bring `router` to `config`, checking every value first (the same
 * messages as at start). A section left out of the file goes back to its default. With `sim`, the
 * keys stay the simulator's. Throws `SB_CONFIG` and changes nothing when the file is invalid.
 */
export function planReload(router: Router, config: ResolvedConfig, options: { sim: boolean; env: Env }): ReloadPlan {
  const notes: string[] = [];
  const commands: ReloadPlan['commands'] = [];
  const listed = config.providers ? (Object.keys(config.providers) as Provider[]) : null;
  for (const p of listed ?? []) if (!router.boards.has(p) && !options.sim) notes.push(`providers.${p} is new: adding a provider needs a restart`);
  for (const [p, board] of router.boards) {
    const opts = (config.providers?.[p] ?? {}) as Record<string, unknown>;
    validateOptions({ ...opts, keys: undefined }, `createRouter: providers.${p}`);
    const update: Record<string, unknown> = {};
    for (const k of LIVE) {
      const base = DEFAULTS[k];
      update[k] = typeof base === 'object' && base !== null ? { ...base, ...(opts[k] as object | undefined) } : (opts[k] ?? base);
    }
    commands.push({ provider: p, command: { type: 'config.update', config: update as never } });
    for (const k of Object.keys(opts)) if (AT_START.has(k) && k !== 'keys') notes.push(`providers.${p}.${k} is read at start only: restart to change it`);
    if (options.sim) continue;
    if (listed && !listed.includes(p)) {
      notes.push(`providers.${p} is no longer listed: removing a provider needs a restart`);
      continue;
    }
    // The keys by name: new names are added, names gone are removed (a secret changed under the same name needs a restart).
    const wanted = providerKeys(p, config, options.env);
    const current = new Set(board.state().keys.map((k) => k.name));
    for (const k of wanted) if (!current.has(k.name)) commands.push({ provider: p, command: { type: 'key.add', key: k } });
    const names = new Set(wanted.map((k) => k.name));
    for (const name of current) if (!names.has(name)) commands.push({ provider: p, command: { type: 'key.remove', name } });
  }
  const groups = {
    aliases: config.aliases ?? {},
    fallbacks: config.fallbacks ?? {},
    contextFallbacks: config.contextFallbacks ?? {},
    contentPolicyFallbacks: config.contentPolicyFallbacks ?? {},
  };
  return { groups, commands, notes };
}

/** Applies a plan: the groups first (new requests route by them), then each provider's commands. */
export function applyReload(router: Router, plan: ReloadPlan): void {
  router.setModelGroups(plan.groups);
  for (const { provider, command } of plan.commands) router.send(command, provider);
}

/**
 * Re-reads `path` and applies it. Resolves with what changed, or rejects with the `SB_CONFIG` error
 * `--config` would give at start (nothing applied).
 */
export function reloadConfigFile(router: Router, path: string, options: { sim: boolean; env: Env }): { commands: number; notes: string[] } {
  const config = loadConfigFile(path);
  const plan = planReload(router, config, options);
  applyReload(router, plan);
  return { commands: plan.commands.length, notes: plan.notes };
}
