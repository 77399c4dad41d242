import { setup } from 'xstate';
import { describe, expect, it } from 'vitest';
import { chartOf, machineCharts, type MachineChart } from '../../src/statecharts/index.js';
import { layoutChart, type Box, type ChartLayout, type Point } from '../../src/statecharts/layout.js';

/**
 * The statechart pictures' layout (ELK), checked geometrically: no text box overlaps another,
 * no edge runs through a text box, every text box sits inside the picture. The text boxes are the
 * layout's own generous estimates (0.62 em a glyph); test/integration/inspector.test.ts measures
 * the real ones in Chromium.
 */
const intersects = (a: Box, b: Box, gap = 0) =>
  a.x < b.x + b.w + gap && b.x < a.x + a.w + gap && a.y < b.y + b.h + gap && b.y < a.y + a.h + gap;

/** Whether the segment p→q passes through the inside of box b (shrunk by `inset` on every side). */
function crosses(p: Point, q: Point, b: Box, inset = 1): boolean {
  const x0 = b.x + inset, x1 = b.x + b.w - inset, y0 = b.y + inset, y1 = b.y + b.h - inset;
  if (x0 >= x1 || y0 >= y1) return false;
  // Liang–Barsky clipping of the segment against the box.
  let t0 = 0, t1 = 1;
  const dx = q.x - p.x, dy = q.y - p.y;
  for (const [pk, qk] of [[-dx, p.x - x0], [dx, x1 - p.x], [-dy, p.y - y0], [dy, y1 - p.y]] as const) {
    if (pk === 0) {
      if (qk < 0) return false;
      continue;
    }
    const t = qk / pk;
    if (pk < 0) t0 = Math.max(t0, t);
    else t1 = Math.min(t1, t);
    if (t0 > t1) return false;
  }
  return true;
}

interface Labelled { what: string; box: Box }

function textBoxes(l: ChartLayout): Labelled[] {
  const out: Labelled[] = [];
  if (l.caption) out.push({ what: 'caption', box: l.caption.box });
  for (const s of l.states) {
    out.push({ what: `name of ${s.path}`, box: s.nameBox }, { what: `badge of ${s.path}`, box: s.badgeBox });
    s.noteBoxes.forEach((box, i) => out.push({ what: `note ${i} of ${s.path}`, box }));
  }
  for (const e of l.edges) out.push({ what: `label of ${e.from}>${e.to}`, box: e.labelBox });
  return out;
}

/** Every overlap found, in words (empty when the layout is clean). */
function overlaps(l: ChartLayout): string[] {
  const problems: string[] = [];
  const texts = textBoxes(l);
  for (let i = 0; i < texts.length; i++) {
    for (let j = i + 1; j < texts.length; j++) if (intersects(texts[i]!.box, texts[j]!.box)) problems.push(`${texts[i]!.what} overlaps ${texts[j]!.what}`);
  }
  const stateOf = (what: string) => / of (\S+)$/.exec(what)?.[1];
  for (const t of texts) {
    const b = t.box;
    if (b.x < 0 || b.y < 0 || b.x + b.w > l.width || b.y + b.h > l.height) problems.push(`${t.what} leaves the picture`);
    // A label of an edge must not sit on a state's box; a state's own texts are inside its box.
    if (t.what.startsWith('label') || t.what === 'caption') {
      for (const s of l.states) if (intersects(b, s)) problems.push(`${t.what} overlaps the box of ${s.path}`);
    } else {
      const own = l.states.find((s) => s.path === stateOf(t.what))!;
      if (b.x < own.x || b.y < own.y || b.x + b.w > own.x + own.w || b.y + b.h > own.y + own.h) problems.push(`${t.what} leaves its box`);
    }
    for (const e of l.edges) {
      for (let k = 1; k < e.points.length; k++) if (crosses(e.points[k - 1]!, e.points[k]!, b)) problems.push(`edge ${e.from}>${e.to} crosses ${t.what}`);
    }
    for (let k = 1; k < (l.initial?.points.length ?? 0); k++) if (crosses(l.initial!.points[k - 1]!, l.initial!.points[k]!, b)) problems.push(`the initial edge crosses ${t.what}`);
  }
  for (let i = 0; i < l.states.length; i++) {
    for (let j = i + 1; j < l.states.length; j++) if (intersects(l.states[i]!, l.states[j]!)) problems.push(`states ${l.states[i]!.path} and ${l.states[j]!.path} overlap`);
  }
  return problems;
}

