import type { StrategyName } from '../types.js';
import { keyState, requestHeadroom, type KeyRuntime } from './key-runtime.js';
import type { KeyView, Priority, StrategyFn } from '../types.js';

/**
 * Key strategies (plain functions): given the keys and a predicate saying which may take a request
 * now, pick one. `cursor` is round-robin's position, kept by the caller.
 */
export type Strategy = (keys: readonly KeyRuntime[], usable: (k: KeyRuntime) => boolean, cursor: { next: number }, now: number) => KeyRuntime | null;

/** Each key in turn, skipping those that cannot take a request now. */
export const roundRobin: Strategy = (keys, usable, cursor) => {
  const n = keys.length;
  for (let i = 0; i < n; i++) {
    const idx = (cursor.next + i) % n;
    const k = keys[idx]!;
    if (usable(k)) {
      cursor.next = (idx + 1) % n;
      return k;
    }
  }
  return null;
};

/** The key with the least in flight relative to its `maxConcurrent` (idle keys first; ties by order). */
export const leastLoaded: Strategy = (keys, usable) => {
  let best: KeyRuntime | null = null;
  let bestLoad = Infinity;
  for (const k of keys) {
    if (!usable(k)) continue;
    const load = k.inFlight / k.maxConcurrent;
    if (load < bestLoad) {
      best = k;
      bestLoad = load;
    }
  }
  return best;
};

/** The key with the most remaining rate budget (unknown budgets first, so they get probed); ties by load. */
export const headroom: Strategy = (keys, usable, _cursor, now) => {
  let best: KeyRuntime | null = null;
  let bestRoom = -Infinity;
  let bestLoad = Infinity;
  for (const k of keys) {
    if (!usable(k)) continue;
    const room = requestHeadroom(k, now);
    const load = k.inFlight / k.maxConcurrent;
    if (room > bestRoom || (room === bestRoom && load < bestLoad)) {
      best = k;
      bestRoom = room;
      bestLoad = load;
    }
  }
  return best;
};

export const STRATEGIES: Record<StrategyName, Strategy> = { 'round-robin': roundRobin, 'least-loaded': leastLoaded, headroom };

/** What a custom strategy sees of a key (docs/ARCHITECTURE.md §10): no secret. */
export function keyView(key: KeyRuntime, now: number): KeyView {
  const room = requestHeadroom(key, now);
  return {
    name: key.name, state: keyState(key), inFlight: key.inFlight, maxConcurrent: key.maxConcurrent,
    remainingRequests: Number.isFinite(room) ? room : null,
    remainingTokens: key.remainingTokens,
  };
}

/**
 * Asks a `StrategyFn` for a key among those able to take the request now. It returns one of the
 * views it was given (or any view with that name), or undefined to wait. A throwing function is
 * treated as "no choice": the request waits and it is asked again when a key frees.
 */
export function pickCustom(
  fn: StrategyFn,
  keys: readonly KeyRuntime[],
  usable: (k: KeyRuntime) => boolean,
  request: { model: string; priority: Priority; estimatedTokens: number },
  now: number,
  onError: (error: unknown) => void,
): KeyRuntime | null {
  const ready: KeyRuntime[] = [];
  for (const k of keys) if (usable(k)) ready.push(k);
  if (ready.length === 0) return null;
  let chosen: KeyView | undefined;
  try {
    chosen = fn(ready.map((k) => keyView(k, now)), request);
  } catch (error) {
    onError(error);
    return null;
  }
  if (!chosen || typeof chosen.name !== 'string') return null;
  return ready.find((k) => k.name === chosen!.name) ?? null;
}
