import { Counter, type Registry } from 'prom-client';

const NAME = 'switchboard_gateway_http_requests_total';

/**
 * Counts the gateway's HTTP answers by route (the matched pattern, so the label set stays small),
 * method and status, in the router's registry beside the providers' series. A no-op when the
 * router has no registry (a stand-in in tests).
 */
export function gatewayRequestCounter(registry: Registry | undefined): (route: string, method: string, status: number) => void {
  if (!registry || typeof registry.getSingleMetric !== 'function') return () => {};
  const existing = registry.getSingleMetric(NAME) as Counter<'route' | 'method' | 'status'> | undefined;
  const counter = existing ?? new Counter({
    name: NAME,
    help: 'HTTP answers of the Switchboard gateway, by route, method and status',
    labelNames: ['route', 'method', 'status'] as const,
    registers: [registry],
  });
  return (route, method, status) => counter.inc({ route, method, status: String(status) });
}
