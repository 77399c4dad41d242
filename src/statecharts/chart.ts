import type { AnyStateMachine } from 'xstate';
import { toDirectedGraph, type DirectedGraphNode } from 'xstate/graph';

/**
 * A machine's statechart as plain data, read from the machine's own state nodes (never written by
 * hand), so a diagram cannot drift from the code it draws.
 */
export interface MachineChart {
  /** The name the machine is exported under, without `Machine` (`circuitBreaker`, `keySlot` …). */
  name: string;
  /** The machine's `id` (`breaker`, `keySlot` …). */
  id: string;
  /** The file that defines it, relative to the repository. */
  file: string;
  /** Path of the root's initial state (`closed`). */
  initial: string | null;
  states: ChartState[];
  transitions: ChartTransition[];
  /** Entry actions of the root (the supervisor spawns its children there). */
  entry: string[];
  /** Child machines the machine may spawn or invoke, by their `setup({ actors })` name. */
  actors: string[];
  /** Named delays of `setup({ delays })`. */
  delays: string[];
  /** Named guards of `setup({ guards })`. */
  guards: string[];
}

export interface ChartState {
  /** Dotted path below the root (`closed`, or `parent.child` for nested states). */
  path: string;
  key: string;
  type: 'atomic' | 'compound' | 'parallel' | 'final' | 'history';
  /** Path of the parent state, `null` for a top-level state. */
  parent: string | null;
  /** Initial child path of a compound state. */
  initial: string | null;
  entry: string[];
  exit: string[];
  description: string | null;
}

export interface ChartTransition {
  /** Path of the state that owns the transition; `null` for the root (taken from any state). */
  source: string | null;
  /** `event` (an `on`), `delayed` (an `after`) or `always` (eventless). */
  kind: 'event' | 'delayed' | 'always';
  /** The event type; `null` for delayed and eventless transitions. */
  event: string | null;
  /** The named delay (or a literal number of ms) of a delayed transition. */
  delay: string | number | null;
  guard: string | null;
  /** Target paths; empty for a targetless transition (actions only, the state is kept). */
  targets: string[];
  /** True when the transition leaves and re-enters its target (timers restart). */
  reenter: boolean;
  actions: string[];
}

interface NodeLike {
  key: string;
  id: string;
  path: string[];
  type: ChartState['type'];
  parent?: NodeLike;
  initial?: { target: NodeLike[] } | undefined;
  entry: unknown[];
  exit: unknown[];
  description?: string;
  always?: TransitionLike[];
}

interface TransitionLike {
  guard?: unknown;
  target?: NodeLike[] | undefined;
  reenter?: boolean;
  actions: unknown[];
  delay?: string | number;
}

/** The builtin actions XState adds for `after` (raise/cancel of the delayed event): not the author's. */
const isAuthored = (name: string) => !name.startsWith('xstate.');

const INLINE_NAMES = new Set(['guard', 'actions', 'entry', 'exit', 'anonymous']);

function nameOf(item: unknown): string | null {
  if (typeof item === 'string') return item;
  // An inline function takes its property's name (`guard`, `actions`): that says nothing.
  if (typeof item === 'function') return item.name && !INLINE_NAMES.has(item.name) ? item.name : 'inline';
  if (item && typeof item === 'object' && typeof (item as { type?: unknown }).type === 'string') return (item as { type: string }).type;
  return null;
}

function actionNames(list: unknown[]): string[] {
  return list.map(nameOf).filter((n): n is string => n !== null && isAuthored(n));
}

const pathOf = (node: NodeLike): string => node.path.join('.');

function toTransition(node: NodeLike, isRoot: boolean, t: TransitionLike, kind: ChartTransition['kind'], event: string | null): ChartTransition {
  return {
    source: isRoot ? null : pathOf(node),
    kind,
    event,
    delay: kind === 'delayed' ? (t.delay ?? null) : null,
    guard: t.guard === undefined ? null : nameOf(t.guard),
    targets: (t.target ?? []).map(pathOf),
    reenter: t.reenter === true,
    actions: actionNames(t.actions),
  };
}

/**
 * Reads one machine's chart through XState's public graph API (`xstate/graph`): `toDirectedGraph`
 * gives the state-node tree and one edge per transition target, in definition order. An edge of a
 * targetless transition points back at its source there, so the transition's own `target` (absent)
 * is what tells the two apart. Eventless (`always`) transitions are not edges of that graph; they
 * are read from the state node's public `always` list.
 */
export function chartOf(name: string, file: string, machine: AnyStateMachine): MachineChart {
  const graph = toDirectedGraph(machine);
  const root = graph.stateNode as unknown as NodeLike;
  const states: ChartState[] = [];
  const transitions: ChartTransition[] = [];

  const visit = (g: DirectedGraphNode, isRoot: boolean): void => {
    const node = g.stateNode as unknown as NodeLike;
    if (!isRoot) {
      states.push({
        path: pathOf(node),
        key: node.key,
        type: node.type,
        parent: node.parent && node.parent.path.length > 0 ? pathOf(node.parent) : null,
        initial: node.initial?.target[0] ? pathOf(node.initial.target[0]) : null,
        entry: actionNames(node.entry),
        exit: actionNames(node.exit),
        description: node.description ?? null,
      });
    }
    // One edge per target: the first edge of each transition stands for it.
    const seen = new Set<unknown>();
    for (const edge of g.edges) {
      const t = edge.transition as unknown as TransitionLike & { eventType: string };
      if (seen.has(t)) continue;
      seen.add(t);
      const delayed = t.delay !== undefined || t.eventType.startsWith('xstate.after.');
      transitions.push(toTransition(node, isRoot, t, delayed ? 'delayed' : 'event', delayed ? null : t.eventType));
    }
    for (const t of node.always ?? []) transitions.push(toTransition(node, isRoot, t, 'always', null));
    for (const child of g.children) visit(child, false);
  };
  visit(graph, true);

  const impl = machine.implementations as { actors?: object; delays?: object; guards?: object };
  return {
    name,
    id: machine.id,
    file,
    initial: root.initial?.target[0] ? pathOf(root.initial.target[0]) : null,
    states,
    transitions,
    entry: actionNames(root.entry),
    actors: Object.keys(impl.actors ?? {}),
    delays: Object.keys(impl.delays ?? {}),
    guards: Object.keys(impl.guards ?? {}),
  };
}
