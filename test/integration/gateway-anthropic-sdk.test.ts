import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatewayProcess, type GatewayProcess } from '../support/gateway.js';

// `switchboard serve --sim` as a child process, and the official Anthropic SDK, unmodified, against it.
let gw: GatewayProcess;
let client: Anthropic;
const TOKEN = 'gateway-token-for-the-anthropic-sdk';

beforeAll(async () => {
  gw = await startGatewayProcess(['--sim', '--port', '0'], { SWITCHBOARD_TOKEN: TOKEN });
  // The SDK sends its apiKey as `x-api-key`: the gateway takes it as its token.
  client = new Anthropic({ apiKey: TOKEN, baseURL: gw.url, maxRetries: 0, timeout: 10_000 });
});
afterAll(async () => {
  await gw?.stop();
});

const weather: Anthropic.Tool = {
  name: 'get_weather',
  description: 'Current weather in a city',
  input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};

describe.each(['claude-3-5-haiku-latest', 'gpt-4o-mini'])('the Anthropic SDK through the gateway to %s', (model) => {
  it('messages.create answers a message naming the model that served it', async () => {
    const msg = await client.messages.create({
      model,
      max_tokens: 64,
      system: [{ type: 'text', text: 'Be brief.' }],
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Hello from the SDK' }] }],
      stop_sequences: ['###'],
      metadata: { user_id: 'user-42' },
    });
    expect(msg.type).toBe('message');
    expect(msg.role).toBe('assistant');
    expect(msg.model).toBe(model);
    expect(msg.stop_reason).toBe('end_turn');
    expect(msg.content[0]).toMatchObject({ type: 'text', text: 'echo: Hello from the SDK' });
    expect(msg.usage.input_tokens).toBeGreaterThan(0);
  });

  it('messages.stream delivers the text through the SDK event parser and its final message', async () => {
    const stream = client.messages.stream({ model, max_tokens: 64, messages: [{ role: 'user', content: 'Stream this please' }] });
    let text = '';
    stream.on('text', (t) => (text += t));
    const final = await stream.finalMessage();
    expect(text).toBe('echo: Stream this please');
    expect(final.content[0]).toMatchObject({ type: 'text', text: 'echo: Stream this please' });
    expect(final.stop_reason).toBe('end_turn');
    expect(final.model).toBe(model);
  });

  it('runs a tools round trip: tool_use, then a tool_result answered in text', async () => {
    const first = await client.messages.create({ model, max_tokens: 128, tools: [weather], messages: [{ role: 'user', content: 'Weather in Paris?' }] });
    expect(first.stop_reason).toBe('tool_use');
    const use = first.content.find((b): b is Anthropic.ToolUseBlock => b.type === 'tool_use')!;
    expect(use).toMatchObject({ type: 'tool_use', name: 'get_weather' });
    expect(typeof (use.input as { city: unknown }).city).toBe('string');
    const second = await client.messages.create({
      model,
      max_tokens: 128,
      tools: [weather],
      messages: [
        { role: 'user', content: 'Weather in Paris?' },
        { role: 'assistant', content: first.content },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: '21 C and sunny' }] },
      ],
    });
    expect(second.stop_reason).toBe('end_turn');
    expect(second.content[0]).toMatchObject({ type: 'text', text: 'tool result: 21 C and sunny' });
  });

  it('streams a tool call as a tool_use block with input_json_delta events', async () => {
    const stream = client.messages.stream({ model, max_tokens: 128, tools: [weather], tool_choice: { type: 'tool', name: 'get_weather' }, messages: [{ role: 'user', content: 'Weather?' }] });
    const final = await stream.finalMessage();
    expect(final.stop_reason).toBe('tool_use');
    const use = final.content.find((b) => b.type === 'tool_use') as Anthropic.ToolUseBlock;
    expect(use.name).toBe('get_weather');
    expect(typeof (use.input as { city: unknown }).city).toBe('string');
  });
});

describe('the Anthropic SDK: errors and limits', () => {
  it("answers a bad request in Anthropic's error shape, naming the field", async () => {
    const err = await client.messages.create({ model: 'gpt-4o-mini', max_tokens: 0, messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.BadRequestError);
    const e = err as InstanceType<typeof Anthropic.BadRequestError>;
    expect(e.status).toBe(400);
    expect(e.error).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
    expect(e.message).toContain('max_tokens');
  });

  it('answers an unknown model with not_found_error', async () => {
    const err = await client.messages.create({ model: 'mystery-model', max_tokens: 8, messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.NotFoundError);
    expect((err as InstanceType<typeof Anthropic.NotFoundError>).error).toMatchObject({ type: 'error', error: { type: 'not_found_error' } });
  });

  it('refuses a wrong x-api-key with 401', async () => {
    const wrong = new Anthropic({ apiKey: 'not-the-token', baseURL: gw.url, maxRetries: 0 });
    const err = await wrong.messages.create({ model: 'claude-3-5-haiku-latest', max_tokens: 8, messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.AuthenticationError);
    // Refused before any route runs, still in Anthropic's error shape.
    expect((err as InstanceType<typeof Anthropic.AuthenticationError>).error).toMatchObject({ type: 'error', error: { type: 'authentication_error' } });
  });

  it("never forwards the client's x-api-key: the provider sees the gateway's own key", async () => {
    await client.messages.create({ model: 'claude-3-5-haiku-latest', max_tokens: 8, messages: [{ role: 'user', content: 'whose key?' }] });
    const stats = (await (await fetch(`${gw.url}/sim/stats`, { headers: { 'x-api-key': TOKEN } })).json()) as { providers: { anthropic: { recent: Array<{ headers: Record<string, string> }> } } };
    const seen = stats.providers.anthropic.recent.at(-1)!.headers;
    // The simulator shows keys masked (first 6 … last 4): the gateway's fake key `sim-secret-anthropic-N`, not the token.
    expect(seen['x-api-key']).toMatch(/^sim-se\*\*\*ic-[12]$/);
    expect(JSON.stringify(stats)).not.toContain(TOKEN);
  });

  it('answers count_tokens with a clear 404', async () => {
    const err = await client.messages.countTokens({ model: 'claude-3-5-haiku-latest', messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.NotFoundError);
    expect((err as Error).message).toMatch(/count_tokens is not supported/);
  });
});
