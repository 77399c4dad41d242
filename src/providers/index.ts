import type { Provider } from '../types.js';
import { anthropicAdapter } from './anthropic.js';
import { geminiAdapter } from './gemini.js';
import { groqAdapter } from './groq.js';
import { openaiAdapter } from './openai.js';
import type { ProviderAdapter } from './types.js';

const adapters: Partial<Record<Provider, ProviderAdapter>> = {
  openai: openaiAdapter,
  anthropic: anthropicAdapter,
  groq: groqAdapter,
  gemini: geminiAdapter,
};

/** Registers (or replaces) an adapter, e.g. a scripted one in a test. */
export function registerAdapter(adapter: ProviderAdapter): void {
  adapters[adapter.provider] = adapter;
}

/** The wire format of `provider`; undefined for a name that is not a provider. */
export function getAdapter(provider: Provider): ProviderAdapter | undefined {
  return adapters[provider];
}

export { anthropicAdapter, geminiAdapter, groqAdapter, openaiAdapter };
export { parseAnthropicRateLimit, parseOpenAIRateLimit } from './rate-limit.js';
export type {
  BuildContext,
  ParsedChat,
  ParsedEmbeddings,
  ParsedErrorBody,
  ProviderAdapter,
  RateLimitInfo,
} from './types.js';
