import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { systemClock } from '../clock.js';
import { rateLimitedLog, safeLogger } from '../logger.js';
import { AttemptSignal } from '../transport/attempt-signal.js';
import { AbortedError, ConfigError, ShutdownError, SwitchboardError } from '../errors.js';
import { readEnv } from '../keys/env.js';
import { forgetSecret, registerSecret } from '../keys/redact.js';
import { TokenAuth, isLoopback } from './auth.js';
import { hasUnreadBody, resolveToken, stopReading } from './refuse.js';
import { loadConfigFile, resolveConfig, validateGatewayOptions, validateSettings, type GatewaySettings } from './config.js';
import { GatewayRequestContext, priorityOf, requestIdOf, RequestTarget, type SharedContext } from './context.js';
import { describeError, errorBody, HttpError, writeError } from './errors.js';
import { writeAnthropicError } from './routes/anthropic-errors.js';
import { loadInspectorFactory, type Inspector } from './inspector.js';
import { HostCheck } from './host-check.js';
import { gatewayRequestCounter } from './metrics.js';
import { GatewayResponse } from './respond.js';
import { attachFront } from './front/front.js';
import { buildRoutes, findRoute } from './routes/table.js';
import type { Gateway, GatewayOptions } from './types.js';
import { buildUpstream } from './upstream.js';
import { Roster } from '../queue/roster.js';

/** The defaults. */
export const GATEWAY_DEFAULTS = {
  host: '127.0.0.1',
  port: 8787,
  bodyLimitBytes: 1024 * 1024,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  drainTimeoutMs: 10_000,
  writeTimeoutMs: 30_000,
} as const;

/** After the router has stopped, the time the last handlers get to write their 503s. */
const SETTLE_GRACE_MS = 500;

const SETTING_NAMES = [
  'host', 'port', 'sim', 'simConfig', 'bodyLimitBytes', 'headersTimeoutMs', 'requestTimeoutMs', 'bodyTimeoutMs', 'keepAliveTimeoutMs', 'drainTimeoutMs',
  'writeTimeoutMs', 'allowedHosts', 'redis',
] as const;

function definedSettings(source: Record<string, unknown> | undefined): Partial<GatewaySettings> {
  const out: Record<string, unknown> = {};
  if (source) for (const k of SETTING_NAMES) if (source[k] !== undefined) out[k] = source[k];
  return out as Partial<GatewaySettings>;
}

/**
 * Starts the OpenAI-compatible gateway on `node:http`: `POST /v1/chat/completions`,
 * `POST /v1/embeddings`, `GET /v1/models`, `GET /health`, `/report`, `/metrics`, `/inspect`.
 * With no provider key found (or `sim: true`) every provider is routed to an embedded simulator.
 *
 * Throws `SB_CONFIG` (`ConfigError`) on an invalid option or config file, and when asked to bind a
 * non-loopback host without a token.
 *
 * ```ts
 * const gateway = await startGateway({ port: 0, sim: true });
 * const client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'anything' });
 * await gateway.close({ drain: true, timeoutMs: 5_000 });
 * ```
 */
