import type { ChartTransition, MachineChart } from './chart.js';
import { transitionLabel } from './mermaid.js';

/**
 * A self-contained SVG drawing of one chart, laid out without any library: states in columns by
 * their distance from the initial state, edges as quadratic curves labelled with event, guard and
 * delay; targetless transitions and those of the root (taken from any state) are noted under
 * their state, so no edge has to come from everywhere. Every state is a
 * `<g class="state" data-state="<path>">` holding an empty `<text class="badge">`, so a page can
 * mark the live states (class `active`).
 */
export function toSvg(chart: MachineChart, options: { style?: boolean } = {}): string {
  const nodes = layout(chart);
  const byPath = new Map(nodes.map((n) => [n.path, n]));
  const edges = mergeEdges(chart.transitions);
  const out: string[] = [];
  let maxX = 0;
  let maxY = 0;
  for (const n of nodes) {
    maxX = Math.max(maxX, n.x + n.w, ...n.notes.map((note) => n.x + note.length * CHAR_W));
    maxY = Math.max(maxY, n.y + n.h + n.notes.length * LINE);
  }
  const caption = chart.transitions.filter((t) => t.source === null && t.targets.length === 0).map(actionsLine);
  if (caption.length > 0) {
    const text = `in any state: ${caption.join('; ')}`;
    out.push(`<text class="note caption" x="${PAD}" y="${PAD}">↻ ${esc(text)}</text>`);
    maxX = Math.max(maxX, PAD + (text.length + 2) * CHAR_W);
  }

  const arrow = `arrow-${chart.id}`;
  const initial = chart.initial ? firstLeaf(chart, chart.initial) : null;
  const reverse = new Set(edges.map((e) => `${e.from}>${e.to}`));
  for (const e of edges) {
    const a = byPath.get(e.from)!;
    const b = byPath.get(e.to)!;
    const labels = e.labels.map(esc);
    if (a === b) {
      const x = a.x + a.w / 2;
      const path = `M${x - 12},${a.y} C${x - 30},${a.y - 42} ${x + 30},${a.y - 42} ${x + 12},${a.y}`;
      out.push(edgeSvg(arrow, path, x, a.y - 40 - (labels.length - 1) * LINE, labels));
      continue;
    }
    const [ax, ay] = centre(a);
    const [bx, by] = centre(b);
    const dx = bx - ax;
    const dy = by - ay;
    const len = Math.hypot(dx, dy) || 1;
    // Curve forward edges only when a reverse edge shares the pair; backward edges always curve.
    const backward = b.column < a.column || (b.column === a.column && by < ay);
    const span = Math.max(1, Math.abs(b.column - a.column));
    // A forward edge that skips columns passes under the states (and notes) it skips.
    const skipped = nodes.filter((n) => n.column > Math.min(a.column, b.column) && n.column < Math.max(a.column, b.column));
    const below = Math.max(0, ...skipped.map((n) => n.y + n.h + n.notes.length * LINE - (ay + by) / 2));
    const bend = backward ? 34 + 26 * span : skipped.length > 0 ? 2 * (below + 18) : reverse.has(`${e.to}>${e.from}`) ? 24 : 0;
    const cx = (ax + bx) / 2 + (-dy / len) * bend;
    const cy = (ay + by) / 2 + (dx / len) * bend;
    const [sx, sy] = clip(a, cx, cy);
    const [tx, ty] = clip(b, cx, cy);
    const mx = 0.25 * sx + 0.5 * cx + 0.25 * tx;
    const my = 0.25 * sy + 0.5 * cy + 0.25 * ty;
    out.push(edgeSvg(arrow, `M${r(sx)},${r(sy)} Q${r(cx)},${r(cy)} ${r(tx)},${r(ty)}`, mx, my - ((labels.length - 1) * LINE) / 2, labels));
    maxY = Math.max(maxY, my + labels.length * LINE);
  }

  for (const n of nodes) {
    const cls = `state${n.final ? ' final' : ''}`;
    out.push(`<g class="${cls}" data-state="${esc(n.path)}">`);
    out.push(`<rect x="${n.x}" y="${n.y}" width="${n.w}" height="${n.h}" rx="12"/>`);
    if (n.final) out.push(`<rect class="inner" x="${n.x + 3}" y="${n.y + 3}" width="${n.w - 6}" height="${n.h - 6}" rx="9"/>`);
    out.push(`<text class="name" x="${n.x + n.w / 2}" y="${n.y + n.h / 2 + 4}">${esc(n.label)}</text>`);
    out.push(`<text class="badge" x="${n.x}" y="${n.y - 5}"></text>`);
    n.notes.forEach((note, i) => out.push(`<text class="note" x="${n.x}" y="${n.y + n.h + LINE * (i + 1)}">${esc(note)}</text>`));
    out.push('</g>');
    if (n.path === initial) {
      out.push(`<circle class="initial" cx="${n.x - 22}" cy="${n.y + n.h / 2}" r="5"/>`);
      out.push(`<path class="edge" d="M${n.x - 17},${n.y + n.h / 2} L${n.x - 2},${n.y + n.h / 2}" marker-end="url(#${arrow})"/>`);
    }
  }

  const width = Math.ceil(maxX + PAD);
  const height = Math.ceil(maxY + PAD);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart" data-machine="${esc(chart.name)}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${esc(chart.name)} statechart">`,
    `<defs><marker id="${arrow}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z"/></marker></defs>`,
    ...(options.style === false ? [] : [`<style>${SVG_STYLE}</style>`]),
    ...out,
    '</svg>',
  ].join('\n');
}

