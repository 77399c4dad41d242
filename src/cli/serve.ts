import { readFileSync } from 'node:fs';
import { startGateway, type Gateway, type GatewayOptions } from '../gateway/index.js';
import { KNOWN_MODELS, reloadConfigFile } from '../gateway/index.js';
import { readEnv } from '../keys/env.js';
import type { Logger, Provider } from '../types.js';

/** `switchboard serve` options, as parsed from flags and `SWITCHBOARD_*` variables. */
export interface ServeCommandOptions {
  port?: number;
  host?: string;
  sim?: boolean;
  config?: string;
  token?: string;
  /** A `SimConfig` as JSON text, or the path of a JSON file. */
  simConfig?: string;
  bodyLimit?: number;
  headersTimeout?: number;
  requestTimeout?: number;
  bodyTimeout?: number;
  keepAliveTimeout?: number;
  drainTimeout?: number;
  writeTimeout?: number;
  /** Host names accepted in `Host` / `Origin` besides loopback and the bound address. */
  allowedHost?: string[];
  /** Where the lines go; default `console.log`. */
  out?: (line: string) => void;
}

export interface ServeCommand {
  gateway: Gateway;
  /** Resolves once the gateway has drained and closed after SIGINT or SIGTERM. */
  closed: Promise<void>;
}

const CLI_LOGGER: Logger = {
  warn: (_obj, msg) => console.error(`switchboard: warning: ${msg ?? ''}`),
  error: (_obj, msg) => console.error(`switchboard: error: ${msg ?? ''}`),
};

/** `--sim-config '{"defaults":{"latencyMs":50}}'` or `--sim-config sim.json`. */
export function parseSimConfig(value: string): NonNullable<GatewayOptions['simConfig']> {
  const text = value.trimStart().startsWith('{') ? value : readFileSync(value, 'utf8');
  try {
    return JSON.parse(text) as NonNullable<GatewayOptions['simConfig']>;
  } catch (error) {
    throw new Error(`--sim-config: not valid JSON: ${(error as Error).message}`);
  }
}

/** A model the gateway can route, for the example line: gpt-4o-mini when openai is routable. */
function exampleModel(providers: readonly Provider[]): string {
  const p = providers.includes('openai') ? 'openai' : providers[0];
  return p ? KNOWN_MODELS[p][0]! : 'gpt-4o-mini';
}

/** The lines `serve` prints first: where it listens, the simulator if any, a curl and the SDK's baseURL. */
export function banner(gateway: Gateway): string[] {
  const sim = gateway.simulator;
  // A wildcard bind answers on loopback too; a pasteable command needs a real address.
  const base = gateway.url.replace(/^http:\/\/(0\.0\.0\.0|\[::\])/, 'http://127.0.0.1');
  const lines = [`Switchboard gateway listening on ${gateway.url}${sim ? ' (simulator mode)' : ''}`];
  if (sim) {
    const why = gateway.simulatorReason === 'no-keys' ? 'no provider keys were found in the environment' : '--sim';
    lines.push(`Every provider is routed to the embedded simulator at ${sim.url} (${why}): no network, fake keys.`);
  } else {
    const state = gateway.router.state();
    const names = gateway.providers.map((p) => `${p} (${state[p]?.keys.length ?? 0} key${state[p]?.keys.length === 1 ? '' : 's'})`);
    lines.push(`Providers: ${names.join(', ') || 'none'}`);
  }
  const auth = gateway.tokenRequired ? ` -H "authorization: Bearer $SWITCHBOARD_TOKEN"` : '';
  const body = JSON.stringify({ model: exampleModel(gateway.providers), messages: [{ role: 'user', content: 'Hello' }] });
  lines.push(`Try: curl ${base}/v1/chat/completions -H 'content-type: application/json'${auth} -d '${body}'`);
  lines.push(`openai SDK: new OpenAI({ baseURL: '${base}/v1', apiKey: ${gateway.tokenRequired ? 'process.env.SWITCHBOARD_TOKEN' : "'anything'"} })`);
  lines.push(`Also: GET ${base}/health, /report, /metrics${gateway.inspector ? ', /inspect' : ''}`);
  if (sim) lines.push(`Simulator controls: POST ${base}/sim/configure (a SimConfig, see src/sim/README.md), POST /sim/reset, GET /sim/stats`);
  lines.push('Press Ctrl-C to stop.');
  return lines;
}

