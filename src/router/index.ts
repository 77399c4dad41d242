export { createRouter, fallsBack, Router } from './router.js';
export type { RouterOptions, RouterReport, RoutedReply, RoutedChunk } from './router.js';
export { failureGroup, validateGroups, GROUP_NAMES } from './groups.js';
export type { GroupName, ModelGroups } from './groups.js';
export { routeModel } from './routing.js';
