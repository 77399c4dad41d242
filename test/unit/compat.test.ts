import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createTestClock } from '../../src/clock.js';
import { seedCircuitState } from '../../src/compat/attributes.js';
import { claude, gemini, groq, openai_api, type CompatOptions } from '../../src/compat/index.js';
import { T0, outcome } from '../support/board.js';
import { fakeTransport, type Step } from '../support/fake-transport.js';
import { seeded } from '../support/sim-board.js';

const BASE = 'http://127.0.0.1:9/v1';
const user = (content = 'hi') => [{ role: 'user' as const, content }];
const gaps = (calls: Array<{ at: number }>) => calls.slice(1).map((c, i) => c.at - calls[i]!.at);

/** An openai_api client on a test clock and a scripted in-process transport; key `a` (secret `sk-a`). */
function makeClient(options: { script?: Step[]; latencyMs?: number; supervisor?: CompatOptions['supervisor'] } = {}) {
  const clock = createTestClock(T0);
  const fake = fakeTransport(clock, { script: options.script, latencyMs: options.latencyMs });
  const client = openai_api(
    { resources: {}, metadata: { openai_api_key: 'sk-a', base_url: BASE } },
    { clock, random: seeded(), transport: fake.transport, supervisor: { retry: { jitter: 'none' }, ...options.supervisor } },
  );
  return { client, clock, fake };
}

describe('compat: generate_report', () => {
  it('counts 5 successes and 2 failures after reset_stats as 7 requests, 71.43 %, each error once', async () => {
    const { client, clock, fake } = makeClient();
    client.failure_threshold = 10;
    client.max_retries = 1;
    await client.chat('gpt-4o-mini', user('before'));
    client.reset_stats();
    for (let i = 0; i < 5; i++) await client.chat('gpt-4o-mini', user(`ok ${i}`));
    for (let i = 0; i < 2; i++) {
      fake.push(503, 503);
      const failed = outcome(client.chat('gpt-4o-mini', user(`bad ${i}`)));
      await clock.tickAsync(1000);
      expect((await failed).ok === false && (await failed as { code: string }).code).toBe('SB_RETRIES_EXHAUSTED');
    }
    const report = client.generate_report({ include_details: true });
    expect(report.summary.total_requests).toBe(7);
    expect(report.summary.success_rate).toBeCloseTo(71.43, 2);
    expect(report.summary.retry_rate).toBeCloseTo((2 / 7) * 100, 1);
    expect(report.errors).toEqual({ SB_RETRIES_EXHAUSTED: 2 });
    expect(report.models).toEqual({ 'gpt-4o-mini': 7 });
    // The breaker counts attempts: 2 failed requests × 2 attempts in a row.
    expect(report.circuit_breaker).toEqual({ state: 'CLOSED', failure_count: 4, failure_threshold: 10, reset_timeout: 30, trips: 0 });
    // The two waits actually slept before the retries: 1 s each (jitter none), in seconds.
    expect(report.details!.backoff_delays).toEqual({ min: 1, max: 1, avg: 1, count: 2 });
    expect(report.details!.queue_wait_times.count).toBe(7);
    await client.stop();
  });

  it('shows both detail blocks as zeros when nothing was recorded, and none without include_details', async () => {
    const { client } = makeClient();
    client.reset_stats();
    const zero = { min: 0, max: 0, avg: 0, count: 0 };
    expect(client.generate_report(true).details).toEqual({ queue_wait_times: zero, backoff_delays: zero });
    expect(client.generate_report({ include_details: true })).toEqual(client.generate_report(true));
    expect(client.generate_report()).not.toHaveProperty('details');
    expect(client.generate_report(false)).not.toHaveProperty('details');
    expect(client.generate_report().summary).toEqual({ total_requests: 0, success_rate: 0, average_response_time: 0, retry_rate: 0 });
    await client.stop();
  });

  it('reports average_response_time and queue waits in seconds', async () => {
    const { client, clock } = makeClient({ latencyMs: 1500 });
    client.max_concurrent_requests = 1;
    const a = client.chat('gpt-4o-mini', user('a'));
    const b = client.chat('gpt-4o-mini', user('b'));
    await clock.tickAsync(3000);
    await Promise.all([a, b]);
    const report = client.generate_report(true);
    expect(report.summary.average_response_time).toBe(2.25); // 1.5 s and 3 s
    expect(report.details!.queue_wait_times).toEqual({ min: 0, max: 1.5, avg: 0.75, count: 2 });
    await client.stop();
  });
});

