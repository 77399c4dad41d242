import { describe, expect, test } from 'vitest';
import * as api from '../../src/index.js';
import {
  AbortedError,
  AuthError,
  BadResponseError,
  CircuitOpenError,
  ConfigError,
  NoKeysError,
  ProviderError,
  ContextLengthError,
  ContentPolicyError,
  QueueFullError,
  RetriesExhaustedError,
  ShutdownError,
  StreamInterruptedError,
  SwitchboardError,
  TimeoutError,
  UnknownModelError,
} from '../../src/index.js';

/** Key-like strings of each provider (DESIGN §5: scrubbed from provider text before it becomes an error). */
const SECRETS = ['sk-abc123456789', 'sk-ant-api03-abcDEF123456', 'gsk_abcDEF123456', 'AIzaSyA1234567890abcdef', 'Bearer xyz987654321'];
const leaky = `Incorrect API key provided: ${SECRETS[0]}; also ${SECRETS[1]}, ${SECRETS[2]}, ${SECRETS[3]}; header Authorization: ${SECRETS[4]}`;

const upstream = new ProviderError({ status: 503, message: `upstream overloaded (key ${SECRETS[0]})`, retryable: true, keyName: 'a' });

interface Row {
  error: SwitchboardError;
  cls: abstract new (...args: never[]) => SwitchboardError;
  code: string;
  /** The documented structured fields (DESIGN §2 "Errors") and their values. */
  fields: Record<string, unknown>;
  cause?: unknown;
}

// One row per class, with the code of DESIGN §2's table.
const rows: Array<[string, Row]> = [
  ['ConfigError', { error: new ConfigError('createSupervisor: expected `queue.size` to be an integer >= 0, got -1 (number)', 'queue.size'), cls: ConfigError, code: 'SB_CONFIG', fields: { field: 'queue.size' } }],
  ['QueueFullError', { error: new QueueFullError(100, 100), cls: QueueFullError, code: 'SB_QUEUE_FULL', fields: { depth: 100, size: 100 } }],
  ['CircuitOpenError', { error: new CircuitOpenError(1_500, upstream), cls: CircuitOpenError, code: 'SB_CIRCUIT_OPEN', fields: { retryAfterMs: 1_500 }, cause: upstream }],
  ['RetriesExhaustedError', { error: new RetriesExhaustedError(6, upstream), cls: RetriesExhaustedError, code: 'SB_RETRIES_EXHAUSTED', fields: { attempts: 6, status: 503 }, cause: upstream }],
  [
    'ProviderError',
    {
      error: new ProviderError({ status: 400, message: leaky, providerCode: 'invalid_request_error', retryable: false, keyName: 'OPENAI_API_KEY_1' }),
      cls: ProviderError,
      code: 'SB_PROVIDER',
      fields: { status: 400, providerCode: 'invalid_request_error', retryable: false, keyName: 'OPENAI_API_KEY_1' },
    },
  ],
  [
    'ContextLengthError',
    {
      error: new ContextLengthError({ status: 400, message: leaky, providerCode: 'context_length_exceeded', keyName: 'OPENAI_API_KEY_1' }),
      cls: ContextLengthError,
      code: 'SB_CONTEXT_LENGTH',
      fields: { status: 400, providerCode: 'context_length_exceeded', retryable: false, keyName: 'OPENAI_API_KEY_1' },
    },
  ],
  [
    'ContentPolicyError',
    {
      error: new ContentPolicyError({ status: 400, message: leaky, providerCode: 'content_policy_violation', keyName: 'OPENAI_API_KEY_1' }),
      cls: ContentPolicyError,
      code: 'SB_CONTENT_POLICY',
      fields: { status: 400, providerCode: 'content_policy_violation', retryable: false, keyName: 'OPENAI_API_KEY_1' },
    },
  ],
  ['AuthError', { error: new AuthError('OPENAI_API_KEY_2', upstream), cls: AuthError, code: 'SB_AUTH', fields: { keyName: 'OPENAI_API_KEY_2' }, cause: upstream }],
  ['NoKeysError', { error: new NoKeysError(), cls: NoKeysError, code: 'SB_NO_KEYS', fields: {} }],
  ['TimeoutError', { error: new TimeoutError(60_000), cls: TimeoutError, code: 'SB_TIMEOUT', fields: { timeoutMs: 60_000 } }],
  ['AbortedError', { error: new AbortedError(new Error('user cancelled')), cls: AbortedError, code: 'SB_ABORTED', fields: {} }],
  ['ShutdownError', { error: new ShutdownError(), cls: ShutdownError, code: 'SB_SHUTDOWN', fields: {} }],
  ['BadResponseError', { error: new BadResponseError(`unexpected body: {"error":"${SECRETS[0]}"}`, 200), cls: BadResponseError, code: 'SB_BAD_RESPONSE', fields: { status: 200 } }],
  // A ConfigError subclass (the gateway's 404 for a model no provider serves).
  ['UnknownModelError', { error: new UnknownModelError('gpt-9-turbo', 'no configured provider serves it'), cls: UnknownModelError, code: 'SB_CONFIG', fields: { field: 'model', status: 404 } }],
  ['StreamInterruptedError', { error: new StreamInterruptedError('Hello, wor', upstream), cls: StreamInterruptedError, code: 'SB_STREAM_INTERRUPTED', fields: { partialText: 'Hello, wor' }, cause: upstream }],
];

describe('errors', () => {
  test('the table has a row for every error class the package exports', () => {
    const exported = Object.entries(api)
      .filter(([, v]) => typeof v === 'function' && v.prototype instanceof SwitchboardError)
      .map(([name]) => name)
      .sort();
    expect(rows.map(([name]) => name).sort()).toEqual(exported);
  });

  test.each(rows)('%s is a SwitchboardError with its code, its fields, its name and no secret', (name, { error, cls, code, fields, cause }) => {
    expect(error).toBeInstanceOf(cls);
    expect(error).toBeInstanceOf(SwitchboardError);
    expect(error).toBeInstanceOf(Error);
    expect(error.code).toBe(code);
    expect(error.name).toBe(name);
    expect(error.message.length).toBeGreaterThan(0);
    expect(error).toMatchObject(fields);
    if (cause !== undefined) expect(error.cause).toBe(cause);

    const json = error.toJSON();
    expect(json).toMatchObject({ name, code, message: error.message, ...fields });
    expect(() => JSON.stringify(error)).not.toThrow();

    // Secrets never appear in a message, a field, or the cause.
    const everything = [error.message, JSON.stringify(error), error.cause instanceof Error ? error.cause.message : String(error.cause ?? '')].join('\n');
    for (const secret of SECRETS) expect(everything).not.toContain(secret);

    if (error instanceof ProviderError) {
      expect(error.message).toContain('[redacted]');
      expect(error.message).toContain('Incorrect API key provided');
    }
    if (error instanceof RetriesExhaustedError) {
      expect(error.attempts).toBe(6);
      expect(error.cause).toBe(upstream);
      expect(error.message).toContain('upstream overloaded');
    }
  });
});
