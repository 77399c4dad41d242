import { request } from 'node:http';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestClock } from '../../src/clock.js';
import { startGateway, type Gateway, type GatewayOptions } from '../../src/gateway/index.js';

const gateways: Gateway[] = [];
afterEach(async () => {
  for (const g of gateways.splice(0)) await g.close({ drain: false });
});

async function start(options: GatewayOptions): Promise<Gateway> {
  const g = await startGateway({ port: 0, sim: true, inspector: false, ...options });
  gateways.push(g);
  return g;
}

async function configError(p: Promise<unknown>): Promise<{ code: string; field: string; message: string }> {
  try {
    const g = await p;
    if (g && typeof (g as Gateway).close === 'function') gateways.push(g as Gateway);
  } catch (error) {
    return error as { code: string; field: string; message: string };
  }
  throw new Error('expected SB_CONFIG, it started');
}

/** One request with whatever headers (a browser's `Host` and `Origin` included), over node:http. */
function send(url: string, method: string, path: string, headers: Record<string, string>, body?: string): Promise<{ status: number; text: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname.replace(/^\[|\]$/g, ''), port, method, path, headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode!, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const CHAT = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });

describe('tokens are trimmed, and an empty one is refused (finding 4)', () => {
  it('refuses a whitespace-only token instead of letting a non-loopback bind through', async () => {
    expect((await configError(start({ token: '   ', host: '0.0.0.0' }))).code).toBe('SB_CONFIG');
    expect((await configError(start({ env: { SWITCHBOARD_TOKEN: ' \t ' }, host: '0.0.0.0' }))).field).toBe('token');
  });

  it('reads `abc ` as `abc` by header and by ?token= alike, and never opens a session for spaces', async () => {
    const g = await start({ token: 'tok-1234567 ' });
    const auth = (v: string) => send(g.url, 'GET', '/v1/models', { authorization: v });
    expect((await auth('Bearer tok-1234567')).status).toBe(200);
    expect((await auth('Bearer tok-1234567 ')).status).toBe(200);
    expect((await send(g.url, 'GET', '/inspect?token=tok-1234567%20', {})).status).not.toBe(401);
    expect((await send(g.url, 'GET', '/inspect?token=%20%20%20', {})).status).toBe(401);
  });
});

describe('a Host / Origin allow-list defeats DNS rebinding (finding 5)', () => {
  it('answers 403 to a rebinding page on every route, without a token configured', async () => {
    const g = await start({});
    const evil = { host: `evil.example:${g.port}` };
    expect((await send(g.url, 'POST', '/v1/chat/completions', evil, CHAT)).status).toBe(403);
    expect((await send(g.url, 'POST', '/sim/configure', evil, '{"defaults":{"latencyMs":1}}')).status).toBe(403);
    const report = await send(g.url, 'GET', '/report', evil);
    expect(report.status).toBe(403);
    expect(JSON.parse(report.text).error.code).toBe('SB_FORBIDDEN');
    // A cross-site page that reaches the right Host is refused by its Origin.
    expect((await send(g.url, 'POST', '/v1/chat/completions', { origin: 'http://evil.example' }, CHAT)).status).toBe(403);
    expect((await send(g.url, 'POST', '/v1/chat/completions', { origin: 'null' }, CHAT)).status).toBe(403);
    expect(g.simulator!.stats().requests).toBe(0);
  });

  it('serves the loopback names, the bound address and --allowed-host', async () => {
    const g = await start({ allowedHosts: ['gw.internal'] });
    for (const host of [`127.0.0.1:${g.port}`, `localhost:${g.port}`, `[::1]:${g.port}`, `gw.internal:${g.port}`, 'gw.internal']) {
      expect((await send(g.url, 'POST', '/v1/chat/completions', { host }, CHAT)).status, host).toBe(200);
    }
    expect((await send(g.url, 'POST', '/v1/chat/completions', { origin: `http://localhost:${g.port}` }, CHAT)).status).toBe(200);
  });
});

describe('authentication comes first, and a refused upload is not read (finding 10)', () => {
  it('answers 401, not 404 or 405, to a request without the token', async () => {
    const g = await start({ token: 'tok-abcdefgh' });
    expect((await send(g.url, 'GET', '/no/such/route', {})).status).toBe(401);
    expect((await send(g.url, 'DELETE', '/v1/models', {})).status).toBe(401);
    expect((await send(g.url, 'GET', '/sim/stats', {})).status).toBe(401);
    expect((await send(g.url, 'GET', '/health', {})).status).toBe(200);
    const authed = { authorization: 'Bearer tok-abcdefgh' };
    expect((await send(g.url, 'GET', '/no/such/route', authed)).status).toBe(404);
    expect((await send(g.url, 'DELETE', '/v1/models', authed)).status).toBe(405);
  });

  it('closes the connection after a 401 instead of reading a 1 GB body', async () => {
    const g = await start({ token: 'tok-abcdefgh' });
    const { port } = new URL(g.url);
    const result = await new Promise<{ answer: string; written: number }>((resolve) => {
      const socket = connect(Number(port), '127.0.0.1');
      let answer = '';
      let written = 0;
      let done = false;
      const finish = () => {
        if (done) return;
        done = true;
        socket.destroy();
        resolve({ answer, written });
      };
      socket.setEncoding('utf8').on('data', (c: string) => (answer += c));
      socket.on('error', finish);
      socket.on('close', finish);
      const chunk = Buffer.alloc(1024 * 1024, 97);
      const pump = () => {
        // 256 MiB at most: far past any socket buffer, far short of the 1 GB announced.
        while (!done && written < 256 * 1024 * 1024) {
          written += chunk.length;
          if (!socket.write(chunk)) return void socket.once('drain', pump);
        }
        finish();
      };
      socket.write(`POST /v1/chat/completions HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\ncontent-type: application/json\r\ncontent-length: ${1024 ** 3}\r\n\r\n`, pump);
    });
    expect(result.answer).toMatch(/^HTTP\/1\.1 401/);
    expect(result.answer.toLowerCase()).toContain('connection: close');
    // What the kernel buffers on both ends holds, not the body.
    expect(result.written).toBeLessThan(64 * 1024 * 1024);
  });
});

describe('bracketed IPv6 hosts (finding 10)', () => {
  it('listens on `[::1]` as written in a URL', async () => {
    const g = await start({ host: '[::1]' });
    expect(g.url).toMatch(/^http:\/\/\[::1\]:\d+$/);
    expect((await send(g.url, 'GET', '/health', {})).status).toBe(200);
  });
});

describe('repeated warnings are rate-limited (finding 10)', () => {
  it('writes one line per kind per interval, then one line with the count', async () => {
    const clock = createTestClock();
    const lines: string[] = [];
    const log = (_obj: unknown, msg?: string) => lines.push(msg ?? '');
    const g = await start({
      clock,
      logger: { warn: log, error: log },
      config: { providers: { openai: { circuitBreaker: { failureThreshold: 1 }, retry: { maxRetries: 0 } } } },
    });
    g.simulator!.configure({ openai: { outage: true } });
    for (let i = 0; i < 40; i++) expect((await send(g.url, 'POST', '/v1/chat/completions', {}, CHAT)).status).toBe(503);
    const during = [...lines];
    // The outage's 503 once, the open breaker's 503 once.
    expect(during.length).toBeLessThanOrEqual(2);
    await clock.tickAsync(10_000);
    const summary = lines.slice(during.length);
    expect(summary).toHaveLength(1);
    expect(summary[0]).toMatch(/and 3\d more like it/);
  });
});
