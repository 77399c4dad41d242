import type { ActorRefFrom } from 'xstate';
import type { keySlotMachine } from '../../machines/key-slot.machine.js';
import type { KeyLimits, KeyState } from '../types.js';
import { Bucket } from './bucket.js';

const MINUTE = 60_000;
const DAY = 86_400_000;

/**
 * The key pool's plain view of one key: the counters the hot path updates (in flight, local
 * budgets, the provider's last budget headers). Its state (ready / cooling / exhausted / disabled)
 * is not here: it is read from the key's slot machine, its one home. No secret here: secrets live
 * in the board's secret store, keyed by name.
 */
export interface KeyRuntime {
  name: string;
  index: number;
  /** Null: follows `queue.maxConcurrent`. */
  ownMax: number | null;
  maxConcurrent: number;
  inFlight: number;
  inFlightTokens: number;
  slot: ActorRefFrom<typeof keySlotMachine>;
  /** When the probing request went out (whether the key is probed is its slot's `probed`) (a slow probe stops holding the key back after `PROBE_WINDOW_MS`). */
  probeStartedAt: number;
  /** The key's own limits (`keys[].limits`), as refilling buckets; null when not set. */
  rpm: Bucket | null;
  tpm: Bucket | null;
  rpd: Bucket | null;
  limitRequests: number | null;
  remainingRequests: number | null;
  resetRequestsAt: number | null;
  limitTokens: number | null;
  remainingTokens: number | null;
  resetTokensAt: number | null;
}

export function newKeyRuntime(
  name: string,
  ownMax: number | null,
  defaultMax: number,
  limits: KeyLimits | null,
  slot: ActorRefFrom<typeof keySlotMachine>,
  now: number,
): KeyRuntime {
  return {
    name, index: 0, ownMax, maxConcurrent: ownMax ?? defaultMax, inFlight: 0, inFlightTokens: 0, slot, probeStartedAt: 0,
    rpm: limits?.rpm ? new Bucket(limits.rpm, MINUTE, now) : null,
    tpm: limits?.tpm ? new Bucket(limits.tpm, MINUTE, now) : null,
    rpd: limits?.rpd ? new Bucket(limits.rpd, DAY, now) : null,
    limitRequests: null, remainingRequests: null, resetRequestsAt: null,
    limitTokens: null, remainingTokens: null, resetTokensAt: null,
  };
}

/** The key's state, read from its slot machine (the only keeper of it). */
export function keyState(key: KeyRuntime): KeyState {
  return key.slot.getSnapshot().value as KeyState;
}

/** Whether the key has answered once (its budget is known): read from its slot machine. */
export function isProbed(key: KeyRuntime): boolean {
  return key.slot.getSnapshot().context.probed;
}

export function keyUntil(key: KeyRuntime): number | null {
  return key.slot.getSnapshot().context.untilMs;
}

/** Whether the key can ever be used again without a `key.add` or a quota reset. */
export function isUsable(key: KeyRuntime): boolean {
  const state = keyState(key);
  return state !== 'disabled' && state !== 'exhausted';
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
  let room = remaining === null ? Infinity : remaining - key.inFlight;
  if (key.rpm) room = Math.min(room, Math.floor(key.rpm.available(now)));
  if (key.rpd) room = Math.min(room, Math.floor(key.rpd.available(now)));
  return room;
}

export function tokenHeadroom(key: KeyRuntime, now: number): number {
  let remaining = key.remainingTokens;
  if (remaining !== null && key.resetTokensAt !== null && now >= key.resetTokensAt) remaining = key.limitTokens;
  return remaining === null ? Infinity : remaining - key.inFlightTokens;
}

/**
 * Whether the key's budget lets one more request (of `tokens` estimated tokens) go now: its own
 * limits (local buckets) and the provider's last headers, whichever is lower. Headers lag the
 * requests in flight, so in-flight requests are reserved against the remaining budget; before
 * the first answer tells the budget, only one request at a time probes it.
 */
export function hasBudget(key: KeyRuntime, now: number, tokens: number): boolean {
  if (key.rpm && !key.rpm.fits(1, now)) return false;
  if (key.rpd && !key.rpd.fits(1, now)) return false;
  if (key.tpm && !key.tpm.fits(tokens, now)) return false;
  if (!isProbed(key)) return key.inFlight === 0 || now - key.probeStartedAt >= PROBE_WINDOW_MS;
  const remaining = key.remainingRequests !== null && key.resetRequestsAt !== null && now >= key.resetRequestsAt ? key.limitRequests : key.remainingRequests;
  if (remaining !== null && remaining - key.inFlight <= 0) return false;
  const t = tokenHeadroom(key, now);
  if (t === Infinity) return true;
  // A single request bigger than the whole limit can never fit: let it go alone rather than starve.
  if (key.limitTokens !== null && tokens > key.limitTokens) return key.inFlight === 0;
  return t - tokens >= 0;
}

/** The instant the provider-reported budget refills (the later of the exhausted dimensions), or null. */
export function budgetRefillAt(key: KeyRuntime, now: number, tokens: number): number | null {
  let at: number | null = null;
  const remaining = key.remainingRequests !== null && key.resetRequestsAt !== null && now >= key.resetRequestsAt ? key.limitRequests : key.remainingRequests;
  if (remaining !== null && remaining - key.inFlight <= 0 && key.resetRequestsAt !== null && key.resetRequestsAt > now) at = key.resetRequestsAt;
  if (key.remainingTokens !== null && tokenHeadroom(key, now) - tokens < 0 && key.resetTokensAt !== null && key.resetTokensAt > now) {
    at = Math.max(at ?? 0, key.resetTokensAt);
  }
  return at;
}

/** The exact instant the key's own buckets have room for a request of `tokens` (now when they do). */
export function localReadyAt(key: KeyRuntime, now: number, tokens: number): number {
  let at = now;
  if (key.rpm) at = Math.max(at, key.rpm.readyAt(1, now));
  if (key.rpd) at = Math.max(at, key.rpd.readyAt(1, now));
  if (key.tpm) at = Math.max(at, key.tpm.readyAt(tokens, now));
  return at;
}
