import type { MachineChart } from './chart.js';
import { FONT, layoutChart, LINE, textWidth, type ChartLayout, type Point } from './layout.js';

/**
 * A self-contained SVG drawing of one chart, from its ELK layout (src/statecharts/layout.ts):
 * states as rounded boxes with their internal transitions listed inside (UML's notation),
 * orthogonal edges labelled with event, guard and delay, the initial state marked by a dot.
 * Every state is a `<g class="state" data-state="<path>">` holding an empty
 * `<text class="badge" data-chars="N">` inside its box (at most N characters fit), so a page can
 * mark the live states (class `active`) and say who is there.
 */
export async function toSvg(chart: MachineChart, options: { style?: boolean } = {}): Promise<string> {
  return renderSvg(chart, await layoutChart(chart), options);
}

/** The SVG of a chart already laid out (synchronous; `toSvg` lays out and renders). */
export function renderSvg(chart: MachineChart, layout: ChartLayout, options: { style?: boolean } = {}): string {
  const arrow = `arrow-${chart.id}`;
  const out: string[] = [];
  if (layout.caption) out.push(`<text class="note caption" x="${r(layout.caption.box.x)}" y="${r(layout.caption.box.y + FONT.small)}">${esc(layout.caption.text)}</text>`);

  for (const e of layout.edges) {
    out.push(`<path class="edge" d="${pathOf(e.points)}" marker-end="url(#${arrow})" data-edge="${esc(`${e.from}>${e.to}`)}"/>`);
    const cx = e.labelBox.x + e.labelBox.w / 2;
    const top = e.labelBox.y + (e.labelBox.h - e.labels.length * LINE) / 2 + FONT.small;
    const spans = e.labels.map((l, i) => `<tspan x="${r(cx)}" ${i === 0 ? `y="${r(top)}"` : `dy="${LINE}"`}>${esc(l)}</tspan>`).join('');
    out.push(`<text class="label">${spans}</text>`);
  }
  if (layout.initial) {
    const i = layout.initial;
    out.push(`<circle class="initial" cx="${r(i.x)}" cy="${r(i.y)}" r="${i.r}"/>`);
    if (i.points.length > 1) out.push(`<path class="edge" d="${pathOf(i.points)}" marker-end="url(#${arrow})"/>`);
  }
  for (const n of layout.states) {
    out.push(`<g class="state${n.final ? ' final' : ''}" data-state="${esc(n.path)}">`);
    out.push(`<rect x="${r(n.x)}" y="${r(n.y)}" width="${r(n.w)}" height="${r(n.h)}" rx="10"/>`);
    if (n.final) out.push(`<rect class="inner" x="${r(n.x + 3)}" y="${r(n.y + 3)}" width="${r(n.w - 6)}" height="${r(n.h - 6)}" rx="8"/>`);
    out.push(`<text class="name" x="${r(n.x + n.w / 2)}" y="${r(n.nameBox.y + FONT.name)}">${esc(n.label)}</text>`);
    const chars = Math.max(4, Math.floor(n.badgeBox.w / textWidth('m', FONT.small)));
    out.push(`<text class="badge" x="${r(n.x + n.w / 2)}" y="${r(n.badgeBox.y + FONT.small)}" data-chars="${chars}"></text>`);
    if (n.notes.length > 0) {
      const sep = n.noteBoxes[0]!.y - 3;
      out.push(`<line class="sep" x1="${r(n.x)}" y1="${r(sep)}" x2="${r(n.x + n.w)}" y2="${r(sep)}"/>`);
    }
    n.notes.forEach((note, i) => out.push(`<text class="note" x="${r(n.noteBoxes[i]!.x)}" y="${r(n.noteBoxes[i]!.y + FONT.small)}">${esc(note)}</text>`));
    out.push('</g>');
  }

  const { width, height } = layout;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart" data-machine="${esc(chart.name)}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${esc(chart.name)} statechart">`,
    `<defs><marker id="${arrow}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z"/></marker></defs>`,
    ...(options.style === false ? [] : [`<style>${SVG_STYLE}</style>`]),
    ...out,
    '</svg>',
  ].join('\n');
}

/** The CSS the SVG carries; a page under a strict CSP can put it in its own stylesheet (`toSvg(c, { style: false })`). */
export const SVG_STYLE = [
  `.chart{font:${FONT.name}px ui-monospace,SFMono-Regular,Menlo,Consolas,"DejaVu Sans Mono",monospace;overflow:visible}`,
  '.chart .state rect{fill:#fff;stroke:#445;stroke-width:1.4}',
  '.chart .state.active rect{fill:#ffe9a8;stroke:#c48a00;stroke-width:2.4}',
  '.chart .state .sep{stroke:#ccd;stroke-width:1}',
  '.chart .name{text-anchor:middle;fill:#112}',
  `.chart .badge{text-anchor:middle;fill:#8a5a00;font-size:${FONT.small}px}`,
  `.chart .note{fill:#556;font-size:${FONT.small}px}`,
  '.chart .edge{fill:none;stroke:#778;stroke-width:1.2}',
  `.chart .label{text-anchor:middle;fill:#334;font-size:${FONT.small}px}`,
  '.chart marker path,.chart .initial{fill:#445}',
].join('');

/** An orthogonal polyline with its corners slightly rounded. */
function pathOf(points: Point[]): string {
  if (points.length === 0) return '';
  const parts = [`M${r(points[0]!.x)},${r(points[0]!.y)}`];
  for (let i = 1; i < points.length; i++) {
    const p = points[i]!;
    const prev = points[i - 1]!;
    const next = points[i + 1];
    if (!next) {
      parts.push(`L${r(p.x)},${r(p.y)}`);
      continue;
    }
    const rad = Math.min(6, Math.hypot(p.x - prev.x, p.y - prev.y) / 2, Math.hypot(next.x - p.x, next.y - p.y) / 2);
    const a = toward(p, prev, rad);
    const b = toward(p, next, rad);
    parts.push(`L${r(a.x)},${r(a.y)}`, `Q${r(p.x)},${r(p.y)} ${r(b.x)},${r(b.y)}`);
  }
  return parts.join(' ');
}

function toward(from: Point, to: Point, distance: number): Point {
  const len = Math.hypot(to.x - from.x, to.y - from.y) || 1;
  return { x: from.x + ((to.x - from.x) / len) * distance, y: from.y + ((to.y - from.y) / len) * distance };
}

const r = (n: number) => Math.round(n * 10) / 10;

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
