import { describe, expect, it } from 'vitest';
import { parseDuration, parseProtoDuration } from '../../src/policy/retry-after.js';
import { answer, estimateTokens, splitForStream, type Conversation } from '../../src/sim/answer.js';
import { embedText, toBase64Float32 } from '../../src/sim/embeddings.js';
import { drawErrorStatus, parseStep } from '../../src/sim/faults.js';
import { maskKey } from '../../src/sim/formats/common.js';
import { mulberry32 } from '../../src/sim/random.js';
import { DailyQuota, KeyLimiter, TokenBucket } from '../../src/sim/rate-bucket.js';
import { goDuration, protoDuration, rfc3339 } from '../../src/sim/time-format.js';

const conv = (over: Partial<Conversation> = {}): Conversation => ({
  model: 'm', lastUserText: 'hello there', toolResult: null, tools: [], toolChoice: 'auto', json: false, jsonSchema: null,
  images: 0, maxTokens: null, inputChars: 11, ...over,
});

describe('time formats on the wire', () => {
  it('writes Go durations the way OpenAI and Groq send them, and Switchboard reads them back', () => {
    expect(goDuration(0)).toBe('0s');
    expect(goDuration(12)).toBe('12ms');
    expect(goDuration(1500)).toBe('1.5s');
    expect(goDuration(360_000)).toBe('6m0s');
    expect(goDuration(3_723_500)).toBe('1h2m3.5s');
    for (const ms of [7, 999, 1000, 59_741, 360_000, 3_723_500]) expect(parseDuration(goDuration(ms))).toBe(ms);
  });

  it('writes protobuf durations for RetryInfo and RFC 3339 resets at whole seconds', () => {
    expect(protoDuration(45_800)).toBe('45.8s');
    expect(protoDuration(20)).toBe('0.02s');
    expect(parseProtoDuration(protoDuration(45_800))).toBe(45_800);
    expect(rfc3339(Date.parse('2026-01-01T00:00:00.200Z'))).toBe('2026-01-01T00:00:01Z');
  });
});

describe('token bucket', () => {
  it('starts full, refills continuously, and never exceeds its capacity', () => {
    const b = new TokenBucket(50, 1000, 0);
    b.take(50, 0);
    expect(b.remaining(0)).toBe(0);
    expect(b.msUntil(1, 0)).toBe(20);
    expect(b.remaining(500)).toBe(25);
    expect(b.remaining(10_000)).toBe(50);
  });

  it('admits against both request and token budgets and names the one that ran out', () => {
    const l = new KeyLimiter({ requestsPerMinute: 10, tokensPerMinute: 100 }, 0);
    expect(l.admit(90, 0)).toEqual({ ok: true });
    expect(l.admit(20, 0)).toEqual({ ok: false, limit: 'tokens', retryAfterMs: 6000 });
    expect(l.view(0)).toMatchObject({ limitRequests: 10, remainingRequests: 9, limitTokens: 100, remainingTokens: 10 });
  });

  it('reports a full nominal budget when no limit is configured', () => {
    const l = new KeyLimiter(null, 0);
    for (let i = 0; i < 1000; i++) expect(l.admit(1000, 0).ok).toBe(true);
    expect(l.view(0).remainingRequests).toBe(l.view(0).limitRequests);
  });

  it('counts a daily quota per UTC day', () => {
    const q = new DailyQuota();
    const day = 86_400_000;
    q.take(10);
    expect(q.exhausted(1, 10)).toBe(true);
    expect(q.msUntilReset(10)).toBe(day - 10);
    expect(q.exhausted(1, day)).toBe(false);
  });
});

