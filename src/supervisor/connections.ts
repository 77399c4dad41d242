import type { Board } from './board.js';
import type { Dispatcher } from './dispatcher.js';

/** The most keep-alive connections a board's own transport opens to its upstream. */
const MAX_CONNECTIONS = 128;

/**
 * How many connections to its upstream a board can use now: its `queue.maxConcurrent` (the most it
 * has in flight), at most 128. For the transport's pool size (the board's own, or a router's).
 */
export function connectionsWanted(board: Board): number {
  const cfg = (board as unknown as { dispatcher?: Dispatcher }).dispatcher?.cfg;
  return Math.min(MAX_CONNECTIONS, cfg?.queue.maxConcurrent ?? MAX_CONNECTIONS);
}
