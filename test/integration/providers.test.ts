import { afterEach, describe, expect, it } from 'vitest';
import type { Provider } from '../../src/types.js';
import { outcome } from '../support/board.js';
import { drive, simBoard, until } from '../support/sim-board.js';

type Env = Awaited<ReturnType<typeof simBoard>>;
let env: Env | null = null;
afterEach(async () => {
  await env?.close();
  env = null;
});

const models: Record<Provider, string> = { openai: 'gpt-4o-mini', anthropic: 'claude-3-5-haiku-latest', groq: 'llama-3.1-8b-instant', gemini: 'gemini-2.0-flash' };
const ask = (provider: Provider, content = 'hello there') => ({ model: models[provider], messages: [{ role: 'user' as const, content }], maxTokens: 64 });
const retryable: Record<Provider, string[]> = { openai: ['500', '502', '503'], anthropic: ['500', '502', '503', '529'], groq: ['500', '502', '503'], gemini: ['500', '502', '503'] };

describe.each(['openai', 'anthropic', 'groq', 'gemini'] as const)('%s over undici against the simulator', (provider) => {
  it('answers a chat, normalized', async () => {
    env = await simBoard(provider);
    const reply = await drive(env.clock, env.board.chat({ ...ask(provider), system: 'be brief' }));
    expect(reply).toMatchObject({ provider, text: 'echo: hello there', finishReason: 'stop', keyName: 'k1', attempts: 1 });
    expect(reply.usage!.inputTokens).toBeGreaterThan(0);
    expect(reply.usage!.totalTokens).toBe(reply.usage!.inputTokens + reply.usage!.outputTokens);
    const seen = env.sim.stats().providers[provider].recent.at(-1)!;
    expect(JSON.stringify(seen.headers)).not.toContain(`${provider}-key-a`);
  });

  it('reports a length finish when cut at maxTokens', async () => {
    env = await simBoard(provider);
    const reply = await drive(env.clock, env.board.chat({ ...ask(provider, 'a long prompt with many many words in it'), maxTokens: 2 }));
    expect(reply.finishReason).toBe('length');
  });

  if (provider === 'openai' || provider === 'gemini') {
    it('embeds, sending the first at once and batching the inputs that arrive while it is in flight into one call', async () => {
      const model = provider === 'openai' ? 'text-embedding-3-small' : 'text-embedding-004';
      env = await simBoard(provider, { batching: { models: [model] } });
      const all = ['one', 'two', 'three'].map((input) => env!.board.embed({ model, input }));
      const replies = await drive(env.clock, Promise.all(all));
      expect(replies.map((r) => r.embeddings[0]!.length)).toEqual([16, 16, 16]);
      expect(replies[0]!.embeddings[0]).not.toEqual(replies[1]!.embeddings[0]);
      expect(replies.map((r) => r.batched)).toEqual([false, true, true]);
      expect(env.sim.stats().requests).toBe(2);
    });
  } else {
    it('rejects an embed with SB_CONFIG (no embeddings endpoint)', async () => {
      env = await simBoard(provider);
      expect(await outcome(env.board.embed({ model: 'x', input: 'y' }))).toMatchObject({ ok: false, code: 'SB_CONFIG' });
    });
  }

  it("honours its own 429 with the exact wait it announces", async () => {
    env = await simBoard(provider, { secrets: [`${provider}-only-key`] });
    env.sim.configure({ [provider]: { script: [{ status: 429, retryAfterMs: 3000 }] } });
    const cooling: Array<{ untilMs: number }> = [];
    env.board.on('key.cooling', (p) => cooling.push(p));
    const start = env.clock.now();
    const p = env.board.chat(ask(provider));
    await env.sim.waitForRequests(1);
    await until(() => cooling.length === 1);
    // Gemini announces fractional seconds in RetryInfo; the others in retry-after(-ms) headers.
    expect(cooling[0]!.untilMs - start).toBe(3000);
    await env.clock.tickAsync(2999);
    expect(env.sim.stats().requests).toBe(1);
    const reply = await drive(env.clock, p);
    expect(reply.attempts).toBe(2);
    expect(env.clock.now() - start).toBe(3000);
  });

  it(`retries ${retryable[provider].join(', ')}`, async () => {
    env = await simBoard(provider, { circuitBreaker: { failureThreshold: 10 } });
    env.sim.configure({ [provider]: { script: retryable[provider] } });
    const reply = await drive(env.clock, env.board.chat(ask(provider)));
    expect(reply.attempts).toBe(retryable[provider].length + 1);
  });

  it('disables an invalid key and succeeds on another key', async () => {
    env = await simBoard(provider, { secrets: [`${provider}-bad-key-0001`, `${provider}-good-key`] });
    env.sim.configure({ [provider]: { invalidKeys: [`${provider}-bad-key-0001`] } });
    const reply = await drive(env.clock, env.board.chat(ask(provider)));
    expect(reply.keyName).toBe('k2');
    expect(env.board.state().keys.map((k) => k.state)).toEqual(['disabled', 'ready']);
  });

  it('retries a malformed and a truncated body, and fails with SB_BAD_RESPONSE as the cause when they persist', async () => {
    env = await simBoard(provider, { retry: { jitter: 'none', maxRetries: 2 } });
    env.sim.configure({ [provider]: { script: ['malformed', 'truncated'] } });
    expect((await drive(env.clock, env.board.chat(ask(provider)))).attempts).toBe(3);
    env.sim.configure({ [provider]: { script: ['malformed', 'truncated', 'malformed'] } });
    const r = await drive(env.clock, outcome(env.board.chat(ask(provider))));
    expect(r).toMatchObject({ ok: false, code: 'SB_RETRIES_EXHAUSTED' });
    expect(r.ok === false && r.error.cause.code).toBe('SB_BAD_RESPONSE');
  });

  it('retries a connection reset mid-body and a hung response (attempt timeout)', async () => {
    env = await simBoard(provider, { timeoutMs: 2000 });
    env.sim.configure({ [provider]: { script: ['reset', 'hang'] } });
    const reasons: string[] = [];
    env.board.on('request.retrying', (p) => reasons.push(p.reason));
    const reply = await drive(env.clock, env.board.chat(ask(provider)));
    expect(reply.attempts).toBe(3);
    expect(reasons).toEqual(['connection', 'timeout']);
  });
});

