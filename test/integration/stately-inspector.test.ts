import { createServer as createNetServer } from 'node:net';
import { createWebSocketInspector } from '@statelyai/inspect';
import { createInspectorServer } from '@statelyai/inspect/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { createTestClock, type TestClock } from '../../src/clock.js';
import { createRouter, type Router } from '../../src/router/index.js';
import { startSimulator, type Simulator } from '../../src/sim/index.js';
import { machineCharts } from '../../src/statecharts/index.js';
import { createSupervisor } from '../../src/supervisor/index.js';
import { T0 } from '../support/board.js';
import { drive, seeded } from '../support/sim-board.js';

/**
 * The Stately inspector path of docs/INSPECT.md, offline: `createInspectorServer` (the bridge of
 * `@statelyai/inspect/server`) on a loopback port, this test's own WebSocket client connected to it
 * where Stately's UI would be, and `createWebSocketInspector` as the router's `inspect`. The
 * router runs real traffic against the simulator; what the viewer receives must name every actor
 * and follow its states, and never carry a secret.
 */
const BOUND_MS = 10_000;
const SECRETS = ['sk-stately-primary-000000000001', 'sk-stately-backup-000000000002', 'sk-ant-stately-solo-000000000003'];

/** The wire format of @statelyai/inspect 0.7 (its dist/index.mjs, `convertXStateEvent`). */
interface Message {
  type: '@xstate.actor' | '@xstate.event' | '@xstate.snapshot' | string;
  sessionId: string;
  name?: string;
  parentId?: string;
  rootId?: string;
  snapshot?: { value?: unknown; status?: string; context?: unknown };
  event?: { type: string };
}

interface Viewer {
  raw: string[];
  messages: Message[];
  /** Resolves when `pred` holds over the messages so far (re-checked on each message); rejects after BOUND_MS. */
  until(pred: (m: Message[]) => boolean, what: string): Promise<void>;
  close(): Promise<void>;
}

/** A free loopback port: bound, read, released (the bridge listens on the port it is given). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createNetServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** Connects as the viewer, retrying on a refused connection (the bridge may not be listening yet) until BOUND_MS. */
function connectViewer(url: string): Promise<Viewer> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const ws = new WebSocket(url);
      ws.once('error', (err) => {
        if (Date.now() - started > BOUND_MS) return reject(err);
        setImmediate(attempt);
      });
      ws.once('open', () => {
        const raw: string[] = [];
        const messages: Message[] = [];
        const waiters = new Set<() => void>();
        ws.on('message', (data) => {
          const text = data.toString();
          raw.push(text);
          messages.push(JSON.parse(text) as Message);
          for (const w of [...waiters]) w();
        });
        resolve({
          raw,
          messages,
          until: (pred, what) =>
            new Promise<void>((ok, fail) => {
              const check = () => {
                if (!pred(messages)) return;
                waiters.delete(check);
                clearTimeout(timer);
                ok();
              };
              const timer = setTimeout(() => {
                waiters.delete(check);
                fail(new Error(`the viewer got no ${what} within ${BOUND_MS} ms (${messages.length} messages)`));
              }, BOUND_MS);
              waiters.add(check);
              check();
            }),
          close: () => new Promise<void>((done) => (ws.readyState === WebSocket.CLOSED ? done() : (ws.once('close', () => done()), ws.close()))),
        });
      });
    };
    attempt();
  });
}

let sim: Simulator;
let clock: TestClock;
let router: Router;
let bridge: { stop(): void };
let inspector: ReturnType<typeof createWebSocketInspector>;
let viewer: Viewer;

