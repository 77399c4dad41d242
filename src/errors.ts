import { redact } from './keys/redact.js';

/**
 * Every rejection is a `SwitchboardError` with a stable `code`.
 * Secrets never appear in a message, a field or `cause`: provider text is scrubbed first.
 */
export type ErrorCode =
  | 'SB_CONFIG'
  | 'SB_QUEUE_FULL'
  | 'SB_CIRCUIT_OPEN'
  | 'SB_RETRIES_EXHAUSTED'
  | 'SB_PROVIDER'
  | 'SB_CONTEXT_LENGTH'
  | 'SB_CONTENT_POLICY'
  | 'SB_AUTH'
  | 'SB_NO_KEYS'
  | 'SB_TIMEOUT'
  | 'SB_ABORTED'
  | 'SB_SHUTDOWN'
  | 'SB_BAD_RESPONSE'
  | 'SB_STREAM_INTERRUPTED';

/** Key-like strings (OpenAI `sk-…`, Anthropic `sk-ant-…`, Groq `gsk_…`, Google `AIza…`, bearer values). */
const SECRET_PATTERN = /\b(?:sk-(?:ant-|proj-)?[A-Za-z0-9_\-*]{6,}|gsk_[A-Za-z0-9*]{6,}|AIza[0-9A-Za-z_\-*]{10,}|Bearer\s+[A-Za-z0-9._\-*]{6,})/g;

/**
 * Removes key-like strings, every secret registered with the redaction registry (the key stores'
 * actual values, the gateway token), URL credentials, and any of the given secrets, from text.
 */
export function scrubSecrets(text: string, secrets?: Iterable<string>): string {
  let out = redact(text);
  if (secrets) for (const s of secrets) if (s.length >= 4) out = out.split(s).join('[redacted]');
  return out.replace(SECRET_PATTERN, '[redacted]');
}

export class SwitchboardError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    // Every message passes the registry: a secret quoted by any cause never reaches a caller.
    super(redact(message), options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.name = new.target.name;
  }
  toJSON(): Record<string, unknown> {
    const out: Record<string, unknown> = { name: this.name, code: this.code, message: this.message };
    for (const [k, v] of Object.entries(this)) if (k !== 'code' && k !== 'cause') out[k] = v;
    return out;
  }
}

/** `SB_CONFIG`: an option is invalid (`field` names it), or an embed for a provider without embeddings. */
export class ConfigError extends SwitchboardError {
  readonly field: string;
  constructor(message: string, field: string) {
    super('SB_CONFIG', message);
    this.field = field;
  }
}

/** `SB_QUEUE_FULL`: `queue.size` requests are already waiting. */
export class QueueFullError extends SwitchboardError {
  readonly depth: number;
  readonly size: number;
  constructor(depth: number, size: number) {
    super('SB_QUEUE_FULL', `queue is full: ${depth} requests waiting (queue.size ${size})`);
    this.depth = depth;
    this.size = size;
  }
}

/** `SB_CIRCUIT_OPEN`: the breaker is open (or half-open and full); no HTTP call was made. */
export class CircuitOpenError extends SwitchboardError {
  readonly retryAfterMs: number;
  constructor(retryAfterMs: number, cause?: unknown) {
    super('SB_CIRCUIT_OPEN', `circuit breaker is open; retry after ${retryAfterMs} ms`, { cause });
    this.retryAfterMs = retryAfterMs;
  }
}

/** `SB_PROVIDER`: a non-retryable provider answer (400, 403, 404, 422 …). */
export class ProviderError extends SwitchboardError {
  readonly status: number;
  readonly providerCode: string | null;
  readonly retryable: boolean;
  readonly retryAfterMs: number | null;
  readonly keyName: string | null;
  constructor(fields: {
    status: number;
    message: string;
    providerCode?: string | null;
    retryable?: boolean;
    retryAfterMs?: number | null;
    keyName?: string | null;
  }, code: 'SB_PROVIDER' | 'SB_CONTEXT_LENGTH' | 'SB_CONTENT_POLICY' = 'SB_PROVIDER') {
    super(code, scrubSecrets(fields.message));
    this.status = fields.status;
    this.providerCode = fields.providerCode ?? null;
    this.retryable = fields.retryable ?? false;
    this.retryAfterMs = fields.retryAfterMs ?? null;
    this.keyName = fields.keyName ?? null;
  }
}