describe('layoutChart', () => {
  it.each(machineCharts().map((c) => [c.name, c] as const))('%s: no text overlaps another text, a state or an edge', async (_name, chart) => {
    const layout = await layoutChart(chart);
    expect(overlaps(layout)).toEqual([]);
    expect(layout.states.map((s) => s.path).sort()).toEqual(chart.states.map((s) => s.path).sort());
    // Every edge is routed: it starts on its source's border and ends on its target's.
    for (const e of layout.edges) {
      expect(e.points.length).toBeGreaterThanOrEqual(2);
      const onBorder = (p: Point, s: Box) => p.x >= s.x - 1 && p.x <= s.x + s.w + 1 && p.y >= s.y - 1 && p.y <= s.y + s.h + 1;
      expect(onBorder(e.points[0]!, layout.states.find((s) => s.path === e.from)!)).toBe(true);
      expect(onBorder(e.points.at(-1)!, layout.states.find((s) => s.path === e.to)!)).toBe(true);
    }
  });

  it('keeps a busy chart clean too: many labelled edges between few states, self-loops, notes', async () => {
    const busy = setup({ actions: { log: () => {} }, guards: { g: () => true }, delays: { soon: 10 } }).createMachine({
      id: 'busy',
      initial: 'a',
      on: { reset: '.a', ping: { actions: 'log' } },
      states: {
        a: { on: { toB: 'b', toBAgain: { target: 'b', guard: 'g' }, toC: 'c', stay: { target: 'a', reenter: true }, note: { actions: 'log' } } },
        b: { on: { toA: 'a', toC: 'c', back: { target: 'a', guard: 'g' } }, after: { soon: 'c' } },
        c: { on: { toA: 'a', toB: 'b', loop: { target: 'c', reenter: true } } },
        done: { type: 'final' },
      },
    });
    const chart: MachineChart = chartOf('busy', 'inline', busy);
    expect(overlaps(await layoutChart(chart))).toEqual([]);
  });

  it('draws a nested chart through its leaves, noting the transitions of a compound state in their targets', async () => {
    const nested = setup({ delays: { settle: 500 } }).createMachine({
      id: 'nested',
      initial: 'outer',
      states: {
        outer: { initial: 'first', states: { first: { after: { settle: 'second' } }, second: { on: { finish: 'done' } }, done: { type: 'final' } }, onDone: 'after', on: { abort: 'after' } },
        after: { on: { again: 'outer.second' } },
      },
    });
    const layout = await layoutChart(chartOf('nested', 'inline', nested));
    expect(overlaps(layout)).toEqual([]);
    expect(layout.states.map((s) => s.path).sort()).toEqual(['after', 'outer.done', 'outer.first', 'outer.second']);
    expect(layout.edges.map((e) => `${e.from}>${e.to}`).sort()).toEqual(['after>outer.second', 'outer.first>outer.second', 'outer.second>outer.done']);
    expect(layout.states.find((s) => s.path === 'after')!.notes).toEqual(['⇠ any of outer: abort', '⇠ any of outer: onDone']);
    expect(layout.states.find((s) => s.path === 'outer.done')!.final).toBe(true);
  });

  it('finds an overlap when there is one (the check can fail)', async () => {
    const layout = await layoutChart(machineCharts().find((c) => c.name === 'circuitBreaker')!);
    const [first, second] = layout.edges;
    second!.labelBox = { ...first!.labelBox };
    expect(overlaps(layout).some((p) => p.includes('overlaps label of'))).toBe(true);
  });
});
