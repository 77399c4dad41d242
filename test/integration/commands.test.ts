import { afterEach, describe, expect, it } from 'vitest';
import type { Board } from '../../src/supervisor/index.js';
import type { KeyView } from '../../src/types.js';
import { outcome } from '../support/board.js';
import { drive, simBoard, until } from '../support/sim-board.js';

type Env = Awaited<ReturnType<typeof simBoard>>;
type Sender = (board: Board, command: any) => void;

const viaBoard: Sender = (board, command) => board.send(command);
const viaActor: Sender = (board, command) => board.actor.send(command);
const ask = { model: 'gpt-4o-mini', messages: [{ role: 'user' as const, content: 'hi' }] };

let env: Env | null = null;
afterEach(async () => {
  await env?.close();
  env = null;
});

/** Requests each secret received from the simulator. */
const received = (e: Env, secret: string) => e.sim.stats().keys[secret]?.requests ?? 0;

/** Sends `n` chats at once and returns the highest number in flight seen while they ran. */
async function peakWhile(e: Env, n: number): Promise<number> {
  let peak = 0;
  const off = e.board.on('request.dispatched', () => (peak = Math.max(peak, e.board.state().inFlight)));
  await drive(e.clock, Promise.all(Array.from({ length: n }, () => e.board.chat(ask))));
  off();
  return peak;
}

describe.each([
  ['board.send', viaBoard],
  ['board.actor.send', viaActor],
])('every public command through %s has its effect on real traffic', (_how, send) => {
  it('key.add: the added key carries traffic with its own secret; key.remove: the removed one never again', async () => {
    env = await simBoard('openai', { secrets: ['sk-first-0000000001'] });
    send(env.board, { type: 'key.add', key: { name: 'second', secret: 'sk-second-000000002' } });
    send(env.board, { type: 'key.remove', name: 'k1' });
    await drive(env.clock, Promise.all([env.board.chat(ask), env.board.chat(ask)]));
    expect(received(env, 'sk-second-000000002')).toBe(2);
    expect(received(env, 'sk-first-0000000001')).toBe(0);
    expect(JSON.stringify(env.board.actor.getSnapshot().context)).not.toContain('sk-second');
  });

  it('strategy.set with a function: the key it picks is the one whose secret reaches the simulator', async () => {
    env = await simBoard('openai', { secrets: ['sk-aaaa-000000000001', 'sk-bbbb-000000000002'] });
    const seen: string[][] = [];
    const onlyK2 = function onlyK2(ready: readonly KeyView[]) {
      seen.push(ready.map((k) => k.name));
      return ready.find((k) => k.name === 'k2');
    };
    send(env.board, { type: 'strategy.set', strategy: onlyK2 });
    expect(env.board.state().strategy).toBe('onlyK2');
    for (let i = 0; i < 3; i++) await drive(env.clock, env.board.chat(ask));
    expect(received(env, 'sk-bbbb-000000000002')).toBe(3);
    expect(received(env, 'sk-aaaa-000000000001')).toBe(0);
    expect(seen[0]).toEqual(['k1', 'k2']);
    send(env.board, { type: 'strategy.set', strategy: 'round-robin' });
    expect(env.board.state().strategy).toBe('round-robin');
  });

  it('config.update: lowering queue.maxConcurrent from 4 to 1 caps the requests in flight at 1 from then on', async () => {
    env = await simBoard('openai', { queue: { maxConcurrent: 4 } });
    env.sim.configure({ openai: { latencyMs: 50 } } as never);
    // Each key's first answer tells its budget (until then one request per key probes it).
    await drive(env.clock, Promise.all([env.board.chat(ask), env.board.chat(ask)]));
    expect(await peakWhile(env, 8)).toBe(4);
    send(env.board, { type: 'config.update', config: { queue: { maxConcurrent: 1 } } });
    expect(await peakWhile(env, 6)).toBe(1);
    expect(env.board.config.queue.maxConcurrent).toBe(1);
  });

  it('breaker.force: forcedOpen rejects the next request with SB_CIRCUIT_OPEN, closed lets it through', async () => {
    env = await simBoard('openai');
    send(env.board, { type: 'breaker.force', state: 'forcedOpen' });
    expect(await outcome(env.board.chat(ask))).toMatchObject({ ok: false, code: 'SB_CIRCUIT_OPEN' });
    send(env.board, { type: 'breaker.force', state: 'closed' });
    expect(await outcome(drive(env.clock, env.board.chat(ask)))).toMatchObject({ ok: true });
  });

  it('stats.reset: the report starts again from zero', async () => {
    env = await simBoard('openai');
    await drive(env.clock, env.board.chat(ask));
    expect(env.board.report().summary.totalRequests).toBe(1);
    send(env.board, { type: 'stats.reset' });
    expect(env.board.report().summary.totalRequests).toBe(0);
  });
});

