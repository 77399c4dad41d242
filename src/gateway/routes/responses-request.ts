/**
 * OpenAI's Responses API request (platform.openai.com/docs/api-reference/responses/create) → the
 * router's unified request, for every provider: `input` (a string, or items: messages with
 * `input_text` / `input_image` parts, `function_call` and `function_call_output` items),
 * `instructions`, function `tools` and `tool_choice`, `text.format` (JSON mode, JSON schema),
 * `max_output_tokens`, `temperature`, `top_p`, `parallel_tool_calls`, `user`, `reasoning.effort`,
 * `stream`. Responses are not stored: `previous_response_id` (and any item reference) is a 400
 * naming it. A field with no translation is a 400 naming it — never silently dropped.
 */
import { invalid } from '../../options.js';
import type { ContentPart, ResponseFormat, RichChatMessage, RichChatRequest, ToolChoice, ToolDefinition } from '../../types.js';

const WHERE = 'responses';
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export interface ParsedResponsesRequest {
  request: RichChatRequest;
  stream: boolean;
  /** Echoed in the response object as OpenAI does. */
  echo: { instructions: string | null; maxOutputTokens: number | null; temperature: number | null; topP: number | null; tools: unknown[]; toolChoice: unknown; text: Record<string, unknown>; metadata: Record<string, unknown>; parallelToolCalls: boolean; user: string | null };
}

/** Fields read below; `store` and `metadata` are taken (nothing is stored; metadata is echoed back). */
const KNOWN = new Set([
  'model', 'input', 'instructions', 'tools', 'tool_choice', 'text', 'max_output_tokens', 'temperature', 'top_p', 'stream',
  'parallel_tool_calls', 'user', 'reasoning', 'store', 'metadata', 'include', 'truncation', 'previous_response_id', 'service_tier', 'stream_options',
]);

function inputParts(content: unknown, at: string): string | ContentPart[] {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) throw invalid(WHERE, `${at}.content`, 'a string or an array of content parts', content);
  const parts = content.map((p, j): ContentPart => {
    const where = `${at}.content[${j}]`;
    if (!isObject(p)) throw invalid(WHERE, where, 'a content part { type, … }', p);
    switch (p.type) {
      case 'input_text':
      case 'output_text':
        if (typeof p.text !== 'string') throw invalid(WHERE, `${where}.text`, 'a string', p.text);
        return { type: 'text', text: p.text };
      case 'refusal':
        return { type: 'text', text: typeof p.refusal === 'string' ? p.refusal : '' };
      case 'input_image':
        if (typeof p.image_url !== 'string') throw invalid(WHERE, `${where}.image_url`, 'an image URL or data URL (file_id images are not supported)', p.image_url);
        return { type: 'image_url', image_url: { url: p.image_url, ...(typeof p.detail === 'string' ? { detail: p.detail } : {}) } };
      default:
        throw invalid(WHERE, `${where}.type`, "'input_text' | 'input_image' | 'output_text' (files and audio do not translate)", p.type);
    }
  });
  const only = parts.length === 1 ? parts[0]! : null;
  return only && only.type === 'text' ? only.text : parts;
}

function outputText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return v.map((p) => (isObject(p) && typeof p.text === 'string' ? p.text : '')).join('');
  return JSON.stringify(v ?? '');
}

