import { describe, expect, test } from 'vitest';
import {
  createActor,
  fromTransition,
  initialTransition,
  transition,
  type ActorSystem,
  type AnyMachineSnapshot,
  type AnyStateMachine,
  type EventObject,
} from 'xstate';
import { TestModel } from 'xstate/graph';
import {
  batcherMachine,
  circuitBreakerMachine,
  keySlotMachine,
  retryMachine,
  type BatcherContext,
  type BatcherEvent,
  type BreakerContext,
  type BreakerEvent,
  type KeySlotContext,
  type KeySlotEvent,
  type RetryContext,
  type RetryEmitted,
  type RetryEvent,
} from '../../machines/index.js';
import { createTestClock } from '../../src/clock.js';
import { INTERNAL, supervisorMachine, type SupervisorContext, type SupervisorEvent } from '../../machines/supervisor.machine.js';
import { DEFAULTS, resolveConfig } from '../../src/options.js';

/*
 * Model-based tests of the four child machines (STYLE "Tests": walk each machine's graph and check
 * invariants on every path).
 *
 * Why a wrapper logic instead of `new TestModel(machine)`: every one of these machines has `after`
 * delays, and xstate/graph traverses with `machine.transition` under a mock actor scope, where a
 * delayed raise is never executed — so `open → halfOpen`, `cooling → ready`, the batch window and
 * the retry backoff would be unreachable (and `createTestModel` refuses `after` outright). So the
 * model handed to `TestModel` is a small `fromTransition` logic over a "world": the machine's
 * snapshot, the current time and the pending timers. It steps the machine with XState's pure
 * `transition()`, reads the `xstate.raise` (with a delay) / `xstate.cancel` / `xstate.emit` actions
 * it returns, and turns a synthetic `{ type: 'tick', ms }` event into "advance the time, firing due
 * timers in order". The ticks offered in a world are exactly `r − 1` and `r`, where `r` is the time
 * left on the earliest timer, so every delay is seen one millisecond before and exactly at its
 * deadline, and the state space stays finite (states are serialized with times relative to `now`).
 *
 * Each shortest path is then replayed on a REAL actor (`createActor(machine, { input, clock })` on
 * `createTestClock`, whose `increment(ms)` fires timers synchronously) through `path.test(...)`;
 * after every step the real actor is compared with the model (state, context, pending timers,
 * emitted events) and the machine's invariants are checked against the real actor's history.
 *
 * The event lists follow what the dispatcher (src/supervisor/dispatcher.ts) actually sends — e.g.
 * a probe outcome only for a probe in flight, `batch.sent` only after a flush — and also include
 * events the machines must ignore (attempt outcomes while not closed, outcomes while backing off).
 */

const T0 = Date.parse('2026-01-01T00:00:00.000Z');

type Tick = { type: 'tick'; ms: number };

interface Timer {
  id: string;
  at: number;
  seq: number;
  event: EventObject;
}

interface World {
  machine: AnyMachineSnapshot;
  now: number;
  timers: Timer[];
  seq: number;
  /** Events the machine emitted during the last step. */
  emitted: EventObject[];
}

interface Obs<C> {
  value: string;
  context: C;
  /** Milliseconds since the start of the path. */
  now: number;
  emitted: EventObject[];
  pending: number;
  status: string;
}

interface HistoryStep<C, E> {
  /** `null` for the initial state. */
  event: E | Tick | null;
  obs: Obs<C>;
}

type History<C, E> = Array<HistoryStep<C, E>>;

interface Spec<C, E extends EventObject> {
  machine: AnyStateMachine;
  input: unknown;
  /** The machine events on offer in a world (ticks are added by the harness). */
  events: (world: World, context: C) => E[];
  /** Makes the context time-relative for serialization (absolute instants → ms from `now`). */
  normalize?: (context: C, now: number) => unknown;
  /** Worlds not expanded further (bounds a counter the machine never bounds itself). */
  stopWhen?: (context: C, world: World) => boolean;
  /** Transitions (`transitionName`) some shortest path must replay on the real actor. */
  replays?: string[];
  /** Checks the last step of the history against the ones before it. */
  check: (history: History<C, E>) => void;
}

interface RaiseParams {
  id?: string;
  delay?: number;
  event?: EventObject;
  sendId?: string;
}

function applyActions(world: World, actions: ReadonlyArray<{ type: string; params?: unknown }>): World {
  let { timers, seq } = world;
  const emitted = [...world.emitted];
  for (const action of actions) {
    const p = (action.params ?? {}) as RaiseParams;
    if (action.type === 'xstate.raise' && typeof p.delay === 'number' && p.event) {
      timers = [...timers, { id: p.id ?? p.event.type, at: world.now + p.delay, seq: seq++, event: p.event }];
    } else if (action.type === 'xstate.cancel') {
      timers = timers.filter((t) => t.id !== p.sendId);
    } else if (action.type === 'xstate.emit' && p.event) {
      emitted.push(p.event);
    }
  }
  return { ...world, timers, seq, emitted };
}

function stepMachine(machine: AnyStateMachine, world: World, event: EventObject): World {
  const [next, actions] = transition(machine, world.machine, event);
  return applyActions({ ...world, machine: next }, actions);
}

/** The same order as `createTestClock().increment(ms)`: due timers by instant, then by creation. */
function advance(machine: AnyStateMachine, world: World, ms: number): World {
  const target = world.now + ms;
  let w = world;
  for (;;) {
    const due = w.timers.filter((t) => t.at <= target).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
    if (!due) break;
    w = { ...w, now: Math.max(w.now, due.at), timers: w.timers.filter((t) => t !== due) };
    w = stepMachine(machine, w, due.event);
  }
  return { ...w, now: target };
}

