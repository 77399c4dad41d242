export { createRouter, fallsBack, Router } from './router.js';
export type { RouterOptions, RouterReport, RoutedReply } from './router.js';
export { routeModel } from './routing.js';
