import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { startGatewayProcess, type GatewayProcess } from '../support/gateway.js';

const README = readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8');

/** The README's curl line, taken apart: URL, headers, body (single-quoted, as pasted into a shell). */
function readmeCurl(): { url: string; headers: Record<string, string>; body: string } {
  const line = README.split('\n').find((l) => l.startsWith('curl http://127.0.0.1:8787/v1/chat/completions'));
  if (!line) throw new Error('README.md has no curl example for the gateway');
  const url = /^curl (\S+)/.exec(line)![1]!;
  const headers = Object.fromEntries([...line.matchAll(/-H '([^:']+):\s*([^']*)'/g)].map((m) => [m[1]!, m[2]!]));
  const body = /-d '([^']*)'/.exec(line)![1]!;
  return { url, headers, body };
}

describe("the README's quick start", () => {
  let gw: GatewayProcess | null = null;
  afterAll(async () => {
    await gw?.stop();
  });

  it('serves on the simulator and answers its curl example with a completion', async () => {
    expect(README).toContain('npm ci && npm start');
    expect(README).toContain('npm ci && npm test');
    // `npm start` is `switchboard serve`; the test takes a free port instead of 8787.
    gw = await startGatewayProcess(['--port', '0']);
    expect(gw.lines.join('\n')).toMatch(/simulator/);
    const { url, headers, body } = readmeCurl();
    const r = await fetch(url.replace('http://127.0.0.1:8787', gw.url), { method: 'POST', headers, body });
    expect(r.status).toBe(200);
    const completion = (await r.json()) as { object: string; choices: Array<{ message: { content: string } }> };
    expect(completion.object).toBe('chat.completion');
    expect(completion.choices[0].message.content).toBe('echo: Hello');
  });
});
