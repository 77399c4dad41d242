/**
 * Anthropic's Messages API request (docs.anthropic.com/en/api/messages) → the router's unified
 * request. `system` (text or text blocks), content blocks (text, image by base64 or URL,
 * `tool_use`, `tool_result`), `tools` / `tool_choice`, `stop_sequences`, `temperature`, `top_p`,
 * `metadata` and `stream` translate for every provider. For a `claude-*` model (anthropic) the
 * fields the unified request has no name for (`top_k`, `thinking`, `service_tier` …) go on verbatim;
 * for any other provider such a field is a 400 naming it — never silently dropped.
 */
import { invalid } from '../../options.js';
import type { ContentPart, Provider, RichChatMessage, RichChatRequest, ToolCall, ToolChoice, ToolDefinition } from '../../types.js';

const WHERE = 'messages';
const MAPPED = new Set(['model', 'messages', 'system', 'max_tokens', 'temperature', 'top_p', 'stop_sequences', 'stream', 'tools', 'tool_choice', 'metadata']);

export interface ParsedMessagesRequest {
  request: RichChatRequest;
  stream: boolean;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function text(block: Record<string, unknown>, at: string): string {
  if (typeof block.text !== 'string') throw invalid(WHERE, `${at}.text`, 'a string', block.text);
  return block.text;
}

/** An image block as an OpenAI-style image part: base64 becomes a data URL, a URL stays one. */
function image(block: Record<string, unknown>, at: string): ContentPart {
  const s = block.source;
  if (isObject(s) && s.type === 'base64' && typeof s.media_type === 'string' && typeof s.data === 'string') {
    return { type: 'image_url', image_url: { url: `data:${s.media_type};base64,${s.data}` } };
  }
  if (isObject(s) && s.type === 'url' && typeof s.url === 'string') return { type: 'image_url', image_url: { url: s.url } };
  throw invalid(WHERE, `${at}.source`, "{ type: 'base64', media_type, data } or { type: 'url', url }", s);
}

/** Text and image blocks as content parts (a lone text block stays a string). */
function parts(blocks: unknown[], at: string): string | ContentPart[] {
  const out = blocks.map((b, j): ContentPart => {
    const where = `${at}[${j}]`;
    if (!isObject(b)) throw invalid(WHERE, where, 'a content block { type, … }', b);
    if (b.type === 'text') return { type: 'text', text: text(b, where) };
    if (b.type === 'image') return image(b, where);
    throw invalid(WHERE, `${where}.type`, "'text' | 'image' here", b.type);
  });
  return out.length === 1 && out[0]!.type === 'text' ? out[0]!.text : out;
}

function toolResult(b: Record<string, unknown>, at: string): RichChatMessage {
  if (typeof b.tool_use_id !== 'string' || b.tool_use_id === '') throw invalid(WHERE, `${at}.tool_use_id`, 'a string', b.tool_use_id);
  const c = b.content;
  let content: string | ContentPart[] = c === undefined ? '' : typeof c === 'string' ? c : Array.isArray(c) ? parts(c, `${at}.content`) : (() => { throw invalid(WHERE, `${at}.content`, 'a string or an array of blocks', c); })();
  // The unified request has no error flag on a tool result; the model reads it in the text.
  if (b.is_error === true) content = typeof content === 'string' ? `Error: ${content}` : [{ type: 'text', text: 'Error:' }, ...content];
  return { role: 'tool', toolCallId: b.tool_use_id, content };
}

function userTurn(content: unknown, at: string): RichChatMessage[] {
  if (typeof content === 'string') return [{ role: 'user', content }];
  if (!Array.isArray(content)) throw invalid(WHERE, `${at}.content`, 'a string or an array of content blocks', content);
  // Tool results answer the previous turn's calls; they come first, then whatever the user adds.
  const out: RichChatMessage[] = [];
  const rest: unknown[] = [];
  content.forEach((b, j) => {
    if (isObject(b) && b.type === 'tool_result') out.push(toolResult(b, `${at}.content[${j}]`));
    else rest.push(b);
  });
  if (rest.length > 0) out.push({ role: 'user', content: parts(rest, `${at}.content`) });
  return out;
}

function assistantTurn(content: unknown, at: string): RichChatMessage {
  if (typeof content === 'string') return { role: 'assistant', content };
  if (!Array.isArray(content)) throw invalid(WHERE, `${at}.content`, 'a string or an array of content blocks', content);
  let textOut = '';
  const calls: ToolCall[] = [];
  content.forEach((b, j) => {
    const where = `${at}.content[${j}]`;
    if (!isObject(b)) throw invalid(WHERE, where, 'a content block { type, … }', b);
    if (b.type === 'text') textOut += text(b, where);
    else if (b.type === 'tool_use') {
      if (typeof b.id !== 'string' || typeof b.name !== 'string') throw invalid(WHERE, `${where}.id`, 'a tool_use block with a string id and name', b.id);
      calls.push({ id: b.id, type: 'function', function: { name: b.name, arguments: JSON.stringify(b.input ?? {}) } });
    } else throw invalid(WHERE, `${where}.type`, "'text' | 'tool_use' (thinking and server-tool blocks do not translate)", b.type);
  });
  return { role: 'assistant', content: calls.length > 0 && textOut === '' ? null : textOut, ...(calls.length > 0 ? { toolCalls: calls } : {}) };
}

function system(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return v.map((b, i) => (isObject(b) && b.type === 'text' ? text(b, `system[${i}]`) : (() => { throw invalid(WHERE, `system[${i}]`, 'a text block', b); })())).join('\n');
  throw invalid(WHERE, 'system', 'a string or an array of text blocks', v);
}

function tools(v: unknown): ToolDefinition[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) throw invalid(WHERE, 'tools', 'an array of tools', v);
  return v.map((t, i) => {
    if (!isObject(t) || typeof t.name !== 'string') throw invalid(WHERE, `tools[${i}].name`, 'a string', isObject(t) ? t.name : t);
    // Client tools only: a server tool (`type: 'web_search_20250305'` …) has no translation.
    if (t.type !== undefined && t.type !== 'custom') throw invalid(WHERE, `tools[${i}].type`, "absent or 'custom' (server tools do not translate)", t.type);
    if (t.input_schema !== undefined && !isObject(t.input_schema)) throw invalid(WHERE, `tools[${i}].input_schema`, 'a JSON schema object', t.input_schema);
    const fn: ToolDefinition['function'] = { name: t.name };
    if (typeof t.description === 'string') fn.description = t.description;
    if (isObject(t.input_schema)) fn.parameters = t.input_schema;
    return { type: 'function', function: fn };
  });
}