export async function startGateway(options: GatewayOptions = {}): Promise<Gateway> {
  validateGatewayOptions(options as Record<string, unknown>);
  const env = options.env ?? readEnv();
  const config = options.configFile !== undefined
    ? loadConfigFile(options.configFile, env)
    : options.config !== undefined ? resolveConfig(options.config, 'startGateway: config', env) : undefined;
  if (options.router && config?.providers) throw new ConfigError('startGateway: give either `router` or a config with `providers`, not both', 'router');
  const settings = { ...GATEWAY_DEFAULTS, ...definedSettings(config?.gateway as Record<string, unknown>), ...definedSettings(options as Record<string, unknown>) };
  validateSettings(settings as Record<string, unknown>, 'startGateway');
  if (options.router && settings.sim) throw new ConfigError('startGateway: `sim` builds its own router; it cannot be combined with `router`', 'sim');
  // `--host [::1]` is how an IPv6 address is written in a URL; listen() wants it bare.
  const bareHost = settings.host.trim().replace(/^\[(.*)\]$/, '$1');
  const token = resolveToken(options.token, env.SWITCHBOARD_TOKEN);
  if (!token && !isLoopback(bareHost)) {
    throw new ConfigError(
      `startGateway: refusing to listen on ${settings.host} without a token: anyone who can reach it could spend your keys. Set SWITCHBOARD_TOKEN (or --token), or bind 127.0.0.1`,
      'host',
    );
  }

  // A throwing user logger must never leak a server, drop an answer or reject unhandled.
  const logger = safeLogger(options.logger);
  const clock = options.clock ?? systemClock;
  const upstream = await buildUpstream({
    router: options.router, sim: settings.sim === true, simConfig: settings.simConfig,
    config, env, logger, clock: options.clock,
    redis: settings.redis, simulatorUrls: options.simulatorUrls,
  });
  const { router, simulator } = upstream;
  let inspector: Inspector | null = null;
  try {
    const factory = options.inspector === false ? null : (options.inspector ?? (await loadInspectorFactory(logger)));
    if (factory) inspector = await factory(router, { clock });
  } catch (error) {
    if (upstream.ownsRouter) await router.stop();
    await simulator?.stop();
    throw error;
  }

  const auth = token ? new TokenAuth(token) : null;
  if (token) registerSecret(token);
  const hostCheck = new HostCheck(bareHost, settings.allowedHosts);
  const warnRepeated = rateLimitedLog(logger, 'warn', clock);
  const errorRepeated = rateLimitedLog(logger, 'error', clock);
  const routes = buildRoutes({ inspector, simulator: simulator !== null });
  const count = gatewayRequestCounter((router as { registry?: Parameters<typeof gatewayRequestCounter>[0] }).registry);
  // Node's requestTimeout bounds the whole request from its first byte: a body timeout no shorter
  // than it could never fire first, so only a shorter one costs a timer per request.
  const bodyTimeoutMs = settings.bodyTimeoutMs ?? settings.requestTimeoutMs;
  const bodyLimits = { limitBytes: settings.bodyLimitBytes, timeoutMs: bodyTimeoutMs < settings.requestTimeoutMs ? bodyTimeoutMs : null };
  const shared: SharedContext = { router, simulator, clock, logger, body: bodyLimits, secrets: upstream.secrets, writeTimeoutMs: settings.writeTimeoutMs };
  const active = new Roster<ServerResponse>();
  let idleWaiters: Array<() => void> = [];
  let closing = false;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const requestId = requestIdOf(req);
    // Added to the head when it is written (GatewayResponse), whoever writes it.
    (res as GatewayResponse).requestId = requestId;
    active.add(res);
    // A plain-object signal: an AbortController per request costs ~7 µs of the gateway's budget.
    const abort = new AttemptSignal();
    let label = 'unmatched';
    // One listener per request: 'close' follows 'finish' for every answer, so it counts the answer
    // too; before the answer finished, the client went away and its upstream call is abandoned.
    res.on('close', () => {
      if (res.writableFinished) count(label, req.method ?? '?', res.statusCode);
      else abort.abort(new AbortedError(new Error('the client closed the connection')));
      active.delete(res);
      if (active.size === 0 && idleWaiters.length > 0) for (const w of idleWaiters.splice(0)) w();
    });
    try {
      // Before anything is read or routed: a rebinding page learns nothing, not even the routes.
      hostCheck.check(req);
      if (closing) throw new ShutdownError('the gateway is shutting down');
      const target = RequestTarget.of(req.url);
      const route = target && findRoute(routes, target.pathname);
      if (route) label = route.pattern;
      const method = req.method === 'HEAD' ? 'GET' : req.method;
      // Authenticated before routing: without the token, a 404 or a 405 would list the routes.
      if (auth && !route?.open) {
        const url = target?.url();
        const offered = url?.searchParams.get('token');
        if (url && route?.pattern === '/inspect' && offered != null && method === 'GET') {
          if (!auth.matchesToken(offered)) throw new HttpError(401, 'SB_UNAUTHORIZED', 'wrong token');
          // The token leaves the address bar (and the history) at once; the cookie carries the session.
          url.searchParams.delete('token');
          res.writeHead(303, { 'set-cookie': auth.sessionCookie(), location: url.pathname + url.search, 'content-length': 0 });
          res.end();
          return;
        }
        auth.check(req);
      }
      if (!target || !route) throw new HttpError(404, 'SB_NOT_FOUND', `no route for ${req.method} ${target?.pathname ?? req.url}`);
      const handler = route.methods[method as 'GET' | 'POST'];
      if (!handler) {
        const allow = Object.keys(route.methods).flatMap((m) => (m === 'GET' ? ['GET', 'HEAD'] : [m])).join(', ');
        throw new HttpError(405, 'SB_METHOD_NOT_ALLOWED', `${req.method} is not allowed on ${route.pattern}; use ${allow}`, { headers: { allow } });
      }
      await handler(new GatewayRequestContext(req, res, target, requestId, route.priority ? priorityOf(req) : 'normal', abort.signal, shared));
    } catch (error) {
      if (abort.signal.aborted) return; // nobody is left to read an answer
      const d = describeError(error);
      if (d.status >= 500) {
        // One line per kind per interval: a breaker open under load must not write a line per request.
        const log = error instanceof SwitchboardError ? warnRepeated : errorRepeated;
        log(`${d.status} ${d.code}`, { requestId, status: d.status, code: d.code, err: error instanceof SwitchboardError ? undefined : String(error) }, `gateway: ${d.message}`);
      }
      if (closing) res.setHeader('connection', 'close');
      if (error instanceof HttpError && error.closeConnection) stopReading(req, res);
      else if ((d.status === 401 || d.status === 403) && hasUnreadBody(req)) stopReading(req, res);
      // Anthropic's clients parse Anthropic's error shape, whatever refused them (token, Host, method).
      if (req.url?.startsWith('/v1/messages')) writeAnthropicError(res, error, upstream.secrets);
      else writeError(res, error, upstream.secrets);
    }
  };

  const server = createServer(
    {
      ServerResponse: GatewayResponse,
      headersTimeout: settings.headersTimeoutMs,
      requestTimeout: settings.requestTimeoutMs,
      keepAliveTimeout: settings.keepAliveTimeoutMs,
      // Node enforces the two timeouts on this period; keep it well under the smaller one.
      connectionsCheckingInterval: Math.min(1000, Math.max(10, Math.floor(Math.min(settings.headersTimeoutMs, settings.requestTimeoutMs) / 4))),
    },
    (req, res) => void handle(req, res),
  );
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => onClientError(error, socket));
  // Every connection starts at the front (src/gateway/front/front.ts); it gives Node what it does not read.
  const front = attachFront(server, {
    handle: (req, res) => void handle(req as unknown as IncomingMessage, res as unknown as ServerResponse),
    bodyLimitBytes: settings.bodyLimitBytes,
    keepAliveTimeoutMs: settings.keepAliveTimeoutMs,
  });

  try {
    await new Promise<void>((resolve, reject) => {
      const onError = (error: NodeJS.ErrnoException) => {
        server.off('listening', onListening);
        reject(new ConfigError(`startGateway: cannot listen on ${settings.host}:${settings.port}: ${error.code ?? error.message}`, 'port'));
      };
      const onListening = () => {
        server.off('error', onError);
        resolve();
      };
      server.once('error', onError);
      server.once('listening', onListening);
      server.listen(settings.port, bareHost);
    });
  } catch (error) {
    inspector?.close();
    if (upstream.ownsRouter) await router.stop();
    await simulator?.stop();
    throw error;
  }
  server.on('error', (error) => logger?.error?.({ err: String(error) }, 'gateway: server error'));

  const port = (server.address() as { port: number }).port;
  const host = bareHost;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  logger?.info?.({ url, simulator: upstream.simulatorReason, providers: upstream.providers }, `gateway listening on ${url}`);

  const waitIdle = (ms: number): Promise<void> =>
    active.size === 0
      ? Promise.resolve()
      : new Promise((resolve) => {
          const done = () => {
            clearTimeout(timer);
            resolve();
          };
          const timer = setTimeout(() => {
            idleWaiters = idleWaiters.filter((w) => w !== done);
            resolve();
          }, ms);
          idleWaiters.push(done);
        });

  let closed: Promise<void> | null = null;
  const close: Gateway['close'] = (opts = {}) => {
    closed ??= (async () => {
      const drain = opts.drain ?? true;
      const timeoutMs = opts.timeoutMs ?? settings.drainTimeoutMs;
      closing = true;
      // Event streams never finish by themselves: end them first so they do not hold the drain.
      inspector?.close();
      const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      front.closeIdle();
      for (const res of active) if (!res.headersSent) res.setHeader('connection', 'close');
      const started = Date.now();
      if (upstream.ownsRouter) await router.stop({ drain, timeoutMs });
      else if (drain) await waitIdle(timeoutMs);
      // The router has settled everything; the handlers are writing their last answers (503s).
      await waitIdle(Math.max(SETTLE_GRACE_MS, drain ? timeoutMs - (Date.now() - started) : 0));
      server.closeAllConnections();
      front.closeAll();
      await serverClosed;
      await simulator?.stop();
      if (token) forgetSecret(token);
      logger?.info?.({ url }, 'gateway closed');
    })();
    return closed;
  };

  return {
    url, port, host, router,
    ...(simulator ? { simulator } : {}),
    simulatorReason: upstream.simulatorReason,
    providers: upstream.providers,
    tokenRequired: auth !== null,
    drainTimeoutMs: settings.drainTimeoutMs,
    inspector: inspector !== null,
    close,
  };
}

/**
 * A request Node could not hand over (bad syntax, headers or body too slow, headers too large):
 * answered on the raw socket in OpenAI's error format when nothing was written yet, then closed.
 */
function onClientError(error: NodeJS.ErrnoException, socket: Socket): void {
  const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (error.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) {
    socket.destroy();
    return;
  }
  const [status, reason, code, message] =
    error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? [408, 'Request Timeout', 'SB_BODY_TIMEOUT', 'the request was not received in time']
    : error.code === 'HPE_HEADER_OVERFLOW' ? [431, 'Request Header Fields Too Large', 'SB_CONFIG', 'the request headers are too large']
    : [400, 'Bad Request', 'SB_CONFIG', 'the request is not valid HTTP'];
  const body = JSON.stringify(errorBody(status, code, message));
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nconnection: close\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}
