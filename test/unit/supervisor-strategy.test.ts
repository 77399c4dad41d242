import { describe, expect, it } from 'vitest';
import type { KeyView } from '../../src/types.js';
import { hi, makeBoard } from '../support/board.js';

describe('supervisor: strategies swapped by events', () => {
  it('a StrategyFn returning undefined makes the request wait; it is asked again when a key frees', async () => {
    const { board, clock, fake } = makeBoard({ keyNames: ['a', 'b'], latencyMs: 100 });
    const asked: string[][] = [];
    const busy = () => board.state().keys.some((k) => k.inFlight > 0);
    // One at a time, always on an idle key: waits while any key is busy.
    const oneAtATime = (ready: readonly KeyView[]) => {
      asked.push(ready.map((k) => `${k.name}:${k.inFlight}`));
      return busy() ? undefined : ready[0];
    };
    board.send({ type: 'strategy.set', strategy: oneAtATime });
    const all = [board.chat(hi()), board.chat(hi())];
    await clock.tickAsync(0);
    expect(fake.calls).toHaveLength(1);
    await clock.tickAsync(100);
    expect(fake.calls.map((c) => c.at - fake.calls[0]!.at)).toEqual([0, 100]);
    await clock.tickAsync(100);
    await Promise.all(all);
    expect(asked.length).toBeGreaterThanOrEqual(3);
    await board.stop();
  });

  it('config.update swaps the strategy too, and BoardState.strategy names it', async () => {
    const { board } = makeBoard({});
    board.send({ type: 'config.update', config: { strategy: 'least-loaded' } });
    expect(board.state().strategy).toBe('least-loaded');
    board.send({ type: 'strategy.set', strategy: (ready) => ready[0] });
    expect(board.state().strategy).toBe('strategy');
    const anonymous = [(ready: readonly KeyView[]) => ready[0]][0]!;
    board.actor.send({ type: 'strategy.set', strategy: anonymous });
    expect(board.state().strategy).toBe('custom');
    await board.stop();
  });
});
