/**
 * The `generateContent` request body from the OpenAI request surface (
 * ai.google.dev/api/generate-content, /gemini-api/docs/function-calling, /structured-output).
 */
import type { RichChatMessage, RichChatRequest } from '../types.js';
import { geminiSchema } from './gemini-schema.js';
import { thoughtSignatureOf } from './gemini-stream.js';
import {
  OPENAI_ONLY, functionTools, isSystemRole, numberField, parseArguments, partsOf, refuse, responseFormatOf, richMessages,
  richSystemText, splitExtra, stopList, textOnly, toolChoiceOf,
} from './surface.js';
import type { ExtraRule, Part } from './surface.js';
import { isRecord } from './util.js';

/** OpenAI sampling fields in `extra` and their `generationConfig` names. */
const GENERATION: Readonly<Record<string, string>> = {
  max_tokens: 'maxOutputTokens',
  max_completion_tokens: 'maxOutputTokens',
  temperature: 'temperature',
  top_p: 'topP',
  stop: 'stopSequences',
  seed: 'seed',
  frequency_penalty: 'frequencyPenalty',
  presence_penalty: 'presencePenalty',
};

/**
 * OpenAI-only fields in `extra`: the sampling fields become `generationConfig`, `response_format`
 * and `tool_choice` are translated; Gemini has no end-user id, no stored-completion metadata, no
 * service tiers, and cannot be held to one function call per turn. Every other key is Gemini's own
 * (`safetySettings`, `generationConfig`, `cachedContent` …) and is merged verbatim.
 */
const EXTRA_RULES: Readonly<Record<string, ExtraRule>> = {
  ...OPENAI_ONLY,
  ...Object.fromEntries(Object.keys(GENERATION).map((k) => [k, { kind: 'take' } as ExtraRule])),
  response_format: { kind: 'take' },
  tool_choice: { kind: 'take' },
  user: { kind: 'refuse', why: 'Gemini has no end-user id' },
  metadata: { kind: 'refuse', why: "OpenAI's stored-completion metadata has no translation" },
  service_tier: { kind: 'refuse', why: 'Gemini has no service tiers' },
  parallel_tool_calls: { kind: 'refuse', why: 'Gemini cannot be held to one function call per turn', noop: (v) => v === true },
};

type GeminiPart = Record<string, unknown>;
interface GeminiContent { role: 'user' | 'model'; parts: GeminiPart[] }

const IMAGE_TYPES: Readonly<Record<string, string>> = {
  png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', webp: 'image/webp', gif: 'image/gif', heic: 'image/heic', heif: 'image/heif',
};

