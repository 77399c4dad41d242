/**
 * The OpenAI request surface as the anthropic and gemini translations read it:
 * content parts, tools, tool choice, JSON mode, and the OpenAI-only fields that may arrive in
 * `extra`. Anything with no translation is a `ConfigError` whose `field` is the path in OpenAI's
 * request body (`n`, `tools[1].type`, `messages[3].content[0].image_url.detail` …), so the gateway's
 * 400 names what the client sent.
 */
import { ConfigError } from '../errors.js';
import type { Provider, ResponseFormat, RichChatMessage, RichChatRequest, ToolDefinition } from '../types.js';
import { isRecord } from './util.js';

/** A `ConfigError` saying `provider` has no translation for `field`. */
export function refuse(provider: Provider, field: string, why: string): ConfigError {
  return new ConfigError(`${provider} has no translation for \`${field}\`: ${why}`, field);
}

/** The messages with their runtime shape (a plain `ChatMessage` is a `RichChatMessage`). */
export function richMessages(req: RichChatRequest): RichChatMessage[] {
  return req.messages as RichChatMessage[];
}

/** OpenAI's `developer` role is its newer name for `system` (o1 onwards); both become system text. */
export function isSystemRole(role: string): boolean {
  return role === 'system' || role === 'developer';
}

export interface TextPart { kind: 'text'; text: string; field: string }
export interface ImagePart {
  kind: 'image';
  /** A data URL's bytes, or a link (http(s), `gs://`, a Files API URI …). */
  source: { type: 'base64'; mimeType: string; data: string } | { type: 'url'; url: string };
  /** The path of `image_url.url`, for errors about the link. */
  field: string;
}
export type Part = TextPart | ImagePart;

const DATA_URL = /^data:([^;,]+)(?:;[^;,]*)*?;base64,(.*)$/is;

/**
 * The parts of a message's content. A string is one text part (an empty string none); `null` is
 * none. Text and `image_url` parts translate; audio, files, refusals and any other part type throw.
 * `image_url.detail` translates only as `auto` (the default): neither Anthropic nor Gemini has a
 * per-image resolution knob, so `low`/`high` would be a silent change of cost and quality.
 */
export function partsOf(content: unknown, field: string, provider: Provider): Part[] {
  if (content === null || content === undefined) return [];
  if (typeof content === 'string') return content === '' ? [] : [{ kind: 'text', text: content, field: `${field}.content` }];
  if (!Array.isArray(content)) throw refuse(provider, `${field}.content`, 'content must be a string or an array of content parts');
  return content.map((p: unknown, j): Part => {
    const at = `${field}.content[${j}]`;
    if (!isRecord(p)) throw refuse(provider, at, 'a content part must be an object');
    if (p.type === 'text') {
      if (typeof p.text !== 'string') throw refuse(provider, `${at}.text`, 'a text part needs its text');
      return { kind: 'text', text: p.text, field: at };
    }
    if (p.type === 'image_url') {
      const img = p.image_url;
      if (!isRecord(img) || typeof img.url !== 'string') throw refuse(provider, `${at}.image_url.url`, 'an image part needs its URL');
      if (img.detail !== undefined && img.detail !== null && img.detail !== 'auto') {
        throw refuse(provider, `${at}.image_url.detail`, `it has no per-image detail setting (only "auto" is accepted, got ${JSON.stringify(img.detail)})`);
      }
      return { kind: 'image', source: imageSource(img.url, `${at}.image_url.url`, provider), field: `${at}.image_url.url` };
    }
    throw refuse(provider, `${at}.type`, `content parts of type ${JSON.stringify(p.type)} cannot be translated (text and image_url can)`);
  });
}

function imageSource(url: string, field: string, provider: Provider): ImagePart['source'] {
  if (!/^data:/i.test(url)) return { type: 'url', url };
  const m = DATA_URL.exec(url);
  if (!m) throw refuse(provider, field, 'only base64 data URLs (data:<media type>;base64,<data>) can be translated');
  return { type: 'base64', mimeType: m[1]!.toLowerCase(), data: m[2]! };
}

/** The text of a content for places that take text only (system text, Gemini tool results). */
export function textOnly(content: unknown, field: string, provider: Provider, what: string): string {
  const parts = partsOf(content, field, provider);
  const image = parts.find((p) => p.kind === 'image');
  if (image) throw refuse(provider, image.field, `${what} takes text only`);
  return parts.map((p) => (p as TextPart).text).join('\n');
}

