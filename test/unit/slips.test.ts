import { describe, expect, it } from 'vitest';
import { DEFAULTS } from '../../src/options.js';
import { msUntilPacificMidnight } from '../../src/policy/pacific.js';
import { makeBoard, hi, outcome } from '../support/board.js';

describe('Gemini quota reset at midnight America/Los_Angeles', () => {
  const at = (iso: string) => Date.parse(iso);
  it('is UTC−8 in winter: 07:00Z on 10 Jan is 23:00 Pacific, one hour before the reset', () => {
    expect(msUntilPacificMidnight(at('2026-01-10T07:00:00Z'))).toBe(3_600_000);
  });
  it('is UTC−7 in summer (an hour earlier than a fixed UTC−8 would say)', () => {
    expect(msUntilPacificMidnight(at('2026-07-10T06:00:00Z'))).toBe(3_600_000);
  });
  it('counts a 23-hour day across the spring switch (8 Mar 2026, 02:00 → 03:00)', () => {
    // Midnight PST on 8 Mar is 08:00Z; the next midnight (PDT) is 07:00Z on 9 Mar: 23 hours.
    expect(msUntilPacificMidnight(at('2026-03-08T08:00:00Z') + 1)).toBe(23 * 3_600_000 - 1);
  });
  it('counts a 25-hour day across the autumn switch (1 Nov 2026, 02:00 → 01:00)', () => {
    // Midnight PDT on 1 Nov is 07:00Z; the next midnight (PST) is 08:00Z on 2 Nov: 25 hours.
    expect(msUntilPacificMidnight(at('2026-11-01T07:00:00Z') + 1)).toBe(25 * 3_600_000 - 1);
  });
  it('at midnight exactly, the next reset is a whole day away', () => {
    expect(msUntilPacificMidnight(at('2026-01-10T08:00:00Z'))).toBe(24 * 3_600_000);
  });
});

describe('defaults', () => {
  it('DEFAULTS is deep-frozen: changing it throws and the next board keeps the documented defaults', () => {
    expect(() => {
      (DEFAULTS.queue as { size: number }).size = 1;
    }).toThrow(TypeError);
    expect(() => (DEFAULTS.batching.models as string[]).push('mine')).toThrow(TypeError);
    const { board } = makeBoard({});
    expect(board.config.queue.size).toBe(100);
    void board.stop();
  });

  it('each board has its own copy of batching.models', () => {
    const models = ['m-1'];
    const { board: a } = makeBoard({ batching: { models } });
    const { board: b } = makeBoard({});
    (a.config.batching.models as string[]).push('m-2');
    models.push('m-3');
    expect(b.config.batching.models).toEqual(['text-embedding-ada-002', 'text-embedding-3-small', 'text-embedding-3-large']);
    expect(a.config.batching.models).not.toContain('m-3');
    void a.stop();
    void b.stop();
  });
});

describe('x-should-retry', () => {
  it('does not retry a malformed 2xx answered with x-should-retry: false', async () => {
    const { board, clock, fake } = makeBoard({ retry: { jitter: 'none' }, script: [{ status: 200, headers: { 'x-should-retry': 'false' }, body: '<html>oops' }, 200] });
    const r = outcome(board.chat(hi()));
    await clock.tickAsync(5_000);
    expect(await r).toMatchObject({ ok: false, code: 'SB_BAD_RESPONSE' });
    expect(fake.calls).toHaveLength(1);
    await board.stop();
  });
  it('still retries a malformed 2xx without it', async () => {
    const { board, clock, fake } = makeBoard({ retry: { jitter: 'none' }, script: [{ status: 200, body: '<html>oops' }, 200] });
    const r = outcome(board.chat(hi()));
    await clock.tickAsync(5_000);
    expect(await r).toMatchObject({ ok: true });
    expect(fake.calls).toHaveLength(2);
    await board.stop();
  });
});
