import { Readable } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { readJsonObject } from '../../src/gateway/body.js';
import { ConfigError } from '../../src/errors.js';

/** A request body as the gateway reads it: a stream with headers (one chunk, or several). */
function request(text: string, chunks = 1): IncomingMessage {
  const size = Math.ceil(text.length / chunks);
  const parts = Array.from({ length: chunks }, (_, i) => Buffer.from(text.slice(i * size, (i + 1) * size)));
  const req = Readable.from(parts, { objectMode: false }) as unknown as IncomingMessage;
  (req as { headers: Record<string, string> }).headers = { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) };
  return req;
}

const limits = { limitBytes: 8 * 1024 * 1024, timeoutMs: null };
const nested = (levels: number) => `{"model":"m","x":${'['.repeat(levels - 1)}${']'.repeat(levels - 1)}}`;

describe('readJsonObject: the nesting limit (64 levels, the body itself level 1)', () => {
  it('takes 64 levels and refuses 65 as SB_CONFIG on the body', async () => {
    await expect(readJsonObject(request(nested(64)), limits)).resolves.toMatchObject({ model: 'm' });
    const refused = await readJsonObject(request(nested(65)), limits).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ConfigError);
    expect((refused as ConfigError).field).toBe('body');
    expect((refused as Error).message).toMatch(/more than 64 levels/);
  });

  it('refuses a million levels (V8 parses them; the walk stops at 65)', async () => {
    const deep = `{"a":${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}}`;
    await expect(readJsonObject(request(deep, 7), limits)).rejects.toBeInstanceOf(ConfigError);
  });

  it('counts brackets inside strings as text', async () => {
    const body = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: '['.repeat(10_000) + '{'.repeat(10_000) }] });
    await expect(readJsonObject(request(body, 3), limits)).resolves.toMatchObject({ model: 'm' });
  });

  it('keeps the other refusals: empty, not JSON, not an object', async () => {
    for (const [text, pattern] of [['', /empty/], ['{"a":', /not valid JSON/], ['[1]', /an array/], ['null', /null/]] as const) {
      const e = await readJsonObject(request(text), limits).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(ConfigError);
      expect((e as Error).message).toMatch(pattern);
    }
  });
});
