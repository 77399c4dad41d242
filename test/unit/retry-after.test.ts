import { describe, expect, it } from 'vitest';
import { parseDuration, parseProtoDuration, parseRetryAfter, providerWaitMs } from '../../src/policy/retry-after.js';

const NOW = Date.parse('2026-01-01T00:00:00.000Z');

describe('parseRetryAfter', () => {
  it.each([
    ['retry-after-ms wins over retry-after', { 'retry-after-ms': '1500', 'retry-after': '30' }, 1500],
    ['retry-after-ms with a fraction', { 'retry-after-ms': '12.5' }, 12.5],
    ['retry-after-ms of 0', { 'retry-after-ms': '0' }, 0],
    ['an unparsable retry-after-ms falls back to retry-after', { 'retry-after-ms': 'soon', 'retry-after': '2' }, 2000],
    ['a negative retry-after-ms falls back to retry-after', { 'retry-after-ms': '-5', 'retry-after': '2' }, 2000],
    ['retry-after in seconds', { 'retry-after': '30' }, 30_000],
    ['retry-after in fractional seconds', { 'retry-after': '1.5' }, 1500],
    ['retry-after with spaces', { 'retry-after': ' 7 ' }, 7000],
    ['retry-after as an HTTP date 45 s ahead', { 'retry-after': 'Thu, 01 Jan 2026 00:00:45 GMT' }, 45_000],
    ['retry-after as an HTTP date in the past is 0', { 'retry-after': 'Wed, 31 Dec 2025 23:59:00 GMT' }, 0],
    ['a negative retry-after is nothing', { 'retry-after': '-3' }, null],
    ['an unparsable retry-after is nothing', { 'retry-after': 'later' }, null],
    ['an empty retry-after is nothing', { 'retry-after': '' }, null],
    ['no header is nothing', {}, null],
  ] as const)('%s', (_name, headers, expected) => {
    expect(parseRetryAfter({ ...headers }, NOW)).toBe(expected);
  });

  it('measures an HTTP date against the injected clock, not the wall clock', () => {
    const h = { 'retry-after': 'Thu, 01 Jan 2026 00:01:00 GMT' };
    expect(parseRetryAfter(h, NOW)).toBe(60_000);
    expect(parseRetryAfter(h, NOW + 30_000)).toBe(30_000);
  });
});

describe('parseDuration (OpenAI and Groq x-ratelimit-reset-*)', () => {
  it.each([
    ['6m0s', 360_000],
    ['1.5s', 1500],
    ['12ms', 12],
    ['2m59.56s', 179_560],
    ['7.66s', 7660],
    ['1h2m3.5s', 3_723_500],
    ['0s', 0],
    ['1m', 60_000],
    ['1h', 3_600_000],
    ['500us', 0.5],
    ['500µs', 0.5],
    ['250ns', 0.00025],
    ['20', 20_000],
    ['0.5', 500],
    [' 3s ', 3000],
  ] as const)('%s → %d ms', (text, ms) => {
    expect(parseDuration(text)).toBeCloseTo(ms, 9);
  });

  it.each(['', '   ', 'soon', '5x', '-1s', '3s later', 's', '1m-3s', '1d'])('rejects %j', (text) => {
    expect(parseDuration(text)).toBeNull();
  });
});

describe('parseProtoDuration (Gemini RetryInfo.retryDelay)', () => {
  it.each([
    ['45.8s', 45_800],
    ['3s', 3000],
    ['0.5s', 500],
    ['0s', 0],
    [' 26s ', 26_000],
    [{ seconds: '45', nanos: 800_000_000 }, 45_800],
    [{ seconds: 3 }, 3000],
  ] as const)('%j → %d ms', (value, ms) => {
    expect(parseProtoDuration(value)).toBeCloseTo(ms, 6);
  });

  it.each([['45'], ['1m'], ['-3s'], [''], [null], [undefined], [42], [{}], [{ seconds: 'x' }]])('rejects %j', (value) => {
    expect(parseProtoDuration(value)).toBeNull();
  });
});

describe('providerWaitMs', () => {
  it('takes the header wait when the body says nothing', () => {
    expect(providerWaitMs({ 'retry-after': '2' }, null, NOW)).toBe(2000);
  });
  it('takes the body wait (Gemini RetryInfo) when the headers say nothing', () => {
    expect(providerWaitMs({}, 45_800, NOW)).toBe(45_800);
  });
  it('honours the longer of the two when both are present', () => {
    expect(providerWaitMs({ 'retry-after': '2' }, 45_800, NOW)).toBe(45_800);
    expect(providerWaitMs({ 'retry-after-ms': '90000' }, 45_800, NOW)).toBe(90_000);
  });
  it('is null when neither says', () => {
    expect(providerWaitMs({}, null, NOW)).toBeNull();
  });
});
