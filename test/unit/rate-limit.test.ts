import { describe, expect, it } from 'vitest';
import { getAdapter } from '../../src/providers/index.js';
import { parseAnthropicRateLimit, parseOpenAIRateLimit } from '../../src/providers/rate-limit.js';

const NOW = Date.parse('2026-01-01T00:00:00.000Z');

describe('parseOpenAIRateLimit (OpenAI and Groq x-ratelimit-*)', () => {
  it.each([
    [
      'OpenAI, resets as minutes-and-seconds and milliseconds',
      {
        'x-ratelimit-limit-requests': '5000',
        'x-ratelimit-remaining-requests': '4999',
        'x-ratelimit-reset-requests': '12ms',
        'x-ratelimit-limit-tokens': '160000',
        'x-ratelimit-remaining-tokens': '159976',
        'x-ratelimit-reset-tokens': '6m0s',
      },
      { limitRequests: 5000, remainingRequests: 4999, resetRequestsAt: NOW + 12, limitTokens: 160_000, remainingTokens: 159_976, resetTokensAt: NOW + 360_000 },
    ],
    [
      'Groq, requests per day and tokens per minute with fractional seconds',
      {
        'x-ratelimit-limit-requests': '14400',
        'x-ratelimit-remaining-requests': '14370',
        'x-ratelimit-reset-requests': '2m59.56s',
        'x-ratelimit-limit-tokens': '18000',
        'x-ratelimit-remaining-tokens': '17997',
        'x-ratelimit-reset-tokens': '7.66s',
      },
      { limitRequests: 14_400, remainingRequests: 14_370, resetRequestsAt: NOW + 179_560, limitTokens: 18_000, remainingTokens: 17_997, resetTokensAt: NOW + 7660 },
    ],
    [
      'only the request budget',
      { 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': '1.5s' },
      { limitRequests: null, remainingRequests: 0, resetRequestsAt: NOW + 1500, limitTokens: null, remainingTokens: null, resetTokensAt: null },
    ],
    [
      'an unparsable reset is unknown, the counts stay',
      { 'x-ratelimit-remaining-tokens': '10', 'x-ratelimit-reset-tokens': 'soon' },
      { limitRequests: null, remainingRequests: null, resetRequestsAt: null, limitTokens: null, remainingTokens: 10, resetTokensAt: null },
    ],
  ] as const)('%s', (_name, headers, expected) => {
    expect(parseOpenAIRateLimit({ ...headers }, NOW)).toEqual(expected);
  });

  it.each([
    ['no headers', {}],
    ['only limits', { 'x-ratelimit-limit-requests': '50' }],
    ['unparsable remaining counts', { 'x-ratelimit-remaining-requests': 'many', 'x-ratelimit-remaining-tokens': '' }],
  ] as const)('is null with %s', (_name, headers) => {
    expect(parseOpenAIRateLimit({ ...headers }, NOW)).toBeNull();
  });
});

describe('parseAnthropicRateLimit (anthropic-ratelimit-*)', () => {
  const full = {
    'anthropic-ratelimit-requests-limit': '1000',
    'anthropic-ratelimit-requests-remaining': '999',
    'anthropic-ratelimit-requests-reset': '2026-01-01T00:00:01Z',
    'anthropic-ratelimit-tokens-limit': '96000',
    'anthropic-ratelimit-tokens-remaining': '90000',
    'anthropic-ratelimit-tokens-reset': '2026-01-01T00:00:05Z',
    'anthropic-ratelimit-input-tokens-limit': '80000',
    'anthropic-ratelimit-input-tokens-remaining': '1000',
    'anthropic-ratelimit-input-tokens-reset': '2026-01-01T00:00:30.500Z',
    'anthropic-ratelimit-output-tokens-limit': '16000',
    'anthropic-ratelimit-output-tokens-remaining': '16000',
    'anthropic-ratelimit-output-tokens-reset': '2026-01-01T00:00:00Z',
  };

  it.each([
    [
      'takes input-tokens when it is the tighter budget; resets are absolute instants',
      full,
      { limitRequests: 1000, remainingRequests: 999, resetRequestsAt: NOW + 1000, limitTokens: 80_000, remainingTokens: 1000, resetTokensAt: NOW + 30_500 },
    ],
    [
      'takes tokens when it is the tighter budget',
      { ...full, 'anthropic-ratelimit-input-tokens-remaining': '95000' },
      { limitRequests: 1000, remainingRequests: 999, resetRequestsAt: NOW + 1000, limitTokens: 96_000, remainingTokens: 90_000, resetTokensAt: NOW + 5000 },
    ],
    [
      'on a tie takes the later reset',
      { ...full, 'anthropic-ratelimit-input-tokens-remaining': '0', 'anthropic-ratelimit-tokens-remaining': '0' },
      { limitRequests: 1000, remainingRequests: 999, resetRequestsAt: NOW + 1000, limitTokens: 80_000, remainingTokens: 0, resetTokensAt: NOW + 30_500 },
    ],
    [
      'reads an RFC 3339 offset',
      { 'anthropic-ratelimit-requests-remaining': '0', 'anthropic-ratelimit-requests-reset': '2026-01-01T01:00:10+01:00' },
      { limitRequests: null, remainingRequests: 0, resetRequestsAt: NOW + 10_000, limitTokens: null, remainingTokens: null, resetTokensAt: null },
    ],
    [
      'only the input-tokens family',
      { 'anthropic-ratelimit-input-tokens-remaining': '5', 'anthropic-ratelimit-input-tokens-limit': '10', 'anthropic-ratelimit-input-tokens-reset': 'not a date' },
      { limitRequests: null, remainingRequests: null, resetRequestsAt: null, limitTokens: 10, remainingTokens: 5, resetTokensAt: null },
    ],
  ] as const)('%s', (_name, headers, expected) => {
    expect(parseAnthropicRateLimit({ ...headers }, NOW)).toEqual(expected);
  });

  it('is null when no remaining count is sent', () => {
    expect(parseAnthropicRateLimit({ 'anthropic-ratelimit-requests-limit': '50' }, NOW)).toBeNull();
    expect(parseAnthropicRateLimit({ 'x-ratelimit-remaining-requests': '5' }, NOW)).toBeNull();
  });
});

describe('each adapter reads its own headers', () => {
  it.each([
    ['openai', { 'x-ratelimit-remaining-requests': '3' }, 3],
    ['groq', { 'x-ratelimit-remaining-requests': '3' }, 3],
    ['anthropic', { 'anthropic-ratelimit-requests-remaining': '3' }, 3],
  ] as const)('%s', (provider, headers, remaining) => {
    expect(getAdapter(provider)!.rateLimit({ ...headers }, NOW)?.remainingRequests).toBe(remaining);
  });

  it('gemini sends none', () => {
    expect(getAdapter('gemini')!.rateLimit({ 'x-ratelimit-remaining-requests': '3' }, NOW)).toBeNull();
  });
});
