import { invalid } from '../../options.js';
import type { ContentPart, Provider, ResponseFormat, RichChatMessage, RichChatRequest, ToolCall, ToolChoice, ToolDefinition } from '../../types.js';

const WHERE = 'chat.completions';

/** Fields mapped to named request fields here; everything else goes to `extra`, where the adapter
 * passes it through (openai, groq) or translates it — or answers 400 naming it (anthropic, gemini). */
const MAPPED = new Set([
  'model', 'messages', 'max_tokens', 'max_completion_tokens', 'temperature', 'top_p', 'stop', 'stream', 'stream_options',
  'tools', 'tool_choice', 'response_format',
]);
const MESSAGE_FIELDS = new Set(['role', 'content', 'name', 'tool_calls', 'tool_call_id', 'refusal']);

/** An OpenAI chat request, checked and mapped. */
export interface ParsedChatRequest {
  request: RichChatRequest;
  stream: boolean;
  /** `stream_options.include_usage`, for the streaming answer. */
  includeUsage: boolean;
}

function optionalNumber(body: Record<string, unknown>, field: string): number | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw invalid(WHERE, field, 'a number', v);
  return v;
}

function maxTokens(body: Record<string, unknown>): number | undefined {
  for (const field of ['max_completion_tokens', 'max_tokens']) {
    const v = body[field];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw invalid(WHERE, field, 'an integer >= 1', v);
    return v;
  }
  return undefined;
}

function stopSequences(v: unknown): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return [v];
  if (Array.isArray(v) && v.every((s) => typeof s === 'string')) return v as string[];
  throw invalid(WHERE, 'stop', 'a string or an array of strings', v);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function content(v: unknown, at: string, nullable: boolean): string | ContentPart[] | null {
  if (typeof v === 'string') return v;
  if (v === null || v === undefined) {
    if (nullable) return null;
    throw invalid(WHERE, `${at}.content`, 'a string or an array of content parts', v);
  }
  if (!Array.isArray(v)) throw invalid(WHERE, `${at}.content`, 'a string or an array of content parts', v);
  return v.map((part, j) => {
    if (!isObject(part) || typeof part.type !== 'string') throw invalid(WHERE, `${at}.content[${j}]`, 'a content part { type, … }', part);
    if (part.type === 'text' && typeof part.text !== 'string') throw invalid(WHERE, `${at}.content[${j}].text`, 'a string', part.text);
    if (part.type === 'image_url' && (!isObject(part.image_url) || typeof part.image_url.url !== 'string')) {
      throw invalid(WHERE, `${at}.content[${j}].image_url.url`, 'a string', isObject(part.image_url) ? part.image_url.url : part.image_url);
    }
    // Other part types (audio, file …) go on as they are: the adapter passes or refuses them by name.
    return part as unknown as ContentPart;
  });
}

function toolCalls(v: unknown, at: string): ToolCall[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) throw invalid(WHERE, `${at}.tool_calls`, 'an array of tool calls', v);
  return v.map((c, j) => {
    const where = `${at}.tool_calls[${j}]`;
    if (!isObject(c) || typeof c.id !== 'string') throw invalid(WHERE, `${where}.id`, 'a string', isObject(c) ? c.id : c);
    if (!isObject(c.function) || typeof c.function.name !== 'string') throw invalid(WHERE, `${where}.function.name`, 'a string', isObject(c.function) ? c.function.name : c.function);
    if (typeof c.function.arguments !== 'string') throw invalid(WHERE, `${where}.function.arguments`, 'a JSON string', c.function.arguments);
    return { id: c.id, type: 'function', function: { name: c.function.name, arguments: c.function.arguments } };
  });
}

