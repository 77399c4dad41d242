import { createTestClock, type TestClock } from '../../src/clock.js';
import { createSupervisor, type Board } from '../../src/supervisor/index.js';
import type { SupervisorOptions } from '../../src/options.js';
import { fakeTransport, type Step } from './fake-transport.js';

export const T0 = Date.parse('2026-03-01T12:00:00.000Z');

/** A board on a test clock and a scripted transport, with keys `a`, `b`, `c` (secrets `sk-a` …). */
export function makeBoard(options: SupervisorOptions & { script?: Step[]; byKey?: Record<string, Step[]>; latencyMs?: number; keyNames?: string[]; respond?: NonNullable<Parameters<typeof fakeTransport>[1]>['respond'] } = {}) {
  const clock: TestClock = createTestClock(T0);
  const { script, byKey, latencyMs, keyNames, respond, ...rest } = options;
  const fake = fakeTransport(clock, { script, byKey, latencyMs, respond });
  let seed = 42;
  const random = () => {
    seed = (seed * 1664525 + 1013904223) >>> 0;
    return seed / 2 ** 32;
  };
  const board: Board = createSupervisor({
    provider: 'openai',
    keys: (keyNames ?? ['a']).map((name) => ({ name, secret: `sk-${name}` })),
    clock,
    random,
    transport: fake.transport,
    baseUrl: 'http://127.0.0.1:9/v1',
    ...rest,
  });
  return { board, clock, fake };
}

export const hi = (content = 'hi') => ({ model: 'gpt-4o-mini', messages: [{ role: 'user' as const, content }] });

/** Settles a promise into a value or an error code, for assertions. */
export async function outcome<T>(p: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; code: string; error: any }> {
  try {
    return { ok: true, value: await p };
  } catch (error: any) {
    return { ok: false, code: error?.code ?? String(error), error };
  }
}