function ticksFor(world: World): Tick[] {
  if (world.machine.status !== 'active' || world.timers.length === 0) return [];
  const r = Math.min(...world.timers.map((t) => t.at)) - world.now;
  return r > 1 ? [{ type: 'tick', ms: r - 1 }, { type: 'tick', ms: r }] : [{ type: 'tick', ms: r }];
}

function modelStep<C, E extends EventObject>(spec: Spec<C, E>, world: World, event: E | Tick): World {
  const fresh = { ...world, emitted: [] };
  return event.type === 'tick' ? advance(spec.machine, fresh, (event as Tick).ms) : stepMachine(spec.machine, fresh, event);
}

function initialWorld<C, E extends EventObject>(spec: Spec<C, E>): World {
  const [snapshot, actions] = (initialTransition as (m: AnyStateMachine, input: unknown) => [AnyMachineSnapshot, Array<{ type: string; params?: unknown }>])(
    spec.machine,
    spec.input,
  );
  return applyActions({ machine: snapshot, now: T0, timers: [], seq: 0, emitted: [] }, actions);
}

function eventsOf<C, E extends EventObject>(spec: Spec<C, E>, world: World): Array<E | Tick> {
  if (world.machine.status !== 'active') return [];
  return [...spec.events(world, world.machine.context as C), ...ticksFor(world)];
}

function modelOf<C, E extends EventObject>(spec: Spec<C, E>) {
  const logic = fromTransition<World, E | Tick, ActorSystem<any>, unknown>(
    (world, event) => modelStep(spec, world, event),
    () => initialWorld(spec),
  );
  const ctx = (w: World) => w.machine.context as C;
  return new TestModel(logic, {
    events: (snap) => eventsOf(spec, snap.context),
    // Times relative to `now`, so the graph is finite. Two worlds that differ only by a shift in
    // time are one vertex; that is why `walk` re-runs the model along each path rather than
    // trusting the stored world's absolute `now`. As in `createTestModel`'s default, a vertex
    // reached by a change of state also names the transition ("via tick from open"): shortest
    // paths then cover every state-changing transition, not only every state — without it, the
    // cheapest way into `halfOpen` is `breaker.force` and the timed `open → halfOpen` is never walked.
    serializeState: (snap, event, prev) => {
      const base = serializeWorld(spec, snap.context);
      const from = prev?.context.machine.value;
      return event && from !== undefined && from !== snap.context.machine.value ? `${base} via ${label(event)} from ${JSON.stringify(from)}` : base;
    },
    stopWhen: spec.stopWhen ? (snap) => spec.stopWhen!(ctx(snap.context), snap.context) : undefined,
    // A machine whose counters run away makes the graph infinite: fail with "Traversal limit
    // exceeded" rather than hang.
    limit: 200_000,
  });
}

/** An event without its absolute instants (`untilMs`), so time-shifted transitions are one edge. */
function label(event: EventObject): string {
  const { untilMs: _absolute, ...rest } = event as EventObject & { untilMs?: number };
  return JSON.stringify(rest);
}

function serializeWorld<C, E extends EventObject>(spec: Spec<C, E>, w: World): string {
  const context = w.machine.context as C;
  return JSON.stringify({
    value: w.machine.value,
    status: w.machine.status,
    context: spec.normalize ? spec.normalize(context, w.now) : context,
    timers: [...w.timers].sort((a, b) => a.at - b.at || a.seq - b.seq).map((t) => [t.event.type, t.at - w.now]),
  });
}

/** What a step looks like from the model alone (used for the one-step extensions). */
function observe<C>(w: World): Obs<C> {
  return {
    value: String(w.machine.value),
    context: w.machine.context as C,
    now: w.now - T0,
    emitted: w.emitted,
    pending: w.timers.length,
    status: w.machine.status,
  };
}

/** A transition as `replays` names it: `open —breaker.sync(closed)→ closed` (an event's `state` field, when it has one). */
function transitionName(from: string, event: EventObject, to: string): string {
  const arg = (event as { state?: unknown }).state;
  return `${from} —${event.type}${typeof arg === 'string' ? `(${arg})` : ''}→ ${to}`;
}

/**
 * Replays every shortest path on a real actor and checks each step. Shortest paths reach every
 * vertex but not every edge (a self-loop such as `attempt.succeeded` resetting `failureCount` to
 * where a shorter path already leads is never on one), so from every distinct world met on the
 * way, each event on offer is also taken once on the model — which the replays have just shown to
 * agree with the real actor — and the invariants are checked on that extra step: every edge of the
 * graph is checked, for the price of pure transitions.
 */
async function walk<C, E extends EventObject>(spec: Spec<C, E>): Promise<{ states: Set<string>; replayed: Set<string>; paths: number; edges: number }> {
  const model = modelOf(spec);
  const paths = model.getShortestPaths();
  const states = new Set<string>();
  const replayed = new Set<string>();
  const extended = new Set<string>();
  let edges = 0;
  for (const path of paths) {
    const clock = createTestClock(T0);
    const actor = createActor(spec.machine, { input: spec.input, clock });
    const emitted: EventObject[] = [];
    actor.on('*', (e: EventObject) => emitted.push(e));
    actor.start();
    const history: History<C, E> = [];
    let lastEvent: E | Tick | null = null;
    let world = initialWorld(spec);
    const exec = (step: { event: EventObject }) => {
      const event = step.event as E | Tick;
      lastEvent = event;
      world = modelStep(spec, world, event);
      if (event.type === 'tick') clock.increment((event as Tick).ms);
      else actor.send(event);
    };
    const eventTypes = new Set(path.steps.map((s) => s.event.type).filter((t) => t !== 'xstate.init'));
    await path.test({
      // Every event of the path, whatever its type, goes through `exec` (typed per event type by
      // xstate/graph, hence the cast).
      events: Object.fromEntries([...eventTypes].map((t) => [t, exec])) as unknown as Parameters<typeof path.test>[0]['events'],
      states: {
        '*': (snap) => {
          expect(serializeWorld(spec, world), 'the path reaches the vertex it was planned for').toBe(serializeWorld(spec, snap.context));
          const real = actor.getSnapshot();
          const obs: Obs<C> = {
            value: String(real.value),
            context: real.context as C,
            now: clock.now() - T0,
            emitted: emitted.splice(0),
            pending: clock.pending(),
            status: real.status,
          };
          // The real actor on the test clock agrees with the model: state, context, timers, emits.
          expect(obs).toEqual(observe<C>(world));
          history.push({ event: lastEvent, obs });
          if (lastEvent) replayed.add(transitionName(history.at(-2)!.obs.value, lastEvent, obs.value));
          states.add(obs.value);
          spec.check(history);

          const key = serializeWorld(spec, world);
          if (extended.has(key)) return;
          extended.add(key);
          for (const event of eventsOf(spec, world)) {
            edges++;
            const next = observe<C>(modelStep(spec, world, event));
            try {
              spec.check([...history, { event, obs: next }]);
            } catch (error) {
              (error as Error).message += `\n  after ${history.map((s) => JSON.stringify(s.event)).join(' → ')}\n  then ${JSON.stringify(event)}`;
              throw error;
            }
          }
        },
      },
    });
    actor.stop();
  }
  return { states, replayed, paths: paths.length, edges };
}

