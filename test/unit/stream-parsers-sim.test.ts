import { createParser } from 'eventsource-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestClock } from '../../src/clock.js';
import { BadResponseError } from '../../src/errors.js';
import { getAdapter } from '../../src/providers/index.js';
import { startSimulator, type Simulator } from '../../src/sim/index.js';
import type { HttpRequest } from '../../src/transport/types.js';
import type { ChatChunk, Provider, RichChatRequest, ToolDefinition } from '../../src/types.js';

/**
 * The adapters against the embedded simulator, which speaks each provider's real streaming and
 * tool formats: the built request goes out with `fetch`, the SSE comes back through
 * `eventsource-parser` into the adapter's parser, as the dispatcher does it.
 */
let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ clock: createTestClock(), seed: 1 });
});
afterAll(async () => {
  await sim.stop();
});

const PROVIDERS: Provider[] = ['openai', 'groq', 'anthropic', 'gemini'];
const ctx = (provider: Provider) => ({ baseUrl: sim.urls[provider], secret: `${provider}-test-key-0123456789`, requestId: 'req-1' });

const send = (req: HttpRequest) => fetch(req.url, { method: req.method, headers: req.headers, body: req.body ?? null });

async function stream(provider: Provider, request: RichChatRequest): Promise<{ chunks: ChatChunk[]; done: boolean }> {
  const adapter = getAdapter(provider)!;
  const res = await send(adapter.buildChatStream(request, ctx(provider)));
  expect(res.status).toBe(200);
  const parser = adapter.streamParser();
  const chunks: ChatChunk[] = [];
  let failure: unknown = null;
  const sse = createParser({
    onEvent: (ev) => {
      if (failure !== null) return;
      try {
        chunks.push(...parser.push(ev.event === undefined ? { data: ev.data } : { event: ev.event, data: ev.data }));
      } catch (e) {
        failure = e;
      }
    },
  });
  const decoder = new TextDecoder();
  for await (const piece of res.body as unknown as AsyncIterable<Uint8Array>) sse.feed(decoder.decode(piece, { stream: true }));
  if (failure !== null) throw failure;
  return { chunks, done: parser.done };
}

async function chat(provider: Provider, request: RichChatRequest) {
  const adapter = getAdapter(provider)!;
  const res = await send(adapter.buildChat(request, ctx(provider)));
  return adapter.parseChat({ status: res.status, headers: {}, body: await res.text() });
}

const weather: ToolDefinition = {
  type: 'function',
  function: { name: 'get_weather', parameters: { type: 'object', properties: { location: { type: 'string' } }, required: ['location'], additionalProperties: false } },
};

describe.each(PROVIDERS)('%s against the simulator', (provider) => {
  it('streams the text in order, ends at the end marker, and the last chunk has the finish reason and the usage', async () => {
    const { chunks, done } = await stream(provider, { model: 'sim-model', messages: [{ role: 'user', content: 'Hello there, streaming world' }] });
    expect(done).toBe(true);
    expect(chunks.length).toBeGreaterThanOrEqual(3);
    expect(chunks.map((c) => c.delta).join('')).toBe('echo: Hello there, streaming world');
    const last = chunks.at(-1)!;
    expect(last.finishReason).toBe('stop');
    expect(last.usage?.outputTokens).toBeGreaterThan(0);
    expect(last.usage?.inputTokens).toBeGreaterThan(0);
    expect(chunks.slice(0, -1).every((c) => c.finishReason === undefined)).toBe(true);
  });

  it('streams a tool call whose deltas put together give the name and the JSON arguments', async () => {
    const { chunks } = await stream(provider, { model: 'sim-model', tools: [weather], toolChoice: 'required', messages: [{ role: 'user', content: 'Weather?' }] });
    const deltas = chunks.flatMap((c) => c.toolCalls ?? []);
    expect(deltas.every((d) => d.index === 0)).toBe(true);
    expect(deltas[0]?.id).toBeTruthy();
    expect(deltas.map((d) => d.function?.name ?? '').join('')).toBe('get_weather');
    expect(JSON.parse(deltas.map((d) => d.function?.arguments ?? '').join(''))).toEqual({ location: 'Paris' });
    expect(chunks.at(-1)?.finishReason).toBe('tool_calls');
  });

  it('completes a tool round trip: the call comes back as toolCalls and the result reaches the model', async () => {
    const first = await chat(provider, { model: 'sim-model', tools: [weather], messages: [{ role: 'user', content: 'Weather?' }] });
    expect(first.finishReason).toBe('tool_calls');
    const call = first.toolCalls![0]!;
    expect(call.function).toEqual({ name: 'get_weather', arguments: '{"location":"Paris"}' });
    const second = await chat(provider, {
      model: 'sim-model',
      tools: [weather],
      messages: [
        { role: 'user', content: 'Weather?' },
        { role: 'assistant', content: null, toolCalls: [call] },
        { role: 'tool', toolCallId: call.id, content: '{"tempC":21}' },
      ],
    });
    expect(second.finishReason).toBe('stop');
    expect(second.text).toMatch(/^tool result: .*tempC.*21/);
  });

  it('sends image parts the provider counts', async () => {
    const reply = await chat(provider, {
      model: 'sim-model',
      messages: [{
        role: 'user',
        content: [
          { type: 'text', text: 'what is this' },
          { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
          { type: 'image_url', image_url: { url: 'https://example.test/cat.png' } },
        ],
      }],
    });
    expect(reply.text).toContain('saw 2 images');
  });

  it('gets a JSON object in JSON mode', async () => {
    const reply = await chat(provider, { model: 'sim-model', messages: [{ role: 'user', content: 'Hi' }], responseFormat: { type: 'json_object' } });
    expect(JSON.parse(reply.text)).toEqual({ echo: 'Hi' });
  });

  it('turns a malformed event mid-stream into SB_BAD_RESPONSE', async () => {
    sim.configure({ [provider]: { script: ['stream-malformed:1'] } });
    await expect(stream(provider, { model: 'sim-model', messages: [{ role: 'user', content: 'Hello there, streaming world' }] })).rejects.toBeInstanceOf(BadResponseError);
  });
});
