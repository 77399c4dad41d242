// The floor for any gateway process: a node:net relay that copies bytes both ways between each
// client connection and its own upstream connection, and does nothing else (no HTTP parsing, no
// JSON, no routing: the client addresses the upstream's own paths through it). Measured beside the
// gateways in bench/gateway-latency.mjs, it shows what one more process on the path costs on this
// machine (two more loopback hops, two more wake-ups per request) before any gateway work.
// Run: node bench/support/byte-relay.mjs '{"upstream":"http://127.0.0.1:PORT"}'
// Prints "byte relay listening on http://127.0.0.1:PORT" when ready.
import { connect, createServer } from 'node:net';

const { upstream } = JSON.parse(process.argv[2] ?? '{}');
const target = new URL(upstream);
const open = new Set();
const server = createServer({ noDelay: true }, (client) => {
  open.add(client);
  const up = connect({ host: target.hostname, port: Number(target.port), noDelay: true });
  client.pipe(up);
  up.pipe(client);
  const close = () => {
    open.delete(client);
    client.destroy();
    up.destroy();
  };
  client.on('error', close).on('close', close);
  up.on('error', close).on('close', close);
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`byte relay listening on http://127.0.0.1:${server.address().port}\n`);
});
process.on('SIGTERM', () => {
  server.close();
  for (const c of open) c.destroy();
  process.exit(0);
});
