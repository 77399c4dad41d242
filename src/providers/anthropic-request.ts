/**
 * The Messages API request body from the OpenAI request surface (
 * docs.anthropic.com/en/api/messages, /docs/build-with-claude/tool-use, /vision).
 */
import type { RichChatMessage, RichChatRequest } from '../types.js';
import {
  OPENAI_ONLY, functionTools, isSystemRole, jsonModeInstruction, numberField, parseArguments, partsOf, refuse,
  responseFormatOf, richMessages, richSystemText, splitExtra, stopList, toolChoiceOf,
} from './surface.js';
import type { ExtraRule, Part } from './surface.js';
import { isRecord } from './util.js';

/** `max_tokens` is required by the Messages API; this is sent when the request gives none. */
export const ANTHROPIC_DEFAULT_MAX_TOKENS = 1024;

/**
 * OpenAI-only fields in `extra`. `user` becomes `metadata.user_id`, `parallel_tool_calls: false`
 * becomes `disable_parallel_tool_use`, `stop` and `max_completion_tokens` their Anthropic names,
 * `response_format` JSON mode; Claude takes no seed and no frequency or presence penalty.
 * Every other key is Anthropic's own (`top_k`, `metadata`, `thinking` …) and is merged verbatim.
 */
const EXTRA_RULES: Readonly<Record<string, ExtraRule>> = {
  ...OPENAI_ONLY,
  seed: { kind: 'refuse', why: 'Claude takes no sampling seed' },
  frequency_penalty: { kind: 'refuse', why: 'Claude has no frequency penalty', noop: (v) => v === 0 },
  presence_penalty: { kind: 'refuse', why: 'Claude has no presence penalty', noop: (v) => v === 0 },
  user: { kind: 'take' },
  parallel_tool_calls: { kind: 'take' },
  max_completion_tokens: { kind: 'take' },
  stop: { kind: 'take' },
  response_format: { kind: 'take' },
};

type Block = Record<string, unknown>;
interface AnthropicMessage { role: 'user' | 'assistant'; content: string | Block[] }

