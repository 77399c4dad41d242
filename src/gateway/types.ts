import type { Router } from '../router/index.js';
import type { Simulator } from '../sim/index.js';
import type { Clock, Logger, Provider } from '../types.js';
import type { GatewayConfig, GatewaySettings } from './config.js';
import type { InspectorFactory } from './inspector.js';

/**
 * Options of `startGateway`. Times in ms. Explicit options win over the config
 * file's `gateway` section, which wins over the defaults.
 */
export interface GatewayOptions extends GatewaySettings {
  /** A router to serve. Default: one built from the config file and the environment. The caller keeps owning it: `close()` leaves it running. */
  router?: Router;
  /** Bearer token every route but `/health` requires. Default: `SWITCHBOARD_TOKEN` from `env`. */
  token?: string;
  /** Where keys, base URLs and `SWITCHBOARD_TOKEN` are read. Default: `process.env` over `.env` (read, never loaded). */
  env?: Record<string, string | undefined>;
  /** `{ debug, info, warn, error }` (pino-compatible); silent by default. */
  logger?: Logger;
  /** A JSON config file (`switchboard.config.example.json` shows the shape). */
  configFile?: string;
  /** The same configuration as an object (instead of `configFile`). */
  config?: GatewayConfig;
  /** The inspector to mount at `/inspect`. Default: `src/inspector`'s `createInspector` when present; `false` mounts none. */
  inspector?: InspectorFactory | false;
  /**
   * The gateway's clock: timestamps (`created`), the write timeout, the inspector, and the router
   * and embedded simulator the gateway builds (so a test can run it all on simulated time). Default: real time.
   */
  clock?: Clock;
}

/** A running gateway. */
export interface Gateway {
  /** `http://<host>:<port>`, the actual port when 0 was asked. */
  url: string;
  port: number;
  host: string;
  router: Router;
  /** The embedded simulator every provider is routed to, in simulator mode. */
  simulator?: Simulator;
  /** Why the simulator runs: `requested` (`sim: true`) or `no-keys`; null with real providers. */
  simulatorReason: 'requested' | 'no-keys' | null;
  /** The providers requests can be routed to. */
  providers: Provider[];
  /** Whether requests need `Authorization: Bearer <token>`. */
  tokenRequired: boolean;
  /** The bound of `close()` when it is given no `timeoutMs`. */
  drainTimeoutMs: number;
  /** Whether `/inspect` is mounted. */
  inspector: boolean;
  /**
   * Stops accepting, lets in-flight requests finish (`drain`, default true) for at most `timeoutMs`
   * (default `drainTimeoutMs`, 10 s), then stops the router (when the gateway built it) — whatever is
   * still running is answered 503 `SB_SHUTDOWN` — and the simulator. Calling it twice is harmless.
   */
  close(options?: { drain?: boolean; timeoutMs?: number }): Promise<void>;
}