/**
 * The system text of a provider that takes it apart from the turns: `request.system` first, then
 * every system (or developer) message, joined by a blank line.
 */
export function richSystemText(req: RichChatRequest, provider: Provider): string | undefined {
  let out = req.system;
  richMessages(req).forEach((m, i) => {
    if (!isSystemRole(m.role)) return;
    const text = textOnly(m.content, `messages[${i}]`, provider, 'system text');
    out = out === undefined ? text : `${out}\n\n${text}`;
  });
  return out;
}

export interface FunctionTool { name: string; description?: string; parameters?: Record<string, unknown> }

/**
 * The function tools of a request. `strict` is accepted and not enforced: neither provider has
 * OpenAI's constrained decoding for tool arguments, and the schema itself is still sent.
 */
export function functionTools(tools: ToolDefinition[] | undefined, provider: Provider): FunctionTool[] {
  if (tools === undefined) return [];
  if (!Array.isArray(tools)) throw refuse(provider, 'tools', 'tools must be an array');
  return tools.map((t: unknown, i) => {
    if (!isRecord(t) || t.type !== 'function') {
      throw refuse(provider, `tools[${i}].type`, `only function tools translate, got ${JSON.stringify(isRecord(t) ? t.type : t)}`);
    }
    const f = t.function;
    if (!isRecord(f) || typeof f.name !== 'string' || f.name === '') throw refuse(provider, `tools[${i}].function.name`, 'a function tool needs a name');
    if (f.parameters !== undefined && !isRecord(f.parameters)) throw refuse(provider, `tools[${i}].function.parameters`, 'parameters must be a JSON Schema object');
    const out: FunctionTool = { name: f.name };
    if (typeof f.description === 'string') out.description = f.description;
    if (f.parameters !== undefined) out.parameters = f.parameters as Record<string, unknown>;
    return out;
  });
}

export type Choice = { mode: 'auto' | 'none' | 'required' } | { mode: 'function'; name: string };

/** OpenAI's `tool_choice`: `auto`, `none`, `required` or one named function. */
export function toolChoiceOf(tc: unknown, provider: Provider): Choice | undefined {
  if (tc === undefined || tc === null) return undefined;
  if (tc === 'auto' || tc === 'none' || tc === 'required') return { mode: tc };
  if (isRecord(tc) && tc.type === 'function' && isRecord(tc.function) && typeof tc.function.name === 'string') {
    return { mode: 'function', name: tc.function.name };
  }
  throw refuse(provider, 'tool_choice', `only "auto", "none", "required" and { type: "function", function: { name } } translate, got ${JSON.stringify(tc)}`);
}

/** A tool call's `arguments` as the object both providers take; `''` (no arguments) is `{}`. */
export function parseArguments(args: unknown, field: string, provider: Provider): Record<string, unknown> {
  if (args === '' || args === undefined) return {};
  let v: unknown;
  try {
    v = typeof args === 'string' ? JSON.parse(args) : args;
  } catch {
    throw refuse(provider, field, 'tool call arguments must be a JSON object text');
  }
  if (!isRecord(v)) throw refuse(provider, field, 'tool call arguments must be a JSON object');
  return v;
}

/** OpenAI's `response_format`: `text`, `json_object` or `json_schema`. */
export function responseFormatOf(rf: unknown, provider: Provider): ResponseFormat | undefined {
  if (rf === undefined || rf === null) return undefined;
  if (!isRecord(rf)) throw refuse(provider, 'response_format', 'response_format must be an object');
  if (rf.type === 'text' || rf.type === 'json_object') return { type: rf.type };
  if (rf.type === 'json_schema') {
    const js = rf.json_schema;
    if (!isRecord(js) || typeof js.name !== 'string') throw refuse(provider, 'response_format.json_schema', 'json_schema needs a name');
    if (js.schema !== undefined && !isRecord(js.schema)) throw refuse(provider, 'response_format.json_schema.schema', 'the schema must be an object');
    return rf as ResponseFormat;
  }
  throw refuse(provider, 'response_format.type', `only "text", "json_object" and "json_schema" translate, got ${JSON.stringify(rf.type)}`);
}

