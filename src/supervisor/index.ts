export { Board, createSupervisor } from './board.js';
export type { BoardCommand } from './board.js';
export type { SupervisorCommand, ConfigUpdate } from './commands.js';