function block(part: Part): Block {
  if (part.kind === 'text') return { type: 'text', text: part.text };
  const s = part.source;
  if (s.type === 'base64') return { type: 'image', source: { type: 'base64', media_type: s.mimeType, data: s.data } };
  if (!/^https?:\/\//i.test(s.url)) throw refuse('anthropic', part.field, 'an image link must be an http(s) URL or a base64 data URL');
  return { type: 'image', source: { type: 'url', url: s.url } };
}

function blocksOf(content: unknown, field: string): Block[] {
  return partsOf(content, field, 'anthropic').map(block);
}

/**
 * User/assistant turns as content blocks: assistant `toolCalls` become `tool_use` blocks after the
 * text; tool messages become `tool_result` blocks in a user turn, consecutive ones merged into one
 * turn (Anthropic wants every result of a turn's calls together, before any other content).
 * Plain string contents stay strings.
 */
export function anthropicMessages(req: RichChatRequest): AnthropicMessage[] {
  const out: AnthropicMessage[] = [];
  let results: Block[] | null = null;
  richMessages(req).forEach((m: RichChatMessage, i) => {
    const field = `messages[${i}]`;
    if (isSystemRole(m.role)) return;
    if (m.role === 'tool') {
      if (typeof m.toolCallId !== 'string' || m.toolCallId === '') throw refuse('anthropic', `${field}.tool_call_id`, 'a tool message needs the id of the call it answers');
      const result: Block = { type: 'tool_result', tool_use_id: m.toolCallId, content: typeof m.content === 'string' ? m.content : blocksOf(m.content, field) };
      if (results) results.push(result);
      else {
        results = [result];
        out.push({ role: 'user', content: results });
      }
      return;
    }
    results = null;
    if (m.name !== undefined) throw refuse('anthropic', `${field}.name`, 'Claude has no participant names');
    if (m.role === 'user') {
      out.push({ role: 'user', content: typeof m.content === 'string' ? m.content : blocksOf(m.content, field) });
    } else if (m.role === 'assistant') {
      const calls = m.toolCalls ?? [];
      if (calls.length === 0) {
        out.push({ role: 'assistant', content: typeof m.content === 'string' ? m.content : m.content === null ? '' : blocksOf(m.content, field) });
        return;
      }
      const content = blocksOf(m.content, field);
      calls.forEach((c, j) => {
        const at = `${field}.tool_calls[${j}]`;
        if (!isRecord(c) || typeof c.id !== 'string' || !isRecord(c.function) || typeof c.function.name !== 'string') {
          throw refuse('anthropic', at, 'a tool call needs an id and a function name');
        }
        content.push({ type: 'tool_use', id: c.id, name: c.function.name, input: parseArguments(c.function.arguments, `${at}.function.arguments`, 'anthropic') });
      });
      out.push({ role: 'assistant', content });
    } else {
      throw refuse('anthropic', `${field}.role`, `unknown role ${JSON.stringify(m.role)}`);
    }
  });
  return out;
}

/**
 * `tool_choice`: auto → `auto`, required → `any`, a named function → `tool`, none → `none`;
 * `parallel_tool_calls: false` → `disable_parallel_tool_use`. Sent only with tools: a choice that
 * demands a tool when none is offered is refused.
 */
function anthropicToolChoice(req: RichChatRequest, hasTools: boolean, parallel: unknown): Block | undefined {
  const choice = toolChoiceOf(req.toolChoice, 'anthropic');
  if (parallel !== undefined && typeof parallel !== 'boolean') throw refuse('anthropic', 'parallel_tool_calls', 'expected a boolean');
  if (!hasTools) {
    if (choice && (choice.mode === 'required' || choice.mode === 'function')) throw refuse('anthropic', 'tool_choice', 'it asks for a tool call but the request offers no tools');
    return undefined;
  }
  if (!choice && parallel !== false) return undefined;
  const mode = choice?.mode ?? 'auto';
  const out: Block = choice?.mode === 'function' ? { type: 'tool', name: choice.name } : { type: mode === 'required' ? 'any' : mode };
  if (parallel === false && mode !== 'none') out.disable_parallel_tool_use = true;
  return out;
}

/**
 * The Messages API body: system text top-level (with the JSON-mode instruction appended, since the
 * API has no JSON mode: see `jsonModeInstruction`), user/assistant turns, `max_tokens` always set,
 * tools as `{ name, description, input_schema }`. `extra` is merged verbatim after the
 * OpenAI-only fields in it are translated or refused.
 */
export function anthropicChatBody(req: RichChatRequest, stream = false): Record<string, unknown> {
  const { rest, taken } = splitExtra('anthropic', req.extra, EXTRA_RULES);
  const maxTokens = taken.max_completion_tokens !== undefined ? numberField(taken.max_completion_tokens, 'max_completion_tokens', 'anthropic') : req.maxTokens;
  const body: Record<string, unknown> = { model: req.model, max_tokens: maxTokens ?? ANTHROPIC_DEFAULT_MAX_TOKENS, messages: anthropicMessages(req) };
  let system = richSystemText(req, 'anthropic');
  const rf = responseFormatOf(req.responseFormat ?? taken.response_format, 'anthropic');
  const instruction = rf && jsonModeInstruction(rf);
  if (instruction) system = system === undefined ? instruction : `${system}\n\n${instruction}`;
  if (system !== undefined) body.system = system;
  if (req.temperature !== undefined) body.temperature = req.temperature;
  if (req.topP !== undefined) body.top_p = req.topP;
  const stop = taken.stop !== undefined ? stopList(taken.stop, 'anthropic') : req.stop;
  if (stop !== undefined) body.stop_sequences = stop;
  const tools = functionTools(req.tools, 'anthropic');
  if (tools.length > 0) {
    // input_schema is required and must be an object schema; a tool without parameters takes none.
    body.tools = tools.map((t) => ({
      name: t.name,
      ...(t.description !== undefined ? { description: t.description } : {}),
      input_schema: t.parameters ?? { type: 'object', properties: {} },
    }));
  }
  const toolChoice = anthropicToolChoice(req, tools.length > 0, taken.parallel_tool_calls);
  if (toolChoice) body.tool_choice = toolChoice;
  if (taken.user !== undefined) {
    if (typeof taken.user !== 'string') throw refuse('anthropic', 'user', 'expected a string');
    rest.metadata = { ...(isRecord(rest.metadata) ? rest.metadata : {}), user_id: taken.user };
  }
  Object.assign(body, rest);
  delete body.stream;
  if (stream) body.stream = true;
  return body;
}
