import type { Clock, Provider } from '../types.js';
import type { EffectiveKnobs, SimConfigStore } from './config.js';
import { drawErrorStatus, OK_PLAN, parseStep, type StepPlan } from './faults.js';
import type { ErrorSpec } from './formats/types.js';
import type { Random } from './random.js';
import { DailyQuota, KeyLimiter, type RateView } from './rate-bucket.js';
import type { StatsRecorder } from './stats.js';

/** The simulator's mutable state besides the HTTP server: configuration, budgets, counts, randomness. */
export interface SimState {
  clock: Clock;
  config: SimConfigStore;
  stats: StatsRecorder;
  limiters: Map<string, KeyLimiter>;
  quotas: Map<string, DailyQuota>;
  random: Random;
  /** Exchanges not yet closed (their answer is being prepared, delayed or written). */
  open: Set<import('./respond.js').Exchange>;
}

/** What to answer, decided when the request arrives (budgets are taken at arrival, not after latency). */
export type Decision =
  | { type: 'error'; spec: ErrorSpec; plan: StepPlan; view: RateView | null }
  | { type: 'ok'; plan: StepPlan; view: RateView | null };

export interface Scope {
  provider: Provider;
  key: string | null;
}

const scopeId = (s: Scope) => `${s.provider}\u0000${s.key ?? ''}`;

function limiterFor(state: SimState, scope: Scope, knobs: EffectiveKnobs): KeyLimiter {
  const id = scopeId(scope);
  let l = state.limiters.get(id);
  if (!l) state.limiters.set(id, (l = new KeyLimiter(knobs.rateLimit, state.clock.now())));
  return l;
}

function quotaFor(state: SimState, scope: Scope): DailyQuota {
  const id = scopeId(scope);
  let q = state.quotas.get(id);
  if (!q) state.quotas.set(id, (q = new DailyQuota()));
  return q;
}

/** The key's budgets as the headers report them, without taking anything (for answers before `decide`). */
export function peekRateView(state: SimState, scope: Scope, knobs: EffectiveKnobs): RateView | null {
  return scope.key === null ? null : limiterFor(state, scope, knobs).view(state.clock.now());
}

/** A status answered in the provider's format; 429 and 401 get their specific bodies. */
function statusSpec(status: number, key: string | null, retryAfterMs: number | null): ErrorSpec {
  if (status === 429) return { status, kind: 'rate-limit', limit: 'requests', retryAfterMs: retryAfterMs ?? 1000 };
  if (status === 401) return { status, kind: 'invalid-key', key, retryAfterMs };
  return { status, kind: 'generic', retryAfterMs };
}

/**
 * The order of checks for a well-formed, authenticated request: an outage, the key's or provider's
 * scripted step, the per-day quota, the token buckets, then the seeded error rates.
 */
export function decide(state: SimState, scope: Scope, knobs: EffectiveKnobs, tokens: number): Decision {
  const now = state.clock.now();
  const limiter = scope.key === null ? null : limiterFor(state, scope, knobs);
  const view = () => limiter?.view(now) ?? null;
  const outage = knobs.outage;
  if (outage && (outage.untilMs === null || now < outage.untilMs)) {
    state.stats.fault(scope, 'outage');
    // No announced wait: a real outage does not say when it ends.
    return { type: 'error', spec: statusSpec(outage.status, scope.key, null), plan: OK_PLAN, view: view() };
  }
  const step = state.config.nextStep(scope.provider, scope.key);
  const plan = step === null ? OK_PLAN : parseStep(step);
  if (plan.status !== null) {
    state.stats.fault(scope, 'scripted-status');
    const spec = statusSpec(plan.status, scope.key, plan.retryAfterMs);
    const v = view();
    // A scripted 429 reports an empty request budget until its announced wait has passed.
    if (v && plan.status === 429) Object.assign(v, { remainingRequests: 0, resetRequestsMs: spec.retryAfterMs ?? 0 });
    return { type: 'error', spec, plan, view: v };
  }
  const quota = quotaFor(state, scope);
  if (plan.fault === 'context-length' || plan.fault === 'content-policy') return { type: 'error', spec: { status: 400, kind: plan.fault }, plan, view: view() };
  if (plan.fault === 'invalid-key') return { type: 'error', spec: { status: 401, kind: 'invalid-key', key: scope.key }, plan, view: view() };
  if (plan.fault === 'quota' || (knobs.dailyQuota !== null && quota.exhausted(knobs.dailyQuota, now))) {
    const spec: ErrorSpec = { status: 429, kind: 'quota', retryAfterMs: quota.msUntilReset(now), ...(knobs.dailyQuota !== null ? { limitValue: knobs.dailyQuota } : {}) };
    return { type: 'error', spec, plan, view: view() };
  }
  if (limiter) {
    const admission = limiter.admit(tokens, now);
    if (!admission.ok) {
      const v = limiter.view(now);
      const limitValue = admission.limit === 'tokens' ? v.limitTokens : v.limitRequests;
      return { type: 'error', spec: { status: 429, kind: 'rate-limit', limit: admission.limit, retryAfterMs: admission.retryAfterMs, limitValue }, plan, view: v };
    }
  }
  quota.take(now);
  if (plan.fault === null && knobs.errorRates) {
    const status = drawErrorStatus(knobs.errorRates, state.random);
    if (status !== null) {
      state.stats.fault(scope, 'error-rate');
      return { type: 'error', spec: statusSpec(status, scope.key, null), plan, view: view() };
    }
  }
  return { type: 'ok', plan, view: view() };
}
