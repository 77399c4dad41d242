import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { systemClock } from '../clock.js';
import { invalid } from '../options.js';
import type { Router } from '../router/router.js';
import { scrubSecrets } from '../errors.js';
import { machineCharts, toSvg } from '../statecharts/index.js';
import type { Clock, Provider } from '../types.js';
import { BoardTracker, summarize, type InspectorTransition } from './feed.js';
import { renderPage } from './page.js';
import { frame, SseClient } from './sse.js';

export type { InspectorTransition } from './feed.js';

/**
 * The statechart SVGs of the page, laid out once per process, when the first page asks: the charts
 * are static, and every page reuses them. Not at start: ELK's layout takes ~200 ms of CPU in small
 * asynchronous steps, which a gateway that starts under load would spread over its first requests
 * (seen in profiles of the gateway benchmarks). A failed layout is forgotten, so the next page tries again.
 */
let svgCache: Promise<Array<{ name: string; svg: string }>> | null = null;
function chartSvgs(): Promise<Array<{ name: string; svg: string }>> {
  svgCache ??= Promise.all(machineCharts().map(async (c) => ({ name: c.name, svg: await toSvg(c, { style: false }) })));
  svgCache.catch(() => {
    svgCache = null;
  });
  return svgCache;
}

export interface InspectorOptions {
  /** Timestamps and the summary/heartbeat timers; default the real clock. */
  clock?: Clock;
  /** At most one state summary per this many ms (default 100, ~10/s); unchanged summaries are not sent. */
  intervalMs?: number;
  /** A comment line on idle streams this often (default 15,000 ms). */
  heartbeatMs?: number;
  /** Concurrent event streams; one more is answered 503 (default 32). */
  maxClients?: number;
  /** Transitions kept for a page that connects later (default 200). */
  recentSize?: number;
}

export interface Inspector {
  /** `GET /inspect`: the self-contained live page (HTML, inline CSS and script, no network); answered once the statecharts are laid out (once per process). */
  page(req: IncomingMessage, res: ServerResponse): void;
  /** `GET /inspect/events`: Server-Sent Events — `hello`, `transition`, `state`, `dropped`. */
  events(req: IncomingMessage, res: ServerResponse): void;
  /** Ends every stream, stops the timers and unsubscribes from the actors. Idempotent. */
  close(): void;
}

/**
 * A live view of a router's actors (`GET /inspect`; docs/INSPECT.md). It follows every child actor of
 * every board (breaker, key slots, batchers, retries) and streams their state changes as
 * `{ provider, actor, from?, to, at }`, plus a throttled `router.state()` summary — never a raw XState
 * snapshot, so nothing but names and figures leaves the process. Memory is bounded per client.
 *
 * ```ts
 * const inspector = createInspector(router);
 * http.createServer((req, res) =>
 *   req.url === '/inspect' ? inspector.page(req, res)
 *   : req.url === '/inspect/events' ? inspector.events(req, res)
 *   : res.writeHead(404).end()).listen(8787);
 * ```
 */
