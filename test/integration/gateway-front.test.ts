import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type Gateway } from '../../src/gateway/index.js';
import { waitUntil } from '../support/gateway.js';

// The gateway's front over real sockets: calls it reads itself and calls it gives to Node's server,
// on one connection, in every order; what the client reads must not tell them apart.

const chat = (content: string, extra: Record<string, unknown> = {}) => JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content }], ...extra });
const post = (body: string, headers = 'content-type: application/json\r\n') =>
  `POST /v1/chat/completions HTTP/1.1\r\nhost: 127.0.0.1\r\n${headers}content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
const chunked = (body: string) =>
  `POST /v1/chat/completions HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n${Buffer.byteLength(body).toString(16)}\r\n${body}\r\n0\r\n\r\n`;
const GET_HEALTH = 'GET /health HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n';

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** A client connection that reads answers as they come (content-length or chunked bodies). */
class Conn {
  private buf = Buffer.alloc(0);
  private waiting: (() => void) | null = null;
  readonly socket: Socket;
  closed = false;
  constructor(port: number) {
    this.socket = connect(port, '127.0.0.1');
    this.socket.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.waiting?.();
    });
    this.socket.on('close', () => {
      this.closed = true;
      this.waiting?.();
    });
  }

  send(text: string): void {
    this.socket.write(text);
  }

  /** The next whole answer (bounded: 5 s). */
  async answer(): Promise<Answer> {
    const deadline = Date.now() + 5_000;
    for (;;) {
      const a = this.take();
      if (a) return a;
      if (this.closed) throw new Error(`connection closed; unread: ${this.buf.toString()}`);
      if (Date.now() > deadline) throw new Error('no answer within 5 s');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, deadline - Date.now());
        this.waiting = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
  }

  private take(): Answer | null {
    const end = this.buf.indexOf('\r\n\r\n');
    if (end === -1) return null;
    const lines = this.buf.toString('latin1', 0, end).split('\r\n');
    const status = Number(lines[0]!.split(' ')[1]);
    const headers: Record<string, string> = {};
    for (const l of lines.slice(1)) headers[l.slice(0, l.indexOf(':')).toLowerCase()] = l.slice(l.indexOf(':') + 1).trim();
    let at = end + 4;
    let body = '';
    if (headers['content-length'] !== undefined) {
      const n = Number(headers['content-length']);
      if (this.buf.length < at + n) return null;
      body = this.buf.toString('utf8', at, at + n);
      at += n;
    } else if (headers['transfer-encoding'] === 'chunked') {
      for (;;) {
        const eol = this.buf.indexOf('\r\n', at);
        if (eol === -1) return null;
        const n = parseInt(this.buf.toString('latin1', at, eol), 16);
        if (this.buf.length < eol + 2 + n + 2) return null;
        body += this.buf.toString('utf8', eol + 2, eol + 2 + n);
        at = eol + 2 + n + 2;
        if (n === 0) break;
      }
    }
    this.buf = this.buf.subarray(at);
    return { status, headers, body };
  }

  close(): void {
    this.socket.destroy();
  }
}

describe('the gateway front: calls read at the front and calls given to Node, on one connection', () => {
  let gw: Gateway;
  const conns: Conn[] = [];
  const conn = () => {
    const c = new Conn(gw.port);
    conns.push(c);
    return c;
  };
  beforeAll(async () => {
    gw = await startGateway({ port: 0, sim: true, inspector: false, env: {}, bodyLimitBytes: 4096 });
  });
  afterAll(async () => {
    for (const c of conns) c.close();
    await gw.close();
  });

  it('answers a call, then a GET /health on the same connection (given to Node with its bytes)', async () => {
    const c = conn();
    c.send(post(chat('one')));
    const a = await c.answer();
    expect(a.status).toBe(200);
    expect(JSON.parse(a.body).choices[0].message.content).toBe('echo: one');
    expect(a.headers['x-switchboard-provider']).toBe('openai');
    expect(a.headers['x-request-id']).toMatch(/^req_[0-9a-f]{32}$/);
    expect(a.headers.connection).toBe('keep-alive');
    expect(a.headers.date).toBeTruthy();
    c.send(GET_HEALTH);
    const h = await c.answer();
    expect(h.status).toBe(200);
    expect(JSON.parse(h.body).status).toBe('ok');
    // The connection is Node's now: a call on it is answered all the same.
    c.send(post(chat('two')));
    expect(JSON.parse((await c.answer()).body).choices[0].message.content).toBe('echo: two');
  });

  it('answers pipelined calls and a GET written at once, in order', async () => {
    const c = conn();
    c.send(post(chat('p1')) + post(chat('p2')) + GET_HEALTH + post(chat('p3')));
    const answers = [await c.answer(), await c.answer(), await c.answer(), await c.answer()];
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200]);
    expect(JSON.parse(answers[0]!.body).choices[0].message.content).toBe('echo: p1');
    expect(JSON.parse(answers[1]!.body).choices[0].message.content).toBe('echo: p2');
    expect(JSON.parse(answers[2]!.body).status).toBe('ok');
    expect(JSON.parse(answers[3]!.body).choices[0].message.content).toBe('echo: p3');
  });

  it('gives a chunked body and a streamed call to Node, and answers both', async () => {
    const c = conn();
    c.send(chunked(chat('chunked')));
    expect(JSON.parse((await c.answer()).body).choices[0].message.content).toBe('echo: chunked');
    const d = conn();
    d.send(post(chat('streamed', { stream: true })));
    const s = await d.answer();
    expect(s.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(s.body).toMatch(/data: \[DONE\]\n\n$/);
  });

  it('answers the same errors whichever side read the call (invalid JSON, a wrong content type, too large a body)', async () => {
    const c = conn();
    c.send(post('{"model":'));
    const fast = await c.answer();
    const d = conn();
    d.send(chunked('{"model":'));
    const node = await d.answer();
    expect(fast.status).toBe(400);
    expect(JSON.parse(fast.body)).toEqual(JSON.parse(node.body));
    const e = conn();
    e.send(post(chat('x'), 'content-type: text/plain\r\n'));
    const wrongType = await e.answer();
    expect(wrongType.status).toBe(415);
    expect(JSON.parse(wrongType.body).error.code).toBe('SB_UNSUPPORTED_MEDIA_TYPE');
    const f = conn();
    f.send(post(chat('x'.repeat(5000))));
    const large = await f.answer();
    expect(large.status).toBe(413);
    expect(JSON.parse(large.body).error.code).toBe('SB_BODY_TOO_LARGE');
  });

  it('counts the calls it answers in /metrics', async () => {
    const before = await counted();
    const c = conn();
    c.send(post(chat('m1')) + post(chat('m2')));
    await c.answer();
    await c.answer();
    await waitUntil(async () => (await counted()) === before + 2, 3_000, 'two more counted');
  });

  async function counted(): Promise<number> {
    const text = await (await fetch(`${gw.url}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith('switchboard_gateway_http_requests_total{') && l.includes('route="/v1/chat/completions"') && l.includes('status="200"'));
    return line ? Number(line.split(' ').pop()) : 0;
  }
});

