import { ConfigError } from '../errors.js';
import type { RichChatRequest } from '../types.js';
import type { HttpRequest, HttpResponse } from '../transport/types.js';
import { bearerPost, openAIChatBody, parseOpenAIChat, parseOpenAIError } from './openai.js';
import { createOpenAIStreamParser } from './openai-stream.js';
import { parseOpenAIRateLimit } from './rate-limit.js';
import type { BuildContext, ParsedEmbeddings, ParsedErrorBody, ProviderAdapter } from './types.js';

/**
 * Groq's 429 names the window it hit: "… on tokens per day (TPD): Limit 100000, Used …" or
 * "requests per day (RPD)". A per-day window is a quota gone until its reset, not a short wait.
 */
const PER_DAY = /\bper day \((?:RPD|TPD|ASD)\)/i;

/** OpenAI's error shape (`{ error: { message, type, code } }`), plus Groq's per-day windows. Never throws. */
export function parseGroqError(res: HttpResponse): ParsedErrorBody {
  const parsed = parseOpenAIError(res);
  if (res.status === 429 && PER_DAY.test(parsed.message)) parsed.quotaExhausted = true;
  return parsed;
}

function noEmbeddings(model: string): never {
  throw new ConfigError(`groq has no embeddings API: cannot embed with model "${model}" (use openai or gemini)`, 'model');
}

/**
 * Groq (`https://api.groq.com`): OpenAI's chat format under `/openai/v1` (console.groq.com/docs/openai),
 * bearer auth, `x-ratelimit-*` headers (requests per day, tokens per minute); no embeddings.
 */
export const groqAdapter: ProviderAdapter = {
  provider: 'groq',
  defaultBaseUrl: 'https://api.groq.com',
  supportsEmbeddings: false,
  maxEmbeddingInputs: 0,
  buildChat(req: RichChatRequest, ctx: BuildContext): HttpRequest {
    return bearerPost(ctx, '/openai/v1/chat/completions', openAIChatBody(req));
  },
  buildChatStream(req: RichChatRequest, ctx: BuildContext): HttpRequest {
    return bearerPost(ctx, '/openai/v1/chat/completions', openAIChatBody(req, 'max_tokens', true), true);
  },
  streamParser: () => createOpenAIStreamParser('groq'),
  parseChat: parseOpenAIChat,
  buildEmbed(model: string): HttpRequest {
    return noEmbeddings(model);
  },
  parseEmbed(): ParsedEmbeddings {
    return noEmbeddings('(none)');
  },
  parseError: parseGroqError,
  rateLimit: parseOpenAIRateLimit,
};
