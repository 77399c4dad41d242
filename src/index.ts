/** Switchboard's public API (docs/ARCHITECTURE.md §2, §10). Every export is named here. */
export { createSupervisor, Board } from './supervisor/index.js';
export type { BoardCommand, SupervisorCommand, ConfigUpdate } from './supervisor/index.js';
export type { SharedBudget, SharedGrant } from './keys/key-pool.js';
export { createTestClock, systemClock } from './clock.js';
export { mulberry32 as seededRandom } from './sim/random.js';
export type { TestClock } from './clock.js';
export {
  SwitchboardError,
  ConfigError,
  QueueFullError,
  CircuitOpenError,
  RetriesExhaustedError,
  ProviderError,
  ContextLengthError,
  ContentPolicyError,
  AuthError,
  NoKeysError,
  TimeoutError,
  AbortedError,
  ShutdownError,
  BadResponseError,
  StreamInterruptedError,
  UnknownModelError,
  scrubSecrets,
} from './errors.js';
export type { ErrorCode } from './errors.js';
export { createRouter, Router, routeModel, fallsBack } from './router/index.js';
export type { RouterOptions, RouterReport, RoutedReply, RoutedChunk, ModelGroups, GroupName } from './router/index.js';
export { startGateway } from './gateway/index.js';
export { createInspector } from './inspector/index.js';
export { machineCharts, toMermaid } from './statecharts/index.js';
export { DEFAULTS } from './options.js';
export type { SupervisorOptions, ResolvedConfig } from './options.js';
export { loadKeys, loadBaseUrl } from './keys/index.js';
export { createUndiciTransport } from './transport/undici.js';
export type { HttpRequest, HttpResponse, Transport } from './transport/types.js';
export type {
  Provider,
  Priority,
  PriorityName,
  Clock,
  RequestOptions,
  ChatMessage,
  ChatRequest,
  Usage,
  FinishReason,
  ChatReply,
  EmbedRequest,
  EmbedReply,
  BreakerState,
  KeyState,
  BoardState,
  KeyConfig,
  StrategyName,
  StrategyFn,
  KeyView,
  KeyLimits,
  Jitter,
  Logger,
  Report,
  ChatChunk,
  ToolDefinition,
  ToolCall,
  ToolCallDelta,
  ContentPart,
  RichChatMessage,
  RichChatRequest,
  RichChatReply,
  ToolChoice,
  ResponseFormat,
  SwitchboardEvents,
  SwitchboardEventType,
} from './types.js';
