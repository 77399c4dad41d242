import type { Provider } from '../types.js';
import { openaiAdapter } from './openai.js';
import type { ProviderAdapter } from './types.js';

const adapters: Partial<Record<Provider, ProviderAdapter>> = { openai: openaiAdapter };

/** Registers an adapter (each provider module registers itself here). */
export function registerAdapter(adapter: ProviderAdapter): void {
  adapters[adapter.provider] = adapter;
}

export function getAdapter(provider: Provider): ProviderAdapter | undefined {
  return adapters[provider];
}

export { openaiAdapter };
export type { ProviderAdapter } from './types.js';