function messagesOf(input: unknown): RichChatMessage[] {
  if (typeof input === 'string') return [{ role: 'user', content: input }];
  if (!Array.isArray(input) || input.length === 0) throw invalid(WHERE, 'input', 'a string or a non-empty array of input items', input);
  const out: RichChatMessage[] = [];
  input.forEach((item, i) => {
    const at = `input[${i}]`;
    if (!isObject(item)) throw invalid(WHERE, at, 'an input item { type, … }', item);
    const type = item.type ?? 'message';
    if (type === 'message') {
      switch (item.role) {
        case 'system':
        case 'developer':
          out.push({ role: 'system', content: inputParts(item.content, at) });
          return;
        case 'user':
          out.push({ role: 'user', content: inputParts(item.content, at) });
          return;
        case 'assistant': {
          const c = inputParts(item.content, at);
          out.push({ role: 'assistant', content: typeof c === 'string' ? c : c.map((p) => (p.type === 'text' ? p.text : '')).join('') });
          return;
        }
        default:
          throw invalid(WHERE, `${at}.role`, "'user' | 'assistant' | 'system' | 'developer'", item.role);
      }
    }
    if (type === 'function_call') {
      if (typeof item.call_id !== 'string' || typeof item.name !== 'string') throw invalid(WHERE, `${at}.call_id`, 'a function_call item with a string call_id and name', item.call_id);
      const call = { id: item.call_id, type: 'function' as const, function: { name: item.name, arguments: typeof item.arguments === 'string' ? item.arguments : JSON.stringify(item.arguments ?? {}) } };
      // Consecutive calls belong to one assistant turn.
      const last = out[out.length - 1];
      if (last && last.role === 'assistant' && (last.toolCalls || last.content === null || last.content === '')) {
        last.toolCalls = [...(last.toolCalls ?? []), call];
        if (last.content === '') last.content = null;
      } else out.push({ role: 'assistant', content: null, toolCalls: [call] });
      return;
    }
    if (type === 'function_call_output') {
      if (typeof item.call_id !== 'string') throw invalid(WHERE, `${at}.call_id`, 'a string', item.call_id);
      out.push({ role: 'tool', toolCallId: item.call_id, content: outputText(item.output) });
      return;
    }
    if (type === 'item_reference') throw invalid(WHERE, `${at}.type`, 'not an item reference: responses are not stored here, so send the items themselves', type);
    throw invalid(WHERE, `${at}.type`, "'message' | 'function_call' | 'function_call_output' (reasoning, built-in tool and item-reference items do not translate)", type);
  });
  return out;
}

function tools(v: unknown): ToolDefinition[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) throw invalid(WHERE, 'tools', 'an array of tools', v);
  return v.map((t, i) => {
    if (!isObject(t) || t.type !== 'function') throw invalid(WHERE, `tools[${i}].type`, "'function' (built-in tools such as web_search do not translate)", isObject(t) ? t.type : t);
    if (typeof t.name !== 'string') throw invalid(WHERE, `tools[${i}].name`, 'a string', t.name);
    const fn: ToolDefinition['function'] = { name: t.name };
    if (typeof t.description === 'string') fn.description = t.description;
    if (isObject(t.parameters)) fn.parameters = t.parameters;
    if (typeof t.strict === 'boolean') fn.strict = t.strict;
    return { type: 'function', function: fn };
  });
}

function toolChoice(v: unknown): ToolChoice | undefined {
  if (v === undefined || v === null) return undefined;
  if (v === 'auto' || v === 'none' || v === 'required') return v;
  if (isObject(v) && v.type === 'function' && typeof v.name === 'string') return { type: 'function', function: { name: v.name } };
  throw invalid(WHERE, 'tool_choice', "'auto' | 'none' | 'required' | { type: 'function', name }", v);
}

function textFormat(text: unknown): ResponseFormat | undefined {
  if (text === undefined || text === null) return undefined;
  if (!isObject(text)) throw invalid(WHERE, 'text', 'an object { format }', text);
  const f = text.format;
  if (f === undefined || f === null) return undefined;
  if (isObject(f) && (f.type === 'text' || f.type === 'json_object')) return { type: f.type };
  if (isObject(f) && f.type === 'json_schema' && typeof f.name === 'string' && isObject(f.schema)) {
    return {
      type: 'json_schema',
      json_schema: { name: f.name, schema: f.schema, ...(typeof f.strict === 'boolean' ? { strict: f.strict } : {}), ...(typeof f.description === 'string' ? { description: f.description } : {}) },
    };
  }
  throw invalid(WHERE, 'text.format', "{ type: 'text' | 'json_object' } or { type: 'json_schema', name, schema }", f);
}

