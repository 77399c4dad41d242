// The limit for a gateway in Node, measured beside `switchboard serve` in the same run: node:http,
// JSON.parse of the request (to route by model), an undici Pool per upstream, JSON.parse +
// JSON.stringify of the answer. Nothing else: no queue, no retries, no breaker, no metrics, no
// validation beyond what routing needs. The request's own bytes go upstream unchanged.
// Run: node bench/support/minimal-gateway.mjs '{"upstreams":{"openai":URL,"groq":URL},"connections":64}'
// Prints "minimal gateway listening on http://127.0.0.1:PORT" when ready.
// Routes: POST /v1/chat/completions (model llama-*, mixtral-*, gemma* → groq, else openai),
//         POST /v1/embeddings (openai).
import { createServer } from 'node:http';
import { Pool } from 'undici';

const { upstreams, connections = 64, key = 'sk-minimal-gateway-0000' } = JSON.parse(process.argv[2] ?? '{}');
const targets = {};
for (const [provider, base] of Object.entries(upstreams)) {
  const u = new URL(base);
  const prefix = provider === 'groq' ? `${u.pathname.replace(/\/$/, '')}/openai/v1` : u.pathname.replace(/\/$/, '');
  targets[provider] = { pool: new Pool(u.origin, { connections }), prefix };
}
const upstreamHeaders = { 'content-type': 'application/json', authorization: `Bearer ${key}` };
const providerOf = (model) => (/^(llama|mixtral|gemma)/.test(model) && targets.groq ? 'groq' : 'openai');

function fail(res, status, message) {
  const body = JSON.stringify({ error: { message, type: 'invalid_request_error' } });
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

async function handle(req, res, text) {
  let request;
  try {
    request = JSON.parse(text);
  } catch {
    return fail(res, 400, 'invalid JSON');
  }
  const path = req.url === '/v1/embeddings' ? '/embeddings' : '/chat/completions';
  const target = targets[path === '/embeddings' ? 'openai' : providerOf(String(request.model))];
  const up = await target.pool.request({ method: 'POST', path: target.prefix + path, headers: upstreamHeaders, body: text });
  const answer = await up.body.text();
  let out;
  try {
    out = JSON.stringify(JSON.parse(answer));
  } catch {
    return fail(res, 502, 'upstream answered invalid JSON');
  }
  res.writeHead(up.statusCode, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(out) });
  res.end(out);
}

const server = createServer((req, res) => {
  if (req.method !== 'POST' || (req.url !== '/v1/chat/completions' && req.url !== '/v1/embeddings')) {
    req.resume();
    return fail(res, 404, `no route ${req.method} ${req.url}`);
  }
  let text = '';
  req.setEncoding('utf8');
  req.on('data', (d) => (text += d));
  req.once('end', () => handle(req, res, text).catch((error) => fail(res, 502, String(error?.message ?? error))));
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.stdout.write(`minimal gateway listening on http://127.0.0.1:${server.address().port}\n`));
process.on('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
  Promise.all(Object.values(targets).map((t) => t.pool.close())).finally(() => process.exit(0));
});
