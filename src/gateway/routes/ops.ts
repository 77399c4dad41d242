import type { RequestContext } from '../context.js';
import { ConfigError } from '../../errors.js';
import { readJsonObject } from '../body.js';
import { HttpError } from '../errors.js';
import { sendJson, sendText } from '../respond.js';

/** Prometheus' text exposition format, as prom-client writes it. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/**
 * `GET /health` (no auth): each provider's breaker, keys (names and states only, never secrets),
 * queue depth and in-flight count.
 */
export function health(ctx: RequestContext): void {
  const providers: Record<string, unknown> = {};
  for (const [name, s] of Object.entries(ctx.router.state())) {
    if (!s) continue;
    providers[name] = {
      breaker: s.breaker,
      keys: s.keys.map((k) => ({ name: k.name, state: k.state })),
      queue: { depth: s.queue.depth, size: s.queue.size },
      inFlight: s.inFlight,
      maxConcurrent: s.maxConcurrent,
    };
  }
  sendJson(ctx.res, 200, { status: 'ok', simulator: ctx.simulator !== null, providers });
}

/** `GET /report[?details=1]`: `router.report()` — per provider and overall. */
export function report(ctx: RequestContext): void {
  const d = ctx.url.searchParams.get('details');
  sendJson(ctx.res, 200, ctx.router.report({ includeDetails: d === '1' || d === 'true' }));
}

/** `GET /metrics`: Prometheus text from the router's one registry (a `provider` label per series). */
export async function metrics(ctx: RequestContext): Promise<void> {
  sendText(ctx.res, 200, await ctx.router.metricsText(), PROMETHEUS_CONTENT_TYPE);
}

function simulatorOf(ctx: RequestContext) {
  if (!ctx.simulator) throw new HttpError(404, 'SB_NOT_FOUND', 'the gateway is not running on the simulator');
  return ctx.simulator;
}

/**
 * Simulator mode only: `POST /sim/configure` merges a `SimConfig` (latency, scripted faults, rate
 * limits … — see src/sim/README.md) into the embedded simulator, `POST /sim/reset` resets it,
 * `GET /sim/stats` returns its counters. For tests, demos and trying failures by hand.
 */
export async function simConfigure(ctx: RequestContext): Promise<void> {
  const sim = simulatorOf(ctx);
  const body = await readJsonObject(ctx.req, ctx.body);
  try {
    sim.configure(body);
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(`sim.configure: ${(error as Error).message}`, 'body');
  }
  ctx.res.statusCode = 204;
  ctx.res.end();
}

export function simReset(ctx: RequestContext): void {
  simulatorOf(ctx).reset();
  ctx.res.statusCode = 204;
  ctx.res.end();
}

export function simStats(ctx: RequestContext): void {
  sendJson(ctx.res, 200, simulatorOf(ctx).stats());
}
