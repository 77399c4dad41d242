import { describe, expect, test } from 'vitest';
import { createSupervisor, createTestClock, type SupervisorOptions } from '../../src/index.js';
import { SCHEMA } from '../../src/options.js';

// Nothing touches the network: one key, and a transport that answers in process.
const base: SupervisorOptions = {
  keys: [{ name: 'a', secret: 'sk-a' }],
  transport: async () => ({ status: 200, headers: {}, body: '{}' }),
};

function configError(options: unknown): { code: unknown; field: unknown; message: string } {
  try {
    const board = createSupervisor({ ...base, ...(options as SupervisorOptions) });
    void board.stop();
  } catch (error) {
    const e = error as { code?: unknown; field?: unknown; message: string };
    return { code: e.code, field: e.field, message: e.message };
  }
  throw new Error(`createSupervisor accepted ${JSON.stringify(options)}`);
}

const E = 'createSupervisor: expected';

// [options, field, exact message]: at least one invalid value for every option and sub-option of SCHEMA.
const invalid: Array<[Record<string, unknown>, string, string]> = [
  [{ provider: 'azure' }, 'provider', `${E} \`provider\` to be one of 'openai', 'anthropic', 'groq', 'gemini', got "azure" (string)`],
  [{ provider: null }, 'provider', `${E} \`provider\` to be one of 'openai', 'anthropic', 'groq', 'gemini', got null`],
  [{ baseUrl: 'ftp://example.com' }, 'baseUrl', `${E} \`baseUrl\` to be an http(s) URL, got "ftp://example.com" (string)`],
  [{ baseUrl: 'not a url' }, 'baseUrl', `${E} \`baseUrl\` to be an http(s) URL, got "not a url" (string)`],
  [
    { keys: [{ name: 'a', secret: 'sk-a' }, { name: 'a', secret: 'sk-b' }] },
    'keys',
    `${E} \`keys\` to be an array of { name, secret, maxConcurrent?, limits? } with unique names, got an array of 2`,
  ],
  [{ keys: [{ name: 'a', secret: 'sk-a', maxConcurrent: 0 }] }, 'keys', `${E} \`keys\` to be an array of { name, secret, maxConcurrent?, limits? } with unique names, got an array of 1`],
  [{ keys: [{ name: '', secret: 'sk-a' }] }, 'keys', `${E} \`keys\` to be an array of { name, secret, maxConcurrent?, limits? } with unique names, got an array of 1`],
  [{ strategy: 'random' }, 'strategy', `${E} \`strategy\` to be one of 'round-robin', 'least-loaded', 'headroom', or a function (ready, request) => key | undefined, got "random" (string)`],
  [{ queue: 5 }, 'queue', `${E} \`queue\` to be an object, got 5 (number)`],
  [{ queue: [] }, 'queue', `${E} \`queue\` to be an object, got an array of 0`],
  [{ queue: { size: -1 } }, 'queue.size', `${E} \`queue.size\` to be an integer >= 0, got -1 (number)`],
  [{ queue: { size: 1.5 } }, 'queue.size', `${E} \`queue.size\` to be an integer >= 0, got 1.5 (number)`],
  [{ queue: { maxConcurrent: 0 } }, 'queue.maxConcurrent', `${E} \`queue.maxConcurrent\` to be an integer >= 1, got 0 (number)`],
  [{ queue: { agingMs: -1 } }, 'queue.agingMs', `${E} \`queue.agingMs\` to be a number from 0 to 2147483647 (or Infinity), got -1 (number)`],
  [{ queue: { agingMs: Number.NaN } }, 'queue.agingMs', `${E} \`queue.agingMs\` to be a number from 0 to 2147483647 (or Infinity), got NaN (number)`],
  [{ circuitBreaker: { failureThreshold: 0 } }, 'circuitBreaker.failureThreshold', `${E} \`circuitBreaker.failureThreshold\` to be an integer >= 1, got 0 (number)`],
  [{ circuitBreaker: { resetTimeoutMs: -5 } }, 'circuitBreaker.resetTimeoutMs', `${E} \`circuitBreaker.resetTimeoutMs\` to be a number >= 0 and <= 2147483647, got -5 (number)`],
  [{ circuitBreaker: { resetTimeoutMs: Infinity } }, 'circuitBreaker.resetTimeoutMs', `${E} \`circuitBreaker.resetTimeoutMs\` to be a number >= 0 and <= 2147483647, got Infinity (number)`],
  [{ circuitBreaker: { halfOpenProbes: 0 } }, 'circuitBreaker.halfOpenProbes', `${E} \`circuitBreaker.halfOpenProbes\` to be an integer >= 1, got 0 (number)`],
  [{ retry: { maxRetries: -1 } }, 'retry.maxRetries', `${E} \`retry.maxRetries\` to be an integer >= 0, got -1 (number)`],
  [{ retry: { maxRetries: '5' } }, 'retry.maxRetries', `${E} \`retry.maxRetries\` to be an integer >= 0, got "5" (string)`],
  [{ retry: { initialDelayMs: -1 } }, 'retry.initialDelayMs', `${E} \`retry.initialDelayMs\` to be a number >= 0 and <= 2147483647, got -1 (number)`],
  [{ retry: { backoffFactor: 0.5 } }, 'retry.backoffFactor', `${E} \`retry.backoffFactor\` to be a number >= 1, got 0.5 (number)`],
  [{ retry: { maxDelayMs: '16s' } }, 'retry.maxDelayMs', `${E} \`retry.maxDelayMs\` to be a number >= 0 and <= 2147483647, got "16s" (string)`],
  [{ retry: { jitter: 'half' } }, 'retry.jitter', `${E} \`retry.jitter\` to be one of 'none', 'full', 'equal', got "half" (string)`],
  [{ retry: { maxRetryAfterMs: -1 } }, 'retry.maxRetryAfterMs', `${E} \`retry.maxRetryAfterMs\` to be a number from 0 to 2147483647 (or Infinity), got -1 (number)`],
  [{ batching: { enabled: 'yes' } }, 'batching.enabled', `${E} \`batching.enabled\` to be a boolean, got "yes" (string)`],
  [{ batching: { maxBatchSize: 0 } }, 'batching.maxBatchSize', `${E} \`batching.maxBatchSize\` to be an integer >= 1, got 0 (number)`],
  [{ batching: { batchTimeoutMs: -1 } }, 'batching.batchTimeoutMs', `${E} \`batching.batchTimeoutMs\` to be a number >= 0 and <= 2147483647, got -1 (number)`],
  [{ batching: { models: ['text-embedding-3-small', 3] } }, 'batching.models', `${E} \`batching.models\` to be an array of strings, got an array of 2`],
  [{ batching: { models: 'text-embedding-3-small' } }, 'batching.models', `${E} \`batching.models\` to be an array of strings, got "text-embedding-3-small" (string)`],
  [{ metrics: { enabled: 1 } }, 'metrics.enabled', `${E} \`metrics.enabled\` to be a boolean, got 1 (number)`],
  [{ metrics: { registry: 'default' } }, 'metrics.registry', `${E} \`metrics.registry\` to be an object, got "default" (string)`],
  [{ metrics: { recentSize: 0 } }, 'metrics.recentSize', `${E} \`metrics.recentSize\` to be an integer from 1 to 100000, got 0 (number)`],
  [{ schedule: { report: '' } }, 'schedule.report', `${E} \`schedule.report\` to be a non-empty string, got "" (string)`],
  [{ schedule: { resetStats: 5 } }, 'schedule.resetStats', `${E} \`schedule.resetStats\` to be a non-empty string, got 5 (number)`],
  [{ schedule: { sink: null } }, 'schedule.sink', `${E} \`schedule.sink\` to be a function or a file path, got null`],
  [{ schedule: { includeDetails: 'true' } }, 'schedule.includeDetails', `${E} \`schedule.includeDetails\` to be a boolean, got "true" (string)`],
  [{ circuitBreaker: true }, 'circuitBreaker', `${E} \`circuitBreaker\` to be an object, got true (boolean)`],
  [{ retry: 5 }, 'retry', `${E} \`retry\` to be an object, got 5 (number)`],
  [{ batching: false }, 'batching', `${E} \`batching\` to be an object, got false (boolean)`],
  [{ metrics: null }, 'metrics', `${E} \`metrics\` to be an object, got null`],
  [{ schedule: '0 * * * *' }, 'schedule', `${E} \`schedule\` to be an object, got "0 * * * *" (string)`],
  [{ timeoutMs: 0 }, 'timeoutMs', `${E} \`timeoutMs\` to be a number > 0 and <= 2147483647, got 0 (number)`],
  [{ deadlineMs: -1 }, 'deadlineMs', `${E} \`deadlineMs\` to be a number > 0 and <= 2147483647, got -1 (number)`],
  [{ clock: {} }, 'clock', `${E} \`clock\` to be a Clock ({ now, setTimeout, clearTimeout }), got an object`],
  [{ clock: { now: () => 0 } }, 'clock', `${E} \`clock\` to be a Clock ({ now, setTimeout, clearTimeout }), got an object`],
  [{ random: 0.5 }, 'random', `${E} \`random\` to be a function, got 0.5 (number)`],
  [{ inspect: 'yes' }, 'inspect', `${E} \`inspect\` to be an inspection observer (function or { next }), got "yes" (string)`],
  [{ logger: 'console' }, 'logger', `${E} \`logger\` to be an object, got "console" (string)`],
  [{ transport: {} }, 'transport', `${E} \`transport\` to be a function, got an object`],
  [{ env: 'production' }, 'env', `${E} \`env\` to be an object, got "production" (string)`],
];

