import { createServer, type Server } from 'node:http';
import { request } from 'undici';

/**
 * A loopback HTTP proxy in front of the simulator that counts requests in flight at the provider's
 * door (the simulator keeps no such count): `peak` is the most that were ever inside at once.
 */
export interface CountingProxy {
  /** The proxy's origin; append the provider's path as with the simulator's `url`. */
  url: string;
  readonly inFlight: number;
  readonly peak: number;
  readonly total: number;
  resetPeak(): void;
  stop(): Promise<void>;
}

export async function startCountingProxy(upstream: string): Promise<CountingProxy> {
  let inFlight = 0;
  let peak = 0;
  let total = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      inFlight++;
      total++;
      if (inFlight > peak) peak = inFlight;
      const headers = { ...req.headers };
      delete headers.host;
      delete headers.connection;
      delete headers['content-length'];
      request(`${upstream}${req.url}`, { method: req.method as 'POST', headers, body: chunks.length ? Buffer.concat(chunks) : undefined })
        .then(async (up) => {
          const body = Buffer.from(await up.body.arrayBuffer());
          const out: Record<string, string> = {};
          for (const [k, v] of Object.entries(up.headers)) if (v !== undefined && k !== 'transfer-encoding' && k !== 'connection') out[k] = String(v);
          out['content-length'] = String(body.length);
          inFlight--;
          res.writeHead(up.statusCode, out).end(body);
        })
        .catch((err: Error) => {
          inFlight--;
          res.writeHead(502).end(String(err.message));
        });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    get inFlight() {
      return inFlight;
    },
    get peak() {
      return peak;
    },
    get total() {
      return total;
    },
    resetPeak() {
      peak = inFlight;
    },
    stop: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
