import type OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startGateway, type Gateway } from '../../src/gateway/index.js';
import { openaiClient } from '../support/gateway.js';

const MODELS = ['gpt-4o-mini', 'claude-3-5-haiku-latest', 'llama-3.1-8b-instant', 'gemini-2.0-flash'];
const weather: OpenAI.Chat.Completions.ChatCompletionTool = {
  type: 'function',
  function: { name: 'get_weather', description: 'The weather in a city', parameters: { type: 'object', properties: { location: { type: 'string' } }, required: ['location'] } },
};

describe('the gateway: streaming, tools and JSON mode through the official openai SDK', () => {
  let gw: Gateway;
  let client: OpenAI;
  beforeAll(async () => {
    gw = await startGateway({ port: 0, sim: true, inspector: false, env: {} });
    client = openaiClient(gw.url);
  });
  afterAll(() => gw.close());
  beforeEach(() => gw.simulator!.reset());

  it.each(MODELS)('streams %s with stream: true and async iteration, usage included', async (model) => {
    const stream = await client.chat.completions.create({ model, messages: [{ role: 'user', content: 'stream me a few words please' }], stream: true, stream_options: { include_usage: true } });
    let text = '';
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | null | undefined = null;
    let chunks = 0;
    for await (const chunk of stream) {
      chunks++;
      expect(chunk.object).toBe('chat.completion.chunk');
      text += chunk.choices[0]?.delta?.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(chunks).toBeGreaterThanOrEqual(4);
    expect(text).toBe('echo: stream me a few words please');
    expect(finish).toBe('stop');
    expect(usage!.completion_tokens).toBeGreaterThan(0);
  });

  it.each(MODELS)('streams a tool call from %s', async (model) => {
    const stream = await client.chat.completions.create({ model, messages: [{ role: 'user', content: 'weather in Paris?' }], tools: [weather], stream: true });
    const calls: Record<number, { id?: string; name: string; args: string }> = {};
    let finish: string | null = null;
    for await (const chunk of stream) {
      for (const tc of chunk.choices[0]?.delta?.tool_calls ?? []) {
        const c = (calls[tc.index] ??= { name: '', args: '' });
        if (tc.id) c.id = tc.id;
        c.name += tc.function?.name ?? '';
        c.args += tc.function?.arguments ?? '';
      }
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(finish).toBe('tool_calls');
    expect(calls[0]!.name).toBe('get_weather');
    expect(JSON.parse(calls[0]!.args)).toEqual({ location: 'Paris' });
    expect(calls[0]!.id).toBeTruthy();
  });

  it.each(['gpt-4o-mini', 'claude-3-5-haiku-latest', 'gemini-2.0-flash'])('completes a tool call round trip with %s', async (model) => {
    const messages: OpenAI.Chat.Completions.ChatCompletionMessageParam[] = [{ role: 'user', content: 'What is the weather in Paris?' }];
    const first = await client.chat.completions.create({ model, messages, tools: [weather] });
    expect(first.choices[0]!.finish_reason).toBe('tool_calls');
    const call = first.choices[0]!.message.tool_calls![0]! as OpenAI.Chat.Completions.ChatCompletionMessageFunctionToolCall;
    expect(call.function.name).toBe('get_weather');
    expect(JSON.parse(call.function.arguments)).toEqual({ location: 'Paris' });
    messages.push(first.choices[0]!.message, { role: 'tool', tool_call_id: call.id, content: '{"temperature":21,"sky":"clear"}' });
    const second = await client.chat.completions.create({ model, messages, tools: [weather] });
    expect(second.choices[0]!.finish_reason).toBe('stop');
    expect(second.choices[0]!.message.content).toContain('21');
  });

  it.each(['gpt-4o-mini', 'claude-3-5-haiku-latest', 'llama-3.1-8b-instant', 'gemini-2.0-flash'])('returns parseable JSON in JSON mode from %s', async (model) => {
    const r = await client.chat.completions.create({ model, messages: [{ role: 'system', content: 'You answer in JSON.' }, { role: 'user', content: 'a fox' }], response_format: { type: 'json_object' } });
    expect(typeof JSON.parse(r.choices[0]!.message.content!)).toBe('object');
  });

  it('answers 400 naming an untranslatable field, also when streaming', async () => {
    const err = await client.chat.completions.create({ model: 'claude-3-5-haiku-latest', messages: [{ role: 'user', content: 'x' }], n: 3, stream: true }).catch((e) => e);
    expect(err.status).toBe(400);
    expect(err.error).toMatchObject({ code: 'SB_CONFIG', param: 'n' });
    expect(gw.simulator!.stats().requests).toBe(0);
  });

  it('streams an error event when the upstream breaks after the first chunk', async () => {
    gw.simulator!.configure({ anthropic: { script: ['stream-reset:6'] } });
    const stream = await client.chat.completions.create({ model: 'claude-3-5-haiku-latest', messages: [{ role: 'user', content: 'tell me a long story about a fox' }], stream: true });
    let text = '';
    const err = await (async () => {
      for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    })().catch((e) => e);
    expect(text.length).toBeGreaterThan(0);
    expect(String(err?.message ?? err)).toMatch(/interrupted/i);
  });
});
