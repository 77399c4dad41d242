import { Counter, type Registry } from 'prom-client';

const NAME = 'switchboard_gateway_http_requests_total';

type Labels = { route: string; method: string; status: string };
type GatewayCounter = Counter<keyof Labels>;

/** Answers counted since the last collection, per label set; the counter's `collect` hands them over. */
const pendingOf = new WeakMap<GatewayCounter, Pending>();

/**
 * Route → method → status → count. Nested maps rather than one keyed by a joined string: the route
 * pattern and the method are strings V8 has already hashed, so a count is three lookups and no new
 * string per answer.
 */
type Pending = Map<string, Map<string, Map<number, { labels: Labels; n: number }>>>;

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
      if (pending) for (const byMethod of pending.values()) for (const byStatus of byMethod.values()) for (const p of byStatus.values()) if (p.n > 0) {
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
    let byMethod = map.get(route);
    if (!byMethod) map.set(route, (byMethod = new Map()));
    let byStatus = byMethod.get(method);
    if (!byStatus) byMethod.set(method, (byStatus = new Map()));
    const p = byStatus.get(status);
    if (p) p.n++;
    else byStatus.set(status, { labels: { route, method, status: String(status) }, n: 1 });
  };
}