beforeAll(async () => {
  const port = await freePort();
  bridge = createInspectorServer({ port, autoOpen: false });
  viewer = await connectViewer(`ws://127.0.0.1:${port}`);
  inspector = createWebSocketInspector({ url: `ws://127.0.0.1:${port}` });
  // The inspector's socket is open once something it sends reaches the viewer.
  inspector.actor('probe', { status: 'active' });
  await viewer.until((m) => m.some((x) => x.sessionId === 'probe'), 'probe from the inspector');

  clock = createTestClock(T0);
  sim = await startSimulator({ clock, seed: 3 });
  router = createRouter({
    clock,
    random: seeded(),
    inspect: inspector.inspect,
    providers: {
      openai: {
        baseUrl: sim.urls.openai,
        keys: [{ name: 'primary', secret: SECRETS[0]! }, { name: 'backup', secret: SECRETS[1]! }],
        circuitBreaker: { failureThreshold: 2, resetTimeoutMs: 30_000 },
        retry: { maxRetries: 1, initialDelayMs: 100, jitter: 'none' },
      },
    },
  });
});

afterAll(async () => {
  await router?.stop();
  await sim?.stop();
  inspector?.stop();
  await viewer?.close();
  bridge?.stop();
});

const hi = { model: 'gpt-4o-mini', messages: [{ role: 'user' as const, content: 'hello stately' }] };
const settle = (p: Promise<unknown>) => p.then(() => 'ok', (e: { code?: string }) => e?.code ?? 'error');

/** The actors the viewer was told about: sessionId → { name, parentId }. */
function actors(messages: Message[]): Map<string, { name: string; parentId: string | undefined }> {
  const out = new Map<string, { name: string; parentId: string | undefined }>();
  for (const m of messages) if (m.type === '@xstate.actor') out.set(m.sessionId, { name: m.name ?? '', parentId: m.parentId });
  return out;
}

/** The state values one actor's snapshots went through, repeats collapsed (`closed`, `open`). */
function timeline(messages: Message[], sessionId: string): string[] {
  const out: string[] = [];
  for (const m of messages) {
    if (m.type !== '@xstate.snapshot' || m.sessionId !== sessionId) continue;
    const value = typeof m.snapshot?.value === 'string' ? m.snapshot.value : JSON.stringify(m.snapshot?.value);
    if (out.at(-1) !== value) out.push(value);
  }
  return out;
}

/** True when `want` appears in `seen` in order (other values may come between). */
const follows = (seen: string[], want: string[]) => {
  let i = 0;
  for (const v of seen) if (v === want[i]) i++;
  return i === want.length;
};

/** The session of the actor named `name` under the root `rootSession` (the supervisor). */
function sessionOf(messages: Message[], name: string, parent: string): string | undefined {
  for (const [id, a] of actors(messages)) if (a.name === name && a.parentId === parent) return id;
  return undefined;
}

