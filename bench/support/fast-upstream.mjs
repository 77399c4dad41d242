// The fast upstream for the overhead benchmarks: a raw node:net server with a minimal HTTP/1.1
// keep-alive parser, so that the upstream costs a fraction of the client it serves (node:http's
// parser, IncomingMessage/ServerResponse objects and header handling cost as much per request as
// the raw undici client did). Per request it finds the end of the headers, reads content-length
// (or waits for the last chunk of a chunked body), routes on the request line and writes canned
// bytes prepared once (status line, headers and body in one Buffer). Only an embeddings answer
// depends on the body (one vector per input): those routes parse it to count (answers cached per count).
// Run: node bench/support/fast-upstream.mjs [port]   — prints one JSON line { url, urls } when ready.
// Routes (the same prefixes as the simulator, so `urls.<provider>` is each adapter's baseUrl):
//   POST /openai/v1/chat/completions, /openai/v1/embeddings, /groq/openai/v1/chat/completions,
//   /anthropic/v1/messages, /gemini/v1beta/models/<m>:generateContent, …:batchEmbedContents.
// IPC (when forked with a channel): { type: 'stats' } → { requests, byRoute, cpuUs }; { type: 'reset' }.
import { createServer } from 'node:net';

const DIM = 8;
const vector = Array.from({ length: DIM }, (_, i) => (i + 1) / 10);
const chat = JSON.stringify({
  id: 'chatcmpl-fast', object: 'chat.completion', created: 1700000000, model: 'gpt-4o-mini',
  choices: [{ index: 0, message: { role: 'assistant', content: 'ok', refusal: null }, logprobs: null, finish_reason: 'stop' }],
  usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 },
});
const groqChat = chat.replace('gpt-4o-mini', 'llama-3.1-8b-instant');
const anthropic = JSON.stringify({
  id: 'msg_fast', type: 'message', role: 'assistant', model: 'claude-3-5-haiku-latest',
  content: [{ type: 'text', text: 'ok' }], stop_reason: 'end_turn', stop_sequence: null,
  usage: { input_tokens: 3, output_tokens: 1 },
});
const gemini = JSON.stringify({
  candidates: [{ content: { role: 'model', parts: [{ text: 'ok' }] }, finishReason: 'STOP', index: 0 }],
  usageMetadata: { promptTokenCount: 3, candidatesTokenCount: 1, totalTokenCount: 4 },
  modelVersion: 'gemini-2.0-flash',
});

/** A whole HTTP/1.1 answer as bytes, prepared once. */
const answer = (status, body) => Buffer.from(
  `HTTP/1.1 ${status} ${status === 200 ? 'OK' : 'Not Found'}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n`
  + `connection: keep-alive\r\nkeep-alive: timeout=60\r\n\r\n${body}`,
);
const CHAT = answer(200, chat);
const GROQ_CHAT = answer(200, groqChat);
const ANTHROPIC = answer(200, anthropic);
const GEMINI = answer(200, gemini);
const cache = new Map();
const cached = (key, make) => {
  let v = cache.get(key);
  if (v === undefined) cache.set(key, (v = make()));
  return v;
};
const openaiEmbeddings = (n) => cached(`o${n}`, () => answer(200, JSON.stringify({
  object: 'list', model: 'text-embedding-3-small',
  data: Array.from({ length: n }, (_, index) => ({ object: 'embedding', index, embedding: vector })),
  usage: { prompt_tokens: n, total_tokens: n },
})));
const geminiEmbeddings = (n) => cached(`g${n}`, () => answer(200, JSON.stringify({ embeddings: Array.from({ length: n }, () => ({ values: vector })) })));
const inputCount = (text, field) => {
  try {
    const v = JSON.parse(text)[field];
    return Array.isArray(v) ? Math.max(1, v.length) : 1;
  } catch {
    return 1;
  }
};

let requests = 0;
const byRoute = {};
const count = (route) => {
  requests++;
  byRoute[route] = (byRoute[route] ?? 0) + 1;
};

