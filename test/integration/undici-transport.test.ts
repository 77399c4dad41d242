import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TransportError } from '../../src/errors.js';
import { BodyTooLargeError, createUndiciTransport, type UndiciTransport } from '../../src/transport/index.js';

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

let server: Server;
let base: string;
let handler: Handler;
let transport: UndiciTransport;
const sockets = new Set<import('node:net').Socket>();

beforeEach(async () => {
  handler = (_req, res) => res.end('ok');
  server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => handler(req, res, body));
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  transport = createUndiciTransport();
});

afterEach(async () => {
  for (const s of sockets) s.destroy();
  await transport.close();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const post = (path: string, body = '{}', headers: Record<string, string> = {}, signal = new AbortController().signal) =>
  transport({ method: 'POST', url: base + path, headers: { 'content-type': 'application/json', ...headers }, body }, signal);

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

describe('undici transport', () => {
  it('sends method, path with query, headers and body, and resolves any status with the body as text', async () => {
    let seen: { method?: string; url?: string; auth?: string; body?: string } = {};
    handler = (req, res, body) => {
      seen = { method: req.method, url: req.url, auth: req.headers.authorization, body };
      res.statusCode = 503;
      res.end('{"error":"down"}');
    };
    const res = await post('/v1/chat/completions?x=1', '{"a":1}', { authorization: 'Bearer k' });
    expect(seen).toEqual({ method: 'POST', url: '/v1/chat/completions?x=1', auth: 'Bearer k', body: '{"a":1}' });
    expect(res.status).toBe(503);
    expect(res.body).toBe('{"error":"down"}');
  });

  it('gives header names in lower case and joins repeated headers with ", "', async () => {
    handler = (_req, res) => {
      res.setHeader('X-RateLimit-Remaining-Requests', '42');
      res.setHeader('X-Multi', ['a', 'b']);
      res.end('');
    };
    const res = await post('/');
    expect(res.headers['x-ratelimit-remaining-requests']).toBe('42');
    expect(res.headers['x-multi']).toBe('a, b');
    expect(Object.keys(res.headers).every((k) => k === k.toLowerCase())).toBe(true);
  });

  it('decodes UTF-8 split across chunks', async () => {
    handler = (_req, res) => {
      const bytes = Buffer.from('héllo → 世界', 'utf8');
      res.write(bytes.subarray(0, 2));
      setImmediate(() => res.end(bytes.subarray(2)));
    };
    expect((await post('/')).body).toBe('héllo → 世界');
  });

  it('reuses keep-alive connections: 20 sequential requests open at most 2 sockets', async () => {
    const ports = new Set<number>();
    handler = (req, res) => {
      ports.add(req.socket.remotePort!);
      res.end('ok');
    };
    // undici's Pool marks a connection free on its 'drain' event, one tick after the response
    // ends, so a request sent in that same tick opens a second socket; from then on both are reused.
    for (let i = 0; i < 20; i++) await post(`/${i}`);
    expect(ports.size).toBeLessThanOrEqual(2);
  });

  it('rejects ECONNREFUSED when nothing listens', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const err = await rejection(transport({ method: 'GET', url: `http://127.0.0.1:${port}/x`, headers: {} }, new AbortController().signal));
    expect(err).toBeInstanceOf(TransportError);
    expect((err as TransportError).code).toBe('ECONNREFUSED');
    expect((err as TransportError).retryable).toBe(true);
  });

  it('rejects UND_ERR_SOCKET when the server closes the socket mid-body', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('{"partial":');
      setImmediate(() => res.socket!.destroy());
    };
    const err = await rejection(post('/'));
    expect(err).toBeInstanceOf(TransportError);
    expect((err as TransportError).code).toBe('UND_ERR_SOCKET');
  });

  it('rejects with a connection error when the server resets the connection', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('{"partial":');
      setImmediate(() => res.socket!.resetAndDestroy());
    };
    const err = await rejection(post('/'));
    expect(err).toBeInstanceOf(TransportError);
    expect(['ECONNRESET', 'UND_ERR_SOCKET']).toContain((err as TransportError).code);
  });

  it('rejects with the signal reason as is, and the server sees the connection close', async () => {
    let serverSawClose!: Promise<void>;
    let arrived!: () => void;
    const arrival = new Promise<void>((r) => (arrived = r));
    handler = (req, res) => {
      serverSawClose = new Promise<void>((r) => res.on('close', () => r()));
      void req;
      arrived();
    };
    const ac = new AbortController();
    const p = post('/hang', '{}', {}, ac.signal);
    await arrival;
    const reason = new Error('caller gave up');
    ac.abort(reason);
    expect(await rejection(p)).toBe(reason);
    await serverSawClose;
  });

  it('rejects with the signal reason when aborted while the body streams', async () => {
    let wrote!: () => void;
    const bodyStarted = new Promise<void>((resolve) => (wrote = resolve));
    handler = (_req, res) => {
      res.writeHead(200, { 'content-length': '1000' });
      res.write('{"slow":', () => wrote());
    };
    const ac = new AbortController();
    const p = post('/', '{}', {}, ac.signal);
    await bodyStarted;
    ac.abort('stop');
    expect(await rejection(p)).toBe('stop');
  });

  it('rejects at once with the reason of a signal aborted before the call, sending nothing', async () => {
    let calls = 0;
    handler = (_req, res) => {
      calls++;
      res.end();
    };
    const reason = new Error('already');
    expect(await rejection(post('/', '{}', {}, AbortSignal.abort(reason)))).toBe(reason);
    await post('/');
    expect(calls).toBe(1);
  });

  it('rejects with the signal reason when aborted while waiting for a connection, and never sends it', async () => {
    await transport.close();
    transport = createUndiciTransport({ connections: 1 });
    const paths: string[] = [];
    let release!: () => void;
    let arrived!: () => void;
    const arrival = new Promise<void>((r) => (arrived = r));
    handler = (req, res) => {
      paths.push(req.url ?? '');
      if (req.url === '/first') {
        release = () => res.end('first');
        arrived();
      } else res.end('later');
    };
    const first = post('/first');
    await arrival;
    const ac = new AbortController();
    const queued = post('/queued', '{}', {}, ac.signal);
    const reason = new Error('gave up in the queue');
    ac.abort(reason);
    expect(await rejection(queued)).toBe(reason);
    release();
    expect((await first).body).toBe('first');
    expect((await post('/after')).body).toBe('later');
    expect(paths).toEqual(['/first', '/after']);
  });

  it('opens no more connections than a connections function gives, and grows the pool when it grows', async () => {
    await transport.close();
    let allowed = 1;
    transport = createUndiciTransport({ connections: () => allowed });
    let opened = 0;
    server.on('connection', () => opened++);
    await Promise.all([post('/a'), post('/b'), post('/c')]);
    expect(opened).toBe(1);
    // Three held at once answer only when all three are in: a pool of one could never get there.
    allowed = 3;
    const held: Array<() => void> = [];
    handler = (_req, res) => {
      held.push(() => res.end('held'));
      if (held.length === 3) for (const answer of held) answer();
    };
    const bodies = await Promise.all([post('/x'), post('/y'), post('/z')]);
    expect(bodies.map((r) => r.body)).toEqual(['held', 'held', 'held']);
    expect(opened).toBe(4);
  });

  it('drops a leading UTF-8 byte-order mark from the body text', async () => {
    handler = (_req, res) => res.end(Buffer.from([0xef, 0xbb, 0xbf, ...Buffer.from('{"a":"é"}')]));
    const res = await post('/');
    expect(res.body).toBe('{"a":"é"}');
    expect(JSON.parse(res.body)).toEqual({ a: 'é' });
  });

  it('rejects SB_BODY_TOO_LARGE when content-length is over the cap', async () => {
    await transport.close();
    transport = createUndiciTransport({ maxBodyBytes: 1024 });
    handler = (_req, res) => {
      res.writeHead(200, { 'content-length': '4096' });
      res.end('x'.repeat(4096));
    };
    const err = await rejection(post('/'));
    expect(err).toBeInstanceOf(BodyTooLargeError);
    expect(err).toMatchObject({ code: 'SB_BODY_TOO_LARGE', status: 200, limitBytes: 1024 });
  });

  it('rejects SB_BODY_TOO_LARGE when a chunked body grows over the cap, and reads one at the cap', async () => {
    await transport.close();
    transport = createUndiciTransport({ maxBodyBytes: 1024 });
    let size = 2000;
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('x'.repeat(size - 10));
      setImmediate(() => res.end('y'.repeat(10)));
    };
    const err = await rejection(post('/'));
    expect(err).toMatchObject({ code: 'SB_BODY_TOO_LARGE', status: 200 });
    size = 1024;
    expect((await post('/')).body.length).toBe(1024);
  });

  it('rejects UND_ERR_HEADERS_TIMEOUT when no answer comes within headersTimeoutMs', async () => {
    await transport.close();
    transport = createUndiciTransport({ headersTimeoutMs: 50 });
    handler = () => {};
    const err = await rejection(post('/'));
    expect((err as TransportError).code).toBe('UND_ERR_HEADERS_TIMEOUT');
  });

  it('rejects UND_ERR_BODY_TIMEOUT when the body stalls past bodyTimeoutMs', async () => {
    await transport.close();
    transport = createUndiciTransport({ bodyTimeoutMs: 50 });
    handler = (_req, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('{');
    };
    const err = await rejection(post('/'));
    expect((err as TransportError).code).toBe('UND_ERR_BODY_TIMEOUT');
  });

  it('keeps one pool per origin across base URLs and closes them all', async () => {
    const other = createServer((_req, res) => res.end('other'));
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    const otherUrl = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
    const res = await transport({ method: 'GET', url: `${otherUrl}/x`, headers: {} }, new AbortController().signal);
    expect(res.body).toBe('other');
    expect((await post('/')).body).toBe('ok');
    await transport.close();
    const err = await rejection(post('/'));
    expect((err as TransportError).code).toBe('UND_ERR_CLOSED');
    // The pools' sockets are gone, so the server closes without waiting for keep-alive.
    await new Promise<void>((resolve) => other.close(() => resolve()));
  });
});
