import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Roster } from '../../src/queue/roster.js';

describe('Roster (the in-flight set without a Set)', () => {
  it('behaves as a Set under any sequence of adds and deletes', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 9 })), { maxLength: 200 }), (ops) => {
        const items = Array.from({ length: 10 }, (_, id) => ({ id }));
        const roster = new Roster<{ id: number }>();
        const model = new Set<{ id: number }>();
        for (const [add, i] of ops) {
          const item = items[i]!;
          if (add) {
            roster.add(item);
            model.add(item);
          } else {
            expect(roster.delete(item)).toBe(model.delete(item));
          }
          expect(roster.size).toBe(model.size);
          for (const it of items) expect(roster.has(it)).toBe(model.has(it));
          expect(new Set(roster)).toEqual(model);
        }
      }),
    );
  });

  it('keeps an item in two rosters independently', () => {
    const a = new Roster<object>();
    const b = new Roster<object>();
    const x = {};
    const y = {};
    a.add(x), a.add(y), b.add(y);
    expect(a.delete(y)).toBe(true);
    expect(b.has(y)).toBe(true);
    expect([...a]).toEqual([x]);
    expect([...b]).toEqual([y]);
  });
});
