/** The OpenAI-compatible HTTP gateway: a router behind `node:http`. */
export { startGateway, GATEWAY_DEFAULTS } from './server.js';
export type { Gateway, GatewayOptions } from './types.js';
export type { GatewayConfig, GatewaySettings, ConfigKey } from './config.js';
export { loadConfigFile } from './config.js';
export { describeError, errorBody, HttpError } from './errors.js';
export type { GatewayErrorCode } from './errors.js';
export type { Inspector, InspectorFactory } from './inspector.js';
export { KNOWN_MODELS } from './routes/models.js';
export { toChatRequest } from './routes/chat-request.js';
export { toCompletion } from './routes/chat.js';
export { simulatorKeys } from './upstream.js';
export { applyReload, planReload, reloadConfigFile } from './reload.js';
export type { ReloadPlan } from './reload.js';
