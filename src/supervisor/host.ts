import type { ActorRefFrom } from 'xstate';
import type { batcherMachine } from '../../machines/batcher.machine.js';
import type { retryMachine } from '../../machines/retry.machine.js';
import type { MetricsRecorder } from '../metrics/types.js';
import type { ProviderAdapter } from '../providers/types.js';
import type { Transport } from '../transport/types.js';
import type { Clock, Logger } from '../types.js';
import type { RequestTracer } from '../tracing/otel.js';
import type { Emitter } from './emitter.js';
import type { Entry } from './entry.js';

/** What the dispatcher needs from the board around it (the actor system and the secret store). */
export interface DispatcherHost {
  clock: Clock;
  random: () => number;
  adapter: ProviderAdapter;
  baseUrl: string;
  transport: Transport;
  emitter: Emitter;
  readonly metrics: MetricsRecorder;
  logger: Logger | undefined;
  realClock: boolean;
  /** Spans per request and per attempt; null when `@opentelemetry/api` is not installed. */
  tracer: RequestTracer | null;
  secret(name: string): string | undefined;
  spawnRetry(entry: Entry, onStart: (sleptMs: number) => void): { ref: ActorRefFrom<typeof retryMachine>; id: string };
  stopRetry(id: string): void;
  batcher(model: string): ActorRefFrom<typeof batcherMachine>;
}