describe('pacing from rate-limit headers', () => {
  for (const provider of ['openai', 'anthropic'] as const) {
    it(`keeps 429s under 2% for 600 requests over 3 keys each allowed 50/s (${provider} headers)`, async () => {
      env = await simBoard(provider, {
        secrets: ['p-key-1', 'p-key-2', 'p-key-3'],
        queue: { size: 1000, maxConcurrent: 30 },
        strategy: 'headroom',
      });
      env.sim.configure({ [provider]: { rateLimit: { requestsPerSecond: 50 } } });
      const all = Array.from({ length: 600 }, (_, i) => env!.board.chat(ask(provider, `q${i}`)));
      const replies = await drive(env.clock, Promise.all(all));
      expect(replies).toHaveLength(600);
      const stats = env.sim.stats();
      const rejected = stats.providers[provider].byStatus['429'] ?? 0;
      expect(rejected / stats.requests).toBeLessThan(0.02);
      // Three keys at 50/s each: 600 requests need about 4 s, not less.
      expect(env.clock.now() - Date.parse('2026-03-01T12:00:00.000Z')).toBeGreaterThanOrEqual(3000);
    }, 60_000);
  }
});

describe('gemini per-day quota', () => {
  it('marks the key exhausted and serves every request on the other key', async () => {
    env = await simBoard('gemini', { secrets: ['AIza-quota-key', 'AIza-fresh-key'] });
    env.sim.configure({ keys: { 'AIza-quota-key': { dailyQuota: 0 } } });
    const exhausted: unknown[] = [];
    env.board.on('key.exhausted', (p) => exhausted.push(p));
    const replies = await drive(env.clock, Promise.all(Array.from({ length: 10 }, () => env!.board.chat(ask('gemini')))));
    expect(replies.every((r) => r.keyName === 'k2')).toBe(true);
    expect(env.board.state().keys[0]!.state).toBe('exhausted');
    expect(exhausted).toHaveLength(1);
  });
});

describe('gemini embeddings chunked to the provider limit', () => {
  it('sends 250 inputs of a model that is not batched as 100 + 100 + 50 in order', async () => {
    const env = await simBoard('gemini', { batching: { models: [] } });
    try {
      const input = Array.from({ length: 250 }, (_, i) => `g${i}`);
      const reply = await drive(env.clock, env.board.embed({ model: 'text-embedding-004', input }));
      expect(reply.embeddings).toHaveLength(250);
      expect(reply.batched).toBe(false);
      expect(env.sim.stats().requests).toBe(3);
      const single = await drive(env.clock, env.board.embed({ model: 'text-embedding-004', input: 'g249' }));
      expect(reply.embeddings[249]).toEqual(single.embeddings[0]);
    } finally {
      await env.close();
    }
  });
});