describe('compat: attributes round-trip and validate', () => {
  const valid: Array<[string, unknown]> = [
    ['PRIORITY_HIGH', 0], ['PRIORITY_NORMAL', 1], ['PRIORITY_LOW', 2],
    ['queue_size', 7], ['max_concurrent_requests', 3], ['failure_threshold', 2], ['reset_timeout', 12.5],
    ['collect_metrics', false], ['batching_enabled', false], ['max_batch_size', 4], ['batch_timeout', 0.25],
    ['embedding_models', ['e-1']], ['completion_models', ['c-1']], ['supported_batch_models', ['e-1', 'c-1']],
    ['max_retries', 2], ['initial_retry_delay', 0.3], ['backoff_factor', 3], ['max_retry_delay', 1.5],
  ];
  it.each(valid)('reads back exactly what was assigned to %s', async (name, value) => {
    const { client } = makeClient();
    (client as unknown as Record<string, unknown>)[name] = value;
    expect((client as unknown as Record<string, unknown>)[name]).toBe(value);
    await client.stop();
  });

  const invalidValues: Array<[string, unknown]> = [
    ['PRIORITY_HIGH', 0.5], ['PRIORITY_NORMAL', '1'], ['PRIORITY_LOW', null],
    ['queue_size', -1], ['max_concurrent_requests', 0], ['failure_threshold', 0], ['reset_timeout', -5],
    ['collect_metrics', 'yes'], ['batching_enabled', 1], ['max_batch_size', 0], ['batch_timeout', -0.1],
    ['embedding_models', 'text-embedding-3-small'], ['completion_models', [1]], ['supported_batch_models', null],
    ['max_retries', -1], ['initial_retry_delay', 'x'], ['backoff_factor', 0.5], ['max_retry_delay', Number.NaN],
    ['circuit_state', 'BROKEN'],
  ];
  it.each(invalidValues)('rejects an invalid %s with SB_CONFIG naming it, and keeps the old value', async (name, value) => {
    const { client } = makeClient();
    const record = client as unknown as Record<string, unknown>;
    const before = record[name];
    let error: any;
    try {
      record[name] = value;
    } catch (e) {
      error = e;
    }
    expect(error?.code).toBe('SB_CONFIG');
    expect(error.field).toBe(name);
    expect(error.message).toContain(`\`${name}\``);
    expect(record[name]).toEqual(before);
    await client.stop();
  });

  it('starts from the core defaults, in seconds', async () => {
    const { client } = makeClient();
    expect([client.PRIORITY_HIGH, client.PRIORITY_NORMAL, client.PRIORITY_LOW]).toEqual([0, 1, 2]);
    expect(client.toJSON()).toMatchObject({
      queue_size: 100, max_concurrent_requests: 5, failure_threshold: 5, reset_timeout: 30, collect_metrics: true,
      batching_enabled: true, max_batch_size: 10, batch_timeout: 0.5, max_retries: 5, initial_retry_delay: 1,
      backoff_factor: 2, max_retry_delay: 16, circuit_state: 'CLOSED',
    });
    expect(client.supported_batch_models).toEqual(client.embedding_models.concat(client.completion_models));
    await client.stop();
  });

  it('names forcedOpen OPEN and disabled CLOSED', () => {
    expect(seedCircuitState('forcedOpen')).toBe('OPEN');
    expect(seedCircuitState('disabled')).toBe('CLOSED');
    expect(seedCircuitState('halfOpen')).toBe('HALF_OPEN');
    expect(seedCircuitState('open')).toBe('OPEN');
    expect(seedCircuitState('closed')).toBe('CLOSED');
  });
});