function mapMessage(m: unknown, i: number): RichChatMessage {
  const at = `messages[${i}]`;
  if (!isObject(m)) throw invalid(WHERE, at, 'an object { role, content }', m);
  for (const k of Object.keys(m)) if (!MESSAGE_FIELDS.has(k) && m[k] !== undefined) throw invalid(WHERE, `${at}.${k}`, 'absent (not a chat message field)', m[k]);
  const name = m.name === undefined || m.name === null ? undefined : typeof m.name === 'string' ? m.name : (() => { throw invalid(WHERE, `${at}.name`, 'a string', m.name); })();
  const named = name !== undefined ? { name } : {};
  switch (m.role) {
    case 'system':
    case 'developer':
      // `developer` is OpenAI's newer name for system instructions.
      return { role: 'system', content: content(m.content, at, false), ...named };
    case 'user':
      return { role: 'user', content: content(m.content, at, false), ...named };
    case 'assistant': {
      const calls = toolCalls(m.tool_calls, at);
      return { role: 'assistant', content: content(m.content, at, calls !== undefined), ...(calls ? { toolCalls: calls } : {}), ...named };
    }
    case 'tool':
      if (typeof m.tool_call_id !== 'string') throw invalid(WHERE, `${at}.tool_call_id`, 'a string', m.tool_call_id);
      return { role: 'tool', content: content(m.content, at, false) as string | ContentPart[], toolCallId: m.tool_call_id, ...named };
    default:
      throw invalid(WHERE, `${at}.role`, "'system' | 'developer' | 'user' | 'assistant' | 'tool'", m.role);
  }
}

function tools(v: unknown): ToolDefinition[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) throw invalid(WHERE, 'tools', 'an array of tools', v);
  return v.map((t, i) => {
    if (!isObject(t)) throw invalid(WHERE, `tools[${i}]`, 'an object { type, function }', t);
    if (t.type === 'function' && (!isObject(t.function) || typeof t.function.name !== 'string')) {
      throw invalid(WHERE, `tools[${i}].function.name`, 'a string', isObject(t.function) ? t.function.name : t.function);
    }
    return t as unknown as ToolDefinition;
  });
}

function toolChoice(v: unknown): ToolChoice | undefined {
  if (v === undefined || v === null) return undefined;
  if (v === 'auto' || v === 'none' || v === 'required') return v;
  if (isObject(v) && v.type === 'function' && isObject(v.function) && typeof v.function.name === 'string') return v as unknown as ToolChoice;
  throw invalid(WHERE, 'tool_choice', "'auto' | 'none' | 'required' | { type: 'function', function: { name } }", v);
}

function responseFormat(v: unknown): ResponseFormat | undefined {
  if (v === undefined || v === null) return undefined;
  if (isObject(v) && (v.type === 'text' || v.type === 'json_object')) return { type: v.type };
  if (isObject(v) && v.type === 'json_schema' && isObject(v.json_schema) && typeof v.json_schema.name === 'string') return v as unknown as ResponseFormat;
  throw invalid(WHERE, 'response_format', "{ type: 'text' | 'json_object' } or { type: 'json_schema', json_schema: { name, schema } }", v);
}

/**
 * Turns an OpenAI `chat.completions` body into the unified request for the routed provider
 * (`model` is the provider's model name, prefix stripped). Tools, tool choice, JSON mode and images
 * become named fields the adapter translates; other fields go to `extra`. Throws
 * `ConfigError` (400) naming a field that is missing or of the wrong type; the adapter throws it
 * for a field with no translation.
 */
export function toChatRequest(body: Record<string, unknown>, _provider: Provider, model: string): ParsedChatRequest {
  const messages = body.messages;
  if (!Array.isArray(messages) || messages.length === 0) throw invalid(WHERE, 'messages', 'a non-empty array of messages', messages);
  const stream = body.stream;
  if (stream !== undefined && stream !== null && typeof stream !== 'boolean') throw invalid(WHERE, 'stream', 'a boolean', stream);
  const so = body.stream_options;
  if (so !== undefined && so !== null && !isObject(so)) throw invalid(WHERE, 'stream_options', 'an object', so);
  const request: RichChatRequest = { model, messages: messages.map(mapMessage) };
  const mt = maxTokens(body);
  if (mt !== undefined) request.maxTokens = mt;
  const temperature = optionalNumber(body, 'temperature');
  if (temperature !== undefined) request.temperature = temperature;
  const topP = optionalNumber(body, 'top_p');
  if (topP !== undefined) request.topP = topP;
  const stop = stopSequences(body.stop);
  if (stop !== undefined) request.stop = stop;
  const t = tools(body.tools);
  if (t) request.tools = t;
  const tc = toolChoice(body.tool_choice);
  if (tc) request.toolChoice = tc;
  const rf = responseFormat(body.response_format);
  if (rf) request.responseFormat = rf;
  const extra: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(body)) if (!MAPPED.has(k) && v !== undefined) extra[k] = v;
  if (Object.keys(extra).length > 0) request.extra = extra;
  return { request, stream: stream === true, includeUsage: isObject(so) && so.include_usage === true };
}
