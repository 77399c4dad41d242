import type { Logger } from './types.js';

const LEVELS = ['debug', 'info', 'warn', 'error'] as const;

/**
 * The user's logger, made safe to call from anywhere: a method that throws is swallowed (there is
 * nowhere left to report it), so a broken logger never disturbs a request, a timer or a startup.
 * Absent methods are no-ops.
 */
export function safeLogger(logger: Logger | undefined): Required<Logger> {
  const out = {} as Required<Logger>;
  for (const level of LEVELS) {
    const fn = logger?.[level];
    out[level] = typeof fn === 'function'
      ? (obj: unknown, msg?: string) => {
          try {
            fn.call(logger, obj, msg);
          } catch {
            // A throwing logger is the user's bug; the runtime goes on.
          }
        }
      : () => {};
  }
  return out;
}
