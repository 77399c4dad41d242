import { createOpenAI } from '@ai-sdk/openai';
import { generateText, jsonSchema, streamText, tool } from 'ai';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatewayProcess, type GatewayProcess } from '../support/gateway.js';

// `switchboard serve --sim` as a child process; the openai SDK and the Vercel AI SDK, unmodified, against it.
let gw: GatewayProcess;
let client: OpenAI;

beforeAll(async () => {
  gw = await startGatewayProcess(['--sim', '--port', '0']);
  client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'anything', maxRetries: 0, timeout: 10_000 });
});
afterAll(async () => {
  await gw?.stop();
});

const weather = {
  type: 'function' as const,
  name: 'get_weather',
  description: 'Current weather in a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false },
  strict: true,
};

describe.each(['gpt-4o-mini', 'claude-3-5-haiku-latest', 'gemini-2.0-flash'])('the openai SDK responses.create through the gateway to %s', (model) => {
  it('answers plain text input with output_text and the model that served', async () => {
    const r = await client.responses.create({ model, input: 'Hello responses', instructions: 'Be brief.', max_output_tokens: 64 });
    expect(r.object).toBe('response');
    expect(r.status).toBe('completed');
    expect(r.model).toBe(model);
    expect(r.output_text).toBe('echo: Hello responses');
    expect(r.usage?.input_tokens).toBeGreaterThan(0);
  });

  it('streams typed events from response.created to response.completed', async () => {
    const stream = await client.responses.create({ model, input: [{ role: 'user', content: [{ type: 'input_text', text: 'Stream me' }] }], stream: true });
    const types: string[] = [];
    let text = '';
    let completed: OpenAI.Responses.Response | null = null;
    for await (const ev of stream) {
      types.push(ev.type);
      if (ev.type === 'response.output_text.delta') text += ev.delta;
      if (ev.type === 'response.completed') completed = ev.response;
    }
    expect(types[0]).toBe('response.created');
    expect(types).toContain('response.output_item.added');
    expect(types.at(-1)).toBe('response.completed');
    expect(text).toBe('echo: Stream me');
    expect(completed!.output[0]).toMatchObject({ type: 'message', content: [{ type: 'output_text', text: 'echo: Stream me' }] });
  });

  it('runs a function-call round trip with a function_call_output item', async () => {
    const first = await client.responses.create({ model, input: 'Weather in Oslo?', tools: [weather] });
    const call = first.output.find((o): o is OpenAI.Responses.ResponseFunctionToolCall => o.type === 'function_call')!;
    expect(call).toMatchObject({ type: 'function_call', name: 'get_weather' });
    expect(typeof JSON.parse(call.arguments).city).toBe('string');
    const second = await client.responses.create({
      model,
      tools: [weather],
      input: [
        { role: 'user', content: 'Weather in Oslo?' },
        { type: 'function_call', call_id: call.call_id, name: call.name, arguments: call.arguments },
        { type: 'function_call_output', call_id: call.call_id, output: '3 C and snowing' },
      ],
    });
    // Gemini takes a function result as an object (`{ result }`): the simulated model reads it back whole.
    expect(second.output_text).toMatch(/^tool result: .*3 C and snowing/);
  });

  it('answers in JSON that fits a text.format JSON schema', async () => {
    const r = await client.responses.create({
      model,
      input: 'Give me a city',
      text: { format: { type: 'json_schema', name: 'city', strict: true, schema: { type: 'object', properties: { name: { type: 'string' }, population: { type: 'integer' } }, required: ['name', 'population'], additionalProperties: false } } },
    });
    const value = JSON.parse(r.output_text);
    expect(typeof value.name).toBe('string');
    expect(Number.isInteger(value.population)).toBe(true);
  });
});

describe('the Responses API: what is refused', () => {
  it('answers previous_response_id with a 400 naming it', async () => {
    const err = await client.responses.create({ model: 'gpt-4o-mini', input: 'x', previous_response_id: 'resp_123' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as Error).message).toMatch(/previous_response_id/);
  });
});

describe('the Vercel AI SDK default openai provider (Responses API) through the gateway', () => {
  const provider = () => createOpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'anything' });

  it.each(['gpt-4o-mini', 'claude-3-5-haiku-latest'])('generateText answers with %s', async (model) => {
    const r = await generateText({ model: provider()(model), prompt: 'Hello AI SDK', maxRetries: 0 });
    expect(r.text).toBe('echo: Hello AI SDK');
    expect(r.finishReason).toBe('stop');
    expect(r.usage.inputTokens).toBeGreaterThan(0);
  });

  it('streamText streams the text', async () => {
    const r = streamText({ model: provider()('gemini-2.0-flash'), prompt: 'Stream AI SDK', maxRetries: 0 });
    let text = '';
    for await (const part of r.textStream) text += part;
    expect(text).toBe('echo: Stream AI SDK');
    expect(await r.finishReason).toBe('stop');
  });

  it('generateText runs a tool and answers with its result', async () => {
    const r = await generateText({
      model: provider()('gpt-4o-mini'),
      prompt: 'Weather in Rome?',
      maxRetries: 0,
      tools: { get_weather: tool({ description: 'weather', inputSchema: jsonSchema<{ city: string }>({ type: 'object', properties: { city: { type: 'string' } }, required: ['city'] }), execute: async () => '25 C' }) },
      stopWhen: ({ steps }) => steps.length >= 2,
    });
    expect(r.steps[0]!.toolCalls[0]).toMatchObject({ toolName: 'get_weather' });
    expect(r.text).toBe('tool result: 25 C');
  });
});