export function createInspector(router: Router, options: InspectorOptions = {}): Inspector {
  const intervalMs = options.intervalMs ?? 100;
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const maxClients = options.maxClients ?? 32;
  const recentSize = options.recentSize ?? 200;
  if (typeof intervalMs !== 'number' || !(intervalMs >= 10)) throw invalid('createInspector', 'intervalMs', 'a number >= 10', intervalMs);
  if (typeof heartbeatMs !== 'number' || !(heartbeatMs >= 100)) throw invalid('createInspector', 'heartbeatMs', 'a number >= 100', heartbeatMs);
  if (!Number.isInteger(maxClients) || maxClients < 1) throw invalid('createInspector', 'maxClients', 'an integer >= 1', maxClients);
  if (!Number.isInteger(recentSize) || recentSize < 0) throw invalid('createInspector', 'recentSize', 'an integer >= 0', recentSize);
  const clock = options.clock ?? systemClock;

  const clients = new Set<SseClient>();
  const recent: InspectorTransition[] = [];
  let pending: string[] = [];
  let flushQueued = false;
  let closed = false;
  let summaryTimer: unknown = null;
  let heartbeatTimer: unknown = null;

  const flush = () => {
    flushQueued = false;
    const frames = pending;
    pending = [];
    for (const c of clients) {
      for (const f of frames) c.transition(f);
      c.pump();
    }
  };

  const onTransition = (t: InspectorTransition) => {
    if (recentSize > 0) {
      recent.push(t);
      if (recent.length > recentSize) recent.shift();
    }
    if (clients.size === 0) return;
    pending.push(frame('transition', t));
    // Written after the runtime's current turn: an actor's callback never waits on a socket.
    if (!flushQueued) {
      flushQueued = true;
      setImmediate(flush);
    }
  };

  const trackers = new Map<Provider, BoardTracker>();
  for (const [name, board] of router.boards) trackers.set(name, new BoardTracker(name, board, () => clock.now(), onTransition));

  const summary = () => summarize(router, trackers, clock.now());

  const tick = () => {
    summaryTimer = null;
    if (closed || clients.size === 0) return;
    const data = summary();
    const key = JSON.stringify(data.providers);
    let text: string | null = null;
    const once = () => (text ??= frame('state', data));
    for (const c of clients) {
      c.summary(once, key);
      c.pump();
    }
    summaryTimer = clock.setTimeout(tick, intervalMs);
  };

  const beat = () => {
    heartbeatTimer = null;
    if (closed || clients.size === 0) return;
    for (const c of clients) c.heartbeat();
    heartbeatTimer = clock.setTimeout(beat, heartbeatMs);
  };

  const unavailable = (res: ServerResponse, message: string) => {
    res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
    res.end(message);
  };

  const wrongMethod = (req: IncomingMessage, res: ServerResponse): boolean => {
    if (req.method === 'GET' || req.method === 'HEAD') return false;
    res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' });
    res.end('method not allowed\n');
    return true;
  };

  const sendPage = (req: IncomingMessage, res: ServerResponse, charts: Array<{ name: string; svg: string }>) => {
    if (res.destroyed) return;
    const nonce = randomBytes(16).toString('base64');
    const html = renderPage({ charts, nonce, boot: { intervalMs, state: summary(), recent } });
    res.writeHead(200, {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      // Nothing but this page's own script and style, and its event stream on the same origin.
      'content-security-policy': `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
    });
    res.end(req.method === 'HEAD' ? undefined : html);
  };

  return {
    page(req, res) {
      if (wrongMethod(req, res)) return;
      if (closed) return unavailable(res, 'the inspector is closed\n');
      chartSvgs().then(
        (charts) => (closed ? unavailable(res, 'the inspector is closed\n') : sendPage(req, res, charts)),
        (err: unknown) => {
          if (res.headersSent || res.destroyed) return;
          res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
          res.end(`the statecharts could not be laid out: ${scrubSecrets(String(err))}\n`);
        },
      );
    },

    events(req, res) {
      if (wrongMethod(req, res)) return;
      if (closed) return unavailable(res, 'the inspector is closed\n');
      if (clients.size >= maxClients) return unavailable(res, `too many inspector streams (at most ${maxClients})\n`);
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
        'x-content-type-options': 'nosniff',
      });
      if (req.method === 'HEAD') {
        res.end();
        return;
      }
      // A stream is idle between events by design: no socket inactivity timeout for it.
      req.socket.setTimeout(0);
      req.socket.setNoDelay(true);
      const client = new SseClient(res, () => clock.now());
      clients.add(client);
      const state = summary();
      client.sent(JSON.stringify(state.providers));
      res.write(`retry: 2000\n\n${frame('hello', { intervalMs, state, recent })}`);
      const drop = () => {
        clients.delete(client);
        client.end();
      };
      req.on('close', drop);
      res.on('close', drop);
      res.on('error', drop);
      summaryTimer ??= clock.setTimeout(tick, intervalMs);
      heartbeatTimer ??= clock.setTimeout(beat, heartbeatMs);
    },

    close() {
      if (closed) return;
      closed = true;
      if (summaryTimer !== null) clock.clearTimeout(summaryTimer);
      if (heartbeatTimer !== null) clock.clearTimeout(heartbeatTimer);
      summaryTimer = heartbeatTimer = null;
      for (const c of clients) {
        c.transition(frame('bye', {}));
        c.pump();
        c.end();
      }
      clients.clear();
      for (const t of trackers.values()) t.close();
      trackers.clear();
      pending = [];
    },
  };
}
