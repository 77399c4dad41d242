import type { ELK, ELKConstructorArguments, ElkExtendedEdge, ElkNode } from 'elkjs/lib/elk-api.js';
import type { ChartTransition, MachineChart } from './chart.js';
import { transitionLabel } from './mermaid.js';

/** An axis-aligned box, in SVG user units. */
export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface Point {
  x: number;
  y: number;
}

export interface StateBox extends Box {
  path: string;
  label: string;
  final: boolean;
  /** Lines written inside the box under the name (UML's internal transitions): targetless transitions, and those taken from any state. */
  notes: string[];
  /** The estimated boxes of the name and of each note line (what must not overlap anything). */
  nameBox: Box;
  /** Room for the live badge under the name, inside the box. */
  badgeBox: Box;
  noteBoxes: Box[];
}

export interface EdgeGeometry {
  from: string;
  to: string;
  /** The routed polyline, from the source's border to the target's. */
  points: Point[];
  /** One line per transition between the same two states. */
  labels: string[];
  labelBox: Box;
}

/** Where everything of one statechart goes: states, routed edges, label boxes. Static per chart. */
export interface ChartLayout {
  width: number;
  height: number;
  /** The transitions of the root that only run actions, in one line above the chart. */
  caption: { text: string; box: Box } | null;
  states: StateBox[];
  initial: { x: number; y: number; r: number; points: Point[] } | null;
  edges: EdgeGeometry[];
}

/** Text metrics, generous for a monospace font (0.6 em a glyph; arrows and other symbols count double). */
export const FONT = { name: 12, small: 10 } as const;
export const LINE = 13;
const PAD = 24;
const NODE_PAD_X = 12;
/** The name's row: the state's name, then a line for the live badge (`openai`, `3 actors`) the inspector page writes. */
export const NAME_H = 36;
const NOTE_TOP = 6;
const LABEL_PAD = 3;

const glyphs = (text: string): number => [...text].reduce((n, c) => n + (c.charCodeAt(0) < 0x2000 ? 1 : 2), 0);
/** The width a line of text takes at `size` px (an overestimate, so boxes hold the real text). */
export const textWidth = (text: string, size: number): number => glyphs(text) * size * 0.62;

const actionsLine = (t: ChartTransition): string => `${transitionLabel(t)}${t.actions.length > 0 ? ` / ${t.actions.join(', ')}` : ' (ignored)'}`;

function firstLeaf(chart: MachineChart, path: string): string {
  const s = chart.states.find((st) => st.path === path);
  return s?.initial ? firstLeaf(chart, s.initial) : path;
}

/**
 * What a chart draws: its leaf states (a compound state is drawn through its children), one edge
 * per source/target pair with the labels of every transition between them, and notes. A transition
 * of the root (or of a compound state) with a target is noted in its target — an edge from
 * everywhere is noise; one without a target is a note of its state (or the chart's caption).
 */
function drawable(chart: MachineChart) {
  const leaves = chart.states.filter((s) => !chart.states.some((c) => c.parent === s.path));
  const isLeaf = new Set(leaves.map((s) => s.path));
  const notes = new Map<string, string[]>(leaves.map((s) => [s.path, []]));
  const edges = new Map<string, { from: string; to: string; labels: string[] }>();
  const caption: string[] = [];
  for (const t of chart.transitions) {
    if (t.targets.length === 0) {
      if (t.source !== null && isLeaf.has(t.source)) notes.get(t.source)!.push(`↻ ${actionsLine(t)}`);
      else if (t.source === null) caption.push(actionsLine(t));
      else for (const leaf of leaves.filter((l) => l.path.startsWith(`${t.source}.`))) notes.get(leaf.path)!.push(`↻ ${actionsLine(t)}`);
      continue;
    }
    for (const target of t.targets.map((p) => firstLeaf(chart, p))) {
      if (t.source === null || !isLeaf.has(t.source)) {
        notes.get(target)?.push(`⇠ ${t.source === null ? 'any state' : `any of ${t.source}`}: ${transitionLabel(t)}`);
        continue;
      }
      const key = `${t.source}>${target}`;
      const edge = edges.get(key) ?? { from: t.source, to: target, labels: [] };
      edge.labels.push(transitionLabel(t));
      edges.set(key, edge);
    }
  }
  return { leaves, notes, edges: [...edges.values()], caption: caption.length > 0 ? `↻ in any state: ${caption.join('; ')}` : null };
}

const elkId = (path: string) => `s:${path}`;
let elk: Promise<ELK> | null = null;

/**
 * ELK, loaded on the first layout: its bundle takes ~160 ms to load, which every process importing
 * the package (a service's `createSupervisor`, `switchboard serve`) would pay at start for a page
 * it may never show. elkjs's bundle is CommonJS (`module.exports = ELK`); its typings describe an
 * ES default export.
 */
function loadElk(): Promise<ELK> {
  elk ??= import('elkjs/lib/elk.bundled.js').then((m) => {
    const Elk = ((m as { default?: unknown }).default ?? m) as new (args?: ELKConstructorArguments) => ELK;
    return new Elk();
  });
  elk.catch(() => {
    elk = null;
  });
  return elk;
}

/**
 * Lays one chart out with ELK's layered algorithm (left to right, orthogonal edges, edge labels
 * placed as part of the layout so they never sit on a state, an edge or another label). Async, as
 * ELK is; the charts are static, so callers lay them out once and keep the result.
 */
