import { inspect } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestClock, type TestClock } from '../../src/clock.js';
import { ApiKeyMultiplexer, type CompatClient } from '../../src/compat/index.js';
import { startSimulator, type Simulator } from '../../src/sim/index.js';
import type { Provider } from '../../src/types.js';
import { T0 } from '../support/board.js';
import { seeded } from '../support/sim-board.js';

const LATENCY = 100;
const PROVIDERS = [
  { provider: 'openai', add: 'add_openai_key', get: 'get_openai_client', model: 'gpt-4o-mini', secret: 'sk-mux' },
  { provider: 'anthropic', add: 'add_claude_key', get: 'get_claude_client', model: 'claude-3-5-haiku-latest', secret: 'sk-ant-mux' },
  { provider: 'groq', add: 'add_groq_key', get: 'get_groq_client', model: 'llama-3.1-8b-instant', secret: 'gsk_mux' },
  { provider: 'gemini', add: 'add_gemini_key', get: 'get_gemini_client', model: 'gemini-2.0-flash', secret: 'AIza-mux' },
] as const;

let clock: TestClock;
let sim: Simulator;
let mux: ApiKeyMultiplexer;

beforeEach(async () => {
  clock = createTestClock(T0);
  // Answers wait LATENCY ms on the test clock, so requests stay in flight until the test moves time.
  sim = await startSimulator({ clock, seed: 1, defaults: { latencyMs: LATENCY } });
  mux = new ApiKeyMultiplexer({ clock, random: seeded(), base_urls: sim.urls });
});

afterEach(async () => {
  await mux.stop();
  await sim.stop();
});

/** Sends `n` requests at once and lets the simulator answer them all. */
async function burst(client: CompatClient, model: string, n: number) {
  const before = sim.stats().requests;
  const all = Array.from({ length: n }, (_, i) => client.chat(model, `message ${i}`));
  await sim.waitForRequests(before + n);
  const inFlight = Object.fromEntries(Object.entries(client.get_key_stats()).map(([name, k]) => [name, k.in_flight]));
  await clock.tickAsync(LATENCY);
  const replies = await Promise.all(all);
  return { replies, inFlight };
}

const usage = (provider: Provider) => Object.fromEntries(Object.entries(mux.get_usage_stats()[provider]).map(([name, k]) => [name, k.usage]));

describe('compat: ApiKeyMultiplexer', () => {
  it('spreads round-robin evenly over 3 keys', async () => {
    for (const n of [1, 2, 3]) mux.add_openai_key(`key${n}`, `sk-rr-${n}`, { max_concurrent: 5 });
    const client = mux.get_openai_client({ strategy: 'round-robin' });
    for (let i = 0; i < 9; i++) {
      const p = client.chat('gpt-4o-mini', `m${i}`);
      await sim.waitForRequests(i + 1);
      await clock.tickAsync(LATENCY);
      await p;
    }
    expect(usage('openai')).toEqual({ key1: 3, key2: 3, key3: 3 });
    const perKey = sim.stats().keys;
    expect([1, 2, 3].map((n) => perKey[`sk-rr-${n}`]!.requests)).toEqual([3, 3, 3]);
  });

  it.each(PROVIDERS)('works least-loaded for $provider: 9 requests at once are 3 in flight on each key', async ({ provider, add, get, model, secret }) => {
    for (const n of [1, 2, 3]) mux[add](`key${n}`, `${secret}-${n}`, { max_concurrent: 5 });
    const client = mux[get]({ strategy: 'least-loaded' });
    // Each key's first answer tells its budget (until then one request probes it alone).
    await burst(client, model, 3);
    const { replies, inFlight } = await burst(client, model, 9);
    expect(inFlight).toEqual({ key1: 3, key2: 3, key3: 3 });
    expect(replies.every((r) => r.provider === provider && r.text.startsWith('echo: '))).toBe(true);
    expect(usage(provider)).toEqual({ key1: 4, key2: 4, key3: 4 });
  });

  it('gives one client over all keys, and keys added later reach it', async () => {
    mux.add_openai_key('key1', 'sk-late-1');
    const client = mux.get_openai_client('round-robin');
    expect(mux.get_openai_client({ strategy: 'round_robin' })).toBe(client);
    mux.add_openai_key({ name: 'key2', key: 'sk-late-2', max_concurrent: 2 });
    mux.add_openai_key({ key_name: 'key3', api_key: 'sk-late-3' });
    expect(client.state().keys.map((k) => [k.name, k.maxConcurrent])).toEqual([['key1', 5], ['key2', 2], ['key3', 5]]);
    expect(client.max_concurrent_requests).toBe(12);
    for (let i = 0; i < 3; i++) {
      const p = client.chat('gpt-4o-mini', 'x');
      await sim.waitForRequests(i + 1);
      await clock.tickAsync(LATENCY);
      await p;
    }
    expect(usage('openai')).toEqual({ key1: 1, key2: 1, key3: 1 });
  });

  it('gives a client over one key with key_name', async () => {
    mux.add_groq_key('a', 'gsk_one-a');
    mux.add_groq_key('b', 'gsk_one-b');
    const only = mux.get_groq_client({ key_name: 'b' });
    expect(only.state().keys.map((k) => k.name)).toEqual(['b']);
    await burst(only, 'llama-3.1-8b-instant', 1);
    expect(sim.stats().keys['gsk_one-b']!.requests).toBe(1);
    expect(sim.stats().keys['gsk_one-a']).toBeUndefined();
  });

  it('rejects a bad strategy, an unknown key_name and a bad max_concurrent with SB_CONFIG naming them', () => {
    mux.add_openai_key('k', 'sk-k');
    expect(() => mux.get_openai_client({ strategy: 'fastest' as never })).toThrow(expect.objectContaining({ code: 'SB_CONFIG', field: 'strategy' }));
    expect(() => mux.get_openai_client({ key_name: 'nope' })).toThrow(expect.objectContaining({ code: 'SB_CONFIG', field: 'key_name' }));
    expect(() => mux.add_openai_key('k2', 'sk-k2', { max_concurrent: 0 })).toThrow(expect.objectContaining({ code: 'SB_CONFIG', field: 'max_concurrent' }));
    expect(() => mux.add_openai_key('k3', '')).toThrow(expect.objectContaining({ code: 'SB_CONFIG', field: 'key' }));
  });

  it('reports usage per provider and key name, never a key', async () => {
    const secrets = PROVIDERS.map((p) => `${p.secret}-secret-0123456789`);
    PROVIDERS.forEach((p, i) => mux[p.add]('main', secrets[i]!));
    const clients = PROVIDERS.map((p) => mux[p.get]({ strategy: 'least-loaded' }));
    for (const [i, c] of clients.entries()) await burst(c, PROVIDERS[i]!.model, 1);
    const stats = mux.get_usage_stats();
    expect(Object.keys(stats)).toEqual(['openai', 'anthropic', 'groq', 'gemini']);
    expect(stats.gemini.main).toEqual({ usage: 1, in_flight: 0, queue_size: 0, max_concurrent: 5, state: 'ready' });
    const shown = [JSON.stringify(stats), JSON.stringify(mux), inspect(mux, { depth: 10 }), ...clients.map((c) => inspect(c, { depth: 10 }))].join('\n');
    for (const s of secrets) expect(shown).not.toContain(s);
  });
});