/**
 * `SB_CONTEXT_LENGTH`: the provider said the prompt exceeds the model's context window (OpenAI
 * `context_length_exceeded`, Anthropic "prompt is too long", Gemini's input-token-count 400). The
 * router tries the request's `contextFallbacks` group.
 */
export class ContextLengthError extends ProviderError {
  constructor(fields: ConstructorParameters<typeof ProviderError>[0]) {
    super({ ...fields, retryable: false }, 'SB_CONTEXT_LENGTH');
  }
}

/**
 * `SB_CONTENT_POLICY`: the provider refused the content on policy grounds, as an error answer
 * (OpenAI `content_policy_violation` / `content_filter`, Anthropic's content-filtering 400, a
 * Gemini safety 400). The router tries the request's `contentPolicyFallbacks` group.
 */
export class ContentPolicyError extends ProviderError {
  constructor(fields: ConstructorParameters<typeof ProviderError>[0]) {
    super({ ...fields, retryable: false }, 'SB_CONTENT_POLICY');
  }
}

/** `SB_RETRIES_EXHAUSTED`: the last allowed retry failed; `cause` is the last failure. */
export class RetriesExhaustedError extends SwitchboardError {
  readonly attempts: number;
  readonly status: number | null;
  constructor(attempts: number, cause: unknown) {
    const status = cause instanceof ProviderError ? cause.status : null;
    const why = cause instanceof Error ? cause.message : String(cause);
    super('SB_RETRIES_EXHAUSTED', `gave up after ${attempts} attempts: ${why}`, { cause });
    this.attempts = attempts;
    this.status = status;
  }
}

/** `SB_AUTH`: the key was invalid and no other usable key is left. */
export class AuthError extends SwitchboardError {
  readonly keyName: string;
  constructor(keyName: string, cause?: unknown) {
    super('SB_AUTH', `key "${keyName}" was rejected as invalid and no other usable key is left`, { cause });
    this.keyName = keyName;
  }
}

/** `SB_NO_KEYS`: no usable key (none configured, or all disabled/exhausted). */
export class NoKeysError extends SwitchboardError {
  constructor(message = 'no usable API key (none configured, or all disabled or exhausted)') {
    super('SB_NO_KEYS', message);
  }
}

/** `SB_TIMEOUT`: the request's deadline passed. */
export class TimeoutError extends SwitchboardError {
  readonly timeoutMs: number;
  constructor(timeoutMs: number, cause?: unknown) {
    super('SB_TIMEOUT', `request deadline of ${timeoutMs} ms passed`, { cause });
    this.timeoutMs = timeoutMs;
  }
}

/** `SB_ABORTED`: the caller's signal fired. */
export class AbortedError extends SwitchboardError {
  constructor(cause?: unknown) {
    super('SB_ABORTED', 'request aborted by the caller', { cause });
  }
}

/** `SB_SHUTDOWN`: the supervisor stopped before the request finished. */
export class ShutdownError extends SwitchboardError {
  constructor(message = 'supervisor is shutting down') {
    super('SB_SHUTDOWN', message);
  }
}

/** `SB_BAD_RESPONSE`: the provider's body is not what its API promises. */
export class BadResponseError extends SwitchboardError {
  readonly status: number | null;
  constructor(message: string, status: number | null = null) {
    super('SB_BAD_RESPONSE', scrubSecrets(message));
    this.status = status;
  }
}

/** `SB_STREAM_INTERRUPTED`: a stream failed after its first chunk; `partialText` is what arrived. */
export class StreamInterruptedError extends SwitchboardError {
  readonly partialText: string;
  constructor(partialText: string, cause?: unknown) {
    super('SB_STREAM_INTERRUPTED', 'stream interrupted after its first chunk', { cause });
    this.partialText = partialText;
  }
}

/**
 * A transport failure with no HTTP answer (refused, reset, closed mid-body, attempt timeout).
 * Internal: it becomes the `cause` of the error the caller sees. Always retryable.
 */
export class TransportError extends Error {
  readonly code: string;
  readonly retryable = true;
  constructor(code: string, message: string) {
    super(scrubSecrets(message));
    this.code = code;
    this.name = 'TransportError';
  }
}

/** `SB_CONFIG` for a model no configured provider serves (the gateway answers 404). */
export class UnknownModelError extends ConfigError {
  readonly status = 404;
  constructor(model: string, why: string) {
    super(`no route for model ${JSON.stringify(model)}: ${why}`, 'model');
  }
}
