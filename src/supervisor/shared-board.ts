import type { ActorRefFrom } from 'xstate';
import type { circuitBreakerMachine } from '../../machines/circuit-breaker.machine.js';
import type { keySlotMachine } from '../../machines/key-slot.machine.js';
import type { SecretStore } from '../keys/secret-store.js';
import { SharedBridge } from '../shared/board-bridge.js';
import { SharedBudget } from '../shared/shared-budget.js';
import type { SharedKeySpec, SharedOptions } from '../shared/types.js';
import type { Clock, Logger } from '../types.js';
import type { SupervisorActor } from './actor-bridge.js';
import type { KeySpec } from './commands.js';
import type { Dispatcher } from './dispatcher.js';
import type { Emitter } from './emitter.js';

/**
 * Wires a board to Redis when it has `shared` (docs/SCALE-OUT.md): the key pool's shared-budget
 * seam, remote key and breaker events into this board's key slots and breaker (`breaker.sync`),
 * this board's own key and breaker changes out, `shared.degraded` / `shared.restored` on `board.on`.
 * Nothing of it exists on a board without `shared`: its hot path is unchanged.
 */
export function attachShared(o: {
  shared: SharedOptions;
  provider: string;
  baseUrl: string;
  actor: SupervisorActor;
  dispatcher: Dispatcher;
  emitter: Emitter;
  secrets: SecretStore;
  clock: Clock;
  logger: Logger | undefined;
}): SharedBridge {
  const { actor, dispatcher: d, emitter } = o;
  const config = () => actor.getSnapshot().context.config;
  const children = () => actor.getSnapshot().children as Record<string, unknown>;
  const slot = (name: string) => children()[`key:${name}`] as ActorRefFrom<typeof keySlotMachine> | undefined;
  // Concurrency is shared only where a key sets its own maxConcurrent: the default follows each
  // instance's queue.maxConcurrent, a per-instance figure.
  const specOf = (k: KeySpec): SharedKeySpec | null => {
    const secret = o.secrets.get(k.name);
    return secret === undefined ? null : { name: k.name, secret, maxConcurrent: k.maxConcurrent ?? 0, ...(k.limits ? { limits: k.limits } : {}) };
  };
  const budget = new SharedBudget({
    shared: o.shared,
    provider: o.provider,
    baseUrl: o.baseUrl,
    keys: actor.getSnapshot().context.keys.map(specOf).filter((k): k is SharedKeySpec => k !== null),
    get attemptTimeoutMs() {
      return config().timeoutMs;
    },
    get breaker() {
      return config().circuitBreaker;
    },
    clock: o.clock,
    logger: o.logger as never,
  });
  const bridge = new SharedBridge(
    budget,
    {
      keyState(name, state, waitMs, reason) {
        const ref = slot(name);
        if (!ref) return;
        const now = o.clock.now();
        if (state === 'disabled') ref.send({ type: 'key.invalid', reason: reason ?? 'disabled on another instance' });
        else if (state === 'exhausted') ref.send({ type: 'key.quotaExhausted', untilMs: now + waitMs, waitMs, reason: reason ?? 'quota exhausted on another instance' });
        else ref.send({ type: 'key.rateLimited', untilMs: now + waitMs, waitMs, reason: reason ?? 'rate limited on another instance' });
      },
      breakerSync(state, waitMs, trips) {
        (children()['breaker'] as ActorRefFrom<typeof circuitBreakerMachine> | undefined)?.send({ type: 'breaker.sync', state, waitMs, ...(trips !== undefined ? { trips } : {}) });
      },
      wake: (name, all) => d.wakeShared(name, all),
      pace(name, waitMs) {
        slot(name)?.send({ type: 'key.budgetSpent', untilMs: o.clock.now() + waitMs, waitMs, reason: 'budget' });
      },
      link(type, payload) {
        if (emitter.has(type)) emitter.emit(type, payload);
      },
    },
    () => o.clock.now(),
  );
  d.keyStateHook = (name, state, ctx) => bridge.localKeyState(name, state, ctx.waitMs, ctx.reason);
  d.breakerHook = (state, was) => bridge.localBreaker(state, was);
  d.gate.probeEnded = (outcome) => bridge.probeEnded(outcome);
  d.pool.useShared(bridge);
  // key.add / key.remove: the shared view follows the key set.
  let names = new Set(actor.getSnapshot().context.keys.map((k) => k.name));
  actor.subscribe((snap) => {
    const keys = snap.context.keys;
    if (keys.length === names.size && keys.every((k) => names.has(k.name))) return;
    const next = new Set(keys.map((k) => k.name));
    for (const n of names) if (!next.has(n)) budget.removeKey(n);
    for (const k of keys) {
      if (names.has(k.name)) continue;
      const spec = specOf(k);
      if (spec) budget.addKey(spec);
    }
    names = next;
  });
  budget.start();
  return bridge;
}
