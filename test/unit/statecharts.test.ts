import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createMachine, setup, type AnyStateMachine } from 'xstate';
import { describe, expect, it } from 'vitest';
import { batcherMachine, circuitBreakerMachine, keySlotMachine, retryMachine, supervisorMachine } from '../../machines/index.js';
import { chartOf, machineCharts, toJson, toMermaid, toSvg, type MachineChart } from '../../src/statecharts/index.js';
import { ANY_STATE, mermaidId } from '../../src/statecharts/mermaid.js';
import { parseStateDiagram } from '../support/mermaid-grammar.js';

/** What the machine's own JSON definition holds, walked independently of the chart code. */
interface DefNode { key: string; type: string; states: Record<string, DefNode>; on: Record<string, Array<{ delay?: unknown; target?: string[] }>> }

function definitionStates(node: DefNode, prefix = ''): string[] {
  return Object.values(node.states).flatMap((s) => {
    const path = prefix ? `${prefix}.${s.key}` : s.key;
    return [path, ...definitionStates(s, path)];
  });
}

function definitionDelays(node: DefNode, prefix = ''): string[] {
  const here = Object.entries(node.on)
    .filter(([event]) => event.startsWith('xstate.after.'))
    .flatMap(([, list]) => list.map((t) => `${prefix || '(root)'} -after ${String(t.delay)}-> ${(t.target ?? []).map((id) => id.replace(/^#/, '').split('.').slice(1).join('.')).join(',')}`));
  return [...here, ...Object.values(node.states).flatMap((s) => definitionDelays(s, prefix ? `${prefix}.${s.key}` : s.key))];
}

const chartDelays = (chart: MachineChart) =>
  chart.transitions.filter((t) => t.kind === 'delayed').map((t) => `${t.source ?? '(root)'} -after ${String(t.delay)}-> ${t.targets.join(',')}`);

const MACHINES: Array<[string, AnyStateMachine]> = [
  ['supervisor', supervisorMachine], ['circuitBreaker', circuitBreakerMachine], ['keySlot', keySlotMachine], ['batcher', batcherMachine], ['retry', retryMachine],
];

describe('machineCharts', () => {
  const charts = machineCharts();
  const byName = Object.fromEntries(charts.map((c) => [c.name, c]));

  it('has one chart per machine of the actor tree, supervisor first', () => {
    expect(charts.map((c) => c.name)).toEqual(['supervisor', 'circuitBreaker', 'keySlot', 'batcher', 'retry']);
  });

  it.each(MACHINES)('%s: contains every state and every delayed transition of the definition', (name, machine) => {
    const chart = byName[name]!;
    const def = JSON.parse(JSON.stringify(machine.definition)) as DefNode; // the plain JSON form
    expect(chart.states.map((s) => s.path).sort()).toEqual(definitionStates(def).sort());
    expect(chartDelays(chart).sort()).toEqual(definitionDelays(def).sort());
    // Every named delay of setup() is used by some `after`.
    for (const delay of chart.delays) expect(chart.transitions.some((t) => t.delay === delay)).toBe(true);
    // Every guard a transition names is one of setup()'s.
    for (const t of chart.transitions) if (t.guard) expect(chart.guards).toContain(t.guard);
    expect(chart.initial).toBe(def.states[(machine.config as { initial?: string }).initial ?? '']?.key ?? null);
  });

  it('reads the breaker as DESIGN §1 draws it', () => {
    const c = byName.circuitBreaker!;
    expect(c.states.map((s) => s.path)).toEqual(['closed', 'open', 'halfOpen', 'forcedOpen', 'disabled']);
    expect(c.initial).toBe('closed');
    expect(c.transitions).toContainEqual(expect.objectContaining({ source: 'open', kind: 'delayed', delay: 'halfOpenAfter', targets: ['halfOpen'] }));
    expect(c.transitions).toContainEqual(expect.objectContaining({ source: 'closed', event: 'attempt.failed', guard: 'reachesThreshold', targets: ['open'], actions: ['recordFailure', 'countTrip'] }));
    expect(c.transitions).toContainEqual(expect.objectContaining({ source: null, event: 'breaker.force', guard: 'forcesForcedOpen', targets: ['forcedOpen'] }));
    expect(c.transitions).toContainEqual(expect.objectContaining({ source: 'closed', event: 'attempt.failed', guard: null, targets: [], actions: ['recordFailure'] }));
  });

  it('keeps delays, eventless transitions, re-entries and terminal states', () => {
    expect(byName.keySlot!.transitions.filter((t) => t.kind === 'delayed').map((t) => [t.source, t.delay, t.targets[0]])).toEqual([
      ['cooling', 'coolingEnds', 'ready'], ['exhausted', 'quotaResets', 'ready'],
    ]);
    expect(byName.keySlot!.transitions).toContainEqual(expect.objectContaining({ source: 'cooling', event: 'key.rateLimited', guard: 'waitsLonger', reenter: true, targets: ['cooling'] }));
    expect(byName.batcher!.transitions).toContainEqual(expect.objectContaining({ source: 'collecting', kind: 'delayed', delay: 'batchWindow', targets: ['flushing'], actions: ['flushForTimeout'] }));
    const retry = byName.retry!;
    expect(retry.transitions).toContainEqual(expect.objectContaining({ source: 'backingOff', kind: 'always', event: null, guard: 'hasNoWait', targets: ['attempting'] }));
    // retry's succeeded/failed are terminal (no transition out) but not `final` (see machines/retry.machine.ts).
    const terminal = retry.states.filter((s) => !retry.transitions.some((t) => t.source === s.path)).map((s) => s.path);
    expect(terminal).toEqual(['succeeded', 'failed']);
    expect(retry.transitions).toContainEqual(expect.objectContaining({ source: 'backingOff', event: 'retry.abandon', targets: ['failed'] }));
  });

  it('names the supervisor children and its entry action, and no XState builtins', () => {
    const sup = byName.supervisor!;
    expect(sup.actors).toEqual(['circuitBreaker', 'keySlot', 'batcher', 'retry']);
    expect(sup.entry).toEqual(['spawnInitialChildren']);
    for (const chart of charts) {
      for (const s of chart.states) for (const a of [...s.entry, ...s.exit]) expect(a).not.toMatch(/^xstate\./);
      for (const t of chart.transitions) for (const a of t.actions) expect(a).not.toMatch(/^xstate\./);
    }
  });

  it('reads the machines through the public xstate/graph API, not the private machine.root', () => {
    const source = readFileSync(fileURLToPath(new URL('../../src/statecharts/chart.ts', import.meta.url)), 'utf8');
    expect(source).toMatch(/from 'xstate\/graph'/);
    expect(source).not.toMatch(/\.root\b/);
  });

  it('tells a self-transition from a targetless one (both are a self edge in the directed graph)', () => {
    const machine = setup({ actions: { note: () => {} } }).createMachine({
      id: 'selfish',
      initial: 'a',
      states: { a: { on: { again: { target: 'a', reenter: true }, poke: { actions: 'note' }, both: [{ target: 'b', guard: () => false }, { actions: 'note' }] } }, b: {} },
    });
    const chart = chartOf('selfish', 'inline', machine);
    expect(chart.transitions.map((t) => [t.event, t.targets, t.reenter, t.actions])).toEqual([
      ['again', ['a'], true, []], ['poke', [], false, ['note']], ['both', ['b'], false, []], ['both', [], false, ['note']],
    ]);
  });

  it('round-trips through toJson', () => {
    expect(JSON.parse(toJson(charts))).toEqual(charts);
  });
});

