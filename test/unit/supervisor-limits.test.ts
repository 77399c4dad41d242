import { describe, expect, it } from 'vitest';
import { hi, makeBoard, outcome, T0 } from '../support/board.js';

describe('supervisor: per-key limits (keys[].limits)', () => {
  it('keeps rpm as a bucket starting full and refilling rpm/60 per second: the third of 3 at rpm 2 goes exactly 30 s later', async () => {
    const { board, clock, fake } = makeBoard({ keys: [{ name: 'a', secret: 'sk-a', limits: { rpm: 2 } }] });
    const all = [board.chat(hi()), board.chat(hi()), board.chat(hi())];
    await clock.tickAsync(0);
    expect(fake.calls).toHaveLength(2);
    await clock.tickAsync(29_999);
    expect(fake.calls).toHaveLength(2);
    await clock.tickAsync(1);
    expect(fake.calls).toHaveLength(3);
    expect(fake.calls[2]!.at).toBe(T0 + 30_000);
    await Promise.all(all);
    await board.stop();
  });

  it('rejects SB_TIMEOUT a request that cannot get budget before its deadline', async () => {
    const { board, clock, fake } = makeBoard({ keys: [{ name: 'a', secret: 'sk-a', limits: { rpm: 1 } }] });
    const first = board.chat(hi());
    const late = outcome(board.chat(hi(), { timeoutMs: 10_000 }));
    await clock.tickAsync(10_000);
    expect(await late).toMatchObject({ ok: false, code: 'SB_TIMEOUT' });
    await first;
    expect(fake.calls).toHaveLength(1);
    await board.stop();
  });

  it('spreads over the key with budget left: a second key takes what the first cannot', async () => {
    const { board, clock, fake } = makeBoard({
      keys: [{ name: 'a', secret: 'sk-a', limits: { rpm: 1 } }, { name: 'b', secret: 'sk-b', limits: { rpm: 1 } }],
    });
    const all = [board.chat(hi()), board.chat(hi()), board.chat(hi())];
    await clock.tickAsync(0);
    expect(fake.calls.map((c) => c.keyName).sort()).toEqual(['a', 'b']);
    await clock.tickAsync(60_000);
    expect(fake.calls).toHaveLength(3);
    await Promise.all(all);
    await board.stop();
  });

  it('counts estimated tokens against tpm: a request that does not fit waits for the refill', async () => {
    const { board, clock, fake } = makeBoard({ keys: [{ name: 'a', secret: 'sk-a', limits: { tpm: 600 } }] });
    // 4 prompt characters ≈ 1 token + maxTokens 299 = 300 tokens each; the provider reports less
    // (the fake answers 10 tokens), which gives the difference back.
    const req = { ...hi('abcd'), maxTokens: 299 };
    const all = [board.chat(req), board.chat(req), board.chat(req)];
    await clock.tickAsync(0);
    expect(fake.calls.length).toBeGreaterThanOrEqual(2);
    await clock.tickAsync(60_000);
    expect(fake.calls).toHaveLength(3);
    await Promise.all(all);
    await board.stop();
  });

  it('rejects bad limits with SB_CONFIG naming keys', () => {
    expect(() => makeBoard({ keys: [{ name: 'a', secret: 'sk-a', limits: { rpm: 0 } }] })).toThrow(expect.objectContaining({ code: 'SB_CONFIG', field: 'keys' }));
    expect(() => makeBoard({ keys: [{ name: 'a', secret: 'sk-a', limits: { rps: 3 } as never }] })).toThrow(expect.objectContaining({ code: 'SB_CONFIG' }));
  });
});
