import type { ChartState, ChartTransition, MachineChart } from './chart.js';

/** The pseudo-state standing for "whatever state the machine is in" (transitions of the root). */
export const ANY_STATE = 'any_state';

/**
 * A Mermaid id: letters, digits and `_` only (a nested path `a.b` becomes `a__b`); one that starts
 * with a digit or with `default` (a keyword Mermaid's lexer matches first) gets an `s_` prefix.
 */
export function mermaidId(path: string): string {
  const id = path.replace(/\./g, '__').replace(/[^A-Za-z0-9_]/g, '_');
  return /^(default|[0-9])/i.test(id) ? `s_${id}` : id;
}

/**
 * Mermaid ends a statement at `;`, starts a comment at `#`, and ends a transition's description at
 * a `:` (a second one is a syntax error): keep labels plain text.
 */
const clean = (text: string): string => text.replace(/[;#:\r\n]/g, ' ').replace(/\s+/g, ' ').trim();

/** XState's internal event names, as a reader knows them: `onDone`, `done(<actor>)`, `error(<actor>)`. */
function eventLabel(event: string): string {
  if (event.startsWith('xstate.done.state.')) return 'onDone';
  if (event.startsWith('xstate.done.actor.')) return `done(${event.slice('xstate.done.actor.'.length)})`;
  if (event.startsWith('xstate.error.actor.')) return `error(${event.slice('xstate.error.actor.'.length)})`;
  return event;
}

/** `attempt.failed [reachesThreshold]`, `after halfOpenAfter`, `always [hasNoWait]`. */
export function transitionLabel(t: ChartTransition): string {
  const trigger = t.kind === 'delayed' ? `after ${t.delay}` : t.kind === 'always' ? 'always' : eventLabel(t.event ?? '');
  return clean(`${trigger}${t.guard ? ` [${t.guard}]` : ''}${t.reenter && t.targets.length > 0 ? ' (reenter)' : ''}`);
}

const internalLine = (t: ChartTransition): string =>
  clean(`${transitionLabel(t)}${t.actions.length > 0 ? ` / ${t.actions.join(', ')}` : ' (ignored)'}`);

/**
 * A Mermaid `stateDiagram-v2` of one chart: `[*]` marks the initial and final states; transitions
 * of the root start from an `any state` pseudo-state; targetless transitions (actions only) are
 * listed in a note beside their state; guards in brackets, delays as `after <name>`.
 */
export function toMermaid(chart: MachineChart): string {
  const lines = ['stateDiagram-v2', '  direction LR'];
  const children = (parent: string | null) => chart.states.filter((s) => s.parent === parent);
  const declare = (s: ChartState, indent: string): void => {
    const id = mermaidId(s.path);
    const inner = children(s.path);
    if (inner.length === 0) {
      if (id !== s.key) lines.push(`${indent}state "${clean(s.key)}" as ${id}`);
      return;
    }
    lines.push(`${indent}state ${id === s.key ? id : `"${clean(s.key)}" as ${id}`} {`);
    if (s.initial) lines.push(`${indent}  [*] --> ${mermaidId(s.initial)}`);
    for (const c of inner) declare(c, indent + '  ');
    for (const c of inner) if (c.type === 'final') lines.push(`${indent}  ${mermaidId(c.path)} --> [*]`);
    lines.push(`${indent}}`);
  };

  const rootTransitions = chart.transitions.filter((t) => t.source === null);
  if (rootTransitions.length > 0) lines.push(`  state "any state" as ${ANY_STATE}`);
  for (const s of children(null)) declare(s, '  ');
  if (chart.initial) lines.push(`  [*] --> ${mermaidId(chart.initial)}`);

  const internal = new Map<string, string[]>();
  for (const t of chart.transitions) {
    const from = t.source === null ? ANY_STATE : mermaidId(t.source);
    if (t.targets.length === 0) {
      const list = internal.get(from) ?? [];
      list.push(internalLine(t));
      internal.set(from, list);
      continue;
    }
    for (const target of t.targets) lines.push(`  ${from} --> ${mermaidId(target)} : ${transitionLabel(t)}`);
  }
  for (const s of children(null)) if (s.type === 'final') lines.push(`  ${mermaidId(s.path)} --> [*]`);
  for (const [from, list] of internal) {
    lines.push(`  note right of ${from}`);
    for (const line of list) lines.push(`    ${line}`);
    lines.push('  end note');
  }
  return lines.join('\n') + '\n';
}
