import { afterEach, describe, expect, it } from 'vitest';
import { createTestClock } from '../../src/clock.js';
import { ContentPolicyError, ContextLengthError } from '../../src/errors.js';
import { createRouter, type Router, type RouterOptions } from '../../src/router/index.js';
import { startSimulator, type Simulator } from '../../src/sim/index.js';
import { outcome, T0 } from '../support/board.js';
import { drive, seeded } from '../support/sim-board.js';

let router: Router | null = null;
let sim: Simulator | null = null;
afterEach(async () => {
  await router?.stop();
  await sim?.stop();
  router = sim = null;
});

type Groups = Pick<RouterOptions, 'fallbacks' | 'contextFallbacks' | 'contentPolicyFallbacks' | 'aliases'>;

async function setup(groups: Groups) {
  const clock = createTestClock(T0);
  sim = await startSimulator({ clock, seed: 3 });
  const keys = (p: string) => [{ name: `${p}-1`, secret: `${p}-secret-1` }];
  router = createRouter({
    clock,
    random: seeded(),
    providers: {
      openai: { baseUrl: sim.urls.openai, keys: keys('openai'), retry: { maxRetries: 2, jitter: 'none', initialDelayMs: 1000 } },
      anthropic: { baseUrl: sim.urls.anthropic, keys: keys('anthropic') },
      gemini: { baseUrl: sim.urls.gemini, keys: keys('gemini') },
    },
    ...groups,
  });
  return { clock, sim, router };
}
const ask = (model = 'gpt-4o-mini') => ({ model, messages: [{ role: 'user' as const, content: 'hi there' }] });
const ALL_GROUPS: Groups = {
  fallbacks: { 'gpt-4o-mini': ['anthropic/claude-3-5-haiku-latest'] },
  contextFallbacks: { 'gpt-4o-mini': ['gemini/gemini-2.5-pro'] },
  contentPolicyFallbacks: { 'gpt-4o-mini': ['gemini/gemini-2.0-flash'] },
};

describe('router fallback triggers', () => {
  it("moves a prompt over OpenAI's context window to the contextFallbacks group, not the regular one", async () => {
    const { clock, sim, router } = await setup(ALL_GROUPS);
    sim.configure({ openai: { script: ['context-length'] } });
    const reply = await drive(clock, router.chat(ask()));
    expect(reply).toMatchObject({ provider: 'gemini', model: 'gemini-2.5-pro', fallbackFrom: 'gpt-4o-mini' });
    expect(sim.stats().providers.anthropic.requests).toBe(0);
    expect(sim.stats().providers.openai.requests).toBe(1);
    expect(router.report().fallbacks).toEqual({ 'gpt-4o-mini': { 'gemini/gemini-2.5-pro': 1 } });
  });

  it('answers SB_CONTEXT_LENGTH (a 400 ProviderError) when the model has no contextFallbacks group', async () => {
    const { clock, sim, router } = await setup({ fallbacks: ALL_GROUPS.fallbacks });
    sim.configure({ openai: { script: ['context-length'] } });
    const r = await drive(clock, outcome(router.chat(ask())));
    expect(r).toMatchObject({ ok: false, code: 'SB_CONTEXT_LENGTH' });
    expect(r.ok === false && r.error).toBeInstanceOf(ContextLengthError);
    expect(r.ok === false && r.error.status).toBe(400);
    expect(sim.stats().providers.anthropic.requests).toBe(0);
  });

  it.each([
    ['anthropic', 'claude-3-5-haiku-latest'],
    ['gemini', 'gemini-2.0-flash'],
  ] as const)("recognises %s's own context-length answer as SB_CONTEXT_LENGTH", async (provider, model) => {
    const { clock, sim, router } = await setup({});
    sim.configure({ [provider]: { script: ['context-length'] } });
    const r = await drive(clock, outcome(router.chat(ask(model))));
    expect(r).toMatchObject({ ok: false, code: 'SB_CONTEXT_LENGTH' });
  });

  it.each([
    ['openai', 'gpt-4o-mini'],
    ['anthropic', 'claude-3-5-haiku-latest'],
    ['gemini', 'gemini-2.0-flash'],
  ] as const)("recognises %s's own content-policy answer as SB_CONTENT_POLICY", async (provider, model) => {
    const { clock, sim, router } = await setup({});
    sim.configure({ [provider]: { script: ['content-policy'] } });
    const r = await drive(clock, outcome(router.chat(ask(model))));
    expect(r).toMatchObject({ ok: false, code: 'SB_CONTENT_POLICY' });
    expect(r.ok === false && r.error).toBeInstanceOf(ContentPolicyError);
  });

  it('moves a content-policy refusal to the contentPolicyFallbacks group of the alias the caller wrote', async () => {
    const { clock, sim, router } = await setup({
      aliases: { smart: 'anthropic/claude-sonnet-4-5' },
      fallbacks: { smart: ['gemini/gemini-2.5-pro'] },
      contentPolicyFallbacks: { smart: ['gpt-4o-mini'] },
    });
    sim.configure({ anthropic: { script: ['content-policy'] } });
    const reply = await drive(clock, router.chat(ask('smart')));
    expect(reply).toMatchObject({ provider: 'openai', model: 'gpt-4o-mini', fallbackFrom: 'smart' });
    expect(sim.stats().providers.gemini.requests).toBe(0);
  });

  it('does not fall back on a plain 400, whatever groups the model has', async () => {
    const { clock, sim, router } = await setup(ALL_GROUPS);
    sim.configure({ openai: { script: ['400'] } });
    const r = await drive(clock, outcome(router.chat(ask())));
    expect(r).toMatchObject({ ok: false, code: 'SB_PROVIDER' });
    expect(r.ok === false && r.error.status).toBe(400);
    expect(sim.stats().providers.anthropic.requests + sim.stats().providers.gemini.requests).toBe(0);
  });

  it('falls back in the regular group when every key is rate-limited for longer than the request may wait', async () => {
    const { clock, sim, router } = await setup(ALL_GROUPS);
    // One key, told to come back in 10 minutes: past maxRetryAfterMs (60 s), so the supervisor gives up with the 429.
    sim.configure({ openai: { script: [{ status: 429, retryAfterMs: 600_000 }] } });
    const reply = await drive(clock, router.chat(ask()));
    expect(reply).toMatchObject({ provider: 'anthropic', fallbackFrom: 'gpt-4o-mini' });
    expect(sim.stats().providers.openai.requests).toBe(1);
    expect(sim.stats().providers.gemini.requests).toBe(0);
  });

  it('falls back in the regular group when every key is cooling until past the deadline, with time left for the fallback', async () => {
    const { clock, sim, router } = await setup(ALL_GROUPS);
    // 30 s is within maxRetryAfterMs (60 s) but past this request's 10 s deadline: the supervisor
    // gives up at once (the 429 as cause) instead of waiting into SB_TIMEOUT.
    sim.configure({ openai: { script: [{ status: 429, retryAfterMs: 30_000 }] } });
    const start = clock.now();
    const reply = await drive(clock, router.chat(ask(), { timeoutMs: 10_000 }));
    expect(reply).toMatchObject({ provider: 'anthropic', fallbackFrom: 'gpt-4o-mini' });
    expect(clock.now() - start).toBeLessThan(10_000);
    expect(sim.stats().providers.openai.requests).toBe(1);
  });

  it('gives up with SB_RETRIES_EXHAUSTED and the 429 as cause when no fallback is configured', async () => {
    const { clock, sim, router } = await setup({});
    sim.configure({ openai: { script: [{ status: 429, retryAfterMs: 30_000 }] } });
    const start = clock.now();
    const r = await drive(clock, outcome(router.chat(ask(), { timeoutMs: 10_000 })));
    expect(r).toMatchObject({ ok: false, code: 'SB_RETRIES_EXHAUSTED' });
    expect(r.ok === false && (r.error.cause as { status?: number }).status).toBe(429);
    expect(clock.now() - start).toBeLessThan(1_000);
  });

  it('still waits for a cooling key when its wait ends before the deadline', async () => {
    const { clock, sim, router } = await setup({});
    sim.configure({ openai: { script: [{ status: 429, retryAfterMs: 3_000 }, 'ok'] } });
    const start = clock.now();
    const reply = await drive(clock, router.chat(ask(), { timeoutMs: 10_000 }));
    expect(reply).toMatchObject({ provider: 'openai', attempts: 2 });
    expect(clock.now() - start).toBeGreaterThanOrEqual(3_000);
  });

  it('falls back in the regular group while streaming when the first provider answers a 5xx', async () => {
    const { clock, sim, router } = await setup(ALL_GROUPS);
    sim.configure({ openai: { outage: true } });
    const chunks = await drive(clock, (async () => {
      const out: Array<{ provider: string; fallbackFrom?: string }> = [];
      for await (const c of router.chatStream(ask())) out.push(c);
      return out;
    })());
    expect(chunks[0]).toMatchObject({ provider: 'anthropic', fallbackFrom: 'gpt-4o-mini' });
  });
});

