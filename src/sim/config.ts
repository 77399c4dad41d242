import type { Provider } from '../types.js';
import { parseStep } from './faults.js';
import type { KeyKnobs, OutageKnobs, ProviderKnobs, RateLimitKnobs, ScriptStep, SimConfig, SimKnobs } from './types.js';

/** The knobs in force for one request, after `defaults` < provider < key. */
export interface EffectiveKnobs {
  latencyMs: number;
  chunkDelayMs: number;
  errorRates: Record<number, number> | null;
  rateLimit: RateLimitKnobs | null;
  dailyQuota: number | null;
  outage: { status: number; untilMs: number | null } | null;
  shouldRetry: boolean | null;
  dimensions: number;
  invalidKey: boolean;
}

type Layer = Record<string, unknown>;
const KNOB_FIELDS = ['latencyMs', 'chunkDelayMs', 'errorRates', 'rateLimit', 'dailyQuota', 'outage', 'shouldRetry', 'dimensions'] as const;
const PROVIDERS: readonly Provider[] = ['openai', 'anthropic', 'groq', 'gemini'];

/** Holds the layered configuration and the scripted fault queues. */
export class SimConfigStore {
  private defaults: Layer = {};
  private providers = new Map<Provider, Layer>();
  private keys = new Map<string, Layer>();
  private invalidKeys = new Map<Provider, Set<string>>();
  private scripts = new Map<string, ScriptStep[]>();

  constructor(private readonly now: () => number) {}

  /** Merges `partial`; returns true when a rate limit changed (the buckets start over). */
  apply(partial: SimConfig): boolean {
    let rateChanged = false;
    const merge = (target: Layer, knobs: SimKnobs | undefined, scriptId: string) => {
      if (!knobs) return;
      for (const field of KNOB_FIELDS) {
        const v = knobs[field];
        if (v === undefined) continue;
        target[field] = field === 'outage' ? this.normalizeOutage(v as SimKnobs['outage']) : v;
        if (field === 'rateLimit') rateChanged = true;
      }
      if (knobs.script !== undefined) {
        for (const step of knobs.script ?? []) parseStep(step);
        this.scripts.set(scriptId, knobs.script ? [...knobs.script] : []);
      }
    };
    merge(this.defaults, partial.defaults, 'defaults');
    for (const p of PROVIDERS) {
      const knobs: ProviderKnobs | undefined = partial[p];
      if (!knobs) continue;
      merge(this.layer(this.providers, p), knobs, `provider:${p}`);
      if (knobs.invalidKeys !== undefined) this.invalidKeys.set(p, new Set(knobs.invalidKeys ?? []));
    }
    for (const [key, knobs] of Object.entries(partial.keys ?? {})) {
      const layer = this.layer(this.keys, key);
      merge(layer, knobs, `key:${key}`);
      if ((knobs as KeyKnobs).invalid !== undefined) layer.invalid = (knobs as KeyKnobs).invalid;
    }
    return rateChanged;
  }

  resolve(provider: Provider, key: string | null): EffectiveKnobs {
    const layers = [this.defaults, this.providers.get(provider) ?? {}, key === null ? {} : this.keys.get(key) ?? {}];
    const pick = <T>(field: string): T | null => {
      let v: unknown = undefined;
      for (const l of layers) if (l[field] !== undefined) v = l[field];
      return (v ?? null) as T | null;
    };
    const keyLayer = key === null ? undefined : this.keys.get(key);
    return {
      latencyMs: pick<number>('latencyMs') ?? 0,
      chunkDelayMs: pick<number>('chunkDelayMs') ?? 0,
      errorRates: pick('errorRates'),
      rateLimit: pick('rateLimit'),
      dailyQuota: pick('dailyQuota'),
      outage: pick('outage'),
      shouldRetry: pick('shouldRetry'),
      dimensions: pick<number>('dimensions') ?? 16,
      invalidKey: key !== null && (keyLayer?.invalid === true || (this.invalidKeys.get(provider)?.has(key) ?? false)),
    };
  }

  /** The next scripted step for this request: the key's queue, then the provider's, then the defaults'. */
  nextStep(provider: Provider, key: string | null): ScriptStep | null {
    for (const id of [key === null ? null : `key:${key}`, `provider:${provider}`, 'defaults']) {
      if (id === null) continue;
      const q = this.scripts.get(id);
      if (q && q.length > 0) return q.shift() ?? null;
    }
    return null;
  }

  clearScripts(): void {
    this.scripts.clear();
  }

  private layer<K>(map: Map<K, Layer>, k: K): Layer {
    let l = map.get(k);
    if (!l) map.set(k, (l = {}));
    return l;
  }

  private normalizeOutage(v: SimKnobs['outage']): EffectiveKnobs['outage'] {
    if (v === null || v === false) return null;
    if (v === true) return { status: 503, untilMs: null };
    const o = v as OutageKnobs;
    const untilMs = o.untilMs ?? (o.forMs !== undefined ? this.now() + o.forMs : null);
    return { status: o.status ?? 503, untilMs };
  }
}
