import { redact, redactValue } from './keys/redact.js';
import type { Clock, Logger } from './types.js';

const LEVELS = ['debug', 'info', 'warn', 'error'] as const;

/**
 * The user's logger, made safe to call from anywhere: a method that throws is swallowed (there is
 * nowhere left to report it), so a broken logger never disturbs a request, a timer or a startup.
 * Absent methods are no-ops. Every message and field is redacted first (src/keys/redact.ts): the
 * registered secrets and URL credentials never reach a log line, whatever they look like.
 */
export function safeLogger(logger: Logger | undefined): Required<Logger> {
  const out = {} as Required<Logger>;
  for (const level of LEVELS) {
    const fn = logger?.[level];
    out[level] = typeof fn === 'function'
      ? (obj: unknown, msg?: string) => {
          try {
            fn.call(logger, redactValue(obj), msg === undefined ? msg : redact(msg));
          } catch {
            // A throwing logger is the user's bug; the runtime goes on.
          }
        }
      : () => {};
  }
  return out;
}

/** Default interval of `rateLimitedLog`: one line per kind per 10 s. */
export const REPEAT_LOG_INTERVAL_MS = 10_000;

/**
 * Repeated warnings, rate-limited: the first of a kind is written at once; the next ones within
 * `intervalMs` are only counted, and one line with the count closes the interval. A breaker that
 * stays open under load writes two lines per interval instead of one per request.
 *
 * ```ts
 * const warn = rateLimitedLog(logger, 'warn', clock);
 * warn('503 SB_CIRCUIT_OPEN', { status: 503 }, 'gateway: circuit breaker is open');
 * ```
 */
export function rateLimitedLog(
  logger: Required<Logger>,
  level: 'warn' | 'error',
  clock: Pick<Clock, 'setTimeout'>,
  intervalMs = REPEAT_LOG_INTERVAL_MS,
): (kind: string, obj: Record<string, unknown>, msg: string) => void {
  const suppressed = new Map<string, number>();
  return (kind, obj, msg) => {
    const n = suppressed.get(kind);
    if (n !== undefined) {
      suppressed.set(kind, n + 1);
      return;
    }
    logger[level](obj, msg);
    suppressed.set(kind, 0);
    const timer = clock.setTimeout(() => {
      const count = suppressed.get(kind) ?? 0;
      suppressed.delete(kind);
      if (count > 0) logger[level]({ ...obj, repeated: count }, `${msg} (and ${count} more like it in the last ${intervalMs / 1000} s)`);
    }, intervalMs);
    // A pending summary must never hold the process open.
    (timer as { unref?: () => void } | undefined)?.unref?.();
  };
}
