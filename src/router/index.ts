export { createRouter, Router } from './router.js';
export type { RouterOptions, RouterReport } from './router.js';
export { fallsBack } from './fallback-chain.js';
export type { RoutedReply, RoutedChunk } from './fallback-chain.js';
export { failureGroup, validateGroups, GROUP_NAMES } from './groups.js';
export type { GroupName, ModelGroups } from './groups.js';
export { routeModel } from './routing.js';
