/** A seeded PRNG (mulberry32): the simulator never calls `Math.random()`, so a seed replays a run. */
export type Random = () => number;

/**
 * A seeded random in [0, 1) (mulberry32). Exported as `seededRandom` for `createSupervisor({ random })`
 * in deterministic tests: with `createTestClock()` a seed replays every jittered wait.
 */
export function mulberry32(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a over UTF-16 code units: a stable 32-bit hash for deriving vectors and ids from text. */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const HEX = '0123456789abcdef';

/** A random string of `length` characters drawn from `alphabet` (base62 by default). */
export function randomString(random: Random, length: number, alphabet: string = BASE62): string {
  let s = '';
  for (let i = 0; i < length; i++) s += alphabet[Math.floor(random() * alphabet.length)];
  return s;
}

export function randomHex(random: Random, length: number): string {
  return randomString(random, length, HEX);
}
