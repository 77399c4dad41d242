import { invalid } from '../options.js';
import { machineCharts, toJson, toMermaid, type MachineChart } from '../statecharts/index.js';

export interface MachinesCommandOptions {
  /**
   * `mermaid` (default): with `machine`, one bare `stateDiagram-v2` document (what `mmdc -i -` or
   * mermaid.live takes); without, a Markdown document with one fenced ```` ```mermaid ```` block per
   * machine. `json`: the chart (with `machine`) or an array of every chart.
   */
  format?: 'mermaid' | 'json';
  /** One machine by name (`supervisor`, `circuitBreaker`, `keySlot`, `batcher`, `retry`); default all of them. */
  machine?: string;
  /** Where the text goes; default `console.log`. */
  out?: (text: string) => void;
}

export const MACHINES_HELP = `usage: switchboard machines [--format mermaid|json] [--machine NAME]

Prints the statecharts of the actor tree, read from the machine definitions (machines/*.machine.ts).

  --format mermaid   (default) without --machine: Markdown, one fenced \`\`\`mermaid block per machine,
                     each a complete stateDiagram-v2 (paste one block into mermaid.live, or view the
                     file on GitHub); with --machine: that one diagram alone, no fence
                     (switchboard machines --machine circuitBreaker | mmdc -i - -o breaker.svg)
  --format json      every chart as one JSON array; with --machine, that chart's object
  --machine NAME     supervisor | circuitBreaker | keySlot | batcher | retry`;

/**
 * `switchboard machines [--format mermaid|json] [--machine NAME]`: prints the statechart of every
 * machine of the actor tree (supervisor, circuitBreaker, keySlot, batcher, retry), or of one,
 * derived from the machine definitions, for visualization offline. Every Mermaid diagram it prints
 * is one complete `stateDiagram-v2` document: alone with `--machine`, otherwise each in its own
 * fenced block of a Markdown document. Takes the options, or the command's argv (as
 * `src/cli/main.ts` passes it). Returns the printed text. Throws `SB_CONFIG` on an unknown format,
 * machine or argument.
 */
export function runMachinesCommand(options: MachinesCommandOptions | string[] = {}): string {
  const opts: { format?: string; machine?: string; out?: (text: string) => void } = Array.isArray(options) ? parseArgs(options) : options;
  const { format = 'mermaid', machine, out = (text: string) => console.log(text) } = opts;
  if (format === 'help') {
    out(MACHINES_HELP);
    return MACHINES_HELP;
  }
  if (format !== 'mermaid' && format !== 'json') throw invalid('switchboard machines', '--format', "'mermaid' | 'json'", format);
  const all = machineCharts();
  const names = all.map((c) => c.name);
  const one = machine === undefined ? null : all.find((c) => c.name === machine);
  if (one === undefined) throw invalid('switchboard machines', '--machine', `one of ${names.map((n) => `'${n}'`).join(' | ')}`, machine);
  let text: string;
  if (format === 'json') text = toJson(one ?? all);
  else text = one ? toMermaid(one).trimEnd() : fencedMermaid(all);
  out(text);
  return text;
}

/** A Markdown document: a heading and one fenced `mermaid` block per chart. */
function fencedMermaid(charts: MachineChart[]): string {
  const parts = ['# Switchboard statecharts', '', 'Generated from the machine definitions by `switchboard machines`.'];
  for (const c of charts) parts.push('', `## ${c.name} (${c.file})`, '', '```mermaid', toMermaid(c).trimEnd(), '```');
  return parts.join('\n');
}

function parseArgs(argv: string[]): { format: string; machine?: string } {
  let format = 'mermaid';
  let machine: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') return { format: 'help' };
    if (arg === '--format' || arg === '-f') format = argv[++i] ?? '';
    else if (arg.startsWith('--format=')) format = arg.slice('--format='.length);
    else if (arg === '--json') format = 'json';
    else if (arg === '--machine' || arg === '-m') machine = argv[++i] ?? '';
    else if (arg.startsWith('--machine=')) machine = arg.slice('--machine='.length);
    else throw invalid('switchboard machines', 'argument', 'one of --format mermaid|json, --machine NAME (see switchboard machines --help)', arg);
  }
  return machine === undefined ? { format } : { format, machine };
}
