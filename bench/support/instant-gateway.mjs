// A gateway process with nothing upstream, for comparing builds (bench/compare-builds.mjs):
//   node instant-gateway.mjs gateway <path of a build's src/index.js>   `startGateway` over a router
//       whose openai transport answers a canned chat body in process (no upstream socket);
//   node instant-gateway.mjs minimal   the minimal gateway's work (JSON.parse of the request,
//       JSON.parse + JSON.stringify of the same canned answer) on node:http.
// Prints "listening on http://127.0.0.1:PORT"; stops on SIGTERM.
import { createServer } from 'node:http';
import { pathToFileURL } from 'node:url';

const body = JSON.stringify({
  id: 'chatcmpl-fast', object: 'chat.completion', created: 1700000000, model: 'gpt-4o-mini',
  choices: [{ index: 0, message: { role: 'assistant', content: 'ok', refusal: null }, logprobs: null, finish_reason: 'stop' }],
  usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 },
});
const headers = { 'content-type': 'application/json', 'content-length': String(body.length), date: 'x', connection: 'keep-alive', 'keep-alive': 'timeout=60' };

if (process.argv[2] === 'minimal') {
  const server = createServer((req, res) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (d) => (text += d));
    req.once('end', async () => {
      JSON.parse(text);
      await null; // the upstream call's turn
      const out = JSON.stringify(JSON.parse(body));
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(out) });
      res.end(out);
    });
  });
  server.listen(0, '127.0.0.1', () => console.log(`listening on http://127.0.0.1:${server.address().port}`));
  process.on('SIGTERM', () => process.exit(0));
} else {
  const { createRouter, startGateway } = await import(pathToFileURL(process.argv[3]).href);
  // The request is parsed as an upstream would read it; the answer is new headers and the canned body.
  const transport = async (r) => (JSON.parse(r.body), { status: 200, headers: { ...headers }, body });
  const router = createRouter({ providers: { openai: { keys: [{ name: 'k1', secret: 'sk-instant', maxConcurrent: 64 }], transport, queue: { size: 1000, maxConcurrent: 64 } } } });
  const gateway = await startGateway({ router, port: 0, inspector: false });
  console.log(`listening on ${gateway.url}`);
  process.on('SIGTERM', () => gateway.close({ drain: false }).then(() => process.exit(0)));
}
