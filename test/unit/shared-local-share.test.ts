import { describe, expect, it } from 'vitest';
import { LocalShare } from '../../src/shared/local-fallback.js';
import { keyId, endpointId } from '../../src/shared/ids.js';

describe("the degraded mode's local share (1/N of each limit)", () => {
  it('spends at most 1/N of rpm, refilling continuously, starting empty after shared spending', () => {
    const share = new LocalShare({ rpm: 60 }, 0);
    share.reset(3, 0, true);
    // 60/min over 3 instances: 20/min, one every 3 s, none banked.
    expect(share.acquire('a', 1, 0)).toMatchObject({ ok: false, reason: 'budget', waitMs: 3_000 });
    expect(share.acquire('a', 1, 3_000).ok).toBe(true);
    expect(share.acquire('b', 1, 3_000)).toMatchObject({ ok: false, waitMs: 3_000 });
    let granted = 0;
    for (let t = 3_000; t <= 63_000; t += 100) if (share.acquire(`l${t}`, 1, t).ok) granted++;
    expect(granted).toBe(20);
  });

  it("spends at most 1/N of the provider's request budget its headers told, when no limits are set", () => {
    const share = new LocalShare({}, 0);
    // 50 requests refilled at 50/s (0.05 per ms) over 2 instances: 25 at 25/s, none banked.
    share.reset(2, 0, true, { cap: 50, perMs: 0.05 });
    expect(share.acquire('a', 1, 0)).toMatchObject({ ok: false, reason: 'budget', waitMs: 40 });
    let granted = 0;
    for (let t = 0; t <= 1_000; t += 5) if (share.acquire(`h${t}`, 1, t).ok) granted++;
    expect(granted).toBe(25);
  });

  it('starts full at 1/N when Redis was never reached', () => {
    const share = new LocalShare({ rpm: 60 }, 0);
    share.reset(2, 0, false);
    let granted = 0;
    for (let i = 0; i < 40; i++) if (share.acquire(`l${i}`, 1, 0).ok) granted++;
    expect(granted).toBe(30);
  });

  it('keeps floor(maxConcurrent / N) in flight, never less than one', () => {
    const share = new LocalShare({}, 5);
    share.reset(2, 0, false);
    expect([1, 2, 3].map((i) => share.acquire(`c${i}`, 1, 0).ok)).toEqual([true, true, false]);
    share.settle(1, 1, false, 0);
    expect(share.acquire('c4', 1, 0).ok).toBe(true);
    const small = new LocalShare({}, 2);
    small.reset(3, 0, false);
    expect([1, 2].map((i) => small.acquire(`s${i}`, 1, 0).ok)).toEqual([true, false]);
  });

  it('refunds estimate minus used tokens to its token bucket', () => {
    const share = new LocalShare({ tpm: 1_000 }, 0);
    share.reset(1, 0, false);
    expect(share.acquire('a', 900, 0).ok).toBe(true);
    expect(share.acquire('b', 500, 0).ok).toBe(false);
    share.settle(900, 100, false, 0);
    expect(share.acquire('b', 500, 0).ok).toBe(true);
  });
});

describe('Redis names', () => {
  it('derives a key id from provider, base URL and secret, and it holds nothing of the secret', () => {
    const secret = 'sk-abcdefghijklmnop';
    const id = keyId('openai', 'https://api.openai.com/v1', secret);
    expect(id).toMatch(/^[0-9a-f]{24}$/);
    expect(keyId('openai', 'https://api.openai.com/v1', secret)).toBe(id);
    expect(keyId('openai', 'http://127.0.0.1:9/v1', secret)).not.toBe(id);
    expect(keyId('groq', 'https://api.openai.com/v1', secret)).not.toBe(id);
    expect(id).not.toContain('abcdef');
    expect(endpointId('openai', 'https://api.openai.com/v1')).toMatch(/^[0-9a-f]{16}$/);
  });
});