export async function layoutChart(chart: MachineChart): Promise<ChartLayout> {
  const { leaves, notes, edges, caption } = drawable(chart);
  const sizes = new Map(leaves.map((s) => {
    const lines = notes.get(s.path)!;
    const w = Math.max(90, textWidth(s.key, FONT.name) + 2 * NODE_PAD_X, ...lines.map((l) => textWidth(l, FONT.small) + 2 * NODE_PAD_X));
    const h = NAME_H + (lines.length > 0 ? NOTE_TOP + lines.length * LINE : 0);
    return [s.path, { w: Math.ceil(w), h: Math.ceil(h) }] as const;
  }));
  const labelSize = (labels: string[]) => ({
    width: Math.ceil(Math.max(...labels.map((l) => textWidth(l, FONT.small))) + 2 * LABEL_PAD),
    height: labels.length * LINE + 2 * LABEL_PAD,
  });
  const initial = chart.initial ? firstLeaf(chart, chart.initial) : null;
  const graph: ElkNode = {
    id: 'root',
    layoutOptions: {
      'elk.algorithm': 'layered',
      'elk.direction': 'DOWN',
      'elk.layered.cycleBreaking.strategy': 'MODEL_ORDER',
      'elk.edgeRouting': 'ORTHOGONAL',
      'elk.layered.considerModelOrder.strategy': 'NODES_AND_EDGES',
      'elk.layered.spacing.nodeNodeBetweenLayers': '56',
      'elk.layered.spacing.edgeNodeBetweenLayers': '18',
      'elk.layered.spacing.edgeEdgeBetweenLayers': '14',
      'elk.spacing.nodeNode': '36',
      'elk.spacing.edgeNode': '18',
      'elk.spacing.edgeEdge': '14',
      'elk.spacing.edgeLabel': '4',
      'elk.spacing.labelLabel': '6',
      'elk.padding': `[top=${PAD},left=${PAD},bottom=${PAD},right=${PAD}]`,
    },
    children: [
      ...(initial ? [{ id: '__initial', width: 10, height: 10, layoutOptions: { 'elk.layered.layering.layerConstraint': 'FIRST' } }] : []),
      ...leaves.map((s) => ({ id: elkId(s.path), width: sizes.get(s.path)!.w, height: sizes.get(s.path)!.h })),
    ],
    edges: [
      ...(initial ? [{ id: 'e:initial', sources: ['__initial'], targets: [elkId(initial)] }] : []),
      ...edges.map((e, i): ElkExtendedEdge => ({
        id: `e:${i}`,
        sources: [elkId(e.from)],
        targets: [elkId(e.to)],
        labels: [{ id: `l:${i}`, text: e.labels.join('\n'), ...labelSize(e.labels), layoutOptions: { 'elk.edgeLabels.placement': 'CENTER' } }],
      })),
    ],
  };
  const out = await (await loadElk()).layout(graph);

  const top = caption ? LINE + 8 : 0;
  const placed = new Map((out.children ?? []).map((n) => [n.id, { x: n.x ?? 0, y: (n.y ?? 0) + top, w: n.width ?? 0, h: n.height ?? 0 }]));
  const states: StateBox[] = leaves.map((s) => {
    const b = placed.get(elkId(s.path))!;
    const lines = notes.get(s.path)!;
    return {
      path: s.path, label: s.key, final: s.type === 'final', notes: lines, ...b,
      nameBox: { x: b.x + b.w / 2 - textWidth(s.key, FONT.name) / 2, y: b.y + 4, w: textWidth(s.key, FONT.name), h: FONT.name * 1.25 },
      badgeBox: { x: b.x + NODE_PAD_X / 2, y: b.y + 4 + FONT.name * 1.25, w: b.w - NODE_PAD_X, h: FONT.small * 1.25 },
      noteBoxes: lines.map((l, i) => ({ x: b.x + NODE_PAD_X, y: b.y + NAME_H + NOTE_TOP + i * LINE, w: textWidth(l, FONT.small), h: LINE - 1 })),
    };
  });
  const points = (e: ElkExtendedEdge): Point[] => {
    const s = e.sections?.[0];
    if (!s) return [];
    return [s.startPoint, ...(s.bendPoints ?? []), s.endPoint].map((p) => ({ x: p.x, y: p.y + top }));
  };
  const byId = new Map((out.edges ?? []).map((e) => [e.id, e as ElkExtendedEdge]));
  const geometry: EdgeGeometry[] = edges.map((e, i) => {
    const laid = byId.get(`e:${i}`)!;
    const label = laid.labels?.[0];
    return {
      from: e.from, to: e.to, points: points(laid), labels: e.labels,
      labelBox: { x: label?.x ?? 0, y: (label?.y ?? 0) + top, w: label?.width ?? 0, h: label?.height ?? 0 },
    };
  });
  const init = initial ? placed.get('__initial') : undefined;
  const width = Math.ceil(Math.max(out.width ?? 0, caption ? PAD + textWidth(caption, FONT.small) + PAD : 0));
  return {
    width,
    height: Math.ceil((out.height ?? 0) + top),
    caption: caption ? { text: caption, box: { x: PAD, y: PAD / 2, w: textWidth(caption, FONT.small), h: LINE } } : null,
    states,
    initial: init ? { x: init.x + 5, y: init.y + 5, r: 5, points: byId.get('e:initial') ? points(byId.get('e:initial')!) : [] } : null,
    edges: geometry,
  };
}
