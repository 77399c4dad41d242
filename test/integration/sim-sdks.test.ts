import Anthropic from '@anthropic-ai/sdk';
import { ApiError, GoogleGenAI } from '@google/genai';
import Groq from 'groq-sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../src/sim/index.js';

// The official SDKs use real time, so this file runs the simulator on the real clock with no latency.
let sim: Simulator;
let openai: OpenAI;
let anthropic: Anthropic;
let groq: Groq;
let genai: GoogleGenAI;

const weatherTool = {
  name: 'get_weather',
  description: 'Current weather',
  schema: { type: 'object', properties: { location: { type: 'string' }, unit: { type: 'string', enum: ['c', 'f'] } }, required: ['location'] },
};

beforeAll(async () => {
  sim = await startSimulator({ seed: 42 });
  openai = new OpenAI({ apiKey: 'sk-openai-test-key-0001', baseURL: sim.urls.openai, maxRetries: 0 });
  anthropic = new Anthropic({ apiKey: 'sk-ant-test-key-0001', baseURL: sim.urls.anthropic, maxRetries: 0 });
  groq = new Groq({ apiKey: 'gsk_test_key_0001', baseURL: sim.urls.groq, maxRetries: 0 });
  genai = new GoogleGenAI({ apiKey: 'AIza-test-key-0001', httpOptions: { baseUrl: sim.urls.gemini } });
});

afterAll(async () => {
  await sim.stop();
});

beforeEach(() => {
  sim.reset();
});

describe('chat through each official SDK', () => {
  it('answers the openai SDK with a chat completion that echoes the last user message', async () => {
    const r = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hello there' }] });
    expect(r.object).toBe('chat.completion');
    expect(r.model).toBe('gpt-4o-mini');
    expect(r.choices[0]!.message.content).toBe('echo: Hello there');
    expect(r.choices[0]!.finish_reason).toBe('stop');
    expect(r.usage!.total_tokens).toBe(r.usage!.prompt_tokens + r.usage!.completion_tokens);
    expect(r.id).toMatch(/^chatcmpl-/);
  });

  it('answers the anthropic SDK with a message and end_turn', async () => {
    const r = await anthropic.messages.create({ model: 'claude-3-5-haiku-latest', max_tokens: 64, messages: [{ role: 'user', content: 'Hello Claude' }] });
    expect(r.type).toBe('message');
    expect(r.content[0]).toMatchObject({ type: 'text', text: 'echo: Hello Claude' });
    expect(r.stop_reason).toBe('end_turn');
    expect(r.usage.input_tokens).toBeGreaterThan(0);
    expect(r.id).toMatch(/^msg_/);
  });

  it('answers the groq SDK at /openai/v1 with x_groq fields', async () => {
    const r = await groq.chat.completions.create({ model: 'llama-3.1-8b-instant', messages: [{ role: 'user', content: 'Hi Groq' }] });
    expect(r.choices[0]!.message.content).toBe('echo: Hi Groq');
    expect(sim.stats().providers.groq.requests).toBe(1);
  });

  it('answers the genai SDK with generateContent', async () => {
    const r = await genai.models.generateContent({ model: 'gemini-2.0-flash', contents: 'Hello Gemini' });
    expect(r.text).toBe('echo: Hello Gemini');
    expect(r.candidates![0]!.finishReason).toBe('STOP');
    expect(r.usageMetadata!.totalTokenCount).toBeGreaterThan(0);
    const s = sim.stats();
    expect(s.providers.gemini.requests).toBe(1);
    expect(s.keyInUrl).toBe(0);
  });

  it('truncates to max tokens and says so in each finish reason', async () => {
    const long = 'word '.repeat(40);
    const o = await openai.chat.completions.create({ model: 'gpt-4o-mini', max_tokens: 3, messages: [{ role: 'user', content: long }] });
    expect(o.choices[0]!.finish_reason).toBe('length');
    expect(o.usage!.completion_tokens).toBe(3);
    const a = await anthropic.messages.create({ model: 'claude-3-5-haiku-latest', max_tokens: 3, messages: [{ role: 'user', content: long }] });
    expect(a.stop_reason).toBe('max_tokens');
    const g = await genai.models.generateContent({ model: 'gemini-2.0-flash', contents: long, config: { maxOutputTokens: 3 } });
    expect(g.candidates![0]!.finishReason).toBe('MAX_TOKENS');
  });
});

describe('embeddings', () => {
  it('decodes base64 embeddings in the openai SDK (its default) into deterministic unit vectors', async () => {
    const r = await openai.embeddings.create({ model: 'text-embedding-3-small', input: ['alpha', 'beta', 'alpha'] });
    expect(r.data).toHaveLength(3);
    const [a, b, a2] = r.data.map((d) => d.embedding);
    expect(a).toHaveLength(16);
    expect(a).toEqual(a2);
    expect(a).not.toEqual(b);
    expect(Math.hypot(...a!)).toBeCloseTo(1, 5);
    expect(sim.stats().providers.openai.recent[0]!.body).toMatchObject({ encoding_format: 'base64' });
    const floats = await openai.embeddings.create({ model: 'text-embedding-3-small', input: 'alpha', encoding_format: 'float', dimensions: 8 });
    expect(floats.data[0]!.embedding).toHaveLength(8);
  });

  it('answers genai embedContent with several contents through batchEmbedContents', async () => {
    const r = await genai.models.embedContent({ model: 'text-embedding-004', contents: ['one', 'two', 'three'] });
    expect(r.embeddings).toHaveLength(3);
    expect(r.embeddings![0]!.values).toHaveLength(16);
    expect(sim.stats().providers.gemini.recent[0]!.path).toContain(':batchEmbedContents');
  });
});