const stateNames = (machine: AnyStateMachine) => Object.keys(machine.root.states).sort();

/** Index of the step at which the state at `i` was last entered (re-entry by `reentered` counts). */
function entryIndex<C, E>(h: History<C, E>, i: number, state: string, reentered: (step: HistoryStep<C, E>, j: number) => boolean = () => false): number {
  let j = i;
  while (j > 0 && h[j - 1]!.obs.value === state && !reentered(h[j]!, j)) j--;
  return j;
}

// ── circuit breaker ─────────────────────────────────────────────────────────────────────────

const THRESHOLD = 2;
const PROBES = 2;
const RESET_MS = 1000;
const TARGETS = ['closed', 'open', 'halfOpen', 'forcedOpen', 'disabled'] as const;

type BH = History<BreakerContext, BreakerEvent>;
type Sync = Extract<BreakerEvent, { type: 'breaker.sync' }>;
const isForce = (e: BreakerEvent | Tick | null): e is Extract<BreakerEvent, { type: 'breaker.force' }> => e?.type === 'breaker.force';
const isSync = (e: BreakerEvent | Tick | null): e is Sync => e?.type === 'breaker.sync';
/**
 * The shared breaker's transitions as the bridge sends them (src/shared/board-bridge.ts): an
 * opening for a wait shorter and longer than this breaker's own reset timeout, one with the other
 * instance's trip count, one already due (a resync reading an opening past its instant: wait 0),
 * half-open and closed.
 */
const SYNCS: Sync[] = [
  { type: 'breaker.sync', state: 'open', waitMs: 600 },
  { type: 'breaker.sync', state: 'open', waitMs: 1_500, trips: 1 },
  { type: 'breaker.sync', state: 'open', waitMs: 0 },
  { type: 'breaker.sync', state: 'halfOpen', waitMs: 0 },
  { type: 'breaker.sync', state: 'closed', waitMs: 0 },
];
/** A `breaker.sync` the breaker follows: any, but while forced open or disabled (a local override). */
const followed = (prev: string, e: BreakerEvent | Tick | null): e is Sync => isSync(e) && prev !== 'forcedOpen' && prev !== 'disabled';
/** An (re-)entry into open that sets its own wait: `breaker.force` open, or a followed sync opening. */
const reenteredOpen = (h: BH) => (s: HistoryStep<BreakerContext, BreakerEvent>, j: number) =>
  (isForce(s.event) && s.event.state === 'open') || (followed(h[j - 1]!.obs.value, s.event) && s.event.state === 'open');
/** The wait of the synced opening step `j` entered open by, or null (its own opening: resetTimeoutMs). */
const syncedWait = (h: BH, j: number): number | null => {
  const e = h[j]!.event;
  return j > 0 && followed(h[j - 1]!.obs.value, e) && e.state === 'open' ? e.waitMs : null;
};
const openFor = (h: BH, j: number): number => syncedWait(h, j) ?? RESET_MS;

/**
 * `trips` as the history tells it: +1 for each entry into open of this breaker's own (failures or
 * a failed probe: neither forced nor synced); a followed sync opening raises it to the other
 * instance's count when that is higher.
 */
function expectedTrips(h: BH, i: number): number {
  let trips = 0;
  for (let j = 1; j <= i; j++) {
    const { event, obs } = h[j]!;
    const prev = h[j - 1]!.obs.value;
    if (followed(prev, event)) {
      if (event.state === 'open') trips = Math.max(trips, event.trips ?? 0);
    } else if (obs.value === 'open' && prev !== 'open' && !isForce(event)) trips++;
  }
  return trips;
}

/** Consecutive `attempt.failed` counted in `closed` up to step `i` (a success or a (re-)entry resets). */
function consecutiveFailures(h: BH, i: number): number {
  let n = 0;
  for (let j = i; j > 0 && h[j - 1]!.obs.value === 'closed'; j--) {
    const e = h[j]!.event;
    if (isForce(e) || e?.type === 'attempt.succeeded') break;
    if (e?.type === 'attempt.failed') n++;
  }
  return n;
}

/** `probe.succeeded` taken in `halfOpen` since it was last entered, up to step `i`. */
function probeSuccesses(h: BH, i: number): number {
  let n = 0;
  for (let j = i; j > 0 && h[j - 1]!.obs.value === 'halfOpen'; j--) {
    const e = h[j]!.event;
    if (isForce(e)) break;
    if (e?.type === 'probe.succeeded') n++;
  }
  return n;
}