const PAD = 36;
const LINE = 13;
const NODE_H = 32;
const MIN_GAP = 120;
const CHAR_W = 6.2;
const TOP = PAD + 40 + LINE;
const ROW_GAP = 64;

/** The CSS the SVG carries; a page under a strict CSP can put it in its own stylesheet (`toSvg(c, { style: false })`). */
export const SVG_STYLE = [
  '.chart{font:12px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;overflow:visible}',
  '.chart .state rect{fill:#fff;stroke:#445;stroke-width:1.4}',
  '.chart .state.active rect{fill:#ffe9a8;stroke:#c48a00;stroke-width:2.4}',
  '.chart .name{text-anchor:middle;fill:#112}',
  '.chart .badge{fill:#8a5a00;font-size:10px}',
  '.chart .note{fill:#667;font-size:10px}',
  '.chart .edge{fill:none;stroke:#778;stroke-width:1.2}',
  '.chart .label{text-anchor:middle;fill:#334;font-size:10px;paint-order:stroke;stroke:#fff;stroke-width:3px}',
  '.chart marker path,.chart .initial{fill:#445}',
].join('');

interface Node {
  path: string;
  label: string;
  final: boolean;
  column: number;
  notes: string[];
  x: number;
  y: number;
  w: number;
  h: number;
}

function layout(chart: MachineChart): Node[] {
  // Leaves only: a nested compound state is drawn through its children.
  const leaves = chart.states.filter((s) => !chart.states.some((c) => c.parent === s.path));
  const out = new Map<string, string[]>();
  for (const s of leaves) {
    const targets = chart.transitions
      .filter((t) => t.source !== null && (t.source === s.path || s.path.startsWith(t.source + '.')))
      .flatMap((t) => t.targets.map((p) => firstLeaf(chart, p)));
    out.set(s.path, [...new Set(targets)]);
  }
  // Longest path from the initial state once the back edges (found depth-first) are left out, so a
  // chain closed → open → halfOpen reads left to right and the way back curves above it.
  const column = new Map<string, number>();
  const start = chart.initial ? firstLeaf(chart, chart.initial) : leaves[0]?.path;
  const onStack = new Set<string>();
  const forward: Array<[string, string]> = [];
  const seen = new Set<string>();
  const dfs = (p: string): void => {
    seen.add(p);
    onStack.add(p);
    for (const q of out.get(p) ?? []) {
      if (q === p || onStack.has(q)) continue;
      forward.push([p, q]);
      if (!seen.has(q)) dfs(q);
    }
    onStack.delete(p);
  };
  if (start) {
    dfs(start);
    column.set(start, 0);
    for (let changed = true, rounds = 0; changed && rounds <= leaves.length; rounds++) {
      changed = false;
      for (const [p, q] of forward) {
        const c = (column.get(p) ?? 0) + 1;
        if (column.has(p) && (column.get(q) ?? -1) < c) {
          column.set(q, c);
          changed = true;
        }
      }
    }
  }
  // States reached only from "any state" (the root) go in a column after the rest.
  const last = Math.max(0, ...column.values()) + 1;
  const nodes: Node[] = leaves.map((s) => ({
    path: s.path, label: s.key, final: s.type === 'final', column: column.get(s.path) ?? last, notes: notesOf(chart, s.path), x: 0, y: 0, w: 0, h: NODE_H,
  }));

  const columns = [...new Set(nodes.map((n) => n.column))].sort((a, b) => a - b);
  const blockH = (n: Node) => n.h + n.notes.length * LINE;
  const heights = columns.map((c) => nodes.filter((n) => n.column === c).reduce((sum, n) => sum + blockH(n) + ROW_GAP, -ROW_GAP));
  const tallest = Math.max(...heights, NODE_H);
  const labelWidth = (from: string, to: string) =>
    Math.max(0, ...chart.transitions.filter((t) => t.source === from && t.targets.includes(to)).map((t) => transitionLabel(t).length * CHAR_W));
  let x = PAD + 24;
  columns.forEach((c, i) => {
    const inColumn = nodes.filter((n) => n.column === c);
    let y = TOP + (tallest - heights[i]!) / 2;
    let widest = 0;
    for (const n of inColumn) {
      n.w = Math.max(86, n.label.length * 7.4 + 28);
      widest = Math.max(widest, n.w);
      n.x = x;
      n.y = y;
      y += blockH(n) + ROW_GAP;
    }
    for (const n of inColumn) n.x = x + (widest - n.w) / 2;
    // Room for the labels of the edges to the next column, and for this column's notes.
    const spans = inColumn.flatMap((n) => nodes.filter((m) => m.column === columns[i + 1]).map((m) => labelWidth(n.path, m.path)));
    const notes = Math.max(0, ...inColumn.map((n) => n.x - x + Math.max(...n.notes.map((note) => note.length * CHAR_W + 16), 0) - widest));
    x += widest + Math.max(MIN_GAP, ...spans.map((w) => w + 40), notes + 40);
  });
  return nodes;
}

