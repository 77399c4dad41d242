import type { Jitter } from '../types.js';

/**
 * The wait before retry `n` (1-based): `min(initialDelayMs × backoffFactor^(n−1), maxDelayMs)`,
 * then jitter from the injected random — `none`: exactly that; `full`: uniform in [0, that];
 * `equal`: uniform in [that/2, that] (docs/ARCHITECTURE.md §2).
 */
export function backoffDelay(
  n: number,
  policy: { initialDelayMs: number; backoffFactor: number; maxDelayMs: number; jitter: Jitter },
  random: () => number,
): number {
  const base = Math.min(policy.initialDelayMs * policy.backoffFactor ** (n - 1), policy.maxDelayMs);
  switch (policy.jitter) {
    case 'none': return base;
    case 'full': return random() * base;
    case 'equal': return base / 2 + random() * (base / 2);
  }
}
