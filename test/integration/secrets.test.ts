import { describe, expect, it } from 'vitest';
import type { Provider } from '../../src/types.js';
import { outcome } from '../support/board.js';
import { drive, simBoard } from '../support/sim-board.js';

/** JSON of anything, cycles and functions included, so nothing the library produced escapes the scan. */
function dump(value: unknown): string {
  const seen = new WeakSet<object>();
  return JSON.stringify(value, (_k, v) => {
    if (typeof v === 'function') return `fn:${v.name}`;
    if (typeof v === 'bigint') return String(v);
    if (v instanceof Error) return { ...v, name: v.name, message: v.message, stack: v.stack, cause: (v as { cause?: unknown }).cause };
    if (v && typeof v === 'object') {
      if (seen.has(v)) return '[cycle]';
      seen.add(v);
    }
    return v;
  });
}

const models: Record<Provider, string> = { openai: 'gpt-4o-mini', anthropic: 'claude-3-5-haiku-latest', groq: 'llama-3.1-8b-instant', gemini: 'gemini-2.0-flash' };

describe('secrets', () => {
  it.each(['openai', 'anthropic', 'groq', 'gemini'] as const)('appear nowhere but the auth header under a faulty workload (%s)', async (provider) => {
    const secrets = [`${provider}-SECRETKEY-AAAA-1111`, `${provider}-SECRETKEY-BBBB-2222`, `${provider}-SECRETKEY-CCCC-3333`];
    const produced: unknown[] = [];
    const logger = { debug: (...a: unknown[]) => produced.push(a), info: (...a: unknown[]) => produced.push(a), warn: (...a: unknown[]) => produced.push(a), error: (...a: unknown[]) => produced.push(a) };
    const inspected: unknown[] = [];
    const env = await simBoard(provider, {
      secrets,
      logger,
      inspect: (event: unknown) => inspected.push(event),
      retry: { jitter: 'none', maxRetries: 2 },
      circuitBreaker: { failureThreshold: 50 },
      timeoutMs: 1000,
    });
    for (const type of ['request.queued', 'request.dispatched', 'request.retrying', 'request.settled', 'breaker.opened', 'breaker.closed', 'key.cooling', 'key.ready', 'key.exhausted', 'key.disabled', 'queue.full'] as const) {
      env.board.on(type, (p) => produced.push([type, p]));
    }
    env.board.on('request.settled', () => {
      throw new Error('a listener that throws'); // its report goes to the logger: scanned too
    });
    env.sim.configure({
      [provider]: { script: ['500', '429', 'malformed', 'reset', 'hang', '503', 'truncated'] },
      invalidKeys: undefined,
      keys: { [secrets[0]!]: { invalid: true } },
    } as never);
    const results = await drive(env.clock, Promise.all(Array.from({ length: 12 }, (_, i) => outcome(env.board.chat({ model: models[provider], messages: [{ role: 'user', content: `q${i}` }] })))));
    produced.push(results.map((r) => (r.ok ? r.value : r.error)));
    produced.push(env.board.state(), env.board.report({ includeDetails: true }), await env.board.metricsText());
    produced.push(env.board.actor.getSnapshot().context, Object.values(env.board.actor.getSnapshot().children).map((c) => (c as { getSnapshot(): unknown }).getSnapshot()));
    produced.push(inspected);
    const text = dump(produced);
    expect(text.length).toBeGreaterThan(1000);
    for (const secret of secrets) expect(text).not.toContain(secret);
    expect(text).not.toContain('SECRETKEY');
    // The keys did go out, in their auth header only.
    const seen = env.sim.stats().keys;
    expect(Object.keys(seen).some((k) => secrets.includes(k))).toBe(true);
    expect(env.sim.stats().keyInUrl).toBe(0);
    await env.close();
  });
});