const breakerSpec: Spec<BreakerContext, BreakerEvent> = {
  machine: circuitBreakerMachine,
  input: { failureThreshold: THRESHOLD, resetTimeoutMs: RESET_MS, halfOpenProbes: PROBES },
  events: (_w, c) => {
    const events: BreakerEvent[] = [{ type: 'attempt.failed' }, { type: 'attempt.succeeded' }];
    // The breaker gate asks for a probe place at any time (the machine grants it only while one is
    // free), and reports an outcome only for a probe in flight.
    events.push({ type: 'probe.start' });
    if (c.probesInFlight > 0) events.push({ type: 'probe.succeeded' }, { type: 'probe.failed' }, { type: 'probe.released' });
    for (const state of TARGETS) events.push({ type: 'breaker.force', state });
    events.push(...SYNCS);
    return events;
  },
  // `trips` only ever grows (and `failureCount` with each failed probe); two trip cycles are
  // enough to see every transition twice. A synced opening does not count a trip of this breaker's.
  stopWhen: (c) => c.trips >= 2 || c.failureCount > THRESHOLD + 2,
  // Every move the shared breaker can make of this one. (A sync to the state it is in, or while
  // forced open or disabled, changes no vertex: it is checked as a one-step extension, and on a
  // real actor in breaker-sync.test.ts.)
  replays: [
    'closed —breaker.sync(open)→ open',
    'closed —breaker.sync(halfOpen)→ halfOpen',
    'open —breaker.sync(open)→ open',
    'open —breaker.sync(halfOpen)→ halfOpen',
    'open —breaker.sync(closed)→ closed',
    'halfOpen —breaker.sync(open)→ open',
    'halfOpen —breaker.sync(closed)→ closed',
  ],
  check: (h) => {
    const i = h.length - 1;
    const { event, obs } = h[i]!;
    const c = obs.context;
    expect(obs.emitted, 'the breaker emits nothing').toEqual([]);
    expect(c.probesInFlight + c.probesSucceeded, 'never more probe places taken than halfOpenProbes').toBeLessThanOrEqual(c.halfOpenProbes);
    expect([...TARGETS] as string[]).toContain(obs.value);
    if (obs.value === 'closed') {
      expect(c.failureCount, 'closed: failureCount stays below failureThreshold').toBeLessThan(THRESHOLD);
      expect(c.failureCount, 'closed: failureCount is the run of consecutive attempt.failed').toBe(consecutiveFailures(h, i));
    }
    expect(obs.pending, 'a timer runs only while open').toBe(obs.value === 'open' ? 1 : 0);

    expect(c.trips, 'trips counts its own entries into open, raised by a synced opening').toBe(expectedTrips(h, i));
    if (obs.value !== 'open') expect(c.openForMs, 'a synced wait lasts only its opening').toBeNull();

    if (i === 0) {
      expect(obs.value).toBe('closed');
      expect(c).toMatchObject({ failureCount: 0, trips: 0 });
      return;
    }
    const prev = h[i - 1]!.obs;
    if (isForce(event)) {
      expect(obs.value, 'breaker.force lands in the state asked for').toBe(event.state);
      return;
    }
    if (isSync(event)) {
      // The shared breaker moved: followed to the same state (the state it is in already: nothing
      // changes, but a new opening's wait), ignored while forced open or disabled.
      const to = prev.value === 'forcedOpen' || prev.value === 'disabled' || (event.state !== 'open' && event.state === prev.value) ? prev.value : event.state;
      expect(obs.value, `breaker.sync ${event.state} from ${prev.value}`).toBe(to);
      if (to === prev.value && event.state !== 'open') expect(c, 'a sync to the state it is in changes nothing').toEqual(prev.context);
      if (obs.value === 'open' && followed(prev.value, event)) {
        expect(c.openForMs, 'open for the wait the other instance set').toBe(event.waitMs);
        expect(obs.pending, 'its timer restarted').toBe(1);
        expect({ ...c, openForMs: prev.context.openForMs, trips: prev.context.trips }, 'a synced opening counts nothing of its own').toEqual(prev.context);
      }
    }
    if (obs.value === 'open' && prev.value !== 'open') {
      const byFailures = prev.value === 'closed' && event?.type === 'attempt.failed' && consecutiveFailures(h, i) === THRESHOLD;
      const byProbe = prev.value === 'halfOpen' && event?.type === 'probe.failed';
      const bySync = followed(prev.value, event) && event.state === 'open';
      expect(byFailures || byProbe || bySync, `open reached only after ${THRESHOLD} consecutive failures, a failed probe, or the shared breaker opening`).toBe(true);
    }
    if (prev.value === 'halfOpen' && obs.value === 'closed' && !isSync(event)) {
      expect(probeSuccesses(h, i), 'halfOpen → closed only after halfOpenProbes probe.succeeded (or the shared breaker closing)').toBe(PROBES);
    }
    if (prev.value === 'halfOpen' && event?.type === 'probe.succeeded') {
      expect(obs.value).toBe(probeSuccesses(h, i) >= PROBES ? 'closed' : 'halfOpen');
    }
    if (prev.value === 'halfOpen' && event?.type === 'probe.failed') expect(obs.value, 'a failed probe reopens').toBe('open');
    if (obs.value === 'halfOpen') {
      // A neutral or aborted probe (`probe.released`) frees its place for another.
      const from = entryIndex(h, i, 'halfOpen', (s) => isForce(s.event)) + 1;
      const since = h.slice(from, i + 1).map((s) => s.event?.type);
      // A probe.start is granted only while a place is free (the machine's guard); others are ignored.
      const granted = h.slice(from, i + 1).filter((s, k) => {
        const before = h[from + k - 1]!.obs.context;
        return s.event?.type === 'probe.start' && before.probesInFlight + before.probesSucceeded < before.halfOpenProbes;
      }).length;
      const count = (type: string) => (type === 'probe.start' ? granted : since.filter((t) => t === type).length);
      expect(c.probesSucceeded, 'probesSucceeded counts probe.succeeded since halfOpen began').toBe(count('probe.succeeded'));
      expect(c.probesInFlight, 'probes in flight: started, not yet succeeded or released').toBe(count('probe.start') - count('probe.succeeded') - count('probe.released'));
      expect(c.probesInFlight + c.probesSucceeded, 'never more than halfOpenProbes probes').toBeLessThanOrEqual(PROBES);
    }
    if (prev.value !== 'closed' && (event?.type === 'attempt.failed' || event?.type === 'attempt.succeeded')) {
      // Outcomes of attempts that started before the breaker opened decide nothing.
      expect(obs.value).toBe(prev.value);
      expect(c).toEqual(prev.context);
    }
    if (prev.value === 'forcedOpen' || prev.value === 'disabled') {
      expect(obs.value, `${prev.value} is left only by breaker.force`).toBe(prev.value);
      expect(c, `${prev.value} counts nothing`).toEqual(prev.context);
    }
    if (obs.value === 'halfOpen' && prev.value !== 'halfOpen' && !isSync(event)) {
      expect(prev.value, 'halfOpen is reached from open, by time (or the shared breaker half-opening)').toBe('open');
      expect(event?.type).toBe('tick');
    }
    // Time: still open at its wait − 1 (resetTimeoutMs, or the synced wait), halfOpen at exactly its wait.
    if (obs.value === 'open') {
      const entry = entryIndex(h, i, 'open', reenteredOpen(h));
      // A wait of 0 (already due) still opens until the clock moves and fires its timer.
      const elapsed = obs.now - h[entry]!.obs.now;
      if (elapsed > 0) expect(elapsed, 'open lasts less than its wait').toBeLessThan(openFor(h, entry));
      expect(c.openForMs, 'open for the synced wait, or null: resetTimeoutMs').toBe(syncedWait(h, entry));
    }
    if (prev.value === 'open' && event?.type === 'tick') {
      const entry = entryIndex(h, i - 1, 'open', reenteredOpen(h));
      const elapsed = obs.now - h[entry]!.obs.now;
      expect(obs.value, `open after ${elapsed} ms`).toBe(elapsed >= openFor(h, entry) ? 'halfOpen' : 'open');
      if (obs.value === 'halfOpen') expect(elapsed, 'halfOpen exactly at its wait').toBe(openFor(h, entry));
    }
  },
};

