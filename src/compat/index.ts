/**
 * `switchboard/compat`: the names of the seed's "Advanced API Features Configuration Guide"
 * (`openai_api`, `client.max_retries = 5`, `generate_report(...)`, `ApiKeyMultiplexer`) over the
 * core supervisor (docs/ARCHITECTURE.md §8). Times are seconds here, as in the guide.
 */
export { openai_api, claude, groq, gemini } from './factories.js';
export type { CompatInit, CompatMetadata } from './factories.js';
export { ApiKeyMultiplexer } from './multiplexer.js';
export type { AddKeyArgs, AddKeyOptions, GetClientOptions, MultiplexerOptions, UsageStats } from './multiplexer.js';
export type { CompatClient, CompatOptions, KeyStats, SeedMessage } from './client.js';
export type { SeedCircuitState } from './attributes.js';
export type { SeedReport, SeedStats, SeedTally } from './seed-report.js';
export type {
  ChatCompletion,
  ChatOptions,
  ChatResult,
  EmbeddingList,
  EmbeddingOptions,
  EmbeddingResult,
  MakeRequestOptions,
  SeedPriority,
  SeedUsage,
} from './shapes.js';
