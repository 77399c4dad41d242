import type { RedisClientLike } from './redis-client.js';

/** `shared` on createSupervisor and per provider in createRouter. */
export interface SharedOptions {
  /** `redis://…` (a connection of its own) or a node-redis client the application already has. */
  redis: string | RedisClientLike;
  /** Prefix of every Redis key and channel; instances share state within one namespace. Default 'sb'. */
  namespace?: string;
  /** A command slower than this puts the instance in degraded mode. Default 50 ms. */
  timeoutMs?: number;
  /** While degraded, refuse (the caller answers SB_NO_KEYS) instead of spending a local 1/N share. */
  failClosed?: boolean;
}

export interface KeyLimits {
  rpm?: number;
  tpm?: number;
  rpd?: number;
}

export interface SharedKeySpec {
  name: string;
  secret: string;
  /** Across all instances; 0 or absent: no shared concurrency limit. */
  maxConcurrent?: number;
  limits?: KeyLimits;
}

export interface SharedLease {
  id: string;
  estTokens: number;
  /** Granted by the degraded mode's local share, not by Redis. */
  local: boolean;
}

export type SharedWaitReason = 'cooling' | 'exhausted' | 'concurrency' | 'budget' | 'headers';

/**
 * The answer to an acquire: a lease, or why not. `waitMs` is exact for every reason but
 * `concurrency` (a release elsewhere may come sooner: a `released` key event says so; `waitMs` is
 * when the oldest lease expires). `disabled`: a 401 somewhere. `failClosed`: degraded and refusing.
 */
export type SharedGrant =
  | { ok: true; lease: SharedLease }
  | { ok: false; reason: SharedWaitReason; waitMs: number; local?: boolean }
  | { ok: false; reason: 'disabled' | 'failClosed'; waitMs: 0; local?: boolean };

export type SharedKeyState = 'disabled' | 'cooling' | 'exhausted' | 'released';
export type SharedBreakerState = 'open' | 'halfOpen' | 'closed';

/** What arrives from the other instances (Pub/Sub) and from the link; never this instance's own. */
export type SharedEvent =
  /** `all` on a `released`: the key's probe answered, every request waiting for it may ask again. */
  | { type: 'key'; keyName: string; state: SharedKeyState; waitMs: number; reason?: string; all?: boolean }
  | { type: 'breaker'; state: SharedBreakerState; waitMs: number; trips: number }
  | { type: 'degraded'; reason: string }
  | { type: 'restored' };

export type SharedMode = 'off' | 'redis' | 'degraded';

/** `report().shared`. */
export interface SharedReport {
  mode: SharedMode;
  instances: number;
  scriptMsP50: number;
  scriptMsP99: number;
}

/** The rate-limit headers of one answer, relative to now (-1 / absent: not sent). */
export interface HeaderBudget {
  limitRequests?: number | null;
  remainingRequests?: number | null;
  resetRequestsMs?: number | null;
  limitTokens?: number | null;
  remainingTokens?: number | null;
  resetTokensMs?: number | null;
}
