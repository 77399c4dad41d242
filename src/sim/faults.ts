import type { Random } from './random.js';
import type { FaultKind, ScriptStep } from './types.js';

/** A scripted step, normalized. */
export interface StepPlan {
  status: number | null;
  fault: FaultKind | null;
  afterChunks: number;
  retryAfterMs: number | null;
  shouldRetry: boolean | null;
  latencyMs: number;
}

export const OK_PLAN: StepPlan = { status: null, fault: null, afterChunks: 1, retryAfterMs: null, shouldRetry: null, latencyMs: 0 };

const FAULTS = new Set<FaultKind>(['reset', 'hang', 'malformed', 'truncated', 'stream-reset', 'stream-hang', 'stream-malformed', 'invalid-key', 'quota', 'context-length', 'content-policy']);

/** Parses a step; throws a TypeError naming the step when it is not one the simulator knows. */
export function parseStep(step: ScriptStep): StepPlan {
  if (typeof step === 'string') {
    if (step === 'ok') return OK_PLAN;
    if (/^[1-5]\d\d$/.test(step)) return { ...OK_PLAN, status: Number(step) };
    const m = /^(stream-(?:reset|hang|malformed))(?::(\d+))?$/.exec(step);
    if (m) return { ...OK_PLAN, fault: m[1] as FaultKind, afterChunks: m[2] === undefined ? 1 : Number(m[2]) };
    if (FAULTS.has(step as FaultKind)) return { ...OK_PLAN, fault: step as FaultKind };
    throw new TypeError(`simulator: unknown script step ${JSON.stringify(step)} (expected 'ok', a status like '503', 'reset', 'hang', 'malformed', 'truncated', 'invalid-key', 'quota', 'context-length', 'content-policy' or 'stream-reset:N' / 'stream-hang:N' / 'stream-malformed:N')`);
  }
  if (step.fault !== undefined && !FAULTS.has(step.fault)) throw new TypeError(`simulator: unknown script fault ${JSON.stringify(step.fault)}`);
  return {
    status: step.status ?? null,
    fault: step.fault ?? null,
    afterChunks: step.afterChunks ?? 1,
    retryAfterMs: step.retryAfterMs ?? null,
    shouldRetry: step.shouldRetry ?? null,
    latencyMs: step.latencyMs ?? 0,
  };
}

/**
 * One seeded draw against `errorRates`: statuses in ascending order share [0, 1), so
 * `{ 500: 0.1, 503: 0.05 }` answers 500 when the draw is below 0.1 and 503 when below 0.15.
 */
export function drawErrorStatus(rates: Record<number, number>, random: Random): number | null {
  const r = random();
  let acc = 0;
  for (const [status, p] of Object.entries(rates).map(([s, p]) => [Number(s), p] as const).sort((a, b) => a[0] - b[0])) {
    acc += p;
    if (r < acc) return status;
  }
  return null;
}

/** How a planned fault shows on the wire, for a whole body or for a stream. */
export type Delivery =
  | { type: 'hang' }
  | { type: 'body'; fault: 'reset' | 'malformed' | 'truncated' | null }
  | { type: 'stream'; fault: 'stream-reset' | 'stream-hang' | 'stream-malformed' | 'truncated' | null; afterChunks: number };

/** Maps a step's fault onto the answer's form: stream faults on a plain body become their whole-body kin. */
export function deliveryFor(plan: StepPlan, streaming: boolean): Delivery {
  const f = plan.fault;
  if (f === 'hang' || (f === 'stream-hang' && !streaming)) return { type: 'hang' };
  if (!streaming) {
    const fault = f === 'reset' || f === 'stream-reset' ? 'reset' : f === 'malformed' || f === 'stream-malformed' ? 'malformed' : f === 'truncated' ? 'truncated' : null;
    return { type: 'body', fault };
  }
  switch (f) {
    case 'reset': return { type: 'stream', fault: 'stream-reset', afterChunks: plan.afterChunks };
    case 'malformed': return { type: 'stream', fault: 'stream-malformed', afterChunks: 0 };
    case 'truncated': case 'stream-reset': case 'stream-hang': case 'stream-malformed': return { type: 'stream', fault: f, afterChunks: plan.afterChunks };
    default: return { type: 'stream', fault: null, afterChunks: plan.afterChunks };
  }
}

/** A 200 body that is not JSON at all, as a misbehaving proxy might send. */
export const MALFORMED_BODY = '<html><body>upstream connect error or disconnect/reset before headers</body></html>';