// ── key slot ────────────────────────────────────────────────────────────────────────────────

type KH = History<KeySlotContext, KeySlotEvent>;
const isCoolingEvent = (e: KeySlotEvent | Tick | null): e is Extract<KeySlotEvent, { type: 'key.rateLimited' | 'key.budgetSpent' }> =>
  e?.type === 'key.rateLimited' || e?.type === 'key.budgetSpent';

const keySlotSpec: Spec<KeySlotContext, KeySlotEvent> = {
  machine: keySlotMachine,
  input: { name: 'k' },
  // Waits as the dispatcher sends them: `untilMs = now + waitMs` on the clock.
  events: (w) => {
    const at = (waitMs: number) => ({ untilMs: w.now + waitMs, waitMs });
    return [
      { type: 'key.rateLimited', ...at(1000), reason: 'status_429' },
      { type: 'key.rateLimited', ...at(400), reason: 'status_429' },
      { type: 'key.budgetSpent', ...at(600), reason: 'budget' },
      { type: 'key.quotaExhausted', ...at(2000), reason: 'daily_quota' },
      { type: 'key.quotaExhausted', ...at(1500), reason: 'daily_quota' },
      { type: 'key.invalid', reason: 'status_401' },
      { type: 'key.answered' },
    ];
  },
  normalize: (c, now) => ({ ...c, untilMs: c.untilMs === null ? null : c.untilMs - now }),
  check: (h: KH) => {
    const i = h.length - 1;
    const { event, obs } = h[i]!;
    const c = obs.context;
    const abs = obs.now + T0;
    expect(obs.emitted).toEqual([]);
    expect(c.name).toBe('k');
    expect(c.probed, 'probed from the first answer on, never before').toBe(h.some((s) => s.event?.type === 'key.answered'));
    if (obs.value === 'ready') {
      expect(c, 'ready holds no wait').toMatchObject({ untilMs: null, waitMs: 0, reason: null });
      expect(obs.pending).toBe(0);
    }
    if (obs.value === 'cooling' || obs.value === 'exhausted') {
      expect(obs.pending, `${obs.value} has one timer`).toBe(1);
      expect(c.untilMs!, `${obs.value} ends at untilMs, not before`).toBeGreaterThan(abs);
      expect(c.untilMs! - abs).toBeLessThanOrEqual(c.waitMs);
    }
    if (obs.value === 'disabled') expect(obs.pending).toBe(0);
    if (i === 0) {
      expect(obs.value).toBe('ready');
      return;
    }
    const prev = h[i - 1]!.obs;
    if (event?.type === 'key.answered') {
      expect(obs.value, 'an answer changes no state').toBe(prev.value);
      expect({ ...c, probed: prev.context.probed }).toEqual(prev.context);
    }
    if (prev.value === 'disabled') expect(obs.value, 'disabled is never left').toBe('disabled');
    if (event?.type === 'key.invalid') expect(obs.value).toBe('disabled');
    if (obs.value === 'cooling') {
      // A shorter later wait never shortens cooling: untilMs is the latest instant asked for since
      // cooling began.
      const from = entryIndex(h, i, 'cooling');
      const asked = h.slice(from, i + 1).flatMap((s) => (isCoolingEvent(s.event) ? [s.event.untilMs] : []));
      expect(c.untilMs, 'cooling lasts until the latest instant asked for').toBe(Math.max(...asked));
    }
    if (prev.value === 'exhausted' && isCoolingEvent(event)) {
      expect(obs.value, 'a 429 during exhausted changes nothing').toBe('exhausted');
      expect(c).toEqual(prev.context);
    }
    if (obs.value === 'exhausted') {
      const last = [...h.slice(0, i + 1)].reverse().find((s) => s.event?.type === 'key.quotaExhausted')!.event as Extract<KeySlotEvent, { type: 'key.quotaExhausted' }>;
      expect(c.untilMs, 'exhausted lasts the wait of the latest quota answer').toBe(last.untilMs);
    }
    if ((prev.value === 'cooling' || prev.value === 'exhausted') && event?.type === 'tick') {
      const until = prev.context.untilMs!;
      expect(obs.value, `${prev.value} until ${until - T0}, now ${obs.now}`).toBe(abs >= until ? 'ready' : prev.value);
      if (obs.value === 'ready') expect(abs, `${prev.value} ends exactly at its wait`).toBe(until);
    }
    if (obs.value === 'ready' && prev.value !== 'ready') {
      expect(event?.type, 'only time makes a key ready again').toBe('tick');
    }
  },
};