describe('compat: each assignment changes the next request', () => {
  it('PRIORITY_*: a reassigned number means its level; the old number no longer does', async () => {
    const { client, clock, fake } = makeClient({ latencyMs: 100 });
    client.max_concurrent_requests = 1;
    client.PRIORITY_HIGH = 7;
    client.PRIORITY_NORMAL = 8;
    client.PRIORITY_LOW = 9;
    const busy = client.chat('gpt-4o-mini', user('busy'));
    const low = client.chat('gpt-4o-mini', user('low'), { priority: client.PRIORITY_LOW });
    const normal = client.chat('gpt-4o-mini', user('normal'), { priority: client.PRIORITY_NORMAL });
    const high = client.chat('gpt-4o-mini', user('high'), { priority: 7 });
    const stale = await outcome(client.chat('gpt-4o-mini', user('stale'), { priority: 0 }));
    expect(stale.ok === false && stale.code).toBe('SB_CONFIG');
    await clock.tickAsync(400);
    await Promise.all([busy, low, normal, high]);
    expect(fake.calls.map((c) => (c.body.messages as Array<{ content: string }>)[0]!.content)).toEqual(['busy', 'high', 'normal', 'low']);
    await client.stop();
  });

  it('queue_size: one more waiting request is rejected SB_QUEUE_FULL', async () => {
    const { client, clock } = makeClient({ latencyMs: 100 });
    client.max_concurrent_requests = 1;
    client.queue_size = 1;
    const first = client.chat('gpt-4o-mini', user());
    const waiting = client.chat('gpt-4o-mini', user());
    const third = await outcome(client.chat('gpt-4o-mini', user()));
    expect(third.ok === false && third.code).toBe('SB_QUEUE_FULL');
    await clock.tickAsync(200);
    await Promise.all([first, waiting]);
    await client.stop();
  });

  it('max_concurrent_requests: at most that many in flight', async () => {
    const { client, clock, fake } = makeClient({ latencyMs: 100 });
    client.max_concurrent_requests = 2;
    // The first answer tells the key's budget; until then one request probes it alone.
    const probe = client.chat('gpt-4o-mini', user('probe'));
    await clock.tickAsync(100);
    await probe;
    const all = Array.from({ length: 6 }, (_, i) => client.chat('gpt-4o-mini', user(String(i))));
    expect(client.get_stats()).toMatchObject({ in_flight: 2, queue_size: 4 });
    await clock.tickAsync(300);
    await Promise.all(all);
    expect(fake.peak).toBe(2);
    await client.stop();
  });

  it('failure_threshold: opens after that many failures; check_circuit_breaker turns false', async () => {
    const { client } = makeClient({ script: [503, 503] });
    client.max_retries = 0;
    client.failure_threshold = 2;
    expect(client.check_circuit_breaker()).toBe(true);
    await outcome(client.chat('gpt-4o-mini', user()));
    expect(client.circuit_state).toBe('CLOSED');
    await outcome(client.chat('gpt-4o-mini', user()));
    expect(client.circuit_state).toBe('OPEN');
    expect(client.check_circuit_breaker()).toBe(false);
    const third = await outcome(client.chat('gpt-4o-mini', user()));
    expect(third.ok === false && third.code).toBe('SB_CIRCUIT_OPEN');
    expect(client.generate_report().circuit_breaker).toMatchObject({ state: 'OPEN', trips: 1, failure_threshold: 2 });
    await client.stop();
  });

  it('reset_timeout: half-open exactly that many seconds after opening, closed after a good probe', async () => {
    const { client, clock } = makeClient({ script: [503] });
    client.max_retries = 0;
    client.failure_threshold = 1;
    client.reset_timeout = 10;
    await outcome(client.chat('gpt-4o-mini', user()));
    expect(client.circuit_state).toBe('OPEN');
    await clock.tickAsync(9_999);
    expect(client.circuit_state).toBe('OPEN');
    await clock.tickAsync(1);
    expect(client.circuit_state).toBe('HALF_OPEN');
    expect(client.check_circuit_breaker()).toBe(true);
    await client.chat('gpt-4o-mini', user());
    expect(client.circuit_state).toBe('CLOSED');
    expect(client.generate_report().circuit_breaker.reset_timeout).toBe(10);
    await client.stop();
  });

  it('circuit_state: assigning forces the breaker', async () => {
    const { client, fake } = makeClient();
    client.circuit_state = 'OPEN';
    expect(client.circuit_state).toBe('OPEN');
    const refused = await outcome(client.chat('gpt-4o-mini', user()));
    expect(refused.ok === false && refused.code).toBe('SB_CIRCUIT_OPEN');
    expect(fake.calls).toHaveLength(0);
    client.circuit_state = 'HALF_OPEN';
    expect(client.circuit_state).toBe('HALF_OPEN');
    client.circuit_state = 'CLOSED';
    expect(client.circuit_state).toBe('CLOSED');
    await client.chat('gpt-4o-mini', user());
    expect(fake.calls).toHaveLength(1);
    await client.stop();
  });

  it('collect_metrics: false stops counting, true counts again', async () => {
    const { client } = makeClient();
    client.collect_metrics = false;
    await client.chat('gpt-4o-mini', user());
    expect(client.generate_report().summary.total_requests).toBe(0);
    client.collect_metrics = true;
    await client.chat('gpt-4o-mini', user());
    expect(client.generate_report().summary.total_requests).toBe(1);
    await client.stop();
  });

  it('batching_enabled and max_batch_size: how many HTTP calls concurrent embeddings take', async () => {
    const { client, clock, fake } = makeClient();
    const embedAll = async (n: number) => {
      const all = Array.from({ length: n }, (_, i) => client.embedding('text-embedding-3-small', `t${i}`));
      await clock.tickAsync(client.batch_timeout * 1000);
      return Promise.all(all);
    };
    client.batching_enabled = false;
    await embedAll(3);
    expect(fake.calls).toHaveLength(3);
    client.batching_enabled = true;
    client.max_batch_size = 2;
    // The first goes at once (nothing to batch with); those arriving while it is in flight go two per call.
    const replies = await embedAll(4);
    expect(fake.calls.slice(3).map((c) => (c.body.input as string[]).length)).toEqual([1, 2, 1]);
    expect(replies.map((r) => r.batched)).toEqual([false, true, true, false]);
    await client.stop();
  });

  it('batch_timeout: a lone embedding arriving while a batch is in flight waits exactly that many seconds', async () => {
    const { client, clock, fake } = makeClient({ latencyMs: 5_000 });
    client.batch_timeout = 2;
    const lead = client.embedding('text-embedding-3-small', 'lead');
    await clock.tickAsync(0);
    const p = client.embedding('text-embedding-3-small', 'alone');
    await clock.tickAsync(1999);
    expect(fake.calls).toHaveLength(1);
    await clock.tickAsync(1);
    expect(fake.calls).toHaveLength(2);
    await clock.tickAsync(5_000);
    await Promise.all([lead, p]);
    await client.stop();
  });

  it('embedding_models, completion_models and supported_batch_models decide which models batch', async () => {
    const { client, clock, fake } = makeClient();
    const pair = async (model: string) => {
      const before = fake.calls.length;
      // The first goes at once; the two arriving while it is in flight share a call when the model batches.
      const all = [client.embedding(model, 'x'), client.embedding(model, 'y'), client.embedding(model, 'z')];
      await clock.tickAsync(500);
      await Promise.all(all);
      return fake.calls.length - before;
    };
    client.embedding_models = ['custom-embed'];
    expect(client.supported_batch_models).toEqual(['custom-embed']);
    expect(await pair('custom-embed')).toBe(2);
    expect(await pair('text-embedding-3-small')).toBe(3);
    client.completion_models = ['gpt-x'];
    expect(client.supported_batch_models).toEqual(['custom-embed', 'gpt-x']);
    expect(await pair('gpt-x')).toBe(2);
    const only = ['text-embedding-ada-002'];
    client.supported_batch_models = only;
    expect(client.supported_batch_models).toBe(only);
    expect(await pair('custom-embed')).toBe(3);
    expect(await pair('text-embedding-ada-002')).toBe(2);
    // The guide's line, with concat for Python's `+`.
    client.supported_batch_models = client.embedding_models.concat(client.completion_models);
    expect(await pair('custom-embed')).toBe(2);
    await client.stop();
  });

  it('max_retries: that many retries, then SB_RETRIES_EXHAUSTED', async () => {
    const { client, clock, fake } = makeClient({ script: [503, 503, 503] });
    client.max_retries = 1;
    const p = outcome(client.chat('gpt-4o-mini', user()));
    await clock.tickAsync(10_000);
    const r = await p;
    expect(r.ok === false && r.code).toBe('SB_RETRIES_EXHAUSTED');
    expect(r.ok === false && r.error.attempts).toBe(2);
    expect(fake.calls).toHaveLength(2);
    await client.stop();
  });

  it('initial_retry_delay, backoff_factor and max_retry_delay shape the waits (seconds → ms)', async () => {
    const { client, clock, fake } = makeClient({ script: [503, 503, 503, 503] });
    client.initial_retry_delay = 0.5;
    client.backoff_factor = 3;
    client.max_retry_delay = 2;
    const p = client.chat('gpt-4o-mini', user());
    await clock.tickAsync(10_000);
    expect((await p).attempts).toBe(5);
    expect(gaps(fake.calls)).toEqual([500, 1500, 2000, 2000]);
    const report = client.generate_report(true);
    expect(report.details!.backoff_delays).toEqual({ min: 0.5, max: 2, avg: 1.5, count: 4 });
    await client.stop();
  });
});

