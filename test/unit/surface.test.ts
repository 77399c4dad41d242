import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { getAdapter } from '../../src/providers/index.js';
import { JSON_OBJECT_INSTRUCTION } from '../../src/providers/surface.js';
import type { HttpResponse } from '../../src/transport/types.js';
import type { Provider, RichChatRequest, ToolDefinition } from '../../src/types.js';

const ctx = { baseUrl: 'https://api.example.test', secret: 'sk-test-secret-0123456789', requestId: 'req-1' };
const body = (provider: Provider, req: RichChatRequest) => JSON.parse(getAdapter(provider)!.buildChat(req, ctx).body!);
const streamBody = (provider: Provider, req: RichChatRequest) => JSON.parse(getAdapter(provider)!.buildChatStream(req, ctx).body!);
const res = (b: unknown): HttpResponse => ({ status: 200, headers: {}, body: JSON.stringify(b) });

/** The ConfigError `build` throws (or fails the test). */
function configError(build: () => unknown): ConfigError {
  try {
    build();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

const weather: ToolDefinition = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Weather for a place',
    parameters: { type: 'object', properties: { location: { type: 'string' } }, required: ['location'], additionalProperties: false },
  },
};
const now: ToolDefinition = { type: 'function', function: { name: 'get_time' } };

/** A tool round trip: the user asks, the assistant calls two tools, both results come back. */
const roundTrip: RichChatRequest = {
  model: 'm',
  tools: [weather, now],
  messages: [
    { role: 'user', content: 'Weather and time in Paris?' },
    {
      role: 'assistant',
      content: 'Checking.',
      toolCalls: [
        { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"location":"Paris"}' } },
        { id: 'call_2', type: 'function', function: { name: 'get_time', arguments: '' } },
      ],
    },
    { role: 'tool', toolCallId: 'call_1', content: '{"tempC":21}' },
    { role: 'tool', toolCallId: 'call_2', content: '14:05' },
    { role: 'user', content: 'Thanks' },
  ],
};