function optionalNumber(body: Record<string, unknown>, field: string, integer = false): number | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || (integer && (!Number.isInteger(v) || v < 1))) throw invalid(WHERE, field, integer ? 'an integer >= 1' : 'a number', v);
  return v;
}

/** Translates a Responses API body; `model` is the provider's model name (prefix stripped). */
export function fromResponsesRequest(body: Record<string, unknown>, model: string): ParsedResponsesRequest {
  for (const [k, v] of Object.entries(body)) if (!KNOWN.has(k) && v !== undefined) throw invalid(WHERE, k, 'absent: it has no translation here', v);
  if (body.previous_response_id !== undefined && body.previous_response_id !== null) {
    throw invalid(WHERE, 'previous_response_id', 'absent: Switchboard does not store responses; send the whole conversation in `input`', body.previous_response_id);
  }
  if (body.stream !== undefined && body.stream !== null && typeof body.stream !== 'boolean') throw invalid(WHERE, 'stream', 'a boolean', body.stream);
  if (body.include !== undefined && body.include !== null && !(Array.isArray(body.include) && body.include.length === 0)) throw invalid(WHERE, 'include', 'absent or [] (no extra output can be included)', body.include);
  if (body.truncation !== undefined && body.truncation !== null && body.truncation !== 'disabled') throw invalid(WHERE, 'truncation', "'disabled'", body.truncation);
  if (body.metadata !== undefined && body.metadata !== null && !isObject(body.metadata)) throw invalid(WHERE, 'metadata', 'an object', body.metadata);
  const messages = messagesOf(body.input);
  if (body.instructions !== undefined && body.instructions !== null && typeof body.instructions !== 'string') throw invalid(WHERE, 'instructions', 'a string', body.instructions);
  const request: RichChatRequest = { model, messages };
  if (typeof body.instructions === 'string') request.system = body.instructions;
  const maxTokens = optionalNumber(body, 'max_output_tokens', true);
  if (maxTokens !== undefined) request.maxTokens = maxTokens;
  const temperature = optionalNumber(body, 'temperature');
  if (temperature !== undefined) request.temperature = temperature;
  const topP = optionalNumber(body, 'top_p');
  if (topP !== undefined) request.topP = topP;
  const t = tools(body.tools);
  if (t && t.length > 0) request.tools = t;
  const tc = toolChoice(body.tool_choice);
  if (tc) request.toolChoice = tc;
  const rf = textFormat(body.text);
  if (rf && rf.type !== 'text') request.responseFormat = rf;
  const extra: Record<string, unknown> = {};
  if (typeof body.parallel_tool_calls === 'boolean' && request.tools) extra.parallel_tool_calls = body.parallel_tool_calls;
  if (body.user !== undefined && body.user !== null) extra.user = body.user;
  if (body.service_tier !== undefined && body.service_tier !== null && body.service_tier !== 'auto') extra.service_tier = body.service_tier;
  if (isObject(body.text) && body.text.verbosity !== undefined && body.text.verbosity !== null) extra.verbosity = body.text.verbosity;
  if (body.reasoning !== undefined && body.reasoning !== null) {
    if (!isObject(body.reasoning)) throw invalid(WHERE, 'reasoning', 'an object { effort }', body.reasoning);
    if (body.reasoning.effort !== undefined && body.reasoning.effort !== null) extra.reasoning_effort = body.reasoning.effort;
  }
  if (Object.keys(extra).length > 0) request.extra = extra;
  return {
    request,
    stream: body.stream === true,
    echo: {
      instructions: request.system ?? null,
      maxOutputTokens: maxTokens ?? null,
      temperature: temperature ?? null,
      topP: topP ?? null,
      tools: Array.isArray(body.tools) ? body.tools : [],
      toolChoice: body.tool_choice ?? 'auto',
      text: { format: isObject(body.text) && isObject(body.text.format) ? body.text.format : { type: 'text' } },
      metadata: isObject(body.metadata) ? body.metadata : {},
      parallelToolCalls: body.parallel_tool_calls !== false,
      user: typeof body.user === 'string' ? body.user : null,
    },
  };
}