/** Mermaid's grammar (test/support/mermaid-grammar.ts), and every state of the chart drawn. */
function checkMermaid(text: string, chart: MachineChart): void {
  const parsed = parseStateDiagram(text);
  const ids = new Set(chart.states.map((s) => mermaidId(s.path)));
  for (const id of ids) expect(parsed.ids.has(id), `state ${id} is drawn`).toBe(true);
  for (const id of parsed.ids) expect(ids.has(id) || id === ANY_STATE, `${id} is a state of ${chart.name}`).toBe(true);
}

describe('toMermaid', () => {
  it.each(machineCharts().map((c) => [c.name, c] as const))('%s: is a well-formed stateDiagram-v2 with every state and delay', (_name, chart) => {
    const text = toMermaid(chart);
    checkMermaid(text, chart);
    for (const t of chart.transitions.filter((x) => x.kind === 'delayed')) expect(text).toContain(`${t.source} --> ${t.targets[0]} : after ${t.delay}`);
    if (chart.initial) expect(text).toContain(`[*] --> ${chart.initial}`);
    for (const s of chart.states.filter((x) => x.type === 'final')) expect(text).toContain(`${s.path} --> [*]`);
  });

  it('draws the breaker with guards, delays, root transitions from "any state" and notes for targetless ones', () => {
    const text = toMermaid(machineCharts().find((c) => c.name === 'circuitBreaker')!);
    expect(text).toContain('closed --> open : attempt.failed [reachesThreshold]');
    expect(text).toContain('open --> halfOpen : after halfOpenAfter');
    expect(text).toContain('state "any state" as any_state');
    expect(text).toContain('any_state --> forcedOpen : breaker.force [forcesForcedOpen]');
    expect(text).toMatch(/note right of closed\n\s+attempt\.failed \/ recordFailure\n/);
  });

  it('draws nested states as composite states, with their own initial and final states', () => {
    const machine = setup({ delays: { settle: 500 } }).createMachine({
      id: 'nested',
      initial: 'outer',
      states: {
        outer: {
          initial: 'first',
          states: { first: { after: { settle: 'second' } }, second: { on: { finish: 'done' } }, done: { type: 'final' } },
          onDone: 'after',
        },
        after: { on: { again: { target: 'outer.second', guard: () => true } } },
      },
    });
    const chart = chartOf('nested', 'inline', machine);
    expect(chart.states.map((s) => s.path)).toEqual(['outer', 'outer.first', 'outer.second', 'outer.done', 'after']);
    const text = toMermaid(chart);
    checkMermaid(text, chart);
    expect(text).toContain('state outer {');
    expect(text).toContain('[*] --> outer__first');
    expect(text).toContain('outer__first --> outer__second : after settle');
    expect(text).toContain('outer__done --> [*]');
    expect(text).toContain('after --> outer__second : again [inline]');
    expect(text).toContain('outer --> after : onDone');
    expect(chartOf('plain', 'inline', createMachine({ initial: 'a', states: { a: {} } })).transitions).toEqual([]);
  });
});

describe('toSvg', () => {
  it.each(machineCharts().map((c) => [c.name, c] as const))('%s: a group per state, balanced tags, finite coordinates', async (_name, chart) => {
    const svg = await toSvg(chart);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    for (const s of chart.states) expect(svg).toContain(`data-state="${s.path}"`);
    expect(svg).not.toMatch(/NaN|Infinity|undefined/);
    for (const tag of ['g', 'text', 'svg']) expect(svg.split(`<${tag}`).length).toBe(svg.split(`</${tag}>`).length);
    expect(await toSvg(chart, { style: false })).not.toContain('<style>');
  });
});