// [options, field, exact message]: unknown names, with a "did you mean" where one is close.
const unknown: Array<[Record<string, unknown>, string, string]> = [
  // A shared start counts: `retries` is 2 edits from `metrics` but meant as `retry`.
  [{ retries: 3 }, 'retries', 'createSupervisor: unknown option `retries`; did you mean `retry`?'],
  [{ queue: { maxConcurent: 10 } }, 'queue.maxConcurent', 'createSupervisor: unknown option `queue.maxConcurent`; did you mean `queue.maxConcurrent`?'],
  [{ stratgy: 'least-loaded' }, 'stratgy', 'createSupervisor: unknown option `stratgy`; did you mean `strategy`?'],
  [{ circuitBreaker: { threshold: 3 } }, 'circuitBreaker.threshold', 'createSupervisor: unknown option `circuitBreaker.threshold`'],
  [{ colour: 'blue' }, 'colour', 'createSupervisor: unknown option `colour`'],
];

// Edge values that are valid and must be accepted.
const valid: Array<[string, SupervisorOptions]> = [
  ['strict priority (agingMs: Infinity) and no retries (maxRetries: 0)', { queue: { agingMs: Infinity }, retry: { maxRetries: 0 } }],
  ['a queue that never waits (size: 0) and a breaker that half-opens at once (resetTimeoutMs: 0)', { queue: { size: 0 }, circuitBreaker: { resetTimeoutMs: 0 } }],
  ['a constant backoff (backoffFactor: 1, jitter none) and no cap on the provider wait', { retry: { backoffFactor: 1, jitter: 'none', maxRetryAfterMs: Infinity, initialDelayMs: 0, maxDelayMs: 0 } }],
  ['batching with no models and a zero window', { batching: { enabled: false, models: [], maxBatchSize: 1, batchTimeoutMs: 0 } }],
  ['every provider name and strategy', { provider: 'gemini', strategy: 'headroom', baseUrl: 'http://127.0.0.1:9' }],
  ['a key with its own maxConcurrent, a test clock, a seeded random, a logger and an inspector', {
    keys: [{ name: 'a', secret: 'sk-a', maxConcurrent: 1 }],
    clock: createTestClock(),
    random: () => 0.5,
    logger: {},
    inspect: () => {},
    env: {},
    metrics: { enabled: false, recentSize: 1 },
    timeoutMs: 1,
    deadlineMs: 1,
  }],
  ['options left undefined', { queue: { size: undefined }, retry: undefined }],
];