function firstLeaf(chart: MachineChart, path: string): string {
  const s = chart.states.find((st) => st.path === path);
  return s?.initial ? firstLeaf(chart, s.initial) : path;
}

function notesOf(chart: MachineChart, path: string): string[] {
  const internal = chart.transitions.filter((t) => t.source === path && t.targets.length === 0).map((t) => `↻ ${actionsLine(t)}`);
  const fromAny = chart.transitions.filter((t) => t.source === null && t.targets.includes(path)).map((t) => `⇠ any state: ${transitionLabel(t)}`);
  return [...internal, ...fromAny];
}

const actionsLine = (t: ChartTransition) => `${transitionLabel(t)}${t.actions.length > 0 ? ` / ${t.actions.join(', ')}` : ' (ignored)'}`;

interface Edge {
  from: string;
  to: string;
  labels: string[];
}

function mergeEdges(transitions: ChartTransition[]): Edge[] {
  const edges = new Map<string, Edge>();
  for (const t of transitions) {
    if (t.source === null) continue; // drawn as a note on the target: an edge from everywhere is noise
    for (const to of t.targets) {
      const from = t.source;
      const key = `${from}>${to}`;
      const edge = edges.get(key) ?? { from, to, labels: [] };
      edge.labels.push(transitionLabel(t));
      edges.set(key, edge);
    }
  }
  return [...edges.values()];
}

const centre = (n: Node): [number, number] => [n.x + n.w / 2, n.y + n.h / 2];

/** Where the segment from the node's centre towards (px, py) leaves the node's rectangle. */
function clip(n: Node, px: number, py: number): [number, number] {
  const [cx, cy] = centre(n);
  const dx = px - cx;
  const dy = py - cy;
  if (dx === 0 && dy === 0) return [cx, cy];
  const scale = Math.min(dx === 0 ? Infinity : n.w / 2 / Math.abs(dx), dy === 0 ? Infinity : n.h / 2 / Math.abs(dy));
  return [cx + dx * scale, cy + dy * scale];
}

function edgeSvg(arrow: string, path: string, lx: number, ly: number, labels: string[]): string {
  const marker = `marker-end="url(#${arrow})"`;
  const text = labels.map((l, i) => `<tspan x="${r(lx)}" dy="${i === 0 ? 0 : LINE}">${l}</tspan>`).join('');
  return `<path class="edge" d="${path}" ${marker}/><text class="label" x="${r(lx)}" y="${r(ly)}">${text}</text>`;
}

const r = (n: number) => Math.round(n * 10) / 10;

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