describe('commands sent straight to board.actor', () => {
  it('a bad command changes nothing, is logged at warn and emits command.rejected with its type, never its payload', async () => {
    const warnings: unknown[] = [];
    env = await simBoard('openai', { logger: { warn: (o: unknown) => warnings.push(o) } });
    const rejected: Array<{ type: string; reason: string }> = [];
    env.board.on('command.rejected', (p) => rejected.push(p));
    const before = JSON.stringify(env.board.config);
    const keysBefore = env.board.state().keys.map((k) => k.name);
    env.board.actor.send({ type: 'config.update', config: { queue: { maxConcurrent: 0 } } } as never);
    env.board.actor.send({ type: 'strategy.set', strategy: 'fastest' } as never);
    env.board.actor.send({ type: 'key.add', key: { name: 'x', secret: 'sk-leak-0000000000009', maxConcurrent: -1 } } as never);
    env.board.actor.send({ type: 'key.add', key: { name: 'y', secret: '' } } as never);
    env.board.actor.send({ type: 'key.remove', name: 'nobody' } as never);
    env.board.actor.send({ type: 'breaker.force', state: 'ajar' } as never);
    expect(rejected.map((r) => r.type)).toEqual(['config.update', 'strategy.set', 'key.add', 'key.add', 'key.remove', 'breaker.force']);
    expect(rejected[0]!.reason).toMatch(/queue\.maxConcurrent/);
    expect(JSON.stringify(rejected) + JSON.stringify(warnings)).not.toContain('sk-leak');
    expect(warnings).toHaveLength(6);
    expect(JSON.stringify(env.board.config)).toBe(before);
    expect(env.board.state().keys.map((k) => k.name)).toEqual(keysBefore);
    expect(env.board.state().strategy).toBe('round-robin');
    expect(await outcome(drive(env.clock, env.board.chat(ask)))).toMatchObject({ ok: true });
    // board.send throws the same SB_CONFIG synchronously instead.
    expect(() => env!.board.send({ type: 'config.update', config: { queue: { maxConcurrent: 0 } } })).toThrow(expect.objectContaining({ code: 'SB_CONFIG' }));
  });

  it('internal events sent from outside strand no request: a retrying request still settles', async () => {
    env = await simBoard('openai', { secrets: ['sk-only-0000000000001'] });
    env.sim.configure({ openai: { script: ['503', 'ok'] } } as never);
    const p = env.board.chat(ask, { requestId: 'r-1' });
    let retrying = false;
    env.board.on('request.retrying', () => (retrying = true));
    await until(() => retrying);
    expect(Object.keys(env.board.actor.getSnapshot().children)).toContain('retry:r-1');
    for (const type of ['retry.stop', 'retry.spawn', 'batcher.spawn', 'lifecycle.stop', 'lifecycle.drain']) {
      env.board.actor.send({ type, requestId: 'r-1', model: 'm' } as never);
    }
    expect(env.board.actor.getSnapshot().value).toBe('running');
    expect(await outcome(drive(env.clock, p))).toMatchObject({ ok: true, value: { attempts: 2 } });
  });
});
