import { Counter, type Registry } from 'prom-client';

const NAME = 'switchboard_gateway_http_requests_total';

type Labels = { route: string; method: string; status: string };
type GatewayCounter = Counter<keyof Labels>;

/** Answers counted since the last collection, per label set; the counter's `collect` hands them over. */
const pendingOf = new WeakMap<GatewayCounter, Map<string, { labels: Labels; n: number }>>();

/**
 * Counts the gateway's HTTP answers by route (the matched pattern, so the label set stays small),
 * method and status, in the router's registry beside the providers' series. A no-op when the
 * router has no registry (a stand-in in tests).
 *
 * Per answer it only adds one to a plain counter kept per label set; prom-client's own `inc`
 * (label hashing and validation, per call) runs when the registry is read (`/metrics`, `get()`),
 * once per label set.
 */
export function gatewayRequestCounter(registry: Registry | undefined): (route: string, method: string, status: number) => void {
  if (!registry || typeof registry.getSingleMetric !== 'function') return () => {};
  const existing = registry.getSingleMetric(NAME) as GatewayCounter | undefined;
  const counter = existing ?? new Counter({
    name: NAME,
    help: 'HTTP answers of the Switchboard gateway, by route, method and status',
    labelNames: ['route', 'method', 'status'] as const,
    registers: [registry],
    collect(this: GatewayCounter) {
      const pending = pendingOf.get(this);
      if (pending) for (const p of pending.values()) if (p.n > 0) {
        this.inc(p.labels, p.n);
        p.n = 0;
      }
    },
  });
  let pending = pendingOf.get(counter);
  if (!pending) {
    if (existing) return (route, method, status) => counter.inc({ route, method, status: String(status) });
    pendingOf.set(counter, (pending = new Map()));
  }
  const map = pending;
  return (route, method, status) => {
    const key = `${status} ${method} ${route}`;
    const p = map.get(key);
    if (p) p.n++;
    else map.set(key, { labels: { route, method, status: String(status) }, n: 1 });
  };
}