const PNG = 'iVBORw0KGgoAAAANSUhEUg==';
const withImages: RichChatRequest = {
  model: 'm',
  messages: [{
    role: 'user',
    content: [
      { type: 'text', text: 'What is this?' },
      { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG}` } },
      { type: 'image_url', image_url: { url: 'https://example.test/cat.jpg', detail: 'auto' } },
    ],
  }],
};

describe('openai and groq: the request surface passes through in OpenAI shape', () => {
  it.each<Provider>(['openai', 'groq'])('%s: tools, tool_choice, response_format, content parts, tool calls and tool results', (provider) => {
    const b = body(provider, { ...roundTrip, toolChoice: 'required', responseFormat: { type: 'json_object' }, extra: { parallel_tool_calls: false, seed: 3 } });
    expect(b.tools).toEqual([weather, now]);
    expect(b.tool_choice).toBe('required');
    expect(b.response_format).toEqual({ type: 'json_object' });
    expect(b.parallel_tool_calls).toBe(false);
    expect(b.seed).toBe(3);
    expect(b.messages).toEqual([
      { role: 'user', content: 'Weather and time in Paris?' },
      { role: 'assistant', content: 'Checking.', tool_calls: roundTrip.messages[1]!.role === 'assistant' ? (roundTrip.messages[1] as { toolCalls: unknown }).toolCalls : [] },
      { role: 'tool', content: '{"tempC":21}', tool_call_id: 'call_1' },
      { role: 'tool', content: '14:05', tool_call_id: 'call_2' },
      { role: 'user', content: 'Thanks' },
    ]);
    expect(body(provider, withImages).messages[0].content).toEqual((withImages.messages[0] as { content: unknown }).content);
  });

  it.each<Provider>(['openai', 'groq'])('%s: asks for a stream with usage in the last chunk; extra cannot turn streaming on or off', (provider) => {
    const req = { model: 'm', messages: [{ role: 'user' as const, content: 'Hi' }], extra: { stream: true, stream_options: { include_usage: false } } };
    expect(body(provider, req)).not.toHaveProperty('stream');
    expect(body(provider, req)).not.toHaveProperty('stream_options');
    expect(streamBody(provider, req)).toMatchObject({ stream: true, stream_options: { include_usage: true } });
    expect(getAdapter(provider)!.buildChatStream(req, ctx).url).toBe(getAdapter(provider)!.buildChat(req, ctx).url);
  });

  it.each<Provider>(['openai', 'groq'])('%s: parseChat reads message.tool_calls', (provider) => {
    const calls = [{ id: 'call_a', type: 'function', function: { name: 'get_weather', arguments: '{"location":"Paris"}' } }];
    const parsed = getAdapter(provider)!.parseChat(res({
      id: 'c', model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: null, tool_calls: calls }, finish_reason: 'tool_calls' }],
    }));
    expect(parsed).toMatchObject({ text: '', finishReason: 'tool_calls', toolCalls: calls });
    expect(getAdapter(provider)!.parseChat(res({ id: 'c', model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: 'Hi' }, finish_reason: 'stop' }] })).toolCalls).toBeUndefined();
  });
});

describe('anthropic: the request surface is translated', () => {
  it('sends tools as { name, description, input_schema }, a tool without parameters taking an empty object', () => {
    expect(body('anthropic', { ...roundTrip }).tools).toEqual([
      { name: 'get_weather', description: 'Weather for a place', input_schema: weather.function.parameters },
      { name: 'get_time', input_schema: { type: 'object', properties: {} } },
    ]);
  });

  it.each([
    ['auto', { type: 'auto' }],
    ['required', { type: 'any' }],
    ['none', { type: 'none' }],
    [{ type: 'function', function: { name: 'get_weather' } }, { type: 'tool', name: 'get_weather' }],
  ])('maps tool_choice %j to %j', (choice, expected) => {
    expect(body('anthropic', { ...roundTrip, toolChoice: choice as RichChatRequest['toolChoice'] }).tool_choice).toEqual(expected);
  });

  it('maps parallel_tool_calls: false to disable_parallel_tool_use', () => {
    expect(body('anthropic', { ...roundTrip, extra: { parallel_tool_calls: false } }).tool_choice).toEqual({ type: 'auto', disable_parallel_tool_use: true });
    expect(body('anthropic', { ...roundTrip, toolChoice: 'required', extra: { parallel_tool_calls: false } }).tool_choice).toEqual({ type: 'any', disable_parallel_tool_use: true });
    expect(body('anthropic', { ...roundTrip, extra: { parallel_tool_calls: true } })).not.toHaveProperty('tool_choice');
  });

  it('turns assistant tool calls into tool_use blocks and consecutive tool results into one user turn', () => {
    expect(body('anthropic', roundTrip).messages).toEqual([
      { role: 'user', content: 'Weather and time in Paris?' },
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'Checking.' },
          { type: 'tool_use', id: 'call_1', name: 'get_weather', input: { location: 'Paris' } },
          { type: 'tool_use', id: 'call_2', name: 'get_time', input: {} },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'call_1', content: '{"tempC":21}' },
          { type: 'tool_result', tool_use_id: 'call_2', content: '14:05' },
        ],
      },
      { role: 'user', content: 'Thanks' },
    ]);
  });

  it('sends a data URL as a base64 image source and an https link as a url source', () => {
    expect(body('anthropic', withImages).messages[0].content).toEqual([
      { type: 'text', text: 'What is this?' },
      { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG } },
      { type: 'image', source: { type: 'url', url: 'https://example.test/cat.jpg' } },
    ]);
  });

  it('asks for JSON in the system prompt, after the caller\'s system text, with the schema for json_schema', () => {
    const plain = body('anthropic', { model: 'm', system: 'Be brief.', messages: [{ role: 'user', content: 'Hi' }], responseFormat: { type: 'json_object' } });
    expect(plain.system).toBe(`Be brief.\n\n${JSON_OBJECT_INSTRUCTION}`);
    const schema = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] };
    const withSchema = body('anthropic', { model: 'm', messages: [{ role: 'user', content: 'Hi' }], responseFormat: { type: 'json_schema', json_schema: { name: 'place', schema } } });
    expect(withSchema.system).toContain(JSON_OBJECT_INSTRUCTION);
    expect(withSchema.system).toContain('"place"');
    expect(withSchema.system).toContain(JSON.stringify(schema));
    expect(body('anthropic', { model: 'm', messages: [], responseFormat: { type: 'text' } })).not.toHaveProperty('system');
  });

  it('translates user, stop and max_completion_tokens found in extra, and keeps its own keys', () => {
    const b = body('anthropic', { model: 'm', messages: [], extra: { user: 'u-42', metadata: { x: 1 }, stop: 'END', max_completion_tokens: 77, top_k: 5, n: 1, logprobs: false, stream: true } });
    expect(b).toEqual({ model: 'm', max_tokens: 77, messages: [], metadata: { x: 1, user_id: 'u-42' }, stop_sequences: ['END'], top_k: 5 });
  });

  it('asks for a stream with stream: true', () => {
    expect(streamBody('anthropic', { model: 'm', messages: [{ role: 'user', content: 'Hi' }] })).toMatchObject({ stream: true });
    expect(getAdapter('anthropic')!.buildChatStream({ model: 'm', messages: [] }, ctx).url).toBe('https://api.example.test/v1/messages');
  });

  it('reads tool_use blocks back as tool calls with their input as JSON arguments', () => {
    const parsed = getAdapter('anthropic')!.parseChat(res({
      id: 'msg_1', type: 'message', role: 'assistant', model: 'claude',
      content: [{ type: 'text', text: 'Checking.' }, { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { location: 'Paris' } }],
      stop_reason: 'tool_use', usage: { input_tokens: 1, output_tokens: 1 },
    }));
    expect(parsed).toMatchObject({
      text: 'Checking.',
      finishReason: 'tool_calls',
      toolCalls: [{ id: 'toolu_1', type: 'function', function: { name: 'get_weather', arguments: '{"location":"Paris"}' } }],
    });
  });
});

describe('gemini: the request surface is translated', () => {
  it('declares tools as functionDeclarations with schemas cut to Gemini\'s subset', () => {
    const b = body('gemini', {
      model: 'm',
      messages: [{ role: 'user', content: 'Hi' }],
      tools: [weather, now, {
        type: 'function',
        function: {
          name: 'book',
          parameters: {
            $schema: 'https://json-schema.org/draft/2020-12/schema',
            type: 'object',
            properties: {
              when: { type: 'string', format: 'date-time' },
              email: { type: 'string', format: 'email' },
              seats: { type: ['integer', 'null'], minimum: 1, exclusiveMaximum: 10 },
              room: { $ref: '#/$defs/Room' },
              kind: { const: 'standard' },
              size: { type: 'integer', enum: [1, 2] },
            },
            required: ['when', 'ghost'],
            $defs: { Room: { type: 'object', properties: { name: { type: 'string' } }, additionalProperties: false } },
          },
        },
      }],
    });
    expect(b.tools).toEqual([{
      functionDeclarations: [
        { name: 'get_weather', description: 'Weather for a place', parameters: { type: 'object', properties: { location: { type: 'string' } }, required: ['location'] } },
        { name: 'get_time' },
        {
          name: 'book',
          parameters: {
            type: 'object',
            properties: {
              when: { type: 'string', format: 'date-time' },
              email: { type: 'string' },
              seats: { type: 'integer', nullable: true, minimum: 1 },
              room: { type: 'object', properties: { name: { type: 'string' } } },
              kind: { type: 'string', enum: ['standard'] },
              size: { type: 'integer', description: 'One of: 1, 2.' },
            },
            required: ['when'],
          },
        },
      ],
    }]);
  });

  it('refuses a recursive schema, naming the tool\'s parameters', () => {
    const tree = { type: 'object', properties: { children: { type: 'array', items: { $ref: '#' } } } };
    expect(configError(() => body('gemini', { model: 'm', messages: [], tools: [{ type: 'function', function: { name: 't', parameters: tree } }] })).field)
      .toBe('tools[0].function.parameters');
  });

  it.each([
    ['auto', { mode: 'AUTO' }],
    ['required', { mode: 'ANY' }],
    ['none', { mode: 'NONE' }],
    [{ type: 'function', function: { name: 'get_weather' } }, { mode: 'ANY', allowedFunctionNames: ['get_weather'] }],
  ])('maps tool_choice %j to functionCallingConfig %j', (choice, expected) => {
    expect(body('gemini', { ...roundTrip, toolChoice: choice as RichChatRequest['toolChoice'] }).toolConfig).toEqual({ functionCallingConfig: expected });
  });

  it('turns tool calls into functionCall parts and tool results into functionResponse parts named after their call', () => {
    expect(body('gemini', roundTrip).contents).toEqual([
      { role: 'user', parts: [{ text: 'Weather and time in Paris?' }] },
      { role: 'model', parts: [{ text: 'Checking.' }, { functionCall: { name: 'get_weather', args: { location: 'Paris' } } }, { functionCall: { name: 'get_time', args: {} } }] },
      {
        role: 'user',
        parts: [
          { functionResponse: { name: 'get_weather', response: { tempC: 21 } } },
          { functionResponse: { name: 'get_time', response: { result: '14:05' } } },
        ],
      },
      { role: 'user', parts: [{ text: 'Thanks' }] },
    ]);
  });

  it('sends back the thought signature a call id carries', () => {
    const b = body('gemini', {
      model: 'm',
      messages: [
        { role: 'user', content: 'Hi' },
        { role: 'assistant', content: null, toolCalls: [{ id: 'call_0_ts_CiQB0e2Kb-_x9y', type: 'function', function: { name: 'f', arguments: '{}' } }] },
        { role: 'tool', toolCallId: 'call_0_ts_CiQB0e2Kb-_x9y', content: '[1,2]' },
      ],
    });
    expect(b.contents[1]).toEqual({ role: 'model', parts: [{ functionCall: { name: 'f', args: {} }, thoughtSignature: 'CiQB0e2Kb+/x9y==' }] });
    expect(b.contents[2].parts[0]).toEqual({ functionResponse: { name: 'f', response: { result: [1, 2] } } });
  });

  it('refuses a tool result whose call it cannot find, naming its tool_call_id', () => {
    const e = configError(() => body('gemini', { model: 'm', messages: [{ role: 'tool', toolCallId: 'call_9', content: 'x' }] }));
    expect(e.field).toBe('messages[0].tool_call_id');
  });

  it('sends a data URL as inlineData and a link as fileData with the type its extension says', () => {
    expect(body('gemini', withImages).contents[0].parts).toEqual([
      { text: 'What is this?' },
      { inlineData: { mimeType: 'image/png', data: PNG } },
      { fileData: { fileUri: 'https://example.test/cat.jpg', mimeType: 'image/jpeg' } },
    ]);
  });

  it('asks for JSON with responseMimeType, and with a cleaned responseSchema for json_schema', () => {
    expect(body('gemini', { model: 'm', messages: [], responseFormat: { type: 'json_object' } }).generationConfig).toEqual({ responseMimeType: 'application/json' });
    const schema = { $schema: 'x', type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false };
    expect(body('gemini', { model: 'm', messages: [], maxTokens: 9, responseFormat: { type: 'json_schema', json_schema: { name: 'place', schema, strict: true } } }).generationConfig).toEqual({
      maxOutputTokens: 9,
      responseMimeType: 'application/json',
      responseSchema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
    });
  });

  it('translates OpenAI sampling fields found in extra into generationConfig', () => {
    expect(body('gemini', { model: 'm', messages: [], extra: { seed: 7, presence_penalty: 0.5, frequency_penalty: 0.1, stop: 'END', n: 1, safetySettings: [] } })).toEqual({
      contents: [],
      generationConfig: { seed: 7, presencePenalty: 0.5, frequencyPenalty: 0.1, stopSequences: ['END'] },
      safetySettings: [],
    });
  });

  it('streams from :streamGenerateContent?alt=sse with the key in the header only', () => {
    const req = getAdapter('gemini')!.buildChatStream({ model: 'gemini-2.0-flash', messages: [{ role: 'user', content: 'Hi' }] }, ctx);
    expect(req.url).toBe('https://api.example.test/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse');
    expect(req.headers['x-goog-api-key']).toBe(ctx.secret);
    expect(req.url).not.toContain(ctx.secret);
    expect(JSON.parse(req.body!)).toEqual({ contents: [{ role: 'user', parts: [{ text: 'Hi' }] }] });
  });

  it('reads functionCall parts back as tool calls with ids call_<index>', () => {
    const parsed = getAdapter('gemini')!.parseChat(res({
      candidates: [{ content: { role: 'model', parts: [{ functionCall: { name: 'get_weather', args: { location: 'Paris' } } }, { functionCall: { name: 'get_time' } }] }, finishReason: 'STOP' }],
    }));
    expect(parsed).toMatchObject({
      finishReason: 'tool_calls',
      toolCalls: [
        { id: 'call_0', type: 'function', function: { name: 'get_weather', arguments: '{"location":"Paris"}' } },
        { id: 'call_1', type: 'function', function: { name: 'get_time', arguments: '{}' } },
      ],
    });
  });
});

describe('what has no translation is SB_CONFIG naming the field', () => {
  const user = (content: unknown) => ({ model: 'm', messages: [{ role: 'user', content } as never] });
  const cases: Array<[string, RichChatRequest, string]> = [
    ['n > 1', { model: 'm', messages: [], extra: { n: 2 } }, 'n'],
    ['logprobs', { model: 'm', messages: [], extra: { logprobs: true } }, 'logprobs'],
    ['top_logprobs', { model: 'm', messages: [], extra: { top_logprobs: 3 } }, 'top_logprobs'],
    ['logit_bias', { model: 'm', messages: [], extra: { logit_bias: { 50256: -100 } } }, 'logit_bias'],
    ['audio output', { model: 'm', messages: [], extra: { modalities: ['text', 'audio'] } }, 'modalities'],
    ['reasoning_effort', { model: 'm', messages: [], extra: { reasoning_effort: 'high' } }, 'reasoning_effort'],
    ['the legacy functions API', { model: 'm', messages: [], extra: { functions: [] } }, 'functions'],
    ['a tool that is not a function', { model: 'm', messages: [], tools: [{ type: 'web_search' } as never] }, 'tools[0].type'],
    ['an audio content part', user([{ type: 'text', text: 'hi' }, { type: 'input_audio', input_audio: { data: 'AAAA', format: 'wav' } }]), 'messages[0].content[1].type'],
    ['a file content part', user([{ type: 'file', file: { file_id: 'f' } }]), 'messages[0].content[0].type'],
    ['image detail other than auto', user([{ type: 'image_url', image_url: { url: 'https://x.test/a.png', detail: 'high' } }]), 'messages[0].content[0].image_url.detail'],
    ['a data URL that is not base64', user([{ type: 'image_url', image_url: { url: 'data:image/svg+xml,<svg/>' } }]), 'messages[0].content[0].image_url.url'],
    ['a participant name', { model: 'm', messages: [{ role: 'user', content: 'hi', name: 'ann' }] }, 'messages[0].name'],
    ['an image in the system text', { model: 'm', messages: [{ role: 'system', content: [{ type: 'image_url', image_url: { url: 'https://x.test/a.png' } }] }] }, 'messages[0].content[0].image_url.url'],
    ['tool_choice required with no tools', { model: 'm', messages: [], toolChoice: 'required' }, 'tool_choice'],
    ['an unknown tool_choice', { model: 'm', messages: [], tools: [weather], toolChoice: 'any' as never }, 'tool_choice'],
    ['tool call arguments that are not JSON', { model: 'm', messages: [{ role: 'assistant', content: null, toolCalls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{oops' } }] }] }, 'messages[0].tool_calls[0].function.arguments'],
    ['an unknown response_format', { model: 'm', messages: [], responseFormat: { type: 'grammar' } as never }, 'response_format.type'],
  ];

  for (const provider of ['anthropic', 'gemini'] as const) {
    it.each(cases)(`${provider}: %s`, (_name, req, field) => {
      const e = configError(() => body(provider, req));
      expect(e.code).toBe('SB_CONFIG');
      expect(e.field).toBe(field);
      expect(e.message).toContain(provider);
      expect(e.message).toContain(`\`${field}\``);
      // The stream request is built the same way and refuses the same.
      expect(configError(() => streamBody(provider, req)).field).toBe(field);
    });
  }

  it.each([
    ['anthropic', { seed: 1 }, 'seed'],
    ['anthropic', { presence_penalty: 0.5 }, 'presence_penalty'],
    ['anthropic', { tool_choice: 'auto', parallel_tool_calls: 'no' }, 'parallel_tool_calls'],
    ['anthropic', { max_completion_tokens: 'lots' }, 'max_completion_tokens'],
    ['anthropic', { user: 42 }, 'user'],
    ['anthropic', { user: 'u', metadata: 1, store: true }, 'store'],
    ['gemini', { user: 'u-1' }, 'user'],
    ['gemini', { parallel_tool_calls: false }, 'parallel_tool_calls'],
    ['gemini', { service_tier: 'flex' }, 'service_tier'],
    ['gemini', { seed: 'x' }, 'seed'],
  ] as const)('%s refuses extra %j naming %s', (provider, extra, field) => {
    expect(configError(() => body(provider, { model: 'm', messages: [], tools: [weather], extra: { ...extra } })).field).toBe(field);
  });

  it('accepts the no-op values of OpenAI-only fields (n: 1, logprobs: false, nulls) and drops them', () => {
    for (const provider of ['anthropic', 'gemini'] as const) {
      const b = body(provider, { model: 'm', messages: [], extra: { n: 1, logprobs: false, top_logprobs: null, logit_bias: {}, modalities: ['text'], stream_options: { include_usage: true } } });
      for (const key of ['n', 'logprobs', 'top_logprobs', 'logit_bias', 'modalities', 'stream_options']) expect(b).not.toHaveProperty(key);
    }
  });

  it('anthropic refuses an image link that is not http(s)', () => {
    expect(configError(() => body('anthropic', user([{ type: 'image_url', image_url: { url: 'gs://bucket/a.png' } }]))).field).toBe('messages[0].content[0].image_url.url');
    expect(body('gemini', user([{ type: 'image_url', image_url: { url: 'gs://bucket/a.png' } }])).contents[0].parts).toEqual([{ fileData: { fileUri: 'gs://bucket/a.png', mimeType: 'image/png' } }]);
  });
});