describe('the gateway front: a client that goes away', () => {
  it('aborts the upstream call of a call in flight when its client closes the connection', async () => {
    const gw = await startGateway({
      port: 0, sim: true, inspector: false, env: {},
      config: { providers: { openai: { queue: { maxConcurrent: 1 } } } },
      simConfig: { openai: { script: ['hang'] } },
    });
    const inFlight = async () => ((await (await fetch(`${gw.url}/health`)).json()) as { providers: { openai: { inFlight: number } } }).providers.openai.inFlight;
    try {
      const c = new Conn(gw.port);
      c.send(post(chat('hangs')));
      await waitUntil(async () => (await inFlight()) === 1, 5_000, 'the call in flight');
      c.close();
      await waitUntil(async () => (await inFlight()) === 0, 5_000, 'the slot freed');
      // The slot serves the next call.
      const d = new Conn(gw.port);
      d.send(post(chat('next')));
      expect(JSON.parse((await d.answer()).body).choices[0].message.content).toBe('echo: next');
      d.close();
    } finally {
      await gw.close({ drain: false });
    }
  });

  it('closes an idle connection after keepAliveTimeoutMs', async () => {
    const gw = await startGateway({ port: 0, sim: true, inspector: false, env: {}, keepAliveTimeoutMs: 200 });
    try {
      const c = new Conn(gw.port);
      c.send(post(chat('idle after')));
      expect((await c.answer()).headers['keep-alive']).toBe('timeout=0');
      await waitUntil(() => c.closed, 3_000, 'the idle connection closed');
    } finally {
      await gw.close({ drain: false });
    }
  });
});
