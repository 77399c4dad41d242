import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestClock } from '../../src/clock.js';
import { startSimulator, type Simulator } from '../../src/sim/index.js';

/** A provider's JSON answer, loosely typed for assertions. */
const json = (r: Response): Promise<any> => r.json();

const START = Date.parse('2026-01-01T00:00:00Z');
const clock = createTestClock(START);
let sim: Simulator;

const openai = (key = 'sk-bucket-00000000000001', content = 'hi') =>
  fetch(`${sim.urls.openai}/chat/completions`, {
    method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content }] }),
  });
const groq = (key = 'gsk_bucket_000000000001') =>
  fetch(`${sim.urls.groq}/openai/v1/chat/completions`, {
    method: 'POST', headers: { authorization: `Bearer ${key}` },
    body: JSON.stringify({ model: 'llama-3.1-8b-instant', messages: [{ role: 'user', content: 'hi' }] }),
  });
const anthropic = (key = 'sk-ant-bucket-000000001') =>
  fetch(`${sim.urls.anthropic}/v1/messages`, {
    method: 'POST', headers: { 'x-api-key': key, 'anthropic-version': '2023-06-01' },
    body: JSON.stringify({ model: 'claude-3-5-haiku-latest', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] }),
  });
const gemini = (key = 'AIza-bucket-0000000001') =>
  fetch(`${sim.urls.gemini}/v1beta/models/gemini-2.0-flash:generateContent`, {
    method: 'POST', headers: { 'x-goog-api-key': key },
    body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'hi' }] }] }),
  });

beforeAll(async () => {
  sim = await startSimulator({ clock });
});
afterAll(async () => {
  await sim.stop();
});
beforeEach(() => {
  sim.configure({ defaults: { rateLimit: null, dailyQuota: null, outage: null } });
  sim.reset();
});

describe('the token bucket, on the test clock', () => {
  it('answers 50 of 60 simultaneous requests at 50 req/s and 429s the rest, then refills after 1 s', async () => {
    sim.configure({ openai: { rateLimit: { requestsPerSecond: 50 } } });
    const answers = await Promise.all(Array.from({ length: 60 }, () => openai()));
    const statuses = answers.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(50);
    expect(statuses.filter((s) => s === 429)).toHaveLength(10);
    const limited = answers.find((r) => r.status === 429)!;
    expect(limited.headers.get('x-ratelimit-limit-requests')).toBe('50');
    expect(limited.headers.get('x-ratelimit-remaining-requests')).toBe('0');
    expect(limited.headers.get('x-ratelimit-reset-requests')).toBe('1s');
    // One request's worth of budget comes back every 1000 / 50 = 20 ms.
    expect(limited.headers.get('retry-after-ms')).toBe('20');
    expect(limited.headers.get('retry-after')).toBe('1');
    expect(await json(limited)).toMatchObject({ error: { code: 'rate_limit_exceeded', type: 'requests' } });
    const ok = answers.find((r) => r.status === 200)!;
    expect(ok.headers.get('x-ratelimit-limit-requests')).toBe('50');
    expect(sim.stats()).toMatchObject({ requests: 60, rateLimited: 10, byStatus: { 200: 50, 429: 10 } });

    await clock.tickAsync(1000);
    const again = await Promise.all(Array.from({ length: 50 }, () => openai()));
    expect(again.every((r) => r.status === 200)).toBe(true);
    expect((await openai()).status).toBe(429);
  });

  it('keeps one bucket per key', async () => {
    sim.configure({ openai: { rateLimit: { requestsPerMinute: 2 } } });
    expect([(await openai('sk-a-000000000000000001')).status, (await openai('sk-a-000000000000000001')).status, (await openai('sk-a-000000000000000001')).status]).toEqual([200, 200, 429]);
    expect((await openai('sk-b-000000000000000001')).status).toBe(200);
    const s = sim.stats();
    expect(s.keys['sk-a-000000000000000001']).toMatchObject({ requests: 3, rateLimited: 1, providers: { openai: 3 } });
    expect(s.keys['sk-b-000000000000000001']).toMatchObject({ requests: 1, rateLimited: 0 });
  });

  it('limits tokens per minute and says so in the body and headers', async () => {
    sim.configure({ openai: { rateLimit: { tokensPerMinute: 100 } } });
    const big = 'x'.repeat(300); // 75 input tokens + the echo's output
    expect((await openai(undefined, big)).status).toBe(200);
    const r = await openai(undefined, big);
    expect(r.status).toBe(429);
    expect(Number(r.headers.get('x-ratelimit-remaining-tokens'))).toBeLessThan(100);
    expect(r.headers.get('x-ratelimit-limit-tokens')).toBe('100');
    expect(await json(r)).toMatchObject({ error: { type: 'tokens', code: 'rate_limit_exceeded' } });
  });

  it('sends x-ratelimit-* on every Groq answer and retry-after (no retry-after-ms) on its 429', async () => {
    sim.configure({ groq: { rateLimit: { requestsPerMinute: 1 } } });
    const ok = await groq();
    expect(ok.headers.get('x-ratelimit-remaining-requests')).toBe('0');
    expect(ok.headers.get('x-ratelimit-reset-requests')).toBe('1m0s');
    const r = await groq();
    expect(r.status).toBe(429);
    expect(r.headers.get('retry-after')).toBe('60');
    expect(r.headers.get('retry-after-ms')).toBeNull();
    expect((await json(r)).error.code).toBe('rate_limit_exceeded');
  });

  it('answers Anthropic\'s 429 with rate_limit_error, retry-after and RFC 3339 resets from the clock', async () => {
    sim.configure({ anthropic: { rateLimit: { requestsPerSecond: 1, tokensPerMinute: 10_000 } } });
    const ok = await anthropic();
    expect(ok.status).toBe(200);
    expect(ok.headers.get('anthropic-ratelimit-requests-limit')).toBe('1');
    expect(ok.headers.get('anthropic-ratelimit-requests-remaining')).toBe('0');
    const now = clock.now();
    expect(ok.headers.get('anthropic-ratelimit-requests-reset')).toBe(new Date(now + 1000).toISOString().replace('.000Z', 'Z'));
    expect(ok.headers.get('anthropic-ratelimit-tokens-limit')).toBe('10000');
    expect(ok.headers.get('anthropic-ratelimit-input-tokens-remaining')).toMatch(/^\d+$/);
    expect(ok.headers.get('anthropic-ratelimit-output-tokens-reset')).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const r = await anthropic();
    expect(r.status).toBe(429);
    expect(r.headers.get('retry-after')).toBe('1');
    expect(await json(r)).toMatchObject({ type: 'error', error: { type: 'rate_limit_error' }, request_id: expect.stringMatching(/^req_/) });
  });

  it('answers Gemini\'s 429 RESOURCE_EXHAUSTED with RetryInfo and a per-minute QuotaFailure', async () => {
    sim.configure({ gemini: { rateLimit: { requestsPerMinute: 4 } } });
    for (let i = 0; i < 4; i++) expect((await gemini()).status).toBe(200);
    const r = await gemini();
    expect(r.status).toBe(429);
    const body = await json(r);
    expect(body.error).toMatchObject({ code: 429, status: 'RESOURCE_EXHAUSTED' });
    const details = body.error.details as Array<Record<string, unknown>>;
    expect(details.find((d) => d['@type'] === 'type.googleapis.com/google.rpc.RetryInfo')).toEqual({ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '15s' });
    const quota = details.find((d) => d['@type'] === 'type.googleapis.com/google.rpc.QuotaFailure') as { violations: Array<Record<string, unknown>> };
    expect(quota.violations[0]).toMatchObject({ quotaId: 'GenerateRequestsPerMinutePerProjectPerModel', quotaValue: '4', quotaDimensions: { model: 'gemini-2.0-flash' } });
    await clock.tickAsync(15_000);
    expect((await gemini()).status).toBe(200);
  });
});

