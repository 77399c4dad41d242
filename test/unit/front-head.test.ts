import fc from 'fast-check';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_HEAD_BYTES, readHead, type FastHead } from '../../src/gateway/front/head.js';

const BODY = '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}';
const plain = (extra = '', body = BODY) =>
  `POST /v1/chat/completions HTTP/1.1\r\nhost: 127.0.0.1:8787\r\ncontent-type: application/json\r\n${extra}content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
const read = (text: string) => readHead(Buffer.from(text, 'latin1'));

describe('the front reads a head only in its strict form', () => {
  it('reads an SDK head: the path, lower-case names, values without the blanks around them, where the body starts', () => {
    const text = plain('X-Stainless-Lang:  js \t\r\nconnection: keep-alive\r\nauthorization: Bearer sk-1\r\n');
    const head = read(text) as FastHead;
    expect(head.path).toBe('/v1/chat/completions');
    expect(head.headers).toEqual({
      host: '127.0.0.1:8787', 'content-type': 'application/json', 'x-stainless-lang': 'js', connection: 'keep-alive',
      authorization: 'Bearer sk-1', 'content-length': String(BODY.length),
    });
    expect(text.slice(head.bodyStart, head.bodyStart + head.bodyLength)).toBe(BODY);
  });

  it('says "more" while the head has not ended, and leaves an over-long head to Node', () => {
    expect(read('POST /v1/chat/completions HTTP/1.1\r\nhost: a\r\n')).toBe('more');
    expect(read(`POST /v1/chat/completions HTTP/1.1\r\nx-long: ${'a'.repeat(MAX_HEAD_BYTES)}`)).toBeNull();
    expect(read(plain(`x-long: ${'a'.repeat(MAX_HEAD_BYTES)}\r\n`))).toBeNull();
  });

  it.each([
    ['another path', plain().replace('/v1/chat/completions', '/v1/models')],
    ['a query string', plain().replace('/v1/chat/completions', '/v1/chat/completions?x=1')],
    ['another method', plain().replace('POST', 'PUT')],
    ['HTTP/1.0', plain().replace('HTTP/1.1', 'HTTP/1.0')],
    ['no content-length', plain().replace(/content-length: \d+\r\n/, '')],
    ['a signed content-length', plain().replace(/content-length: /, 'content-length: +')],
    ['two content-lengths', plain(`content-length: ${BODY.length}\r\n`)],
    ['a content-length and transfer-encoding', plain('transfer-encoding: chunked\r\n')],
    ['expect', plain('expect: 100-continue\r\n')],
    ['upgrade', plain('upgrade: websocket\r\n')],
    ['connection: close', plain('connection: close\r\n')],
    ['connection: upgrade', plain('connection: upgrade\r\n')],
    ['no host', plain().replace(/host: [^\r]+\r\n/, '')],
    ['a repeated header (any)', plain('x-a: 1\r\nX-A: 2\r\n')],
    ['a folded header', plain('x-a: 1\r\n  2\r\n')],
    ['a blank before the colon', plain('x-a : 1\r\n')],
    ['a bare LF', plain('x-a: 1\nx-b: 2\r\n')],
    ['a control character in a value', plain('x-a: 1\x012\r\n')],
    ['a byte above 0x7e in a value', plain('x-a: caf\xe9\r\n')],
    ['a name that is not a token', plain('x(a): 1\r\n')],
    ['a __proto__ header', plain('__proto__: 1\r\n')],
  ])('leaves %s to Node', (_what, text) => {
    expect(read(text)).toBeNull();
  });

  it('checks a pathological header in linear time', () => {
    const text = plain(`x-a: a${' '.repeat(MAX_HEAD_BYTES / 2)}\x01\r\n`);
    const t0 = performance.now();
    expect(read(text)).toBeNull();
    expect(performance.now() - t0).toBeLessThan(50);
  });
});

/** What Node's HTTP server made of some bytes: the request(s) it read, or that it refused them. */
interface NodeReading {
  requests: Array<{ method: string; url: string; headers: Record<string, string | string[] | undefined>; body: string }>;
  refused: boolean;
}

describe('whatever the front reads, Node reads the same way', () => {
  let server: Server;
  let port: number;
  let onRequest: (req: IncomingMessage, body: string) => void = () => undefined;
  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        onRequest(req, Buffer.concat(chunks).toString('latin1'));
        res.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  function nodeReads(bytes: Buffer): Promise<NodeReading> {
    return new Promise((resolve) => {
      const reading: NodeReading = { requests: [], refused: false };
      onRequest = (req, body) => reading.requests.push({ method: req.method!, url: req.url!, headers: { ...req.headers }, body });
      const socket = connect(port, '127.0.0.1', () => socket.end(bytes));
      let answer = '';
      socket.on('data', (d) => (answer += d.toString('latin1')));
      socket.on('error', () => undefined);
      socket.on('close', () => {
        reading.refused = /HTTP\/1\.1 4\d\d/.test(answer);
        resolve(reading);
      });
    });
  }

  const NAMES = ['host', 'content-length', 'Content-Length', 'content-type', 'transfer-encoding', 'connection', 'expect', 'x-a', 'X-A', 'authorization', 'x-b'];
  const VALUES = ['5', '0', '12', ' 5 ', '05', '5, 5', '-1', 'chunked', 'keep-alive', 'close', 'a\tb', 'a b', '', 'caf\xe9', 'a\x7fb', 'a\x00b', 'x\r\n y'];
  const SEPARATORS = [': ', ':', ' : ', ':\t', ': \t '];
  const ENDINGS = ['\r\n', '\r\n', '\r\n', '\n'];
  const wild = fc.tuple(fc.constantFrom(...NAMES), fc.constantFrom(...SEPARATORS), fc.constantFrom(...VALUES), fc.constantFrom(...ENDINGS)).map(([n, s, v, e]) => `${n}${s}${v}${e}`);
  const tame = fc.tuple(fc.constantFrom('x-one', 'X-Two', 'accept', 'user-agent', 'x-request-id'), fc.constantFrom(...SEPARATORS), fc.constantFrom('a', 'a b', ' a\t', '', 'Bearer sk-1', 'gzip, deflate'))
    .map(([n, s, v]) => `${n}${s}${v}\r\n`);
  const line = fc.oneof({ arbitrary: tame, weight: 3 }, { arbitrary: wild, weight: 1 });
  const requestText = fc.record({
    start: fc.constantFrom('POST /v1/chat/completions HTTP/1.1', 'POST /v1/embeddings HTTP/1.1', 'POST /v1/messages HTTP/1.0', 'GET /v1/embeddings HTTP/1.1', 'POST /v1/responses HTTP/1.1'),
    lines: fc.array(line, { maxLength: 5 }),
    host: fc.boolean(),
    // Most requests carry their own length (somewhere among the lines, written in any of the ways above).
    length: fc.option(fc.tuple(fc.constantFrom('content-length', 'Content-Length'), fc.constantFrom(...SEPARATORS), fc.constantFrom(...ENDINGS), fc.nat(6)), { freq: 5 }),
    body: fc.constantFrom('hello', '{"a":1}', '', 'hello world and more'),
  }).map(({ start, lines, host, length, body }) => {
    const all = [...lines];
    if (length) all.splice(length[3] % (all.length + 1), 0, `${length[0]}${length[1]}${body.length}${length[2]}`);
    return `${start}\r\n${host ? 'host: a\r\n' : ''}${all.join('')}\r\n${body}`;
  });

  it('for generated heads (lengths, folds, blanks, bare LFs, repeats, transfer-encodings): each one read is one Node reads alike', async () => {
    let taken = 0;
    await fc.assert(
      fc.asyncProperty(requestText, async (text) => {
        const bytes = Buffer.from(text, 'latin1');
        const head = readHead(bytes);
        if (head === null || head === 'more' || head.bodyStart + head.bodyLength > bytes.length) return;
        taken++;
        const node = await nodeReads(bytes.subarray(0, head.bodyStart + head.bodyLength));
        expect(node.refused).toBe(false);
        expect(node.requests).toHaveLength(1);
        const [r] = node.requests;
        expect(r!.method).toBe('POST');
        expect(r!.url).toBe(head.path);
        expect(r!.headers).toEqual(head.headers);
        expect(r!.body).toBe(bytes.toString('latin1', head.bodyStart, head.bodyStart + head.bodyLength));
      }),
      { numRuns: 400, seed: 20261206 },
    );
    // The generator must reach the accepted form often enough for the property to say something.
    expect(taken).toBeGreaterThan(20);
  });
});