describe('streaming through each SDK', () => {
  it('streams chat.completion.chunk events to the openai SDK, with a usage chunk when asked', async () => {
    const stream = await openai.chat.completions.create({
      model: 'gpt-4o-mini', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'stream me three words' }],
    });
    const deltas: string[] = [];
    let usage: unknown = null;
    let finish: string | null = null;
    for await (const chunk of stream) {
      if (chunk.choices[0]?.delta.content) deltas.push(chunk.choices[0].delta.content);
      if (chunk.choices[0]?.finish_reason) finish = chunk.choices[0].finish_reason;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(deltas.length).toBeGreaterThanOrEqual(3);
    expect(deltas.join('')).toBe('echo: stream me three words');
    expect(finish).toBe('stop');
    expect(usage).toMatchObject({ total_tokens: expect.any(Number) });
    expect(sim.stats().streams).toMatchObject({ started: 1, completed: 1, abortedByClient: 0 });
  });

  it('streams Messages events to the anthropic SDK', async () => {
    const stream = anthropic.messages.stream({ model: 'claude-3-5-haiku-latest', max_tokens: 100, messages: [{ role: 'user', content: 'tell me a story' }] });
    const texts: string[] = [];
    stream.on('text', (t) => texts.push(t));
    const final = await stream.finalMessage();
    expect(texts.length).toBeGreaterThanOrEqual(3);
    expect(texts.join('')).toBe('echo: tell me a story');
    expect(final.stop_reason).toBe('end_turn');
    expect(final.usage.output_tokens).toBeGreaterThan(0);
  });

  it('streams to the groq SDK', async () => {
    const stream = await groq.chat.completions.create({ model: 'llama-3.1-8b-instant', stream: true, messages: [{ role: 'user', content: 'fast tokens please' }] });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe('echo: fast tokens please');
  });

  it('streams GenerateContentResponse events to genai generateContentStream', async () => {
    const stream = await genai.models.generateContentStream({ model: 'gemini-2.0-flash', contents: 'stream from gemini now' });
    const texts: string[] = [];
    for await (const chunk of stream) texts.push(chunk.text ?? '');
    expect(texts.length).toBeGreaterThanOrEqual(3);
    expect(texts.join('')).toBe('echo: stream from gemini now');
    expect(sim.stats().providers.gemini.recent[0]!.path).toContain(':streamGenerateContent?alt=sse');
  });
});

describe('tools', () => {
  it('calls the first tool through the openai SDK, then answers with the tool result', async () => {
    const tools = [{ type: 'function' as const, function: { name: weatherTool.name, description: weatherTool.description, parameters: weatherTool.schema } }];
    const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'Weather in Paris?' }];
    const first = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages, tools });
    expect(first.choices[0]!.finish_reason).toBe('tool_calls');
    const call = first.choices[0]!.message.tool_calls![0]!;
    expect(call.type).toBe('function');
    if (call.type !== 'function') throw new Error('expected a function call');
    expect(call.function.name).toBe('get_weather');
    expect(JSON.parse(call.function.arguments)).toEqual({ location: 'Paris' });
    messages.push(first.choices[0]!.message, { role: 'tool', tool_call_id: call.id, content: '22 degrees and sunny' });
    const second = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages, tools });
    expect(second.choices[0]!.finish_reason).toBe('stop');
    expect(second.choices[0]!.message.content).toContain('22 degrees and sunny');
  });

  it('streams a tool call to the openai SDK as tool_calls deltas', async () => {
    const stream = await openai.chat.completions.create({
      model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'Weather?' }],
      tools: [{ type: 'function', function: { name: weatherTool.name, parameters: weatherTool.schema } }],
    });
    let args = '';
    let name = '';
    let finish = '';
    for await (const chunk of stream) {
      const tc = chunk.choices[0]?.delta.tool_calls?.[0];
      if (tc?.function?.name) name = tc.function.name;
      args += tc?.function?.arguments ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(name).toBe('get_weather');
    expect(JSON.parse(args)).toEqual({ location: 'Paris' });
    expect(finish).toBe('tool_calls');
  });

  it('answers the anthropic SDK with tool_use, streams it as input_json_delta, then reads the tool_result', async () => {
    const tools = [{ name: weatherTool.name, description: weatherTool.description, input_schema: weatherTool.schema as Anthropic.Tool.InputSchema }];
    const first = await anthropic.messages.create({ model: 'claude-3-5-haiku-latest', max_tokens: 100, tools, messages: [{ role: 'user', content: 'Weather?' }] });
    expect(first.stop_reason).toBe('tool_use');
    const use = first.content.find((b) => b.type === 'tool_use');
    expect(use).toMatchObject({ name: 'get_weather', input: { location: 'Paris' } });
    if (!use || use.type !== 'tool_use') throw new Error('expected tool_use');

    const streamed = await anthropic.messages.stream({ model: 'claude-3-5-haiku-latest', max_tokens: 100, tools, messages: [{ role: 'user', content: 'Weather?' }] }).finalMessage();
    expect(streamed.content[0]).toMatchObject({ type: 'tool_use', input: { location: 'Paris' } });

    const second = await anthropic.messages.create({
      model: 'claude-3-5-haiku-latest', max_tokens: 100, tools,
      messages: [
        { role: 'user', content: 'Weather?' },
        { role: 'assistant', content: first.content },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: 'rainy, 12C' }] },
      ],
    });
    expect(second.stop_reason).toBe('end_turn');
    expect(second.content[0]).toMatchObject({ type: 'text', text: expect.stringContaining('rainy, 12C') });
  });

  it('answers genai with text containing a functionResponse', async () => {
    const r = await genai.models.generateContent({
      model: 'gemini-2.0-flash',
      contents: [
        { role: 'user', parts: [{ text: 'Weather?' }] },
        { role: 'model', parts: [{ functionCall: { name: 'get_weather', args: { location: 'Paris' } } }] },
        { role: 'user', parts: [{ functionResponse: { name: 'get_weather', response: { forecast: 'snow' } } }] },
      ],
      config: { tools: [{ functionDeclarations: [{ name: 'get_weather', parametersJsonSchema: weatherTool.schema }] }] },
    });
    expect(r.text).toContain('snow');
  });

  it('answers genai with a functionCall part', async () => {
    const r = await genai.models.generateContent({
      model: 'gemini-2.0-flash', contents: 'Weather?',
      config: { tools: [{ functionDeclarations: [{ name: 'get_weather', parametersJsonSchema: weatherTool.schema }] }] },
    });
    expect(r.functionCalls?.[0]).toMatchObject({ name: 'get_weather', args: { location: 'Paris' } });
  });
});

