import { invalid } from '../options.js';
import { machineCharts, toJson, toMermaid } from '../statecharts/index.js';

export interface MachinesCommandOptions {
  /** `mermaid` (default): one `stateDiagram-v2` per machine, each after a `%% <name>` comment; `json`: one array of charts. */
  format?: 'mermaid' | 'json';
  /** Where the text goes; default `console.log`. */
  out?: (text: string) => void;
}

const USAGE = 'usage: switchboard machines [--format mermaid|json]';

/**
 * `switchboard machines [--format mermaid|json]`: prints the statechart of every machine of the
 * actor tree (supervisor, circuitBreaker, keySlot, batcher, retry), derived from the machine
 * definitions, for visualization offline (paste a diagram into any Mermaid renderer). Takes the
 * options, or the command's argv (as `src/cli/main.ts` passes it). Returns the printed text.
 * Throws `SB_CONFIG` on an unknown format or argument.
 */
export function runMachinesCommand(options: MachinesCommandOptions | string[] = {}): string {
  const opts: { format?: string; out?: (text: string) => void } = Array.isArray(options) ? parseArgs(options) : options;
  const { format = 'mermaid', out = (text: string) => console.log(text) } = opts;
  const charts = machineCharts();
  let text: string;
  if (format === 'json') text = toJson(charts);
  else if (format === 'mermaid') text = charts.map((c) => `%% ${c.name} (${c.file})\n${toMermaid(c)}`).join('\n').trimEnd();
  else if (format === 'help') text = USAGE;
  else throw invalid('switchboard machines', '--format', "'mermaid' | 'json'", format);
  out(text);
  return text;
}

function parseArgs(argv: string[]): { format: string } {
  let format = 'mermaid';
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') return { format: 'help' };
    if (arg === '--format' || arg === '-f') format = argv[++i] ?? '';
    else if (arg.startsWith('--format=')) format = arg.slice('--format='.length);
    else if (arg === '--json') format = 'json';
    else throw invalid('switchboard machines', 'argument', `one of --format mermaid|json (${USAGE})`, arg);
  }
  return { format };
}