// ── batcher ─────────────────────────────────────────────────────────────────────────────────

const MAX_BATCH = 3;
const WINDOW_MS = 500;
type BaH = History<BatcherContext, BatcherEvent>;

const batcherSpec: Spec<BatcherContext, BatcherEvent> = {
  machine: batcherMachine,
  input: { model: 'm', maxBatchSize: MAX_BATCH, batchTimeoutMs: WINDOW_MS },
  events: (w, c) => {
    const value = w.machine.value;
    const events: BatcherEvent[] = [{ type: 'batch.flush' }];
    if (value === 'idle' || value === 'collecting') {
      // The dispatcher flushes first when an input would not fit (`batch.flush`, listed above), and
      // sends a caller larger than maxBatchSize alone, so an added input always fits.
      const adds: BatcherEvent[] = [
        { type: 'input.add', size: 1, high: false },
        { type: 'input.add', size: 2, high: false },
        { type: 'input.add', size: MAX_BATCH, high: false },
        { type: 'input.add', size: 1, high: true },
        { type: 'input.add', size: 1, high: false, ready: true },
      ];
      events.push(...adds.filter((e) => e.type === 'input.add' && c.count + e.size <= MAX_BATCH));
    }
    if (value === 'collecting') {
      for (const size of [1, 2]) if (size <= c.count) events.push({ type: 'input.remove', size });
    }
    if (value === 'flushing') events.push({ type: 'batch.sent' });
    if (c.inFlight > 0) events.push({ type: 'batch.returned' });
    return events;
  },
  stopWhen: (c) => c.inFlight > 2,
  check: (h: BaH) => {
    const i = h.length - 1;
    const { event, obs } = h[i]!;
    const c = obs.context;
    if (obs.value === 'idle') {
      expect(c, 'idle holds nothing').toMatchObject({ count: 0, reason: null });
      expect(obs.pending).toBe(0);
    }
    if (obs.value === 'collecting') {
      expect(c.count, 'collecting: count ≤ maxBatchSize before a flush').toBeLessThan(MAX_BATCH);
      expect(c.count).toBeGreaterThan(0);
      expect(obs.pending, 'the batch window runs while collecting').toBe(1);
    }
    if (obs.value === 'flushing') {
      expect(c.count).toBeLessThanOrEqual(MAX_BATCH);
      expect(c.count).toBeGreaterThan(0);
      expect(obs.pending, 'no window left running after a flush').toBe(0);
    }
    if (i === 0) {
      expect(obs.value).toBe('idle');
      expect(obs.emitted).toEqual([]);
      return;
    }
    const prev = h[i - 1]!.obs;
    const entersFlushing = obs.value === 'flushing' && prev.value !== 'flushing';
    if (!entersFlushing) expect(obs.emitted, 'batch.flush is emitted only on a flush').toEqual([]);
    if (entersFlushing) {
      let reason: string;
      if (event?.type === 'input.add' && event.high) reason = 'priority';
      else if (event?.type === 'input.add' && c.count < MAX_BATCH) {
        reason = 'ready';
        expect(event.ready && prev.value === 'idle' && prev.context.inFlight === 0, 'an input flushes at once only when nothing is in flight and a slot is free').toBe(true);
      } else if (event?.type === 'batch.returned') {
        reason = 'ready';
        expect(prev.context.inFlight, 'a collecting batch goes when the last one in flight returns').toBe(1);
      } else if (event?.type === 'input.add') {
        reason = 'size';
        expect(c.count, 'a size flush happens at the maxBatchSize-th input').toBe(MAX_BATCH);
      } else if (event?.type === 'batch.flush') reason = 'size';
      else {
        expect(event?.type).toBe('tick');
        reason = 'timeout';
      }
      expect(obs.emitted, 'exactly one batch.flush per flush').toEqual([{ type: 'batch.flush', model: 'm', reason, count: c.count }]);
      expect(c.reason).toBe(reason);
    }
    if (event?.type === 'input.add' && (prev.value === 'idle' || prev.value === 'collecting')) {
      expect(c.count).toBe(prev.context.count + event.size);
      if (event.high) expect(obs.value, 'a high input flushes at once').toBe('flushing');
      else if (c.count >= MAX_BATCH) expect(obs.value).toBe('flushing');
      else if (event.ready && prev.value === 'idle' && prev.context.inFlight === 0) expect(obs.value, 'nothing to batch with: sent at once').toBe('flushing');
      else expect(obs.value).toBe('collecting');
    }
    if (event?.type === 'input.remove' && prev.value === 'collecting') {
      expect(c.count).toBe(Math.max(0, prev.context.count - event.size));
      expect(obs.value).toBe(c.count === 0 ? 'idle' : 'collecting');
    }
    if (prev.value === 'flushing' && event?.type === 'batch.sent') {
      expect(obs.value, 'after batch.sent the batcher is idle').toBe('idle');
      expect(c.count).toBe(0);
    }
    if (prev.value === 'flushing' && event?.type !== 'batch.sent') expect(obs.value).toBe('flushing');
    if (obs.value === 'collecting' || (prev.value === 'collecting' && event?.type === 'tick')) {
      const openedAt = h[entryIndex(h, prev.value === 'collecting' ? i - 1 : i, 'collecting')]!.obs.now;
      const elapsed = obs.now - openedAt;
      if (obs.value === 'collecting') expect(elapsed, 'a batch never waits batchTimeoutMs').toBeLessThan(WINDOW_MS);
      if (event?.type === 'tick' && prev.value === 'collecting') {
        expect(obs.value).toBe(elapsed >= WINDOW_MS ? 'flushing' : 'collecting');
        if (obs.value === 'flushing') expect(elapsed, 'timeout flush exactly batchTimeoutMs after the first input').toBe(WINDOW_MS);
      }
    }
  },
};