/** Decodes a whole chunked body (for the embeddings routes only). */
function unchunk(buf) {
  const parts = [];
  let at = 0;
  for (;;) {
    const eol = buf.indexOf('\r\n', at);
    const size = parseInt(buf.toString('latin1', at, eol), 16);
    if (!(size > 0)) break;
    parts.push(buf.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
  return Buffer.concat(parts).toString('utf8');
}

/** The answer to one request: routed on the request line; the body is read only by the embeddings routes. */
function route(method, url, body) {
  if (method === 'POST') {
    if (url.endsWith('/chat/completions')) {
      if (url.startsWith('/groq/')) return count('groq.chat'), GROQ_CHAT;
      return count('openai.chat'), CHAT;
    }
    if (url.endsWith('/v1/messages')) return count('anthropic.messages'), ANTHROPIC;
    if (url.includes(':generateContent')) return count('gemini.generateContent'), GEMINI;
    if (url.endsWith('/embeddings')) return count('openai.embeddings'), openaiEmbeddings(inputCount(body(), 'input'));
    if (url.includes(':batchEmbedContents')) return count('gemini.embeddings'), geminiEmbeddings(inputCount(body(), 'requests'));
  }
  return answer(404, JSON.stringify({ error: { message: `fast upstream: no route ${method} ${url}`, type: 'not_found' } }));
}

const CRLF2 = Buffer.from('\r\n\r\n');
const LAST_CHUNK = Buffer.from('0\r\n\r\n');

function onConnection(socket) {
  socket.setNoDelay(true);
  let pending = null;
  socket.on('data', (chunk) => {
    let buf = pending === null ? chunk : Buffer.concat([pending, chunk]);
    pending = null;
    let out = null;
    for (;;) {
      const end = buf.indexOf(CRLF2);
      if (end === -1) break;
      const head = buf.toString('latin1', 0, end);
      const sp1 = head.indexOf(' ');
      const sp2 = head.indexOf(' ', sp1 + 1);
      const method = head.slice(0, sp1);
      const url = head.slice(sp1 + 1, sp2);
      const lower = head.toLowerCase();
      const bodyAt = end + 4;
      let bodyEnd;
      const cl = lower.indexOf('\r\ncontent-length:');
      if (cl !== -1) {
        // parseInt skips the blank after the colon and stops at the line's end.
        bodyEnd = bodyAt + parseInt(head.slice(cl + 17, cl + 40), 10);
        if (buf.length < bodyEnd) break;
      } else if (lower.includes('\r\ntransfer-encoding: chunked')) {
        const last = buf.indexOf(LAST_CHUNK, bodyAt);
        if (last === -1) break;
        bodyEnd = last + LAST_CHUNK.length;
      } else {
        bodyEnd = bodyAt;
      }
      const raw = buf.subarray(bodyAt, bodyEnd);
      const chunked = cl === -1 && bodyEnd > bodyAt;
      const reply = route(method, url, () => (chunked ? unchunk(raw) : raw.toString('utf8')));
      out = out === null ? reply : Buffer.concat([out, reply]);
      buf = buf.subarray(bodyEnd);
      if (buf.length === 0) break;
    }
    if (buf.length > 0) pending = buf;
    if (out !== null) socket.write(out);
  });
  socket.on('error', () => socket.destroy());
}

const sockets = new Set();
const server = createServer((socket) => {
  sockets.add(socket);
  socket.once('close', () => sockets.delete(socket));
  onConnection(socket);
});
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  const { port } = server.address();
  const url = `http://127.0.0.1:${port}`;
  const urls = { openai: `${url}/openai/v1`, anthropic: `${url}/anthropic`, groq: `${url}/groq`, gemini: `${url}/gemini` };
  process.stdout.write(`${JSON.stringify({ url, urls })}\n`);
});
process.on('message', (m) => {
  if (m?.type === 'stats') {
    const c = process.cpuUsage();
    process.send({ type: 'stats', id: m.id, requests, byRoute: { ...byRoute }, cpuUs: c.user + c.system });
  } else if (m?.type === 'reset') {
    requests = 0;
    for (const k of Object.keys(byRoute)) delete byRoute[k];
    process.send({ type: 'reset', id: m.id });
  }
});
process.on('SIGTERM', () => {
  server.close(() => process.exit(0));
  for (const s of sockets) s.destroy();
});
