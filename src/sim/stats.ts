import type { Provider } from '../types.js';
import { maskKey } from './formats/common.js';
import type { RecordedRequest, SimCounters, SimStats } from './types.js';

const PROVIDERS: readonly Provider[] = ['openai', 'anthropic', 'groq', 'gemini'];
const SECRET_HEADERS = new Set(['authorization', 'x-api-key', 'x-goog-api-key']);

function counters(): SimCounters {
  return { requests: 0, byStatus: {}, rateLimited: 0, keyInUrl: 0, faults: {}, clientClosed: 0, streams: { started: 0, completed: 0, abortedByClient: 0 } };
}

/** Where one request's counts go: the totals, its provider, and its key when it had one. */
type Scope = { provider: Provider; key: string | null };

/** Counts what the simulator saw and did; every change notifies the listeners (for `waitFor`). */
export class StatsRecorder {
  private stats!: SimStats;
  private readonly listeners = new Set<() => void>();

  constructor(private readonly recordLimit: number) {
    this.reset();
  }

  reset(): void {
    const providers = {} as SimStats['providers'];
    for (const p of PROVIDERS) providers[p] = { ...counters(), recent: [] };
    this.stats = { ...counters(), providers, keys: {} };
    this.changed();
  }

  snapshot(): SimStats {
    return structuredClone(this.stats);
  }

  /** The number of requests that arrived since the last reset, without copying the stats. */
  arrived(): number {
    return this.stats.requests;
  }

  onChange(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  arrive(scope: Scope, keyInUrl: boolean, req: Omit<RecordedRequest, 'headers'> & { headers: Record<string, string> }): void {
    const recent = this.stats.providers[scope.provider].recent;
    recent.push({ ...req, headers: maskHeaders(req.headers), path: keyInUrl ? req.path.replace(/([?&]key=)[^&]*/, '$1***') : req.path });
    if (recent.length > this.recordLimit) recent.shift();
    this.bump(scope, (c) => {
      c.requests++;
      if (keyInUrl) c.keyInUrl++;
    });
    if (scope.key !== null) {
      const k = this.stats.keys[scope.key]!;
      k.providers[scope.provider] = (k.providers[scope.provider] ?? 0) + 1;
    }
    this.changed();
  }

  status(scope: Scope, status: number): void {
    this.bump(scope, (c) => {
      c.byStatus[status] = (c.byStatus[status] ?? 0) + 1;
      if (status === 429) c.rateLimited++;
    });
    this.changed();
  }

  fault(scope: Scope, kind: string): void {
    this.bump(scope, (c) => {
      c.faults[kind] = (c.faults[kind] ?? 0) + 1;
    });
    this.changed();
  }

  stream(scope: Scope, event: 'started' | 'completed' | 'abortedByClient'): void {
    this.bump(scope, (c) => {
      c.streams[event]++;
    });
    this.changed();
  }

  clientClosed(scope: Scope): void {
    this.bump(scope, (c) => {
      c.clientClosed++;
    });
    this.changed();
  }

  private bump(scope: Scope, fn: (c: SimCounters) => void): void {
    fn(this.stats);
    fn(this.stats.providers[scope.provider]);
    if (scope.key !== null) {
      let k = this.stats.keys[scope.key];
      if (!k) this.stats.keys[scope.key] = k = { ...counters(), providers: {} };
      fn(k);
    }
  }

  private changed(): void {
    for (const fn of [...this.listeners]) fn();
  }
}

function maskHeaders(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (!SECRET_HEADERS.has(name)) out[name] = value;
    else out[name] = name === 'authorization' ? value.replace(/^(\S+\s+)?(.*)$/, (_m, scheme: string | undefined, secret: string) => `${scheme ?? ''}${maskKey(secret)}`) : maskKey(value);
  }
  return out;
}