describe('daily quota', () => {
  it('exhausts a Gemini key for the day with a per-day quotaId, and restores it at midnight UTC', async () => {
    sim.configure({ gemini: { dailyQuota: 2 } });
    expect((await gemini()).status).toBe(200);
    expect((await gemini()).status).toBe(200);
    const r = await gemini();
    expect(r.status).toBe(429);
    const details = (await json(r)).error.details as Array<Record<string, unknown>>;
    const quota = details.find((d) => d['@type'] === 'type.googleapis.com/google.rpc.QuotaFailure') as { violations: Array<Record<string, unknown>> };
    expect(quota.violations[0]).toMatchObject({ quotaId: 'GenerateRequestsPerDayPerProjectPerModel-FreeTier', quotaValue: '2' });
    const msToMidnight = 86_400_000 - (clock.now() % 86_400_000);
    await clock.tickAsync(msToMidnight);
    expect((await gemini()).status).toBe(200);
  });

  it('answers OpenAI\'s insufficient_quota and Groq\'s per-day rate limit', async () => {
    sim.configure({ openai: { dailyQuota: 1 }, groq: { dailyQuota: 1 } });
    await openai();
    const o = await openai();
    expect(o.status).toBe(429);
    expect((await json(o)).error.code).toBe('insufficient_quota');
    await groq();
    const g = await groq();
    expect(g.status).toBe(429);
    expect((await json(g)).error.message).toContain('requests per day (RPD)');
  });
});

describe('outages', () => {
  it('answers the outage status for forMs of clock time, then recovers', async () => {
    sim.configure({ openai: { outage: { status: 503, forMs: 10_000 } } });
    expect((await openai()).status).toBe(503);
    await clock.tickAsync(9_999);
    expect((await openai()).status).toBe(503);
    await clock.tickAsync(1);
    expect((await openai()).status).toBe(200);
    expect(sim.stats().faults.outage).toBe(2);
  });

  it('stays down while outage is true and only for the keys configured', async () => {
    sim.configure({ keys: { 'sk-down-0000000000000001': { outage: true } } });
    expect((await openai('sk-down-0000000000000001')).status).toBe(503);
    expect((await openai('sk-up-00000000000000001')).status).toBe(200);
    sim.configure({ keys: { 'sk-down-0000000000000001': { outage: false } } });
    expect((await openai('sk-down-0000000000000001')).status).toBe(200);
  });
});
