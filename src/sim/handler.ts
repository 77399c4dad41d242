import type { IncomingMessage, ServerResponse } from 'node:http';
import { answer as simulateAnswer, type Answer } from './answer.js';
import { decide, peekRateView, type Decision, type SimState } from './decide.js';
import { deliveryFor, OK_PLAN } from './faults.js';
import { isRecord } from './formats/common.js';
import { isErrorSpec, type Credentials, type EmbedResult, type ErrorSpec, type RenderContext, type Route, type WireFormat } from './formats/types.js';
import { cancelSleeps, type Exchange, sendBody, sendStream, sleep } from './respond.js';
import { httpDate } from './time-format.js';

const MAX_BODY_BYTES = 32 * 1024 * 1024;

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY_BYTES) chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

function flatHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

type Work = { kind: 'chat'; answer: Answer; stream: boolean } | { kind: 'embed'; result: EmbedResult } | { kind: 'models' };

/** What the request asks for, or why it cannot be served (credentials, route, body). */
function prepare(format: WireFormat, route: Route | null, json: unknown, creds: Credentials, invalidKey: boolean, ctx: RenderContext, where: { method: string; path: string }): ErrorSpec | Work {
  if (!creds.key) return { status: 401, kind: 'missing-key' };
  if (creds.error) return creds.error;
  if (invalidKey) return { status: 401, kind: 'invalid-key', key: creds.key };
  if (!route) return { status: 404, kind: 'not-found', ...where };
  if (route.kind === 'models') return { kind: 'models' };
  if (!isRecord(json)) return { status: 400, kind: 'bad-request', message: 'We could not parse the JSON body of your request. The body must be a JSON object.' };
  if (route.kind === 'embed') {
    const result = format.embed(json, route, ctx);
    return isErrorSpec(result) ? result : { kind: 'embed', result };
  }
  const parsed = format.parseChat(json, route);
  if (isErrorSpec(parsed)) return parsed;
  ctx.includeUsage = parsed.includeUsage;
  if (!route.streamByPath) ctx.sse = true;
  return { kind: 'chat', answer: simulateAnswer(parsed.conversation), stream: parsed.stream };
}

/** The request pipeline: route, authenticate, parse, decide (faults, budgets), wait, answer. */
export function createHandler(state: SimState, formats: WireFormat[], isStopping: () => boolean) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://simulator');
    const method = req.method ?? 'GET';
    const format = formats.find((f) => url.pathname === f.prefix || url.pathname.startsWith(`${f.prefix}/`));
    const raw = await readBody(req);
    if (!format) {
      res.writeHead(404, { 'content-type': 'application/json', date: httpDate(state.clock.now()) });
      res.end(JSON.stringify({ error: { message: `Unknown route ${method} ${url.pathname}: use /openai/v1, /anthropic, /groq or /gemini`, type: 'not_found' } }));
      return;
    }
    const headers = flatHeaders(req);
    const creds = format.credentials(headers, url.searchParams);
    const scope = { provider: format.provider, key: creds.key };
    let json: unknown;
    try {
      json = raw === '' ? undefined : JSON.parse(raw);
    } catch {
      json = undefined;
    }
    const x: Exchange = { res, scope, stats: state.stats, clock: state.clock, destroyedByUs: false, clientGone: false, streaming: false, sleeps: new Set() };
    state.open.add(x);
    res.on('close', () => {
      state.open.delete(x);
      if (!res.writableFinished && !x.destroyedByUs && !isStopping()) {
        x.clientGone = true;
        state.stats.clientClosed(scope);
        if (x.streaming) state.stats.stream(scope, 'abortedByClient');
      }
      cancelSleeps(x);
    });
    state.stats.arrive(scope, creds.keyInUrl, { at: state.clock.now(), method, path: url.pathname + url.search, key: creds.key, headers, body: json ?? raw });

    const knobs = state.config.resolve(format.provider, creds.key);
    const route = format.route(method, url.pathname.slice(format.prefix.length));
    const ctx: RenderContext = {
      model: route && 'model' in route && route.model ? route.model : isRecord(json) && typeof json.model === 'string' ? json.model : '',
      now: state.clock.now(), random: state.random, includeUsage: false, dimensions: knobs.dimensions, sse: url.searchParams.get('alt') === 'sse',
    };
    // The path as the provider would quote it in a 404: without the simulator's provider segment.
    const work = prepare(format, route, json, creds, knobs.invalidKey, ctx, { method, path: url.pathname.replace(/^\/[^/]+/, '') });

    let decision: Decision;
    if (isErrorSpec(work)) {
      // Rate-limit headers go on every answer to a usable key, a 400 or 404 included.
      const keyed = work.kind !== 'missing-key' && work.kind !== 'invalid-key';
      decision = { type: 'error', spec: work, plan: OK_PLAN, view: keyed ? peekRateView(state, scope, knobs) : null };
    } else if (work.kind === 'models') {
      decision = { type: 'ok', plan: OK_PLAN, view: null };
    } else {
      decision = decide(state, scope, knobs, work.kind === 'chat' ? work.answer.inputTokens + work.answer.outputTokens : work.result.inputTokens);
    }

    await sleep(x, knobs.latencyMs + decision.plan.latencyMs);
    if (x.clientGone || res.destroyed) return;
    ctx.now = state.clock.now();
    const base: Record<string, string> = {
      date: httpDate(ctx.now),
      'content-type': 'application/json',
      ...format.requestId(state.random),
      ...(decision.view ? format.rateHeaders(decision.view, ctx.now) : {}),
    };

    if (decision.type === 'error' || isErrorSpec(work)) {
      const spec = decision.type === 'error' ? decision.spec : (work as ErrorSpec);
      const rendered = format.error(spec, ctx);
      const shouldRetry = decision.plan.shouldRetry ?? knobs.shouldRetry;
      if (shouldRetry !== null) base['x-should-retry'] = String(shouldRetry);
      sendBody(x, rendered.status ?? spec.status, { ...base, ...rendered.headers }, JSON.stringify(rendered.body), null);
      return;
    }
    const delivery = deliveryFor(decision.plan, work.kind === 'chat' && work.stream);
    if (delivery.type === 'hang') {
      x.hung = true;
      state.stats.fault(scope, 'hang');
      return;
    }
    if (delivery.type === 'stream' && work.kind === 'chat') {
      const contentType = ctx.sse ? 'text/event-stream; charset=utf-8' : 'application/json; charset=utf-8';
      await sendStream(x, { ...base, 'content-type': contentType, 'cache-control': 'no-cache' }, format.streamFrames(work.answer, ctx), {
        fault: delivery.fault, afterChunks: delivery.afterChunks, chunkDelayMs: knobs.chunkDelayMs, malformedFrame: format.malformedFrame(),
      });
      return;
    }
    const payload = work.kind === 'chat' ? format.chatBody(work.answer, ctx) : work.kind === 'embed' ? work.result.body : format.models(ctx);
    sendBody(x, 200, base, JSON.stringify(payload), delivery.type === 'body' ? delivery.fault : null);
  };
}