describe('JSON mode and images', () => {
  it('answers valid JSON under response_format and genai responseMimeType', async () => {
    const o = await openai.chat.completions.create({ model: 'gpt-4o-mini', response_format: { type: 'json_object' }, messages: [{ role: 'user', content: 'give json' }] });
    expect(JSON.parse(o.choices[0]!.message.content!)).toEqual({ echo: 'give json' });
    const g = await genai.models.generateContent({ model: 'gemini-2.0-flash', contents: 'give json', config: { responseMimeType: 'application/json' } });
    expect(typeof JSON.parse(g.text!)).toBe('object');
    const a = await anthropic.messages.create({ model: 'claude-3-5-haiku-latest', max_tokens: 50, system: 'Reply only with JSON.', messages: [{ role: 'user', content: 'give json' }] });
    expect(JSON.parse((a.content[0] as Anthropic.TextBlock).text)).toEqual({ echo: 'give json' });
  });

  it('mentions the images it was shown', async () => {
    const r = await openai.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'what is this' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } }] }],
    });
    expect(r.choices[0]!.message.content).toContain('saw 1 image');
    const a = await anthropic.messages.create({
      model: 'claude-3-5-haiku-latest', max_tokens: 50,
      messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } }, { type: 'text', text: 'what is this' }] }],
    });
    expect((a.content[0] as Anthropic.TextBlock).text).toBe('echo: what is this (saw 1 image)');
    const g = await genai.models.generateContent({
      model: 'gemini-2.0-flash',
      contents: [{ role: 'user', parts: [{ text: 'what are these' }, { inlineData: { mimeType: 'image/png', data: 'iVBORw0KGgo=' } }, { fileData: { mimeType: 'image/png', fileUri: 'gs://b/x.png' } }] }],
    });
    expect(g.text).toBe('echo: what are these (saw 2 images)');
  });
});

describe('429 seen as each SDK\'s own rate-limit error', () => {
  it('raises RateLimitError in openai, anthropic and groq, and ApiError 429 in genai', async () => {
    sim.configure({ defaults: { script: ['429'] } });
    await expect(openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] })).rejects.toBeInstanceOf(OpenAI.RateLimitError);
    sim.configure({ defaults: { script: ['429'] } });
    await expect(anthropic.messages.create({ model: 'claude-3-5-haiku-latest', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] })).rejects.toBeInstanceOf(Anthropic.RateLimitError);
    sim.configure({ defaults: { script: ['429'] } });
    await expect(groq.chat.completions.create({ model: 'llama-3.1-8b-instant', messages: [{ role: 'user', content: 'x' }] })).rejects.toBeInstanceOf(Groq.RateLimitError);
    sim.configure({ defaults: { script: ['429'] } });
    const err = await genai.models.generateContent({ model: 'gemini-2.0-flash', contents: 'x' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(429);
    expect((err as ApiError).message).toContain('RESOURCE_EXHAUSTED');
    expect(sim.stats().rateLimited).toBe(4);
  });
});
