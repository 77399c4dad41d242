/** Name given to everything past a counter map's cap (models past `maxModels`, …). */
export const OTHER = '(other)';

export class ModelCounters {
  requests = 0;
  succeeded = 0;
  failed = 0;
  inputTokens = 0;
  outputTokens = 0;
}

export class KeyCounters {
  attempts = 0;
  succeeded = 0;
  failed = 0;
  rateLimited = 0;
}

export class Count {
  n = 0;
}

/**
 * Counter objects by name, at most `cap` distinct names; later names share the `"(other)"` entry.
 * Each name's object is created on first sight and reused after, so a lookup in the steady
 * state is one `Map.get` and no allocation.
 */
export class CappedCounters<T> {
  readonly map = new Map<string, T>();
  private readonly cap: number;
  private readonly make: () => T;

  constructor(cap: number, make: () => T) {
    this.cap = cap;
    this.make = make;
  }

  get(name: string): T {
    const found = this.map.get(name);
    if (found !== undefined) return found;
    const key = this.map.size < this.cap ? name : OTHER;
    let entry = this.map.get(key);
    if (entry === undefined) {
      entry = this.make();
      this.map.set(key, entry);
    }
    return entry;
  }

  clear(): void {
    this.map.clear();
  }
}
