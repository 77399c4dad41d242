import { createServer, type Server, type ServerResponse } from 'node:http';
import { connect, type Socket } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestClock } from '../../src/clock.js';
import { startGateway, type Gateway } from '../../src/gateway/index.js';
import { frame, SseClient, STALLED_CLIENT_MS } from '../../src/inspector/sse.js';
import { waitUntil } from '../support/gateway.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** A full collection, twice (weak references and finalizers settle on the second), then the heap. */
function heapAfterGc(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

const CLIENTS = 8;
/**
 * Each answer's text, streamed in 4-character deltas: ~25 MB of Server-Sent Events on the wire.
 * Loopback sockets here absorb ~7 MB per connection in kernel buffers (both ends autotuned), so a
 * 200 KB answer (8 MB on the wire) would fit in them and prove nothing about the process.
 */
const ANSWER_CHARS = 600_000;
const DELTA = 'abcd';
const WRITE_TIMEOUT_MS = 30_000;

interface UpstreamStream {
  /** Bytes handed to the socket so far. */
  written: number;
  total: number;
  /** Waiting for `'drain'`: the reader (the gateway) stopped reading. */
  paused: boolean;
  /** The connection closed before the answer was finished. */
  aborted: boolean;
}

/**
 * An OpenAI-format upstream on loopback that streams long answers lazily (no answer is held in
 * memory), honours backpressure like a real server, and reports what it wrote and whether it waits.
 */
async function startLongAnswerUpstream(): Promise<{ url: string; streams: UpstreamStream[]; server: Server }> {
  const streams: UpstreamStream[] = [];
  const frame = (delta: Record<string, unknown>, finish: string | null) =>
    `data: ${JSON.stringify({ id: 'chatcmpl-up', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o-mini', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const count = ANSWER_CHARS / DELTA.length;
      const s: UpstreamStream = { written: 0, total: count * frame({ content: DELTA }, null).length, paused: false, aborted: false };
      streams.push(s);
      res.on('close', () => {
        if (!res.writableFinished) s.aborted = true;
      });
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      void (async () => {
        for (let i = 0; i < count; i++) {
          if (s.aborted || res.destroyed) return;
          const f = frame({ content: DELTA }, null);
          s.written += f.length;
          if (!res.write(f)) {
            s.paused = true;
            await new Promise<void>((resolve) => {
              const done = () => {
                res.off('drain', done);
                res.off('close', done);
                resolve();
              };
              res.on('drain', done);
              res.on('close', done);
            });
            s.paused = false;
          }
        }
        res.end(`${frame({}, 'stop')}data: [DONE]\n\n`);
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}/v1`, streams, server };
}