describe('options', () => {
  test('every option and sub-option of SCHEMA has an invalid case below', () => {
    const paths = Object.entries(SCHEMA).flatMap(([key, spec]) => ('test' in spec && typeof spec.test === 'function' ? [key] : [key, ...Object.keys(spec).map((sub) => `${key}.${sub}`)]));
    const covered = new Set(invalid.map(([, field]) => field));
    expect(paths.filter((p) => !covered.has(p))).toEqual([]);
  });

  test.each([...invalid, ...unknown])('createSupervisor(%j) throws SB_CONFIG naming `%s`', (options, field, message) => {
    expect(configError(options)).toEqual({ code: 'SB_CONFIG', field, message });
  });

  test('a secret passed where the keys go does not end up in the message', () => {
    const error = configError({ keys: 'sk-abc123456789' });
    expect(error).toMatchObject({ code: 'SB_CONFIG', field: 'keys' });
    expect(error.message).toMatch(/^createSupervisor: expected `keys` to be an array of \{ name, secret, maxConcurrent\?, limits\? \} with unique names, got /);
    // DESIGN §2: secrets never appear in a message, even one passed in the wrong place.
    expect(error.message).not.toContain('sk-abc123456789');
  });

  test('createSupervisor(options) that is not an object throws SB_CONFIG naming `options`', () => {
    expect(() => createSupervisor(5 as unknown as SupervisorOptions)).toThrow(
      expect.objectContaining({ code: 'SB_CONFIG', field: 'options', message: 'createSupervisor: expected `options` to be an object, got 5 (number)' }),
    );
  });

  test.each(valid)('accepts %s', async (_name, options) => {
    const board = createSupervisor({ ...base, ...options });
    expect(board.state().breaker).toBe('closed');
    await board.stop();
  });

  test('an invalid config.update throws SB_CONFIG with the config.update prefix and changes nothing', async () => {
    const board = createSupervisor(base);
    const before = structuredClone(board.config);
    expect(() => board.send({ type: 'config.update', config: { retry: { maxRetries: -1 } } })).toThrow(
      expect.objectContaining({ code: 'SB_CONFIG', field: 'retry.maxRetries', message: 'config.update: expected `retry.maxRetries` to be an integer >= 0, got -1 (number)' }),
    );
    // All or nothing: the valid part of a rejected update is not applied either.
    expect(() => board.send({ type: 'config.update', config: { queue: { maxConcurrent: 10 }, retry: { maxRetries: -1 } } })).toThrow(
      expect.objectContaining({ code: 'SB_CONFIG', field: 'retry.maxRetries' }),
    );
    expect(board.config).toEqual(before);
    expect(board.state().maxConcurrent).toBe(5);
    expect(board.config.retry.maxRetries).toBe(5);

    board.send({ type: 'config.update', config: { retry: { maxRetries: 0 } } });
    expect(board.config.retry.maxRetries).toBe(0);
    await board.stop();
  });
});