describe('compat: requests', () => {
  it('chat sends max_tokens, temperature, system_prompt and request_id, and answers { text, model, usage }', async () => {
    const { client, fake } = makeClient();
    const r = await client.chat('gpt-4o-mini', user('hello'), { max_tokens: 32, temperature: 0.2, system_prompt: 'be brief', request_id: 'req-1', seed: 4 });
    expect(r).toMatchObject({ text: 'echo: hello', model: 'gpt-4o-mini', request_id: 'req-1', key_name: 'openai_api_key', attempts: 1, finish_reason: 'stop' });
    expect(r.usage).toEqual({ prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 });
    expect(r.reply.requestId).toBe('req-1');
    const call = fake.calls[0]!;
    expect(call.request.headers['x-request-id']).toBe('req-1');
    expect(call.body).toMatchObject({ max_tokens: 32, temperature: 0.2, seed: 4 });
    expect(call.body.messages).toEqual([{ role: 'system', content: 'be brief' }, { role: 'user', content: 'hello' }]);
    await client.stop();
  });

  it('chat rejects a bad option with SB_CONFIG naming it', async () => {
    const { client, fake } = makeClient();
    const r = await outcome(client.chat('gpt-4o-mini', user(), { max_tokens: -3 }));
    expect(r.ok === false && r.error.field).toBe('max_tokens');
    expect(fake.calls).toHaveLength(0);
    await client.stop();
  });

  it('embedding answers embedding (first vector) and embeddings', async () => {
    const { client, clock } = makeClient();
    client.batching_enabled = false;
    const r = await client.embedding('text-embedding-3-small', ['a', 'bb']);
    expect(r.embeddings).toHaveLength(2);
    expect(r.embedding).toEqual(r.embeddings[0]);
    expect(r).toMatchObject({ model: 'text-embedding-3-small', batched: false, usage: { prompt_tokens: 4, total_tokens: 4 } });
    await clock.tickAsync(0);
    await client.stop();
  });

  it('make_request takes OpenAI bodies for chat/completions and embeddings and answers in OpenAI shape', async () => {
    const { client, fake } = makeClient();
    client.batching_enabled = false;
    const chat = await client.make_request('chat/completions', { model: 'gpt-4o-mini', messages: user('x'), max_tokens: 8, response_format: { type: 'json_object' } }, { request_id: 'mr-1', priority: client.PRIORITY_HIGH });
    expect(chat).toMatchObject({ object: 'chat.completion', model: 'gpt-4o-mini', request_id: 'mr-1', usage: { total_tokens: 5 } });
    expect(chat.choices[0]!.message.content).toBe('echo: x');
    expect(chat.created).toBe(Math.floor(T0 / 1000));
    expect(fake.calls[0]!.body).toMatchObject({ max_tokens: 8, response_format: { type: 'json_object' } });
    const emb = await client.make_request('/v1/embeddings', { model: 'text-embedding-3-small', input: ['p', 'q'] });
    expect(emb).toMatchObject({ object: 'list', model: 'text-embedding-3-small' });
    expect(emb.data.map((d) => d.index)).toEqual([0, 1]);
    const bad = await outcome(client.make_request('completions', { model: 'x' }));
    expect(bad.ok === false && bad.error.field).toBe('endpoint');
    const dropped = await outcome(client.make_request('embeddings', { model: 'text-embedding-3-small', input: 'x', dimensions: 8 }));
    expect(dropped.ok === false && dropped.error.field).toBe('data.dimensions');
    await client.stop();
  });
});

