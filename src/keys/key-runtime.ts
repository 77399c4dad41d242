import type { ActorRefFrom } from 'xstate';
import type { keySlotMachine } from '../../machines/key-slot.machine.js';
import type { KeyState } from '../types.js';

/**
 * The dispatcher's plain view of one key: counters the hot path updates, and the state mirrored
 * from the key's slot machine. No secret here: secrets live in the board's store, keyed by name.
 */
export interface KeyRuntime {
  name: string;
  index: number;
  maxConcurrent: number;
  inFlight: number;
  inFlightTokens: number;
  state: KeyState;
  untilMs: number | null;
  /** False until the first answer on this key: until then one request probes the budget. */
  probed: boolean;
  /** When the probing request went out (a slow probe stops holding the key back after `PROBE_WINDOW_MS`). */
  probeStartedAt: number;
  limitRequests: number | null;
  remainingRequests: number | null;
  resetRequestsAt: number | null;
  limitTokens: number | null;
  remainingTokens: number | null;
  resetTokensAt: number | null;
  actor: ActorRefFrom<typeof keySlotMachine> | null;
}

export function newKeyRuntime(name: string, maxConcurrent: number, index: number): KeyRuntime {
  return {
    name, index, maxConcurrent, inFlight: 0, inFlightTokens: 0, state: 'ready', untilMs: null, probed: false, probeStartedAt: 0,
    limitRequests: null, remainingRequests: null, resetRequestsAt: null,
    limitTokens: null, remainingTokens: null, resetTokensAt: null, actor: null,
  };
}

/**
 * How long one unanswered first request holds a fresh key to itself. A hung or long-streaming
 * probe must not stall the key (or a one-key provider) until its attempt timeout.
 */
export const PROBE_WINDOW_MS = 1_000;

/** Requests this key may still send before its reset, net of those in flight (Infinity when unknown). */
export function requestHeadroom(key: KeyRuntime, now: number): number {
  let remaining = key.remainingRequests;
  if (remaining !== null && key.resetRequestsAt !== null && now >= key.resetRequestsAt) remaining = key.limitRequests;
  return remaining === null ? Infinity : remaining - key.inFlight;
}

export function tokenHeadroom(key: KeyRuntime, now: number): number {
  let remaining = key.remainingTokens;
  if (remaining !== null && key.resetTokensAt !== null && now >= key.resetTokensAt) remaining = key.limitTokens;
  return remaining === null ? Infinity : remaining - key.inFlightTokens;
}

/**
 * Whether the key's budget lets one more request (of `tokens` estimated tokens) go now. Headers lag
 * the requests in flight, so in-flight requests are reserved against the remaining budget; before
 * the first answer tells the budget, only one request at a time probes it.
 */
export function hasBudget(key: KeyRuntime, now: number, tokens: number): boolean {
  if (!key.probed) return key.inFlight === 0 || now - key.probeStartedAt >= PROBE_WINDOW_MS;
  if (requestHeadroom(key, now) <= 0) return false;
  const t = tokenHeadroom(key, now);
  if (t === Infinity) return true;
  // A single request bigger than the whole limit can never fit: let it go alone rather than starve.
  if (key.limitTokens !== null && tokens > key.limitTokens) return key.inFlight === 0;
  return t - tokens >= 0;
}

/** The instant the key's spent budget refills (the later of the exhausted dimensions), or null. */
export function budgetRefillAt(key: KeyRuntime, now: number, tokens: number): number | null {
  let at: number | null = null;
  if (requestHeadroom(key, now) <= 0 && key.resetRequestsAt !== null && key.resetRequestsAt > now) at = key.resetRequestsAt;
  if (key.remainingTokens !== null && tokenHeadroom(key, now) - tokens < 0 && key.resetTokensAt !== null && key.resetTokensAt > now) {
    at = Math.max(at ?? 0, key.resetTokensAt);
  }
  return at;
}
