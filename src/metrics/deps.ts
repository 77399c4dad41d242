export type { BoardState, BreakerState, Provider, Report } from '../types.js';
import type { ErrorCode } from '../errors.js';
export type ErrorCodeOrOk = 'ok' | ErrorCode;