describe('router aliases', () => {
  it('resolves an alias before routing; the reply names the model that served it', async () => {
    const { clock, router } = await setup({ aliases: { fast: 'gemini/gemini-2.0-flash', cheap: 'gpt-4o-mini' } });
    expect(router.route('fast')).toMatchObject({ provider: 'gemini', model: 'gemini-2.0-flash' });
    const reply = await drive(clock, router.chat(ask('cheap')));
    expect(reply).toMatchObject({ provider: 'openai', model: 'gpt-4o-mini' });
    expect(reply.fallbackFrom).toBeUndefined();
  });

  it('takes an alias as a member of a fallback group', async () => {
    const { clock, sim, router } = await setup({ aliases: { backup: 'gemini/gemini-2.0-flash' }, fallbacks: { 'gpt-4o-mini': ['backup'] } });
    sim.configure({ openai: { outage: true } });
    const reply = await drive(clock, router.chat(ask()));
    expect(reply).toMatchObject({ provider: 'gemini', fallbackFrom: 'gpt-4o-mini' });
    expect(router.report().fallbacks).toEqual({ 'gpt-4o-mini': { backup: 1 } });
  });

  it('refuses an alias to an unroutable name, and a group naming an unknown model, with the option message', async () => {
    await expect(setup({ aliases: { fast: 'mystery' } })).rejects.toThrow(/createRouter: expected `aliases.fast` to be a routable model name/);
    await sim?.stop();
    sim = null;
    await expect(setup({ contextFallbacks: { 'gpt-4o-mini': ['nope'] } })).rejects.toThrow(/createRouter: expected `contextFallbacks.gpt-4o-mini` to be an array of routable model names or aliases/);
  });

  it('swaps aliases and groups at run time with setModelGroups; an invalid set changes nothing', async () => {
    const { router } = await setup({ aliases: { fast: 'gpt-4o-mini' } });
    router.setModelGroups({ aliases: { fast: 'gemini/gemini-2.0-flash' } });
    expect(router.route('fast').provider).toBe('gemini');
    expect(() => router.setModelGroups({ aliases: { fast: 'mystery' } })).toThrow(/aliases.fast/);
    expect(router.route('fast').provider).toBe('gemini');
  });
});
