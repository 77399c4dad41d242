import { describe, expect, it } from 'vitest';
import { hi, makeBoard, outcome } from '../support/board.js';

describe('supervisor: keys', () => {
  it('spreads 10 sequential requests over 3 keys round-robin 4/3/3', async () => {
    const { board, fake } = makeBoard({ keyNames: ['a', 'b', 'c'] });
    for (let i = 0; i < 10; i++) await board.chat(hi());
    expect(fake.perKey()).toEqual({ a: 4, b: 3, c: 3 });
    expect(fake.calls.map((c) => c.keyName).join('')).toBe('abcabcabca');
    await board.stop();
  });

  it('least-loaded never exceeds a key\'s maxConcurrent and prefers idle keys', async () => {
    const { board, clock, fake } = makeBoard({
      strategy: 'least-loaded',
      queue: { maxConcurrent: 10, size: 500 },
      latencyMs: 30,
      keys: [
        { name: 'a', secret: 'sk-a', maxConcurrent: 2 },
        { name: 'b', secret: 'sk-b', maxConcurrent: 3 },
        { name: 'c', secret: 'sk-c', maxConcurrent: 1 },
      ],
    });
    // Warm each key (its first answer tells the budget) so that later dispatch is not probe-limited.
    await Promise.all([0, 1, 2].map(() => { const p = board.chat(hi()); return p; }).map(async (p) => { await clock.tickAsync(30); return p; }));
    const all = Array.from({ length: 60 }, () => board.chat(hi()));
    await clock.tickAsync(3000);
    await Promise.all(all);
    expect(fake.keyPeak.a).toBeLessThanOrEqual(2);
    expect(fake.keyPeak.b).toBeLessThanOrEqual(3);
    expect(fake.keyPeak.c).toBeLessThanOrEqual(1);
    expect(fake.peak).toBe(6);
    await board.stop();
  });

  it('least-loaded sends the next request to an idle key rather than a busy one', async () => {
    const { board, clock, fake } = makeBoard({ strategy: 'least-loaded', keyNames: ['a', 'b', 'c'], latencyMs: 100 });
    const first = board.chat(hi('1'));
    const second = board.chat(hi('2'));
    const third = board.chat(hi('3'));
    expect(fake.calls.map((c) => c.keyName)).toEqual(['a', 'b', 'c']);
    await clock.tickAsync(100);
    await Promise.all([first, second, third]);
    await board.stop();
  });

  it('sends the retry to key B at once when key A answers 429; A is cooling until its wait has passed', async () => {
    const { board, clock, fake } = makeBoard({ keyNames: ['a', 'b'], byKey: { a: [{ status: 429, headers: { 'retry-after': '5' } }] } });
    const cooling: unknown[] = [];
    board.on('key.cooling', (p) => cooling.push(p));
    const reply = await board.chat(hi());
    expect(reply.keyName).toBe('b');
    expect(reply.attempts).toBe(2);
    expect(fake.calls.map((c) => [c.keyName, c.at - fake.calls[0]!.at])).toEqual([['a', 0], ['b', 0]]);
    const a = () => board.state().keys.find((k) => k.name === 'a')!;
    expect(a().state).toBe('cooling');
    expect(a().untilMs).toBe(clock.now() + 5000);
    expect(cooling).toEqual([{ keyName: 'a', untilMs: clock.now() + 5000 }]);
    await clock.tickAsync(4999);
    expect(a().state).toBe('cooling');
    await clock.tickAsync(1);
    expect(a().state).toBe('ready');
    expect(board.report().summary.retries).toBe(1);
    await board.stop();
  });

  it('waits for the first key to be ready when every key is cooling', async () => {
    const { board, clock, fake } = makeBoard({ keyNames: ['a'], script: [{ status: 429, headers: { 'retry-after-ms': '700' } }] });
    const p = board.chat(hi());
    await clock.tickAsync(699);
    expect(fake.calls).toHaveLength(1);
    await clock.tickAsync(1);
    expect((await p).attempts).toBe(2);
    expect(fake.calls[1]!.at - fake.calls[0]!.at).toBe(700);
    await board.stop();
  });

  it('disables a key on 401 and retries at once on another key', async () => {
    const { board, fake } = makeBoard({ keyNames: ['a', 'b'], byKey: { a: [401] } });
    const disabled: unknown[] = [];
    board.on('key.disabled', (p) => disabled.push(p));
    const reply = await board.chat(hi());
    expect(reply.keyName).toBe('b');
    expect(board.state().keys.find((k) => k.name === 'a')!.state).toBe('disabled');
    expect(disabled).toEqual([{ keyName: 'a', reason: 'status_401' }]);
    expect(board.report().summary.retries).toBe(0);
    for (let i = 0; i < 3; i++) await board.chat(hi());
    expect(fake.calls.filter((c) => c.keyName === 'a')).toHaveLength(1);
    await board.stop();
  });

  it('rejects SB_AUTH on a 401 with no other usable key, then SB_NO_KEYS for new requests', async () => {
    const { board, fake } = makeBoard({ keyNames: ['a'], script: [401] });
    const r = await outcome(board.chat(hi()));
    expect(r.ok === false && r.code).toBe('SB_AUTH');
    expect(r.ok === false && r.error.keyName).toBe('a');
    const next = await outcome(board.chat(hi()));
    expect(next.ok === false && next.code).toBe('SB_NO_KEYS');
    expect(fake.calls).toHaveLength(1);
    board.send({ type: 'key.add', key: { name: 'a', secret: 'sk-a' } });
    expect((await outcome(board.chat(hi()))).ok).toBe(true);
    await board.stop();
  });

  it('does not disable a key on 403: the request fails SB_PROVIDER 403', async () => {
    const { board } = makeBoard({ keyNames: ['a'], script: [403] });
    const r = await outcome(board.chat(hi()));
    expect(r.ok === false && r.code).toBe('SB_PROVIDER');
    expect(r.ok === false && r.error.status).toBe(403);
    expect(board.state().keys[0]!.state).toBe('ready');
    await board.stop();
  });

  it('rejects SB_NO_KEYS when no key is configured', async () => {
    const { board } = makeBoard({ keys: [] });
    const r = await outcome(board.chat(hi()));
    expect(r.ok === false && r.code).toBe('SB_NO_KEYS');
    await board.stop();
  });

  it('never puts a secret in the state, a report, an event or an error', async () => {
    const { board, clock } = makeBoard({ keys: [{ name: 'k1', secret: 'sk-SECRETSECRET1' }], script: [401] });
    const seen: unknown[] = [];
    for (const t of ['request.dispatched', 'request.settled', 'key.disabled'] as const) board.on(t, (p) => seen.push(p));
    const r = await outcome(board.chat(hi()));
    await clock.tickAsync(0);
    const blob = JSON.stringify([seen, board.state(), board.report({ includeDetails: true }), r.ok ? null : { ...r.error, m: r.error.message }, board.actor.getSnapshot().context]);
    expect(blob).not.toContain('SECRETSECRET1');
    await board.stop();
  });
});