function geminiPart(part: Part): GeminiPart {
  if (part.kind === 'text') return { text: part.text };
  const s = part.source;
  if (s.type === 'base64') return { inlineData: { mimeType: s.mimeType, data: s.data } };
  // A link (a Files API URI, `gs://`, an http(s) URL) is fileData; its type is guessed from the extension.
  const ext = /\.([a-z0-9]+)(?:[?#]|$)/i.exec(s.url)?.[1]?.toLowerCase();
  const mimeType = ext && Object.hasOwn(IMAGE_TYPES, ext) ? IMAGE_TYPES[ext] : undefined;
  return { fileData: { fileUri: s.url, ...(mimeType ? { mimeType } : {}) } };
}

/** The function name of the assistant tool call `id`, from the nearest earlier assistant turn. */
function callName(messages: RichChatMessage[], before: number, id: string): string | undefined {
  for (let i = before - 1; i >= 0; i--) {
    const m = messages[i]!;
    if (m.role !== 'assistant') continue;
    const call = m.toolCalls?.find((c) => c.id === id);
    if (call) return call.function.name;
  }
  return undefined;
}

/**
 * A tool result as `functionResponse.response`, which must be a JSON object (Gemini treats the
 * whole object as the function's output): a JSON object content is sent as is, any other content
 * as `{ result: <its JSON value, or its text> }`.
 */
function responseOf(text: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return { result: text };
  }
  return isRecord(v) ? v : { result: v };
}

/**
 * Turns as `user`/`model` contents: assistant `toolCalls` become `functionCall` parts (with the
 * thought signature their id carries), tool messages `functionResponse` parts in a user turn,
 * consecutive ones merged into one turn as Gemini expects for parallel calls. Gemini matches a
 * response to its call by function name, so each tool message's name is looked up from the
 * assistant call with its `toolCallId` (or its own `name`).
 */
export function geminiContents(req: RichChatRequest): GeminiContent[] {
  const messages = richMessages(req);
  const out: GeminiContent[] = [];
  let responses: GeminiPart[] | null = null;
  messages.forEach((m, i) => {
    const field = `messages[${i}]`;
    if (isSystemRole(m.role)) return;
    if (m.role === 'tool') {
      const name = callName(messages, i, m.toolCallId) ?? m.name;
      if (name === undefined) {
        throw refuse('gemini', `${field}.tool_call_id`, 'no earlier assistant tool call has this id, so the function name Gemini needs is unknown');
      }
      const part = { functionResponse: { name, response: responseOf(textOnly(m.content, field, 'gemini', 'a function response')) } };
      if (responses) responses.push(part);
      else {
        responses = [part];
        out.push({ role: 'user', parts: responses });
      }
      return;
    }
    responses = null;
    if (m.name !== undefined) throw refuse('gemini', `${field}.name`, 'Gemini has no participant names');
    if (m.role !== 'user' && m.role !== 'assistant') throw refuse('gemini', `${field}.role`, `unknown role ${JSON.stringify(m.role)}`);
    const parts: GeminiPart[] = typeof m.content === 'string' ? [{ text: m.content }] : partsOf(m.content, field, 'gemini').map(geminiPart);
    if (m.role === 'assistant') {
      (m.toolCalls ?? []).forEach((c, j) => {
        const at = `${field}.tool_calls[${j}]`;
        if (!isRecord(c) || typeof c.id !== 'string' || !isRecord(c.function) || typeof c.function.name !== 'string') {
          throw refuse('gemini', at, 'a tool call needs an id and a function name');
        }
        const signature = thoughtSignatureOf(c.id);
        const args = parseArguments(c.function.arguments, `${at}.function.arguments`, 'gemini');
        parts.push({ functionCall: { name: c.function.name, args }, ...(signature ? { thoughtSignature: signature } : {}) });
      });
    }
    // Gemini refuses a turn without parts.
    out.push({ role: m.role === 'assistant' ? 'model' : 'user', parts: parts.length > 0 ? parts : [{ text: '' }] });
  });
  return out;
}

/** auto → AUTO, none → NONE, required → ANY, a named function → ANY limited to that name. */
function toolConfig(tc: unknown, hasTools: boolean): Record<string, unknown> | undefined {
  const choice = toolChoiceOf(tc, 'gemini');
  if (!choice) return undefined;
  if (!hasTools) {
    if (choice.mode === 'required' || choice.mode === 'function') throw refuse('gemini', 'tool_choice', 'it asks for a function call but the request offers no tools');
    return undefined;
  }
  const config = choice.mode === 'function'
    ? { mode: 'ANY', allowedFunctionNames: [choice.name] }
    : { mode: choice.mode === 'required' ? 'ANY' : choice.mode.toUpperCase() };
  return { functionCallingConfig: config };
}

/**
 * The `generateContent` body: turns as `user`/`model` contents, system text as
 * `systemInstruction`, function tools as one `functionDeclarations` tool (schemas cut to Gemini's
 * subset), `toolConfig`, sampling options and JSON mode (`responseMimeType`, `responseSchema`) in
 * `generationConfig`. `extra` is merged verbatim after its OpenAI-only fields are translated or
 * refused; `extra.generationConfig` adds to the mapped options, its own keys winning.
 */
export function geminiChatBody(req: RichChatRequest): Record<string, unknown> {
  const { rest, taken } = splitExtra('gemini', req.extra, EXTRA_RULES);
  const body: Record<string, unknown> = { contents: geminiContents(req) };
  const system = richSystemText(req, 'gemini');
  if (system !== undefined) body.systemInstruction = { parts: [{ text: system }] };
  const tools = functionTools(req.tools, 'gemini');
  if (tools.length > 0) {
    const functionDeclarations = tools.map((t, i) => {
      const params = t.parameters ? geminiSchema(t.parameters, `tools[${i}].function.parameters`) : undefined;
      // A function without parameters declares none: Gemini refuses an OBJECT with no properties.
      const takesNone = !params || (params.properties === undefined && (params.type === undefined || String(params.type).toLowerCase() === 'object'));
      return { name: t.name, ...(t.description !== undefined ? { description: t.description } : {}), ...(takesNone ? {} : { parameters: params }) };
    });
    body.tools = [{ functionDeclarations }];
  }
  const config = toolConfig(req.toolChoice ?? taken.tool_choice, tools.length > 0);
  if (config) body.toolConfig = config;

  const gc: Record<string, unknown> = {};
  if (req.maxTokens !== undefined) gc.maxOutputTokens = req.maxTokens;
  if (req.temperature !== undefined) gc.temperature = req.temperature;
  if (req.topP !== undefined) gc.topP = req.topP;
  if (req.stop !== undefined) gc.stopSequences = req.stop;
  for (const [key, name] of Object.entries(GENERATION)) {
    if (taken[key] === undefined) continue;
    gc[name] = key === 'stop' ? stopList(taken[key], 'gemini') : numberField(taken[key], key, 'gemini');
  }
  const rf = responseFormatOf(req.responseFormat ?? taken.response_format, 'gemini');
  if (rf && rf.type !== 'text') {
    gc.responseMimeType = 'application/json';
    if (rf.type === 'json_schema' && rf.json_schema.schema) gc.responseSchema = geminiSchema(rf.json_schema.schema, 'response_format.json_schema.schema');
  }
  if (Object.keys(gc).length > 0) body.generationConfig = gc;
  const { generationConfig, ...others } = rest;
  Object.assign(body, others);
  if (generationConfig !== undefined) body.generationConfig = isRecord(generationConfig) ? { ...gc, ...generationConfig } : generationConfig;
  return body;
}