describe('the Stately inspector bridge (createInspectorServer + createWebSocketInspector)', () => {
  it("shows the router's supervisor, breaker, key slots and a retry actor, with states that follow real 503s and a 429", async () => {
    expect(await settle(drive(clock, router.chat(hi)))).toBe('ok');
    const supervisor = () => [...actors(viewer.messages)].find(([, a]) => a.name === 'supervisor')?.[0];
    await viewer.until((m) => {
      const sup = supervisor();
      return sup !== undefined && ['breaker', 'key:primary', 'key:backup'].every((n) => sessionOf(m, n, sup) !== undefined);
    }, 'supervisor with its breaker and both key slots');
    const sup = supervisor()!;
    const breaker = sessionOf(viewer.messages, 'breaker', sup)!;
    const primary = sessionOf(viewer.messages, 'key:primary', sup)!;
    await viewer.until((m) => timeline(m, breaker).includes('closed') && timeline(m, primary).includes('ready'), 'initial snapshots (closed, ready)');

    // A 429 on the primary key (the next request that reaches it): the key cools down, the
    // request is served by the other key.
    sim.configure({ keys: { [SECRETS[0]!]: { script: [{ status: 429, retryAfterMs: 20_000 }] } } });
    expect(await settle(drive(clock, router.chat(hi)))).toBe('ok');
    expect(await settle(drive(clock, router.chat(hi)))).toBe('ok');
    expect(sim.stats().rateLimited).toBe(1);
    await viewer.until((m) => follows(timeline(m, primary), ['ready', 'cooling']), 'key:primary going ready → cooling');

    // An outage: real 503s from the simulator open the breaker; the failed attempt retries through a retry actor.
    sim.configure({ openai: { outage: { status: 503, forMs: 60_000 } } });
    const outcomes = await Promise.all([settle(drive(clock, router.chat(hi))), settle(drive(clock, router.chat(hi)))]);
    expect(outcomes.every((o) => o !== 'ok')).toBe(true);
    expect(sim.stats().byStatus['503']).toBeGreaterThanOrEqual(2);
    await viewer.until((m) => follows(timeline(m, breaker), ['closed', 'open']), 'breaker going closed → open');
    await viewer.until((m) => [...actors(m)].some(([id, a]) => a.name.startsWith('retry:') && a.parentId === sup && timeline(m, id).length > 0), 'a retry actor with a snapshot');

    const retry = [...actors(viewer.messages)].find(([, a]) => a.name.startsWith('retry:') && a.parentId === sup)!;
    expect(retry[1].name).toMatch(/^retry:\S+$/);
    // Its snapshots are states of the retry machine (as its statechart names them).
    const retryStates = machineCharts().find((c) => c.name === 'retry')!.states.map((x) => x.path);
    const seen = timeline(viewer.messages, retry[0]);
    expect(seen.length).toBeGreaterThan(0);
    for (const v of seen) expect(retryStates).toContain(v);
    expect(timeline(viewer.messages, sup)).toContain('running');
    // The viewer also gets the events the actors receive, addressed to their sessions.
    expect(viewer.messages.some((m) => m.type === '@xstate.event' && m.sessionId === breaker)).toBe(true);
    expect(viewer.messages.some((m) => m.type === '@xstate.event' && m.sessionId === sup)).toBe(true);
    // Stately's wire protocol: every message names its type and a session, and every snapshot's actor was announced.
    const known = actors(viewer.messages);
    for (const m of viewer.messages) {
      expect(['@xstate.actor', '@xstate.event', '@xstate.snapshot']).toContain(m.type);
      if (m.type === '@xstate.snapshot') expect(known.has(m.sessionId)).toBe(true);
    }
    assertNoSecret();
  });

  it("shows a board's own actors when createSupervisor gets the inspector directly", async () => {
    const board = createSupervisor({
      provider: 'anthropic', baseUrl: sim.urls.anthropic, clock, random: seeded(),
      keys: [{ name: 'solo', secret: SECRETS[2]! }], inspect: inspector.inspect,
      circuitBreaker: { failureThreshold: 1, resetTimeoutMs: 30_000 }, retry: { maxRetries: 0 },
    });
    try {
      const before = new Set(actors(viewer.messages).keys());
      const isNew = (name: string) => (m: Message[]) => [...actors(m)].find(([id, a]) => a.name === name && !before.has(id))?.[0];
      await viewer.until((m) => isNew('supervisor')(m) !== undefined, 'a second supervisor');
      const sup = isNew('supervisor')(viewer.messages)!;
      await viewer.until((m) => sessionOf(m, 'breaker', sup) !== undefined && sessionOf(m, 'key:solo', sup) !== undefined, "the board's breaker and key slot");
      sim.configure({ anthropic: { outage: { status: 503, forMs: 60_000 } } });
      expect(await settle(drive(clock, board.chat({ model: 'claude-3-5-haiku-latest', messages: [{ role: 'user', content: 'hi' }] })))).not.toBe('ok');
      const breaker = sessionOf(viewer.messages, 'breaker', sup)!;
      await viewer.until((m) => follows(timeline(m, breaker), ['closed', 'open']), "the board's breaker going closed → open");
      assertNoSecret();
    } finally {
      await board.stop();
    }
  });
});

/** No secret, whole or in part (its last 12 characters), in any message the viewer received. */
function assertNoSecret(): void {
  const all = viewer.raw.join('\n');
  expect(all.length).toBeGreaterThan(0);
  for (const secret of SECRETS) {
    expect(all).not.toContain(secret);
    expect(all).not.toContain(secret.slice(-12));
  }
}