/** What Anthropic (which has no JSON mode) is told in its system prompt for `json_object`. */
export const JSON_OBJECT_INSTRUCTION =
  'Answer with a single JSON object and nothing else: no text before or after it, no Markdown code fences.';

/**
 * The system-prompt instruction standing in for JSON mode: `json_object` asks for one JSON object;
 * `json_schema` adds the schema (its name and description too). Undefined for `text`.
 */
export function jsonModeInstruction(rf: ResponseFormat): string | undefined {
  if (rf.type === 'text') return undefined;
  if (rf.type === 'json_object') return JSON_OBJECT_INSTRUCTION;
  const { name, description, schema } = rf.json_schema;
  const label = `"${name}"${description ? ` (${description})` : ''}`;
  return schema === undefined
    ? `${JSON_OBJECT_INSTRUCTION} The object is ${label}.`
    : `${JSON_OBJECT_INSTRUCTION} The object is ${label} and must conform to this JSON Schema:\n${JSON.stringify(schema)}`;
}

/** What to do with an OpenAI-only field found in `extra` for a provider that does not speak OpenAI. */
export type ExtraRule =
  /** The adapter decides it (`stream`, `stream_options`). */
  | { kind: 'drop' }
  /** Translated by the body builder (returned in `taken`). */
  | { kind: 'take' }
  /** No translation: a `ConfigError`, unless the value is a no-op (`n: 1`, `logprobs: false` …). */
  | { kind: 'refuse'; why: string; noop?: (v: unknown) => boolean };

const never = (why: string): ExtraRule => ({ kind: 'refuse', why });
const unless = (noop: (v: unknown) => boolean, why: string): ExtraRule => ({ kind: 'refuse', why, noop });

/** OpenAI fields neither Anthropic nor Gemini has any counterpart for. */
export const OPENAI_ONLY: Readonly<Record<string, ExtraRule>> = {
  n: unless((v) => v === 1, 'it returns one answer per request (n must be 1)'),
  logprobs: unless((v) => v === false, 'it returns no token log probabilities'),
  top_logprobs: unless((v) => v === 0, 'it returns no token log probabilities'),
  logit_bias: unless((v) => isRecord(v) && Object.keys(v).length === 0, 'it has no token biasing'),
  modalities: unless((v) => Array.isArray(v) && v.every((m) => m === 'text'), 'only text output translates'),
  audio: never('audio output has no translation'),
  prediction: never('predicted outputs have no translation'),
  store: unless((v) => v === false, 'it has no stored completions'),
  reasoning_effort: never("set the provider's own thinking options in `extra` instead"),
  verbosity: never('it has no verbosity setting'),
  web_search_options: never("OpenAI's web search has no translation"),
  functions: never('the legacy functions API does not translate; use `tools`'),
  function_call: never('the legacy functions API does not translate; use `tool_choice`'),
  stream: { kind: 'drop' },
  stream_options: { kind: 'drop' },
};

/**
 * Splits `extra` into the provider-native rest (merged verbatim) and the OpenAI-only fields the
 * rules take; throws `ConfigError` for one that is refused. `null` counts as absent.
 */
export function splitExtra(
  provider: Provider,
  extra: Record<string, unknown> | undefined,
  rules: Readonly<Record<string, ExtraRule>>,
): { rest: Record<string, unknown>; taken: Record<string, unknown> } {
  const rest: Record<string, unknown> = {};
  const taken: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(extra ?? {})) {
    const rule = Object.hasOwn(rules, key) ? rules[key] : undefined;
    if (!rule) {
      rest[key] = value;
      continue;
    }
    if (value === null || value === undefined || rule.kind === 'drop') continue;
    if (rule.kind === 'take') taken[key] = value;
    else if (!rule.noop?.(value)) throw refuse(provider, key, rule.why);
  }
  return { rest, taken };
}

/** OpenAI's `stop`: a string or an array of strings. */
export function stopList(v: unknown, provider: Provider): string[] {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v) && v.every((s) => typeof s === 'string')) return v as string[];
  throw refuse(provider, 'stop', 'stop must be a string or an array of strings');
}

export function numberField(v: unknown, field: string, provider: Provider): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw refuse(provider, field, `expected a number, got ${JSON.stringify(v)}`);
  return v;
}