/**
 * `switchboard serve`: starts the gateway, prints the banner (its first line names the URL), and on
 * SIGINT/SIGTERM stops accepting, drains for at most `drainTimeout` ms, and resolves `closed`.
 */
export async function runServeCommand(options: ServeCommandOptions = {}): Promise<ServeCommand> {
  const out = options.out ?? ((line: string) => console.log(line));
  // Listening for the signals before the port opens: a SIGTERM during start-up still ends in a clean stop.
  let gateway: Gateway | null = null;
  let signalled: NodeJS.Signals | null = null;
  let onSignal: (signal: NodeJS.Signals) => void = () => {};
  const closed = new Promise<void>((resolve, reject) => {
    onSignal = (signal) => {
      if (signalled) {
        out(`${signal} again: exiting without waiting.`);
        process.exit(1);
      }
      signalled = signal;
      if (!gateway) return; // start-up finishes, then stops at once
      out(`${signal}: no new requests; draining the ones in flight (at most ${gateway.drainTimeoutMs} ms)…`);
      gateway.close({ drain: true }).then(() => {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        out('Stopped.');
        resolve();
      }, reject);
    };
  });
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // Listened for from the start too: a hang-up's default action would kill the process.
  const onHangUp = () => (gateway ? reload(gateway, options.config, out) : out('SIGHUP during start-up: nothing to reload yet.'));
  process.on('SIGHUP', onHangUp);
  void closed.then(() => process.off('SIGHUP', onHangUp), () => process.off('SIGHUP', onHangUp));
  try {
    gateway = await startGateway({
      configFile: options.config,
      host: options.host,
      port: options.port,
      sim: options.sim ? true : undefined,
      // Passed as given: a set but empty or whitespace-only token is refused, not ignored.
      token: options.token,
      simConfig: options.simConfig !== undefined ? parseSimConfig(options.simConfig) : undefined,
      bodyLimitBytes: options.bodyLimit,
      headersTimeoutMs: options.headersTimeout,
      requestTimeoutMs: options.requestTimeout,
      bodyTimeoutMs: options.bodyTimeout,
      keepAliveTimeoutMs: options.keepAliveTimeout,
      drainTimeoutMs: options.drainTimeout,
      writeTimeoutMs: options.writeTimeout,
      allowedHosts: options.allowedHost,
      logger: CLI_LOGGER,
    });
  } catch (error) {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('SIGHUP', onHangUp);
    throw error;
  }
  for (const line of banner(gateway)) out(line);
  if (signalled) {
    const signal: NodeJS.Signals = signalled;
    signalled = null;
    onSignal(signal);
  }
  return { gateway, closed };
}

/**
 * SIGHUP: re-reads `--config` and applies it to the running gateway (no request dropped). An
 * invalid file changes nothing and is reported with the message it would give at start. Without
 * `--config` there is nothing to re-read (and the gateway keeps running: a hang-up never kills it).
 */
export function reload(gateway: Gateway, configFile: string | undefined, out: (line: string) => void): void {
  if (!configFile) {
    out('SIGHUP: no --config to reload; nothing changed.');
    return;
  }
  try {
    const r = reloadConfigFile(gateway.router, configFile, { sim: gateway.simulator !== undefined, env: readEnv() });
    out(`SIGHUP: reloaded ${configFile} (${r.commands} command${r.commands === 1 ? '' : 's'} applied).`);
    for (const note of r.notes) console.error(`switchboard: warning: ${note}`);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    console.error(message.startsWith('switchboard') ? message : `switchboard: ${message}`);
    console.error('switchboard: SIGHUP: the file above is invalid; the running configuration is unchanged.');
  }
}
