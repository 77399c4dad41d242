import { startSimulator, type Simulator } from './index.js';

export interface SimulatorCommandOptions {
  /** Default 0: an ephemeral port. */
  port?: number;
  /** Default `127.0.0.1`. The simulator has no authentication of its own. */
  host?: string;
  seed?: number;
  /** Where the lines go; default `console.log`. */
  out?: (line: string) => void;
}

export interface SimulatorCommand {
  simulator: Simulator;
  /** Resolves once the simulator has stopped (after SIGINT or SIGTERM, or `simulator.stop()`). */
  closed: Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

/**
 * `switchboard sim [--port N]`: starts the simulator, prints its base URLs and a ready-to-paste curl,
 * and stops it on SIGINT/SIGTERM.
 */
export async function runSimulatorCommand(options: SimulatorCommandOptions = {}): Promise<SimulatorCommand> {
  const { port = 0, host = '127.0.0.1', seed = 1, out = (line: string) => console.log(line) } = options;
  const simulator = await startSimulator({ port, host, seed });
  const { urls } = simulator;
  out(`Switchboard simulator listening on ${simulator.url} (seed ${seed})`);
  if (!LOOPBACK.has(host)) out(`warning: ${host} is not a loopback address and the simulator accepts any key`);
  out(`  openai     ${urls.openai}    (openai SDK baseURL)`);
  out(`  anthropic  ${urls.anthropic}    (@anthropic-ai/sdk baseURL)`);
  out(`  groq       ${urls.groq}    (groq-sdk baseURL)`);
  out(`  gemini     ${urls.gemini}    (@google/genai httpOptions.baseUrl)`);
  out(`Try: curl ${urls.openai}/chat/completions -H 'authorization: Bearer sk-test' -H 'content-type: application/json' -d '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hello"}]}'`);
  out('Press Ctrl-C to stop.');

  let onSignal: () => void = () => {};
  const closed = new Promise<void>((resolve) => {
    const stop = simulator.stop.bind(simulator);
    simulator.stop = async () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      await stop();
      resolve();
    };
    onSignal = () => {
      out('Stopping the simulator.');
      void simulator.stop();
    };
  });
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return { simulator, closed };
}