describe('the simulated model', () => {
  it('echoes the last user message with usage of about chars / 4', () => {
    const a = answer(conv());
    expect(a).toMatchObject({ kind: 'text', text: 'echo: hello there', finish: 'stop', inputTokens: 3, outputTokens: 5 });
    expect(estimateTokens(0)).toBe(1);
  });

  it('cuts the answer at max tokens and finishes with length', () => {
    const a = answer(conv({ maxTokens: 2 }));
    expect(a).toMatchObject({ kind: 'text', text: 'echo: he', finish: 'length', outputTokens: 2 });
  });

  it('calls the first tool with Paris for a location and "x" for other required strings', () => {
    const tools = [
      { name: 'weather', parameters: { type: 'object', properties: { location: { type: 'string' }, days: { type: 'integer' } } } },
      { name: 'other', parameters: {} },
    ];
    expect(answer(conv({ tools }))).toMatchObject({ kind: 'tool', name: 'weather', args: { location: 'Paris' } });
    const search = [{ name: 'search', parameters: { type: 'OBJECT', properties: { q: { type: 'STRING' }, n: { type: 'NUMBER' } }, required: ['q', 'n'] } }];
    expect(answer(conv({ tools: search }))).toMatchObject({ kind: 'tool', args: { q: 'x', n: 1 }, argsJson: '{"q":"x","n":1}' });
    expect(answer(conv({ tools, toolChoice: 'none' })).kind).toBe('text');
    expect(answer(conv({ tools, toolChoice: { name: 'other' } }))).toMatchObject({ kind: 'tool', name: 'other' });
  });

  it('answers a tool result with text containing it', () => {
    const a = answer(conv({ tools: [{ name: 't', parameters: {} }], toolResult: '{"temp":21}' }));
    expect(a).toMatchObject({ kind: 'text', text: 'tool result: {"temp":21}' });
  });

  it('answers JSON that parses, shaped by a schema when given', () => {
    const a = answer(conv({ json: true, maxTokens: 1 }));
    expect(a.kind === 'text' && JSON.parse(a.text)).toEqual({ echo: 'hello there' });
    const s = answer(conv({ json: true, jsonSchema: { type: 'object', properties: { name: { type: 'string' }, ok: { type: 'boolean' } } } }));
    expect(s.kind === 'text' && JSON.parse(s.text)).toEqual({ name: 'x', ok: true });
  });

  it('mentions images', () => {
    expect(answer(conv({ images: 2 }))).toMatchObject({ text: 'echo: hello there (saw 2 images)' });
  });

  it('splits a text into at least 3 stream pieces that join back to it', () => {
    for (const text of ['echo: hello there', 'echo: a', 'one two three four five', 'abc']) {
      const pieces = splitForStream(text);
      expect(pieces.join('')).toBe(text);
      expect(pieces.length).toBeGreaterThanOrEqual(3);
    }
  });
});

describe('embeddings', () => {
  it('derives the same unit vector from the same text, and base64 carries the same float32 numbers', () => {
    const v = embedText('hello', 16);
    expect(embedText('hello', 16)).toEqual(v);
    expect(embedText('hellp', 16)).not.toEqual(v);
    expect(Math.hypot(...v)).toBeCloseTo(1, 5);
    const bytes = Buffer.from(toBase64Float32(v), 'base64');
    expect(Array.from(new Float32Array(bytes.buffer, bytes.byteOffset, 16))).toEqual(v);
  });
});

describe('fault scripts and seeded draws', () => {
  it('parses every step form', () => {
    expect(parseStep('503')).toMatchObject({ status: 503, fault: null });
    expect(parseStep('hang')).toMatchObject({ status: null, fault: 'hang' });
    expect(parseStep('stream-reset:4')).toMatchObject({ fault: 'stream-reset', afterChunks: 4 });
    expect(parseStep({ status: 429, retryAfterMs: 10 })).toMatchObject({ status: 429, retryAfterMs: 10 });
    expect(() => parseStep('boom')).toThrow(TypeError);
  });

  it('draws error statuses from the seeded PRNG', () => {
    const draws = (seed: number) => {
      const r = mulberry32(seed);
      return Array.from({ length: 1000 }, () => drawErrorStatus({ 500: 0.1, 503: 0.05 }, r));
    };
    expect(draws(9)).toEqual(draws(9));
    const d = draws(9);
    expect(d.filter((s) => s === 500).length).toBeGreaterThan(60);
    expect(d.filter((s) => s === 503).length).toBeGreaterThan(25);
    expect(d.filter((s) => s === null).length).toBeGreaterThan(800);
  });

  it('masks a key as OpenAI does, and a short key without revealing it', () => {
    expect(maskKey('sk-abcdef1234567890wxyz')).toBe('sk-abc***wxyz');
    expect(maskKey('sk-short')).toBe('sk***');
  });
});
