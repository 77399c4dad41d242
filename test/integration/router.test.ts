import { afterEach, describe, expect, it } from 'vitest';
import { createTestClock } from '../../src/clock.js';
import { createRouter, type Router } from '../../src/router/index.js';
import { startSimulator, type Simulator } from '../../src/sim/index.js';
import type { ChatChunk } from '../../src/types.js';
import { outcome, T0 } from '../support/board.js';
import { drive, gateClock, seeded } from '../support/sim-board.js';

let router: Router | null = null;
let sim: Simulator | null = null;
afterEach(async () => {
  await router?.stop();
  await sim?.stop();
  router = sim = null;
});

async function setup(openaiOptions: Record<string, unknown> = {}) {
  const clock = createTestClock(T0);
  sim = await startSimulator({ clock, seed: 3 });
  gateClock(clock, { sim });
  const keys = (p: string) => [{ name: `${p}-1`, secret: `${p}-secret-1` }];
  router = createRouter({
    clock,
    random: seeded(),
    providers: {
      openai: { baseUrl: sim.urls.openai, keys: keys('openai'), retry: { maxRetries: 2, jitter: 'none', initialDelayMs: 1000 }, ...openaiOptions },
      anthropic: { baseUrl: sim.urls.anthropic, keys: keys('anthropic') },
      gemini: { baseUrl: sim.urls.gemini, keys: keys('gemini') },
    },
    fallbacks: { 'gpt-4o-mini': ['anthropic/claude-3-5-haiku-latest', 'gemini/gemini-2.0-flash'] },
  });
  return { clock, sim, router };
}
const ask = { model: 'gpt-4o-mini', messages: [{ role: 'user' as const, content: 'hi there' }] };

describe('router', () => {
  it('routes by prefix and by model family', async () => {
    const { router } = await setup();
    expect(router.route('gpt-4o-mini').provider).toBe('openai');
    expect(router.route('claude-3-5-haiku-latest').provider).toBe('anthropic');
    expect(router.route('anthropic/claude-x')).toMatchObject({ provider: 'anthropic', model: 'claude-x' });
    expect(() => router.route('llama-3.1-8b-instant')).toThrow(/groq is not configured/);
    expect(() => router.route('mystery-model')).toThrow(/no route/);
  });

  it('serves gpt-4o-mini from the next model of its group when the OpenAI simulator is in an outage; reply and report say so', async () => {
    const { clock, sim, router } = await setup();
    sim.configure({ openai: { outage: true } });
    const reply = await drive(clock, router.chat(ask));
    expect(reply).toMatchObject({ provider: 'anthropic', model: 'claude-3-5-haiku-latest', fallbackFrom: 'gpt-4o-mini', text: 'echo: hi there' });
    const report = router.report();
    expect(report.fallbacks).toEqual({ 'gpt-4o-mini': { 'anthropic/claude-3-5-haiku-latest': 1 } });
    expect(report.overall).toMatchObject({ totalRequests: 1, succeeded: 1, failed: 0, fallbacks: 1 });
    expect(report.providers.openai!.errors).toEqual({ SB_RETRIES_EXHAUSTED: 1 });
  });

  it('skips a fallback that cannot take the request as written (a field with no translation there) and tries the next', async () => {
    const { clock, sim, router } = await setup();
    sim.configure({ openai: { outage: true } });
    // `seed` has no meaning for anthropic (SB_CONFIG there); gemini takes it.
    const reply = await drive(clock, router.chat({ ...ask, extra: { seed: 7 } }));
    expect(reply).toMatchObject({ provider: 'gemini', fallbackFrom: 'gpt-4o-mini' });
    expect(sim.stats().providers.anthropic.requests).toBe(0);
  });

  it('falls back while streaming, before the first chunk', async () => {
    const { clock, sim, router } = await setup();
    sim.configure({ openai: { outage: true } });
    const chunks = await drive(clock, (async () => {
      const out: Array<ChatChunk & { provider: string; fallbackFrom?: string }> = [];
      for await (const c of router.chatStream(ask)) out.push(c);
      return out;
    })());
    expect(chunks.map((c) => c.delta).join('')).toBe('echo: hi there');
    expect(chunks[0]).toMatchObject({ provider: 'anthropic', fallbackFrom: 'gpt-4o-mini' });
  });

  it('does not fall back on a 400', async () => {
    const { clock, sim, router } = await setup();
    sim.configure({ openai: { script: ['400'] } });
    const r = await drive(clock, outcome(router.chat(ask)));
    expect(r).toMatchObject({ ok: false, code: 'SB_PROVIDER' });
    expect(r.ok === false && r.error.status).toBe(400);
    expect(sim.stats().providers.anthropic.requests).toBe(0);
  });

  it('answers SB_TIMEOUT when the deadline is shorter than the first provider failing: no time is left for the fallback', async () => {
    const { clock, sim, router } = await setup();
    sim.configure({ openai: { outage: true } });
    // Three attempts with waits of 1 s and 2 s need 3 s; the deadline is 2.5 s.
    const r = await drive(clock, outcome(router.chat(ask, { timeoutMs: 2500 })));
    expect(r).toMatchObject({ ok: false, code: 'SB_TIMEOUT' });
    expect(sim.stats().providers.anthropic.requests).toBe(0);
    expect(router.report().overall.fallbacks).toBe(0);
  });
});
