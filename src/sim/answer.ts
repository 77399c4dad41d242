/**
 * The simulated model: a deterministic answer computed from a provider-neutral view of the request.
 * Each wire format parses its request into a `Conversation` and renders the `Answer` its own way.
 */

export interface ToolDef {
  name: string;
  /** The tool's JSON Schema for its arguments (OpenAI `parameters`, Anthropic `input_schema`). */
  parameters: unknown;
}

export interface Conversation {
  model: string;
  /** Text of the last user message (text parts joined). */
  lastUserText: string;
  /** The content of the tool result when the conversation's last message is one, else null. */
  toolResult: string | null;
  tools: ToolDef[];
  /** `none` forbids a tool call; a name forces that tool. */
  toolChoice: 'auto' | 'none' | { name: string };
  json: boolean;
  /** The JSON Schema the answer must fit (OpenAI `json_schema`, Gemini `responseSchema`). */
  jsonSchema: unknown;
  images: number;
  maxTokens: number | null;
  /** Characters of every text in the request, for the input token count. */
  inputChars: number;
}

export type Answer = {
  inputTokens: number;
  outputTokens: number;
} & (
  | { kind: 'text'; text: string; finish: 'stop' | 'length' }
  | { kind: 'tool'; name: string; args: Record<string, unknown>; argsJson: string }
);

/** Tokens ≈ characters / 4, at least 1 — OpenAI's rule of thumb for English text. */
export function estimateTokens(chars: number): number {
  return Math.max(1, Math.ceil(chars / 4));
}

export function answer(c: Conversation): Answer {
  const inputTokens = estimateTokens(c.inputChars);
  const tool = pickTool(c);
  if (tool) {
    const args = sampleObject(tool.parameters, true);
    const argsJson = JSON.stringify(args);
    return { kind: 'tool', name: tool.name, args, argsJson, inputTokens, outputTokens: estimateTokens(argsJson.length + tool.name.length) };
  }
  if (c.json) {
    // JSON answers are never cut by max tokens, so that they always parse.
    const obj = c.jsonSchema ? sampleObject(c.jsonSchema, false) : { echo: c.lastUserText, ...(c.toolResult !== null ? { toolResult: c.toolResult } : {}) };
    const text = JSON.stringify(obj);
    return { kind: 'text', text, finish: 'stop', inputTokens, outputTokens: estimateTokens(text.length) };
  }
  let text = c.toolResult !== null ? `tool result: ${c.toolResult}` : `echo: ${c.lastUserText}`;
  if (c.images > 0) text += ` (saw ${c.images} image${c.images === 1 ? '' : 's'})`;
  let finish: 'stop' | 'length' = 'stop';
  if (c.maxTokens !== null && c.maxTokens > 0 && estimateTokens(text.length) > c.maxTokens) {
    text = text.slice(0, c.maxTokens * 4);
    finish = 'length';
  }
  return { kind: 'text', text, finish, inputTokens, outputTokens: estimateTokens(text.length) };
}

function pickTool(c: Conversation): ToolDef | null {
  if (c.tools.length === 0 || c.toolResult !== null || c.toolChoice === 'none') return null;
  if (typeof c.toolChoice === 'object') return c.tools.find((t) => t.name === (c.toolChoice as { name: string }).name) ?? c.tools[0]!;
  return c.tools[0]!;
}

type Schema = { type?: unknown; properties?: Record<string, Schema>; required?: unknown; enum?: unknown[]; items?: Schema };

/**
 * Deterministic arguments for a schema: `location` strings are "Paris", other strings "x", numbers 1,
 * booleans true, enums their first value. Tool arguments fill only required properties (plus
 * `location`); JSON answers fill every property.
 */
export function sampleObject(schema: unknown, requiredOnly: boolean): Record<string, unknown> {
  const s = (schema ?? {}) as Schema;
  const props = s.properties ?? {};
  const required = new Set(Array.isArray(s.required) ? (s.required as string[]) : []);
  const out: Record<string, unknown> = {};
  for (const [name, prop] of Object.entries(props)) {
    const isLocation = name === 'location' && typeOf(prop) === 'string';
    if (requiredOnly && !required.has(name) && !isLocation) continue;
    out[name] = isLocation ? 'Paris' : sampleValue(prop, requiredOnly);
  }
  return out;
}

function sampleValue(prop: Schema, requiredOnly: boolean): unknown {
  if (Array.isArray(prop.enum) && prop.enum.length > 0) return prop.enum[0];
  switch (typeOf(prop)) {
    case 'number': case 'integer': return 1;
    case 'boolean': return true;
    case 'array': return [];
    case 'object': return sampleObject(prop, requiredOnly);
    case 'null': return null;
    default: return 'x';
  }
}

function typeOf(prop: Schema): string {
  const t = Array.isArray(prop.type) ? prop.type.find((x) => x !== 'null') : prop.type;
  return typeof t === 'string' ? t.toLowerCase() : 'string';
}

/** Splits a text into word pieces for streaming, at least 3 when the text has 3 characters. */
export function splitForStream(text: string): string[] {
  const words = text.match(/\s*\S+\s*?/g) ?? [];
  if (words.join('') === text && words.length >= 3) return words;
  if (text.length < 3) return text.length > 0 ? [text] : [];
  const size = Math.ceil(text.length / Math.max(3, words.length));
  const pieces: string[] = [];
  for (let i = 0; i < text.length; i += size) pieces.push(text.slice(i, i + size));
  return pieces;
}