function toolChoice(v: unknown): { choice?: ToolChoice; parallel?: false } {
  if (v === undefined || v === null) return {};
  if (!isObject(v)) throw invalid(WHERE, 'tool_choice', "{ type: 'auto' | 'any' | 'tool' | 'none' }", v);
  const parallel = v.disable_parallel_tool_use === true ? { parallel: false as const } : {};
  switch (v.type) {
    case 'auto': return { choice: 'auto', ...parallel };
    case 'any': return { choice: 'required', ...parallel };
    case 'none': return { choice: 'none' };
    case 'tool':
      if (typeof v.name !== 'string') throw invalid(WHERE, 'tool_choice.name', 'a string', v.name);
      return { choice: { type: 'function', function: { name: v.name } }, ...parallel };
    default: throw invalid(WHERE, 'tool_choice.type', "'auto' | 'any' | 'tool' | 'none'", v.type);
  }
}

function number(body: Record<string, unknown>, field: string, integer = false): number | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || (integer && (!Number.isInteger(v) || v < 1))) throw invalid(WHERE, field, integer ? 'an integer >= 1' : 'a number', v);
  return v;
}

/** Translates an Anthropic Messages body for the routed `provider`; `model` is the provider's model name. */
export function fromMessagesRequest(body: Record<string, unknown>, provider: Provider, model: string): ParsedMessagesRequest {
  if (!Array.isArray(body.messages) || body.messages.length === 0) throw invalid(WHERE, 'messages', 'a non-empty array of messages', body.messages);
  const maxTokens = number(body, 'max_tokens', true);
  if (maxTokens === undefined) throw invalid(WHERE, 'max_tokens', 'an integer >= 1 (required by the Messages API)', body.max_tokens);
  if (body.stream !== undefined && body.stream !== null && typeof body.stream !== 'boolean') throw invalid(WHERE, 'stream', 'a boolean', body.stream);
  const messages: RichChatMessage[] = [];
  (body.messages as unknown[]).forEach((m, i) => {
    const at = `messages[${i}]`;
    if (!isObject(m)) throw invalid(WHERE, at, 'an object { role, content }', m);
    if (m.role === 'user') messages.push(...userTurn(m.content, at));
    else if (m.role === 'assistant') messages.push(assistantTurn(m.content, at));
    else throw invalid(WHERE, `${at}.role`, "'user' | 'assistant' (the system prompt is the top-level `system`)", m.role);
  });
  const request: RichChatRequest = { model, messages, maxTokens };
  const sys = system(body.system);
  if (sys !== undefined) request.system = sys;
  const temperature = number(body, 'temperature');
  if (temperature !== undefined) request.temperature = temperature;
  const topP = number(body, 'top_p');
  if (topP !== undefined) request.topP = topP;
  if (body.stop_sequences !== undefined && body.stop_sequences !== null) {
    if (!Array.isArray(body.stop_sequences) || !body.stop_sequences.every((s) => typeof s === 'string')) throw invalid(WHERE, 'stop_sequences', 'an array of strings', body.stop_sequences);
    if (body.stop_sequences.length > 0) request.stop = body.stop_sequences as string[];
  }
  const t = tools(body.tools);
  if (t && t.length > 0) request.tools = t;
  const { choice, parallel } = toolChoice(body.tool_choice);
  if (choice && !(choice === 'none' && !request.tools)) request.toolChoice = choice;

  const extra: Record<string, unknown> = {};
  if (parallel === false && request.tools) extra.parallel_tool_calls = false;
  const metadata = body.metadata;
  if (metadata !== undefined && metadata !== null) {
    if (!isObject(metadata)) throw invalid(WHERE, 'metadata', 'an object { user_id? }', metadata);
    const userId = metadata.user_id;
    if (userId !== undefined && userId !== null && typeof userId !== 'string') throw invalid(WHERE, 'metadata.user_id', 'a string', userId);
    // An end-user id for abuse tracking: OpenAI's `user`, Anthropic's own field; Gemini has none to give it to.
    if (typeof userId === 'string') {
      if (provider === 'anthropic') extra.metadata = { user_id: userId };
      else if (provider === 'openai' || provider === 'groq') extra.user = userId;
    }
  }
  for (const [k, v] of Object.entries(body)) {
    if (MAPPED.has(k) || v === undefined) continue;
    if (provider !== 'anthropic') throw invalid(WHERE, k, `absent: it has no translation for ${provider} (only a claude-* model takes Anthropic's own fields)`, v);
    extra[k] = v;
  }
  if (Object.keys(extra).length > 0) request.extra = extra;
  return { request, stream: body.stream === true };
}