// ── retry ───────────────────────────────────────────────────────────────────────────────────

const MAX_RETRIES = 2;
type RH = History<RetryContext, RetryEvent>;

/** A retryable failure of the attempt in flight while retries are left: another retry is granted. */
function isGrant(prev: Obs<RetryContext>, event: RetryEvent | Tick | null): event is Extract<RetryEvent, { type: 'attempt.failed' }> {
  return prev.value === 'attempting' && event?.type === 'attempt.failed' && event.retryable && prev.context.retries < prev.context.maxRetries;
}

const retrySpec: Spec<RetryContext, RetryEvent> = {
  machine: retryMachine,
  input: { requestId: 'r1', maxRetries: MAX_RETRIES },
  events: () => [
    { type: 'attempt.succeeded' },
    { type: 'attempt.failed', retryable: true, delayMs: 250, reason: 'status_503' },
    { type: 'attempt.failed', retryable: true, delayMs: 0, reason: 'timeout' },
    { type: 'attempt.failed', retryable: false, delayMs: 0, reason: 'status_400' },
    { type: 'retry.abandon' },
    { type: 'config.update', maxRetries: 1 },
    { type: 'config.update', maxRetries: 3 },
  ],
  check: (h: RH) => {
    const i = h.length - 1;
    const { event, obs } = h[i]!;
    const c = obs.context;
    // succeeded and failed are terminal but not `final` (a final child would send its parent a
    // done event of a new type per request id): the actor stays active until the supervisor stops it.
    expect(obs.status).toBe('active');
    expect(obs.pending, 'the backoff timer runs only while backing off').toBe(obs.value === 'backingOff' ? 1 : 0);
    const grants = h.filter((s, j) => j > 0 && isGrant(h[j - 1]!.obs, s.event)).length;
    expect(c.retries, 'retries counts every retry granted, and only the canRetry guard grants one').toBe(grants);
    const starts = h.flatMap((s) => s.obs.emitted);
    expect(starts.map((e) => (e as RetryEmitted).retries), 'attempt.start once per retry, in order').toEqual(
      Array.from({ length: starts.length }, (_, k) => k + 1),
    );
    if (i === 0) {
      // Spawned on the first retryable failure, in `attempting`: that failure is the first event.
      expect(obs.value).toBe('attempting');
      expect(c).toMatchObject({ retries: 0, delayMs: 0 });
      expect(obs.emitted).toEqual([]);
      return;
    }
    const prev = h[i - 1]!.obs;
    const start = { type: 'attempt.start', requestId: 'r1', retries: c.retries, sleptMs: c.delayMs };
    if (prev.value === 'backingOff') {
      const from = entryIndex(h, i - 1, 'backingOff');
      const elapsed = obs.now - h[from]!.obs.now;
      const delay = h[from]!.obs.context.delayMs;
      if (event?.type === 'tick') {
        expect(obs.value, `backing off ${delay} ms, ${elapsed} elapsed`).toBe(elapsed >= delay ? 'attempting' : 'backingOff');
      }
      if (obs.value === 'attempting') {
        expect(elapsed, 'the attempt starts exactly when the backoff delay elapses').toBe(delay);
        expect(obs.emitted).toEqual([start]);
      } else {
        expect(obs.emitted).toEqual([]);
      }
      if (event?.type === 'attempt.failed' || event?.type === 'attempt.succeeded') {
        expect(obs.value, 'no attempt is in flight while backing off').toBe('backingOff');
      }
    } else if (isGrant(prev, event)) {
      expect(c).toMatchObject({ retries: prev.context.retries + 1, delayMs: event.delayMs, reason: event.reason });
      if (event.delayMs === 0) {
        // A zero wait passes through backingOff within the same step: the attempt starts at once.
        expect(obs.value).toBe('attempting');
        expect(obs.emitted).toEqual([start]);
      } else {
        expect(obs.value, 'a retryable failure with retries left backs off').toBe('backingOff');
        expect(obs.emitted).toEqual([]);
      }
    } else {
      expect(obs.emitted, 'attempt.start only when a backoff ends').toEqual([]);
    }
    if (obs.value === 'backingOff' && prev.value === 'attempting') {
      expect(isGrant(prev, event), 'backingOff again only for a retry granted below maxRetries').toBe(true);
    }
    if (prev.value === 'attempting' && event?.type === 'attempt.failed' && !isGrant(prev, event)) {
      expect(obs.value, 'a non-retryable failure, or no retries left, fails').toBe('failed');
    }
    if (obs.value === 'failed' && prev.value !== 'failed') {
      const used = event?.type === 'attempt.failed' && prev.value === 'attempting' && (!event.retryable || prev.context.retries >= prev.context.maxRetries);
      expect(used || event?.type === 'retry.abandon', 'failed after a non-retryable failure, retries used up, or abandon').toBe(true);
    }
    if (event?.type === 'retry.abandon' && prev.value !== 'succeeded') expect(obs.value, 'retry.abandon fails the retry').toBe('failed');
    if (prev.value === 'succeeded' || prev.value === 'failed') expect(obs.value, 'nothing leaves a terminal state').toBe(prev.value);
    if (obs.value === 'succeeded' && prev.value !== 'succeeded') {
      expect(prev.value).toBe('attempting');
      expect(event?.type).toBe('attempt.succeeded');
    }
  },
};

