import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestClock } from '../../src/clock.js';
import { claude, gemini, groq, openai_api, type CompatClient } from '../../src/compat/index.js';
import { startSimulator, type Simulator } from '../../src/sim/index.js';
import { T0 } from '../support/board.js';
import { seeded } from '../support/sim-board.js';

// No latency: the simulator answers at once, so nothing here waits on the clock.
const clock = createTestClock(T0);
let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ clock, seed: 1 });
});
afterAll(async () => {
  await sim.stop();
});

const cases = [
  { name: 'openai_api', make: openai_api, field: 'openai_api_key', url: 'openai', model: 'gpt-4o-mini', embeds: 'text-embedding-3-small' },
  { name: 'claude', make: claude, field: 'anthropic_api_key', url: 'anthropic', model: 'claude-3-5-haiku-latest', embeds: null },
  { name: 'groq', make: groq, field: 'groq_api_key', url: 'groq', model: 'llama-3.1-8b-instant', embeds: null },
  { name: 'gemini', make: gemini, field: 'gemini_api_key', url: 'gemini', model: 'gemini-2.0-flash', embeds: 'text-embedding-004' },
] as const;

describe('compat: the four factories against the simulator', () => {
  it.each(cases)('$name: chat, make_request and embedding speak the seed and OpenAI shapes', async ({ make, field, url, model, embeds }) => {
    const client: CompatClient = make({ resources: {}, metadata: { [field]: `${url}-compat-key`, base_url: sim.urls[url] } }, { clock, random: seeded() });
    const reply = await client.chat(model, [{ role: 'user', content: 'hello' }], { system_prompt: 'be brief', max_tokens: 64, request_id: `${url}-1` });
    expect(reply).toMatchObject({ text: 'echo: hello', model, provider: client.provider, key_name: field, request_id: `${url}-1` });
    expect(reply.usage!.total_tokens).toBeGreaterThan(0);

    const completion = await client.make_request('chat/completions', { model, messages: [{ role: 'user', content: 'via make_request' }], max_tokens: 64 });
    expect(completion.object).toBe('chat.completion');
    expect(completion.choices[0]!.message).toMatchObject({ role: 'assistant', content: 'echo: via make_request' });
    expect(completion.choices[0]!.finish_reason).toBe('stop');

    if (embeds) {
      client.batching_enabled = false; // a batch would wait batch_timeout on the test clock
      const e = await client.embedding(embeds, ['one', 'two']);
      expect(e.embeddings).toHaveLength(2);
      expect(e.embedding).toEqual(e.embeddings[0]);
      const list = await client.make_request('embeddings', { model: embeds, input: 'three' });
      expect(list.data).toHaveLength(1);
    } else {
      const refused = await client.embedding('any-model', 'x').catch((error) => error);
      expect(refused.code).toBe('SB_CONFIG');
    }
    expect(client.generate_report().summary.total_requests).toBe(embeds ? 4 : 2) // an embedding refused for a provider without embeddings is not a request;
    await client.stop();
  });
});
