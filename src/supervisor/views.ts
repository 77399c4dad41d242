import type { BoardState, BreakerState, KeyState } from '../types.js';
import { keyState, keyUntil } from '../keys/key-runtime.js';
import type { SupervisorActor } from './actor-bridge.js';
import type { Dispatcher } from './dispatcher.js';
import type { LiveView } from '../metrics/types.js';

type BatcherState = BoardState['batchers'][number]['state'];

/** A summary of the live system (docs/ARCHITECTURE.md §10), read from the actors' snapshots and the dispatcher's counters. */
export function boardState(actor: SupervisorActor, d: Dispatcher): BoardState {
  const snap = actor.getSnapshot();
  const cfg = snap.context.config;
  const children = snap.children as Record<string, { getSnapshot(): { value: unknown; context: { count?: number } } } | undefined>;
  return {
    provider: snap.context.provider as BoardState['provider'],
    breaker: d.gate.state(),
    strategy: snap.context.strategy,
    queue: { depth: d.queue.size, size: cfg.queue.size, byPriority: { high: d.queue.countAt(0), normal: d.queue.countAt(1), low: d.queue.countAt(2) } },
    inFlight: d.inFlight,
    maxConcurrent: cfg.queue.maxConcurrent,
    actors: 1 + Object.keys(children).length,
    keys: d.pool.keys.map((k) => ({
      name: k.name, state: keyState(k) as KeyState, inFlight: k.inFlight, maxConcurrent: k.maxConcurrent, untilMs: keyUntil(k),
      remainingRequests: k.remainingRequests, remainingTokens: k.remainingTokens,
    })),
    batchers: snap.context.batchers.map((model) => {
      const b = children[`batcher:${model}`]?.getSnapshot();
      return { model, state: (b?.value ?? 'idle') as BatcherState, pending: b?.context.count ?? 0 };
    }),
  };
}

/** What the metrics need of the live system (the report's breaker and keys). */
export function liveView(actor: SupervisorActor, d: Dispatcher): LiveView {
  const breaker = d.gate.snapshot();
  return {
    provider: actor.getSnapshot().context.provider as BoardState['provider'],
    breaker: {
      state: breaker.value as BreakerState, failureCount: breaker.context.failureCount, failureThreshold: breaker.context.failureThreshold,
      resetTimeoutMs: breaker.context.resetTimeoutMs, trips: breaker.context.trips,
    },
    state: boardState(actor, d),
    shared: (d.pool.shared as { live?: () => LiveView['shared'] } | null)?.live?.() ?? null,
  };
}
