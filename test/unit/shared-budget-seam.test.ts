import { describe, expect, it } from 'vitest';
import type { SharedBudget, SharedGrant } from '../../src/keys/key-pool.js';
import { hi, makeBoard, outcome, T0 } from '../support/board.js';

/** The seam the Redis-shared budget plugs into (src/keys/README.md); reached here through the board's pool. */
function withShared(board: ReturnType<typeof makeBoard>['board'], shared: SharedBudget): void {
  (board as unknown as { dispatcher: { pool: { shared: SharedBudget | null } } }).dispatcher.pool.shared = shared;
}

describe('the SharedBudget seam', () => {
  it('sends the attempt once an asynchronous grant comes, and settles its lease once', async () => {
    const { board, clock, fake } = makeBoard({});
    const settled: Array<[unknown, number]> = [];
    let grants = 0;
    withShared(board, {
      acquire: async (key, tokens) => ({ granted: true, lease: `${key}:${tokens}:${++grants}` }),
      settle: (lease, used) => void settled.push([lease, used]),
    });
    const reply = board.chat(hi());
    await clock.tickAsync(0);
    expect(await reply).toMatchObject({ keyName: 'a' });
    expect(fake.calls).toHaveLength(1);
    expect(settled).toEqual([['a:1:1', 1]]);
    await board.stop();
  });

  it('waits waitMs after a refusal, then asks again; the deadline still bounds the wait', async () => {
    const { board, clock, fake } = makeBoard({});
    const answers: SharedGrant[] = [{ granted: false, waitMs: 1_000 }, { granted: true, lease: 'L' }];
    withShared(board, { acquire: () => answers.shift() ?? { granted: false, waitMs: 60_000 }, settle: () => {} });
    const first = board.chat(hi());
    await clock.tickAsync(999);
    expect(fake.calls).toHaveLength(0);
    await clock.tickAsync(1);
    expect(fake.calls.map((c) => c.at)).toEqual([T0 + 1_000]);
    await first;
    const late = outcome(board.chat(hi(), { timeoutMs: 5_000 }));
    await clock.tickAsync(5_000);
    expect(await late).toMatchObject({ ok: false, code: 'SB_TIMEOUT' });
    await board.stop();
  });
});
