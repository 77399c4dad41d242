import { describe, expect, it, vi } from 'vitest';
import { MACHINES_HELP, runMachinesCommand } from '../../src/cli/machines.js';
import { machineCharts, toMermaid, type MachineChart } from '../../src/statecharts/index.js';
import { fencedBlocks, MermaidGrammarError, parseStateDiagram } from '../support/mermaid-grammar.js';

const NAMES = ['supervisor', 'circuitBreaker', 'keySlot', 'batcher', 'retry'];
const quiet = { out: () => {} };

describe('the Mermaid grammar check', () => {
  it('refuses what Mermaid refuses: two documents glued together, a colon in a description, an unclosed note', () => {
    const one = toMermaid(machineCharts()[1]!);
    expect(() => parseStateDiagram(one)).not.toThrow();
    expect(() => parseStateDiagram(`${one}\n${one}`)).toThrow(MermaidGrammarError);
    expect(() => parseStateDiagram('stateDiagram-v2\n  a --> b : done: x\n')).toThrow(/without `:`/);
    expect(() => parseStateDiagram('stateDiagram-v2\n  note right of a\n    text\n')).toThrow(/never closed/);
    expect(() => parseStateDiagram('stateDiagram-v2\n  defaultState --> b\n')).toThrow(/keyword/);
    expect(() => parseStateDiagram('%% supervisor\nstateDiagram-v2\n')).toThrow(/starts with/);
  });
});

describe('switchboard machines --format mermaid', () => {
  it('prints every machine as its own fenced mermaid block, each a single valid stateDiagram-v2', () => {
    const printed: string[] = [];
    const text = runMachinesCommand({ format: 'mermaid', out: (t) => printed.push(t) });
    expect(printed).toEqual([text]);
    const blocks = fencedBlocks(text);
    expect(blocks.map((b) => b.lang)).toEqual(NAMES.map(() => 'mermaid'));
    const charts = machineCharts();
    blocks.forEach((block, i) => {
      const parsed = parseStateDiagram(block.body);
      expect(block.body).toBe(toMermaid(charts[i]!).trimEnd());
      for (const s of charts[i]!.states) expect(parsed.ids.has(s.path.replace(/\./g, '__'))).toBe(true);
      // Between the fences: Markdown headings and prose, never a diagram statement.
      expect(block.outside.join('\n')).toContain(`## ${NAMES[i]} (machines/`);
      expect(block.outside.join('\n')).not.toMatch(/stateDiagram|-->/);
    });
  });

  it('prints one bare document for --machine NAME, ready for mmdc or mermaid.live', () => {
    for (const chart of machineCharts()) {
      const text = runMachinesCommand({ machine: chart.name, ...quiet });
      expect(text).toBe(toMermaid(chart).trimEnd());
      expect(text).not.toContain('```');
      parseStateDiagram(text);
    }
    const json = JSON.parse(runMachinesCommand({ format: 'json', machine: 'keySlot', ...quiet })) as MachineChart;
    expect(json.name).toBe('keySlot');
  });

  it('rejects an unknown machine or format with SB_CONFIG naming the choices', () => {
    expect(() => runMachinesCommand({ machine: 'breaker', ...quiet })).toThrow(expect.objectContaining({ code: 'SB_CONFIG', message: expect.stringContaining("'circuitBreaker'") }));
    expect(() => runMachinesCommand({ format: 'dot' as never, ...quiet })).toThrow(expect.objectContaining({ code: 'SB_CONFIG' }));
  });

  it('prints every chart as one JSON array', () => {
    const json = JSON.parse(runMachinesCommand({ format: 'json', ...quiet })) as MachineChart[];
    expect(json.map((c) => c.name)).toEqual(NAMES);
  });
});

describe('switchboard machines, from the command line', () => {
  it('reads --format and --machine from argv as src/cli/main.ts passes it, and says in --help what each prints', () => {
    const printed: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((text: string) => void printed.push(text));
    try {
      runMachinesCommand(['--format', 'json']);
      runMachinesCommand(['--format=mermaid']);
      runMachinesCommand([]);
      runMachinesCommand(['--machine', 'retry']);
      runMachinesCommand(['--machine=retry', '-f', 'mermaid']);
      runMachinesCommand(['--help']);
    } finally {
      log.mockRestore();
    }
    expect(JSON.parse(printed[0]!)).toHaveLength(5);
    expect(printed[1]).toBe(printed[2]);
    expect(fencedBlocks(printed[1]!)).toHaveLength(5);
    expect(printed[3]).toBe(toMermaid(machineCharts()[4]!).trimEnd());
    expect(printed[4]).toBe(printed[3]);
    expect(printed[5]).toBe(MACHINES_HELP);
    expect(MACHINES_HELP).toMatch(/without --machine: Markdown, one fenced ```mermaid block per machine/);
    expect(MACHINES_HELP).toMatch(/with --machine: that one diagram alone/);
    expect(() => runMachinesCommand(['--colour'])).toThrow(expect.objectContaining({ code: 'SB_CONFIG' }));
    expect(() => runMachinesCommand(['--format', 'svg'])).toThrow(expect.objectContaining({ code: 'SB_CONFIG' }));
  });
});
