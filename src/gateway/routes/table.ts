import type { Handler } from '../context.js';
import { HttpError } from '../errors.js';
import type { Inspector } from '../inspector.js';
import { chatCompletions } from './chat.js';
import { embeddings } from './embeddings.js';
import { countTokens, messages } from './messages.js';
import { responses } from './responses.js';
import { listModels, retrieveModel } from './models.js';
import { health, metrics, report, simConfigure, simReset, simStats } from './ops.js';

/** One route: its pattern (also the metrics label), handlers by method, and what it needs. */
export interface Route {
  pattern: string;
  methods: Partial<Record<'GET' | 'POST', Handler>>;
  /** Answered without the token (`/health` only). */
  open?: boolean;
  /** Reads `x-priority` (the provider calls). */
  priority?: boolean;
}

/** The route table; `/sim/*` exists in simulator mode only. */
export function buildRoutes(options: { inspector: Inspector | null; simulator: boolean }): Route[] {
  const { inspector } = options;
  const noInspector: Handler = () => {
    throw new HttpError(404, 'SB_NOT_FOUND', 'the inspector is not part of this build; see /health, /report and /metrics');
  };
  const routes: Route[] = [
    { pattern: '/v1/chat/completions', methods: { POST: chatCompletions }, priority: true },
    { pattern: '/v1/embeddings', methods: { POST: embeddings }, priority: true },
    { pattern: '/v1/messages', methods: { POST: messages }, priority: true },
    { pattern: '/v1/messages/count_tokens', methods: { POST: countTokens } },
    { pattern: '/v1/responses', methods: { POST: responses }, priority: true },
    { pattern: '/v1/models', methods: { GET: listModels } },
    { pattern: '/v1/models/*', methods: { GET: retrieveModel } },
    { pattern: '/health', methods: { GET: health }, open: true },
    { pattern: '/report', methods: { GET: report } },
    { pattern: '/metrics', methods: { GET: metrics } },
    { pattern: '/inspect', methods: { GET: inspector ? (ctx) => inspector.page(ctx.req, ctx.res) : noInspector } },
    { pattern: '/inspect/events', methods: { GET: inspector ? (ctx) => inspector.events(ctx.req, ctx.res) : noInspector } },
  ];
  if (options.simulator) {
    routes.push(
      { pattern: '/sim/configure', methods: { POST: simConfigure } },
      { pattern: '/sim/reset', methods: { POST: simReset } },
      { pattern: '/sim/stats', methods: { GET: simStats } },
    );
  }
  return routes;
}

/** The route for `path`: exact patterns, or a `/*` pattern for any non-empty rest (model ids may hold slashes). */
export function findRoute(routes: readonly Route[], path: string): Route | undefined {
  const p = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
  return routes.find((r) => (r.pattern.endsWith('/*') ? p.startsWith(r.pattern.slice(0, -1)) && p.length > r.pattern.length - 1 : r.pattern === p));
}
