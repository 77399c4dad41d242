import { createActor, type Actor, type ActorRefFrom } from 'xstate';
import type { batcherMachine } from '../../machines/batcher.machine.js';
import type { circuitBreakerMachine } from '../../machines/circuit-breaker.machine.js';
import type { keySlotMachine } from '../../machines/key-slot.machine.js';
import type { retryMachine } from '../../machines/retry.machine.js';
import { INTERNAL, supervisorMachine } from '../../machines/supervisor.machine.js';
import type { SecretStore } from '../keys/secret-store.js';
import type { KeyRuntime } from '../keys/key-runtime.js';
import type { ResolvedConfig } from '../options.js';
import type { Clock, KeyState, Logger } from '../types.js';
import { BreakerGate } from './breaker-gate.js';
import { commandError, PUBLIC_COMMANDS, type KeySpec } from './commands.js';
import type { Dispatcher } from './dispatcher.js';
import type { Emitter } from './emitter.js';
import type { Entry } from './entry.js';
import { coolIfSpent, onBreaker } from './reactions.js';

export type SupervisorActor = Actor<typeof supervisorMachine>;

/**
 * The bridge between the actor system and the plain dispatcher. It creates the supervisor actor
 * and makes `actor.send` safe for a `key.add` carrying a secret (the secret store takes it before
 * the machine sees the name; the machine, its inspector and its context never see it). It follows
 * the supervisor's snapshot (one subscription: configuration, key set, lifecycle → dispatcher),
 * the breaker (through the breaker gate), every key slot (→ `key.*` events), and spawns batchers
 * and retry actors with the internal token.
 */
export function createSupervisorActor(opts: {
  provider: string;
  config: ResolvedConfig;
  keys: KeySpec[];
  clock: Clock;
  inspect: unknown;
  secrets: SecretStore;
}): SupervisorActor {
  const actor = createActor(supervisorMachine, {
    clock: opts.clock as never,
    inspect: opts.inspect as never,
    input: { provider: opts.provider, config: opts.config, keys: opts.keys },
  });
  const send = actor.send.bind(actor);
  const secrets = opts.secrets;
  // `key.add` with a secret, sent straight to the actor: the store takes the secret first.
  actor.send = (event) => {
    const e = event as { type?: unknown; key?: unknown };
    if (e?.type !== 'key.add' || typeof e.key !== 'object' || e.key === null || !('secret' in e.key)) return send(event);
    const { secret, ...rest } = e.key as { secret?: unknown; name?: unknown };
    const names = actor.getSnapshot().context.keys.map((k) => k.name);
    const valid = commandError({ type: 'key.add', key: { ...rest, secret } }, names) === null;
    if (valid) secrets.set(rest.name as string, secret as string);
    // The machine sees no secret: `secret: ''` only marks one that was invalid, so it rejects.
    send({ type: 'key.add', key: (valid ? rest : { ...rest, secret: '' }) as never });
  };
  return actor;
}

/** Wires the started actor to the dispatcher and the board's listeners. */
export function bridge(actor: SupervisorActor, d: Dispatcher, emitter: Emitter, logger: Logger | undefined, onStatsReset: () => void): void {
  const children = () => actor.getSnapshot().children as Record<string, unknown>;
  const slotOf = (name: string) => children()[`key:${name}`] as ActorRefFrom<typeof keySlotMachine> | undefined;
  actor.on('stats.reset', onStatsReset);
  actor.on('command.rejected', (ev) => {
    try {
      logger?.warn?.({ command: ev.command, reason: ev.reason }, 'switchboard: command rejected');
    } catch {
      // A throwing logger must not disturb the runtime.
    }
    if (emitter.has('command.rejected')) emitter.emit('command.rejected', { type: ev.command, reason: ev.reason });
  });
  const follow = (snap: ReturnType<SupervisorActor['getSnapshot']>) => {
    for (const key of d.configure(snap.context, String(snap.value), slotOf)) watchKey(key, d, emitter);
    d.pump();
  };
  let last = actor.getSnapshot();
  follow(last);
  actor.subscribe((snap) => {
    if (snap.context === last.context && snap.value === last.value) return;
    last = snap;
    follow(snap);
  });
  const breaker = children()['breaker'] as ActorRefFrom<typeof circuitBreakerMachine>;
  d.gate = new BreakerGate(breaker, d.host.clock, (state, was, snap) => onBreaker(d, state, was, snap));
}

/** A key slot's state changes become `key.*` events; a key turning ready (or lost) wakes the queue. */
function watchKey(key: KeyRuntime, d: Dispatcher, emitter: Emitter): void {
  const ref = key.slot;
  let was = ref.getSnapshot().value as KeyState;
  ref.subscribe((snap) => {
    if (key.slot !== ref) return;
    const state = snap.value as KeyState;
    if (state === was) return;
    was = state;
    const type = `key.${state}` as 'key.cooling' | 'key.ready' | 'key.exhausted' | 'key.disabled';
    if (emitter.has(type)) {
      const untilMs = snap.context.untilMs;
      if (type === 'key.cooling') emitter.emit(type, { keyName: key.name, untilMs: untilMs ?? d.host.clock.now() });
      else emitter.emit(type, { keyName: key.name, ...(untilMs !== null ? { untilMs } : {}), ...(snap.context.reason ? { reason: snap.context.reason } : {}) });
    }
    if (state === 'ready') coolIfSpent(d, key, d.host.clock.now());
    d.pump();
  });
}

/** Spawns a batcher for `model` (internal event) and routes its flushes to the collector. */
export function spawnBatcher(actor: SupervisorActor, d: Dispatcher, model: string): ActorRefFrom<typeof batcherMachine> {
  actor.send({ type: 'batcher.spawn', token: INTERNAL, model } as never);
  const ref = actor.getSnapshot().children[`batcher:${model}`] as ActorRefFrom<typeof batcherMachine>;
  ref.on('batch.flush', (ev) => d.batches.onFlush(ev.model, ev.reason));
  return ref;
}

/**
 * Spawns the retry actor of `entry` (internal event). A zero wait starts the next attempt on the
 * next microtask, after the failure that granted it has been fully handled.
 */
export function spawnRetry(actor: SupervisorActor, entry: Entry, seq: number, onStart: (sleptMs: number) => void): { ref: ActorRefFrom<typeof retryMachine>; id: string } {
  let id = entry.requestId;
  // Two live requests may share a caller's requestId: the second retry actor gets a suffix.
  if (actor.getSnapshot().children[`retry:${id}`]) id = `${id}#${seq}`;
  actor.send({ type: 'retry.spawn', token: INTERNAL, requestId: id } as never);
  const ref = actor.getSnapshot().children[`retry:${id}`] as ActorRefFrom<typeof retryMachine>;
  ref.on('attempt.start', (ev) => (ev.sleptMs > 0 ? onStart(ev.sleptMs) : queueMicrotask(() => onStart(0))));
  return { ref, id };
}

export function stopRetry(actor: SupervisorActor, id: string): void {
  actor.send({ type: 'retry.stop', token: INTERNAL, requestId: id } as never);
}

export const isPublicCommand = (type: unknown): boolean => typeof type === 'string' && PUBLIC_COMMANDS.has(type);
