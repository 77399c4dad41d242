import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { FastRequest, FastResponse } from '../../src/gateway/front/exchange.js';
import { FastFront } from '../../src/gateway/front/front.js';

// The front's decisions, step by step: a real loopback connection whose server side the front owns,
// with the bytes it "receives" handed to it as 'data' events by the test (so each arrives exactly as
// split here). What the client reads back is read from the client side.

const BODY = '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}';
const post = (body = BODY, path = '/v1/chat/completions') =>
  `POST ${path} HTTP/1.1\r\nhost: a\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
const GET = 'GET /health HTTP/1.1\r\nhost: a\r\n\r\n';

interface Seen {
  handled: Array<{ req: FastRequest; res: FastResponse }>;
  handedOff: Array<string | null>;
}

describe('the front (one connection, bytes as they arrive)', () => {
  let server: Server;
  let port: number;
  let accepted: (s: Socket) => void = () => undefined;
  const open: Socket[] = [];
  beforeAll(async () => {
    server = createServer({ allowHalfOpen: true }, (s) => accepted(s));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterEach(() => {
    for (const s of open.splice(0)) s.destroy();
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  /** A front on a fresh connection: `feed` hands it bytes, `client` is the other end. */
  async function setup(options: { bodyLimitBytes?: number; keepAliveTimeoutMs?: number } = {}) {
    const seen: Seen = { handled: [], handedOff: [] };
    const front = new FastFront({
      handle: (req, res) => seen.handled.push({ req, res }),
      handOff: (_socket, unread) => seen.handedOff.push(unread === null ? null : unread.toString('latin1')),
      bodyLimitBytes: options.bodyLimitBytes ?? 1024 * 1024,
      keepAliveTimeoutMs: options.keepAliveTimeoutMs ?? 5_000,
    });
    const serverSide = new Promise<Socket>((resolve) => (accepted = resolve));
    const client = connect(port, '127.0.0.1');
    open.push(client);
    const socket = await serverSide;
    open.push(socket);
    front.accept(socket);
    let received = '';
    client.on('data', (d) => (received += d.toString('latin1')));
    const feed = (text: string) => socket.emit('data', Buffer.from(text, 'latin1'));
    return { front, socket, client, seen, feed, received: () => received };
  }
  const turn = () => new Promise<void>((resolve) => process.nextTick(resolve));

  it('reads a whole call: path, headers, the body and its parsed JSON', async () => {
    const { seen, feed } = await setup();
    feed(post());
    expect(seen.handedOff).toEqual([]);
    expect(seen.handled).toHaveLength(1);
    const { req } = seen.handled[0]!;
    expect(req.url).toBe('/v1/chat/completions');
    expect(req.method).toBe('POST');
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.body).toBe(BODY);
    expect(req.json).toEqual({ value: JSON.parse(BODY) });
  });

  it('hands a body that is not JSON over as the error reading it gives (the route answers 400)', async () => {
    const { seen, feed } = await setup();
    feed(post('{"model":'));
    const { json } = seen.handled[0]!.req;
    expect('error' in json && json.error).toBeInstanceOf(ConfigError);
  });

  it.each([
    ['a head that has not ended', post().slice(0, 40)],
    ['a body that has not arrived whole', post().slice(0, -5)],
    ['another route', GET],
    ['a chunked body', `POST /v1/chat/completions HTTP/1.1\r\nhost: a\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n`],
    ['a call that asks to stream', post('{"model":"gpt-4o-mini","stream":true,"messages":[]}')],
  ])('gives the connection to Node, every byte unread, for %s', async (_what, text) => {
    const { seen, feed } = await setup();
    feed(text);
    expect(seen.handled).toEqual([]);
    expect(seen.handedOff).toEqual([text]);
  });

  it('gives a body over the limit to Node (which answers 413)', async () => {
    const { seen, feed } = await setup({ bodyLimitBytes: 10 });
    feed(post());
    expect(seen.handedOff).toEqual([post()]);
  });

  it('answers pipelined calls one at a time, in order, and gives the rest to Node after the last answer', async () => {
    const { seen, feed, client } = await setup();
    feed(post() + post('{"model":"b","messages":[]}') + GET);
    expect(seen.handled).toHaveLength(1);
    const answered = new Promise<void>((resolve) => client.on('data', () => resolve()));
    seen.handled[0]!.res.writeHead(200, { 'content-type': 'application/json' }).end('{"n":1}');
    await turn();
    expect(seen.handled).toHaveLength(2);
    expect(seen.handled[1]!.req.body).toBe('{"model":"b","messages":[]}');
    expect(seen.handedOff).toEqual([]);
    seen.handled[1]!.res.writeHead(200, {}).end('{"n":2}');
    await turn();
    expect(seen.handedOff).toEqual([GET]);
    await answered;
  });

  it('writes the head Node would: status, the headers given, x-request-id, length, date, keep-alive', async () => {
    const { seen, feed, client, received } = await setup({ keepAliveTimeoutMs: 7_000 });
    feed(post());
    const { res } = seen.handled[0]!;
    res.requestId = 'req_1';
    const events: string[] = [];
    res.on('finish', () => events.push('finish'));
    res.on('close', () => events.push(`close finished=${res.writableFinished}`));
    res.writeHead(201, { 'content-type': 'application/json; charset=utf-8', 'x-switchboard-provider': 'openai' }).end('{"ok":"é"}');
    await new Promise<void>((resolve) => client.once('data', () => resolve()));
    const text = Buffer.from(received(), 'latin1').toString('utf8');
    const [head, body] = text.split('\r\n\r\n');
    expect(head!.split('\r\n')[0]).toBe('HTTP/1.1 201 Created');
    expect(head).toMatch(/\r\ncontent-type: application\/json; charset=utf-8\r\n/);
    expect(head).toMatch(/\r\nx-switchboard-provider: openai\r\n/);
    expect(head).toMatch(/\r\nx-request-id: req_1\r\n/);
    expect(head).toMatch(new RegExp(`\\r\\ncontent-length: ${Buffer.byteLength('{"ok":"é"}')}\\r\\n`));
    expect(head).toMatch(/\r\ndate: \w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT\r\n/);
    expect(head).toMatch(/\r\nconnection: keep-alive\r\nkeep-alive: timeout=7$/);
    expect(body).toBe('{"ok":"é"}');
    expect(events).toEqual(['finish', 'close finished=true']);
  });

  it('refuses a header Node would refuse, before writing anything', async () => {
    const { seen, feed } = await setup();
    feed(post());
    const { res } = seen.handled[0]!;
    expect(() => res.writeHead(200, { 'x-bad': 'a\r\nset-cookie: x' }).end('{}')).toThrow(TypeError);
    expect(() => res.writeHead(200, { 'bad name': 'a' }).end('{}')).toThrow(TypeError);
  });

  it('closes after the answer when it says connection: close', async () => {
    const { seen, feed, client } = await setup();
    feed(post() + post());
    const closed = new Promise<void>((resolve) => client.on('end', () => resolve()));
    const { res } = seen.handled[0]!;
    res.setHeader('connection', 'close');
    res.end('{}');
    await closed;
    expect(seen.handled).toHaveLength(1); // the second call is never read
  });

  it('abandons the call in flight when the client closes its end: close without finish', async () => {
    const { seen, feed, socket } = await setup();
    feed(post());
    const { res } = seen.handled[0]!;
    const events: string[] = [];
    res.on('close', () => events.push(`close finished=${res.writableFinished}`));
    socket.emit('end');
    expect(events).toEqual(['close finished=false']);
    expect(res.destroyed).toBe(true);
    res.end('{}'); // a late answer is dropped
  });

  it('closes an idle connection after the keep-alive time, and keeps one with a call in flight', async () => {
    const { seen, feed, client, socket } = await setup({ keepAliveTimeoutMs: 5_000 });
    feed(post());
    socket.emit('timeout');
    expect(socket.destroyed).toBe(false);
    seen.handled[0]!.res.end('{}');
    await turn();
    const closed = new Promise<void>((resolve) => client.on('close', () => resolve()));
    socket.emit('timeout');
    await closed;
  });

  it('closes its idle connections on closeIdle(), and the rest on closeAll()', async () => {
    const a = await setup();
    a.feed(post());
    expect(a.front.size).toBe(1);
    a.front.closeIdle();
    expect(a.socket.destroyed).toBe(false);
    a.front.closeAll();
    expect(a.socket.destroyed).toBe(true);
  });
});
