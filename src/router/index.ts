export { createRouter, fallsBack, Router } from './router.js';
export type { RouterOptions, RouterReport, RoutedReply, RoutedChunk } from './router.js';
export { routeModel } from './routing.js';
