#!/usr/bin/env node
/**
 * The `switchboard` command: `serve` (the gateway), `sim` (the simulator alone), `demo` and
 * `machines`. The only place that loads `.env` into `process.env`.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { config as loadDotenv } from 'dotenv';
import { runSimulatorCommand } from '../sim/cli.js';
import { delegate } from './delegate.js';
import { runServeCommand } from './serve.js';
import { packageVersion } from './version.js';

function integer(name: string, min: number, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`${name} must be an integer from ${min}${max === Number.MAX_SAFE_INTEGER ? ' up' : ` to ${max}`}, got "${value}"`);
    }
    return n;
  };
}

/** Node timers hold at most 2^31-1 ms; past it they fire after 1 ms. */
const MAX_MS = 2 ** 31 - 1;

function fail(error: unknown): never {
  const message = error instanceof Error ? error.message : String(error);
  console.error(message.startsWith('switchboard') ? message : `switchboard: ${message}`);
  process.exit(1);
}

loadDotenv({ quiet: true });

const program = new Command('switchboard')
  .description('A fast, hard-to-break runtime in front of AI API providers')
  .version(packageVersion())
  .showHelpAfterError('(add --help for usage)');

program
  .command('serve')
  .description('the gateway: OpenAI chat completions, embeddings and responses, Anthropic messages (README.md, "The gateway")')
  .addOption(new Option('--port <n>', 'port to listen on; 0 picks a free one').env('SWITCHBOARD_PORT').argParser(integer('--port', 0, 65535)))
  .addOption(new Option('--host <host>', 'address to bind (default 127.0.0.1; anything else needs a token)').env('SWITCHBOARD_HOST'))
  .option('--sim', 'route every provider to the embedded simulator (also the default when no key is found)')
  .option('--config <file>', 'JSON config: providers, aliases, fallback groups, gateway (see switchboard.config.example.json); SIGHUP re-reads it')
  .addOption(new Option('--token <token>', 'bearer token every route but /health requires (prefer the variable)').env('SWITCHBOARD_TOKEN'))
  .option('--sim-config <json|file>', 'simulator configuration (a SimConfig, see src/sim/README.md), as JSON text or a file')
  .addOption(new Option('--body-limit <bytes>', 'largest request body (default 1 MiB)').argParser(integer('--body-limit', 1)))
  .addOption(new Option('--headers-timeout <ms>', 'time to receive request headers (default 10000)').argParser(integer('--headers-timeout', 1, MAX_MS)))
  .addOption(new Option('--request-timeout <ms>', 'time to receive a whole request (default 30000)').argParser(integer('--request-timeout', 1, MAX_MS)))
  .addOption(new Option('--body-timeout <ms>', 'time to receive a body once its headers are in (default: --request-timeout)').argParser(integer('--body-timeout', 1, MAX_MS)))
  .addOption(new Option('--keep-alive-timeout <ms>', 'idle keep-alive connections close after this (default 5000)').argParser(integer('--keep-alive-timeout', 1, MAX_MS)))
  .addOption(new Option('--drain-timeout <ms>', 'on SIGINT/SIGTERM, how long in-flight requests may finish (default 10000)').argParser(integer('--drain-timeout', 0, MAX_MS)))
  .addOption(new Option('--write-timeout <ms>', 'a streaming client that reads nothing for this long is cut off (default 30000)').argParser(integer('--write-timeout', 1, MAX_MS)))
  .option('--allowed-host <host...>', 'a Host / Origin name to answer besides loopback and the bound address (repeatable)')
  .action(async (opts) => {
    try {
      const { closed } = await runServeCommand(opts);
      await closed;
      process.exit(0);
    } catch (error) {
      fail(error);
    }
  });

program
  .command('sim')
  .description('the provider simulator on its own (src/sim/README.md)')
  .option('--port <n>', 'port to listen on (default: a free one)', integer('--port', 0, 65535))
  .option('--host <host>', 'address to bind', '127.0.0.1')
  .option('--seed <n>', 'seed of ids and error-rate draws', integer('--seed', 0), 1)
  .action(async (opts: { port?: number; host: string; seed: number }) => {
    try {
      const { closed } = await runSimulatorCommand({ port: opts.port, host: opts.host, seed: opts.seed });
      await closed;
      process.exit(0);
    } catch (error) {
      fail(error);
    }
  });

program
  .command('demo')
  .description('a mixed workload against the embedded simulator, with a live view and the final report')
  .helpOption(false)
  .allowUnknownOption()
  .argument('[args...]')
  .action((args: string[]) => delegate('demo', './demo.js', 'runDemoCommand', args).catch(fail));

program
  .command('machines')
  .description('the statecharts, for visualization offline (--format mermaid|json, --machine NAME; see machines --help)')
  .helpOption(false)
  .allowUnknownOption()
  .argument('[args...]')
  .action((args: string[]) => delegate('machines', './machines.js', 'runMachinesCommand', args).catch(fail));

program.parseAsync(process.argv).catch(fail);