/** A client that sends a streaming request and then never reads a byte of the answer. */
function stalledClient(gatewayUrl: string, i: number, route: StreamRoute): Promise<Socket> {
  const { hostname, port } = new URL(gatewayUrl);
  const body = JSON.stringify(route.body(`long answer ${i}`));
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => {
      socket.pause();
      socket.write(`POST ${route.path} HTTP/1.1\r\nhost: ${hostname}:${port}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
      resolve(socket);
    });
    socket.on('error', () => {}); // the gateway cuts it off at the write timeout: expected
    socket.once('error', reject);
  });
}

/** Every streaming endpoint of the gateway: each writes through the same backpressure. */
interface StreamRoute {
  path: string;
  body: (text: string) => Record<string, unknown>;
}
const ROUTES: StreamRoute[] = [
  { path: '/v1/chat/completions', body: (text) => ({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: text }] }) },
  { path: '/v1/messages', body: (text) => ({ model: 'gpt-4o-mini', stream: true, max_tokens: 1024, messages: [{ role: 'user', content: text }] }) },
  { path: '/v1/responses', body: (text) => ({ model: 'gpt-4o-mini', stream: true, input: text }) },
];

describe.each(ROUTES)('streams on $path with clients that never read', (route) => {
  let gateway: Gateway | null = null;
  let upstreamServer: Server | null = null;
  const sockets: Socket[] = [];
  afterEach(async () => {
    for (const s of sockets.splice(0)) s.destroy();
    await gateway?.close({ drain: false });
    gateway = null;
    upstreamServer?.closeAllConnections();
    await new Promise((r) => upstreamServer?.close(r));
    upstreamServer = null;
  });

  it('keep the gateway heap flat, pause the upstream, and free the slots after the write timeout', async () => {
    const upstream = await startLongAnswerUpstream();
    upstreamServer = upstream.server;
    const clock = createTestClock();
    gateway = await startGateway({
      port: 0,
      clock,
      inspector: false,
      writeTimeoutMs: WRITE_TIMEOUT_MS,
      env: { BACKPRESSURE_KEY: 'upstream-key-7f3a9c21' },
      config: { providers: { openai: { baseUrl: upstream.url, queue: { maxConcurrent: CLIENTS }, keys: [{ env: 'BACKPRESSURE_KEY', name: 'k1', maxConcurrent: CLIENTS }] } } },
    });
    const baseline = heapAfterGc();

    for (let i = 0; i < CLIENTS; i++) sockets.push(await stalledClient(gateway.url, i, route));

    // Every answer stops: the gateway waits on each client's full socket (one write timer each on its
    // clock), and each upstream waits on its own full socket because the gateway stopped reading it.
    const stalled = () => clock.pending() === CLIENTS && upstream.streams.length === CLIENTS && upstream.streams.every((s) => s.paused);
    await waitUntil(stalled, 20_000, 'every stream to stall at both ends').catch((e) => {
      throw new Error(`${e.message}: ${JSON.stringify(upstream.streams)} ${JSON.stringify(gateway!.router.state().openai)}`);
    });
    const grown = heapAfterGc() - baseline;
    expect(stalled()).toBe(true); // still: nothing moved while the heap was measured
    expect(grown).toBeLessThan(20 * 1024 * 1024);
    for (const s of upstream.streams) {
      // Bounded by the kernel's socket buffers and a few dozen chunks, not by the answer's length.
      expect(s.written).toBeLessThan(s.total / 2);
      expect(s.aborted).toBe(false);
    }
    expect(gateway.router.state().openai!.inFlight).toBe(CLIENTS);

    // The write timeout passes on the gateway's clock: every stalled stream is cut off. The kernel
    // may still take a last piece of a "stalled" socket (a late 'drain'), which re-arms that
    // stream's timer: each further round of the timeout must then cut the rest.
    const allAborted = () => upstream.streams.every((s) => s.aborted);
    for (let round = 0; round < 4 && !allAborted(); round++) {
      await clock.tickAsync(WRITE_TIMEOUT_MS);
      await waitUntil(allAborted, 3_000, 'every upstream request to be aborted').catch(() => {});
    }
    expect(upstream.streams.filter((s) => !s.aborted)).toEqual([]);
    await waitUntil(() => gateway!.router.state().openai!.inFlight === 0, 10_000, 'the slots to be free');
    expect(gateway.router.state().openai!.keys[0]!.inFlight).toBe(0);
  });
});

describe('an /inspect event stream whose client never reads', () => {
  it('is cut off once nothing has been read for the stall timeout, with its queue bounded meanwhile', async () => {
    let now = 0;
    let client: SseClient | null = null;
    let response: ServerResponse | null = null;
    let closed = false;
    const server = createServer((_req, res) => {
      response = res;
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.on('close', () => (closed = true));
      client = new SseClient(res, () => now, STALLED_CLIENT_MS);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const socket = await stalledSocket((server.address() as { port: number }).port);
    try {
      await waitUntil(() => client !== null, 5_000, 'the stream to open');
      const c = client as unknown as SseClient;
      // Summaries of 64 KB each until the socket is full and the client is waiting on it.
      const big = frame('state', { pad: 'x'.repeat(64 * 1024) });
      for (let i = 0; i < 10_000 && !(response as unknown as ServerResponse).writableNeedDrain; i++) {
        c.summary(() => big, `s${i}`);
        c.pump();
        await new Promise<void>((r) => setImmediate(r));
      }
      for (let i = 0; i < 1_000; i++) c.transition(frame('t', { i }));
      c.heartbeat();
      expect(closed).toBe(false);
      now += STALLED_CLIENT_MS;
      c.heartbeat();
      await waitUntil(() => closed, 5_000, 'the stalled stream to close');
      expect(c.closed).toBe(true);
    } finally {
      socket.destroy();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});

function stalledSocket(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.pause();
      socket.write(`GET /inspect/events HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\n\r\n`);
      resolve(socket);
    });
    socket.on('error', () => {});
    socket.once('error', reject);
  });
}