describe('compat: factories and keys', () => {
  const env = {
    OPENAI_API_KEY: 'sk-env-0', OPENAI_API_KEY_1: 'sk-env-1', CLAUDE_API_KEY: 'sk-ant-env', GROQ_API_KEY_2: 'gsk_env',
    GOOGLE_API_KEY: 'AIza-env-google', GEMINI_API_KEY: 'AIza-env-gemini',
  };
  const names = (c: { state(): { keys: Array<{ name: string }> } }) => c.state().keys.map((k) => k.name);

  it('takes absent keys from the environment, by variable name', async () => {
    const clients = [openai_api({}, { env }), claude({ resources: {} }, { env }), groq(undefined, { env }), gemini({ metadata: {} }, { env })];
    expect(clients.map(names)).toEqual([['OPENAI_API_KEY', 'OPENAI_API_KEY_1'], ['CLAUDE_API_KEY'], ['GROQ_API_KEY_2'], ['GOOGLE_API_KEY', 'GEMINI_API_KEY']]);
    await Promise.all(clients.map((c) => c.stop()));
  });

  it('takes metadata keys (aliases included) over the environment, named by their field', async () => {
    const clients = [
      claude({ metadata: { claude_api_key: 'sk-ant-meta' } }, { env }),
      claude({ metadata: { anthropic_api_key: 'sk-ant-meta' } }, { env }),
      gemini({ metadata: { google_api_key: 'AIza-meta' } }, { env }),
      groq({ metadata: { groq_api_key: 'gsk_meta' } }, { env }),
    ];
    expect(clients.map(names)).toEqual([['claude_api_key'], ['anthropic_api_key'], ['google_api_key'], ['groq_api_key']]);
    await Promise.all(clients.map((c) => c.stop()));
  });

  it('rejects a bad base_url naming base_url, and a non-string key without echoing it', () => {
    expect(() => openai_api({ metadata: { openai_api_key: 'sk-x', base_url: 'ftp://nope' } })).toThrow(expect.objectContaining({ code: 'SB_CONFIG', field: 'base_url' }));
    let error: any;
    try {
      openai_api({ metadata: { openai_api_key: 123456789 as unknown as string } });
    } catch (e) {
      error = e;
    }
    expect(error.code).toBe('SB_CONFIG');
    expect(error.message).not.toContain('123456789');
  });

  it('never shows the key in what it returns or prints', async () => {
    const secret = 'sk-very-secret-value-0123456789';
    const clock = createTestClock(T0);
    const fake = fakeTransport(clock, { script: [401] });
    const client = openai_api({ metadata: { openai_api_key: secret, base_url: BASE } }, { clock, transport: fake.transport });
    const r = await outcome(client.chat('gpt-4o-mini', user()));
    const shown = [
      inspect(client, { depth: 10 }), JSON.stringify(client), JSON.stringify(client.generate_report(true)), JSON.stringify(client.get_stats()),
      JSON.stringify(client.state()), JSON.stringify(client.get_key_stats()), r.ok ? '' : `${r.error.message} ${JSON.stringify(r.error)}`,
    ].join('\n');
    expect(shown).not.toContain(secret);
    expect(shown).toContain('openai_api_key');
    await client.stop();
  });
});
