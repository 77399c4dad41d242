/**
 * Two kinds of 4xx answers the router treats apart (they have their own fallback groups): the
 * prompt is over the model's context window, and the content was refused on policy grounds.
 * Recognised from each provider's real error answers:
 * - OpenAI / Groq: `{ error: { code: 'context_length_exceeded', message: "This model's maximum
 *   context length is …" } }`; `code: 'content_policy_violation'` or `'content_filter'` (Azure-style).
 * - Anthropic: 400 `invalid_request_error` "prompt is too long: 210000 tokens > 200000 maximum";
 *   400 "Output blocked by content filtering policy".
 * - Gemini: 400 `INVALID_ARGUMENT` "The input token count (…) exceeds the maximum number of tokens
 *   allowed (…)"; a 400 naming a safety block (`SAFETY`, `PROHIBITED_CONTENT`, "blocked").
 */
import { ContentPolicyError, ContextLengthError, ProviderError } from '../errors.js';
import type { Provider } from '../types.js';
import type { ParsedErrorBody } from './types.js';

export type ProviderErrorKind = 'contextLength' | 'contentPolicy' | null;

const OPENAI_CONTEXT = /maximum context length|context[_ ]length[_ ]exceeded|reduce the length of the messages/i;
const ANTHROPIC_CONTEXT = /prompt is too long|exceeds? the (?:model's )?context (?:window|length)/i;
const ANTHROPIC_POLICY = /content filtering policy|usage polic(?:y|ies)/i;
const GEMINI_CONTEXT = /input token count.*exceeds the maximum/i;
const GEMINI_POLICY = /\b(?:SAFETY|PROHIBITED_CONTENT|BLOCKLIST|SPII)\b|blocked (?:due to|for) safety/;

/** Which of the two kinds an error answer is, if either. Only 400s (and OpenAI's 400/422) qualify. */
export function providerErrorKind(provider: Provider, status: number, parsed: ParsedErrorBody): ProviderErrorKind {
  if (status !== 400 && status !== 422) return null;
  const code = parsed.providerCode ?? '';
  const message = parsed.message;
  switch (provider) {
    case 'openai':
    case 'groq':
      if (code === 'context_length_exceeded' || OPENAI_CONTEXT.test(message)) return 'contextLength';
      if (code === 'content_policy_violation' || code === 'content_filter') return 'contentPolicy';
      return null;
    case 'anthropic':
      if (ANTHROPIC_CONTEXT.test(message)) return 'contextLength';
      if (ANTHROPIC_POLICY.test(message)) return 'contentPolicy';
      return null;
    case 'gemini':
      if (GEMINI_CONTEXT.test(message)) return 'contextLength';
      if (GEMINI_POLICY.test(message)) return 'contentPolicy';
      return null;
  }
}

/** The `ProviderError` for a failed answer: `ContextLengthError` / `ContentPolicyError` when it is one of those. */
export function providerErrorFor(provider: Provider, parsed: ParsedErrorBody, fields: ConstructorParameters<typeof ProviderError>[0]): ProviderError {
  switch (providerErrorKind(provider, fields.status, parsed)) {
    case 'contextLength': return new ContextLengthError(fields);
    case 'contentPolicy': return new ContentPolicyError(fields);
    default: return new ProviderError(fields);
  }
}
