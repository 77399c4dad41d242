// The fast upstream for the overhead benchmarks: a bare node:http server that answers every
// provider route with a canned body, so that the upstream costs far less than the client it
// serves. No parsing beyond routing, except that an embeddings answer must hold one vector per
// input: the embeddings routes parse the body to count them (bodies cached per count).
// Run: node bench/support/fast-upstream.mjs [port]   — prints one JSON line { url, urls } when ready.
// Routes (the same prefixes as the simulator, so `urls.<provider>` is each adapter's baseUrl):
//   POST /openai/v1/chat/completions, /openai/v1/embeddings, /groq/openai/v1/chat/completions,
//   /anthropic/v1/messages, /gemini/v1beta/models/<m>:generateContent, …:batchEmbedContents.
// IPC (when forked with a channel): { type: 'stats' } → { requests, byRoute, cpuUs }; { type: 'reset' }.
import { createServer } from 'node:http';

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
const cache = new Map();
const cached = (key, make) => {
  let v = cache.get(key);
  if (v === undefined) cache.set(key, (v = make()));
  return v;
};
const openaiEmbeddings = (n) => cached(`o${n}`, () => JSON.stringify({
  object: 'list', model: 'text-embedding-3-small',
  data: Array.from({ length: n }, (_, index) => ({ object: 'embedding', index, embedding: vector })),
  usage: { prompt_tokens: n, total_tokens: n },
}));
const geminiEmbeddings = (n) => cached(`g${n}`, () => JSON.stringify({ embeddings: Array.from({ length: n }, () => ({ values: vector })) }));
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
const headers = (body) => ({ 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
const send = (res, status, body) => {
  res.writeHead(status, headers(body));
  res.end(body);
};

/** The canned answer of a route that needs no body; null for the embeddings routes and unknown paths. */
function fixed(url) {
  if (url.endsWith('/chat/completions')) return url.startsWith('/groq/') ? ['groq.chat', groqChat] : ['openai.chat', chat];
  if (url.endsWith('/v1/messages')) return ['anthropic.messages', anthropic];
  if (url.includes(':generateContent')) return ['gemini.generateContent', gemini];
  return null;
}

const server = createServer((req, res) => {
  const url = req.url ?? '/';
  const hit = req.method === 'POST' ? fixed(url) : null;
  if (hit) {
    count(hit[0]);
    // The body is not needed: drain it, answer once it is in (as a real server would).
    req.resume();
    req.once('end', () => send(res, 200, hit[1]));
    return;
  }
  const embeds = req.method === 'POST' && (url.endsWith('/embeddings') ? 'openai' : url.includes(':batchEmbedContents') ? 'gemini' : null);
  if (embeds) {
    count(`${embeds}.embeddings`);
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (d) => (text += d));
    req.once('end', () => send(res, 200, embeds === 'openai' ? openaiEmbeddings(inputCount(text, 'input')) : geminiEmbeddings(inputCount(text, 'requests'))));
    return;
  }
  req.resume();
  send(res, 404, JSON.stringify({ error: { message: `fast upstream: no route ${req.method} ${url}`, type: 'not_found' } }));
});
server.keepAliveTimeout = 60_000;
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
process.on('SIGTERM', () => server.close(() => process.exit(0)).closeAllConnections());