// ── supervisor ──────────────────────────────────────────────────────────────────────────────

type SH = History<SupervisorContext, SupervisorEvent>;
const ON = { token: INTERNAL } as const;
/** Commands the machine must reject (the same check `board.send` throws on). */
const INVALID: SupervisorEvent[] = [
  { type: 'strategy.set', strategy: 'fastest' as never },
  { type: 'config.update', config: { queue: { maxConcurrent: 0 } } },
  { type: 'config.update', config: { colour: 'blue' } as never },
  { type: 'breaker.force', state: 'ajar' as never },
  { type: 'key.add', key: { name: 'k9', secret: '' } },
  { type: 'key.remove', name: 'nobody' },
];
/** Internal events without the token: ignored. */
const FORGED = [{ type: 'lifecycle.drain' }, { type: 'lifecycle.stop' }, { type: 'retry.stop', requestId: 'r' }, { type: 'retry.spawn', requestId: 'r' }] as unknown as SupervisorEvent[];
const summary = (c: SupervisorContext) => ({ strategy: c.strategy, maxConcurrent: c.config.queue.maxConcurrent, keys: c.keys.map((k) => k.name) });

const supervisorSpec: Spec<SupervisorContext, SupervisorEvent> = {
  machine: supervisorMachine,
  input: { provider: 'openai', config: resolveConfig({}, DEFAULTS), keys: [{ name: 'k1', maxConcurrent: null, limits: null }] },
  events: (_w, c) => [
    { type: 'strategy.set', strategy: c.strategy === 'round-robin' ? 'least-loaded' : 'round-robin' },
    { type: 'config.update', config: { queue: { maxConcurrent: c.config.queue.maxConcurrent === 5 ? 2 : 5 } } },
    // forwarded to the breaker child (`forcedOpen`: no timer of the child's on the shared clock)
    { type: 'breaker.force', state: 'forcedOpen' },
    c.keys.some((k) => k.name === 'k2') ? { type: 'key.remove', name: 'k2' } : { type: 'key.add', key: { name: 'k2' } },
    { type: 'stats.reset' },
    ...INVALID,
    ...FORGED,
    { type: 'lifecycle.drain', ...ON },
    { type: 'lifecycle.stop', ...ON },
  ],
  normalize: (c) => summary(c),
  check: (h: SH) => {
    const i = h.length - 1;
    const { event, obs } = h[i]!;
    expect(['running', 'draining', 'stopped']).toContain(obs.value);
    if (i === 0) {
      expect(obs.value).toBe('running');
      return;
    }
    const prev = h[i - 1]!.obs;
    const invalid = INVALID.includes(event as SupervisorEvent);
    const forged = FORGED.includes(event as SupervisorEvent);
    const rejections = obs.emitted.filter((e) => e.type === 'command.rejected');
    expect(rejections, 'command.rejected exactly for an invalid command, with its type only').toEqual(
      invalid ? [{ type: 'command.rejected', command: (event as SupervisorEvent).type, reason: expect.any(String) }] : [],
    );
    if (invalid || forged) {
      expect(summary(obs.context), 'a rejected or forged event changes nothing').toEqual(summary(prev.context));
      expect(obs.value).toBe(prev.value);
    }
    // The lifecycle only moves forward, and only on the board's own (token-carrying) events.
    const order = ['running', 'draining', 'stopped'];
    expect(order.indexOf(obs.value)).toBeGreaterThanOrEqual(order.indexOf(prev.value));
    if (obs.value !== prev.value) {
      expect((event as { token?: unknown }).token).toBe(INTERNAL);
      expect(event?.type).toBe(obs.value === 'draining' ? 'lifecycle.drain' : 'lifecycle.stop');
    }
    if (summary(obs.context).maxConcurrent !== summary(prev.context).maxConcurrent) expect(event?.type, 'only config.update changes the options').toBe('config.update');
    if (obs.context.strategy !== prev.context.strategy) expect(event?.type).toBe('strategy.set');
    if (JSON.stringify(obs.context.keys) !== JSON.stringify(prev.context.keys)) expect(['key.add', 'key.remove']).toContain(event?.type);
    expect(JSON.stringify(obs.context), 'no secret in the context').not.toContain('secret');
  },
};

// ── the walks ───────────────────────────────────────────────────────────────────────────────

describe('machine models (xstate/graph shortest paths replayed on real actors)', () => {
  test.each([
    ['circuit breaker', breakerSpec as Spec<unknown, EventObject>],
    ['key slot', keySlotSpec as Spec<unknown, EventObject>],
    ['batcher', batcherSpec as Spec<unknown, EventObject>],
    ['retry', retrySpec as Spec<unknown, EventObject>],
    ['supervisor', supervisorSpec as Spec<unknown, EventObject>],
  ])('the %s keeps its invariants on every shortest path and every state is reached', async (_name, spec) => {
    const { states, replayed, paths, edges } = await walk(spec);
    expect(paths).toBeGreaterThan(5);
    expect(edges, 'every edge out of every world met is checked').toBeGreaterThan(paths);
    expect([...states].sort(), 'every state is covered by at least one path').toEqual(stateNames(spec.machine));
    for (const t of spec.replays ?? []) expect([...replayed], 'replayed on a real actor').toContain(t);
  });
});
