import { createRequire } from 'node:module';
import type * as OtelApi from '@opentelemetry/api';
import { packageVersion } from '../cli/version.js';

/**
 * OpenTelemetry spans for requests, through `@opentelemetry/api` only (an optional peer
 * dependency). When the package is not installed nothing is loaded and the hooks are `null`, so
 * the hot path pays one null check; when it is installed but no SDK is registered, no span is
 * made at all (the global provider still delegates to the API's no-op one).
 *
 * A request is one `switchboard.request` span (a child of whatever span is active when the
 * caller submits it); each HTTP attempt is a child `switchboard.attempt` span. Attributes name the
 * key, never its secret; no URL is recorded (a base URL may carry credentials).
 */
export interface RequestTracer {
  start(info: { requestId: string; model: string; priority: 'high' | 'normal' | 'low'; kind: string }): RequestSpan | null;
}

export interface RequestSpan {
  attempt(keyName: string, attempt: number): AttemptSpan;
  end(outcome: string, attempts: number, keyName: string | null): void;
}

export interface AttemptSpan {
  /** `status` is the HTTP status, or null when no answer came (`error` says why). */
  end(status: number | null, error?: string): void;
}

let api: typeof OtelApi | null | undefined;

function loadApi(): typeof OtelApi | null {
  if (api !== undefined) return api;
  try {
    api = createRequire(import.meta.url)('@opentelemetry/api') as typeof OtelApi;
  } catch {
    api = null;
  }
  return api;
}

/** The tracer for one provider's requests, or null when `@opentelemetry/api` is not installed. */
export function createRequestTracer(provider: string): RequestTracer | null {
  const otel = loadApi();
  if (!otel) return null;
  const { trace, context, SpanKind, SpanStatusCode } = otel;
  const version = packageVersion();
  const tracer = () => trace.getTracer('switchboard', version);
  // The API's own no-op provider: what its global proxy delegates to until an SDK registers.
  const noop = new otel.ProxyTracerProvider().getDelegate();
  /**
   * Whether an SDK is registered (checked per request: one may register after the board starts).
   * Without one, nothing would record: no tracer, attributes or non-recording span is made — the
   * package is often installed as some other library's dependency, and that was ~1 µs a request.
   */
  const sdkRegistered = (): boolean => {
    const provider = trace.getTracerProvider() as { getDelegate?: () => unknown };
    return typeof provider.getDelegate !== 'function' || provider.getDelegate() !== noop;
  };
  return {
    start(info) {
      if (!sdkRegistered()) return null;
      const span = tracer().startSpan(
        'switchboard.request',
        {
          kind: SpanKind.INTERNAL,
          attributes: {
            'switchboard.provider': provider,
            'switchboard.model': info.model,
            'switchboard.priority': info.priority,
            'switchboard.request_id': info.requestId,
            'switchboard.kind': info.kind,
            'gen_ai.system': provider,
            'gen_ai.request.model': info.model,
          },
        },
        context.active(),
      );
      if (!span.isRecording()) return null;
      const parent = trace.setSpan(context.active(), span);
      return {
        attempt(keyName, attempt) {
          const child = tracer().startSpan(
            'switchboard.attempt',
            { kind: SpanKind.CLIENT, attributes: { 'switchboard.key_name': keyName, 'switchboard.attempt': attempt, 'http.request.method': 'POST' } },
            parent,
          );
          return {
            end(status, error) {
              if (status !== null) child.setAttribute('http.response.status_code', status);
              if (error !== undefined || status === null || status >= 400) {
                child.setStatus({ code: SpanStatusCode.ERROR, message: error ?? `HTTP ${status}` });
              }
              child.end();
            },
          };
        },
        end(outcome, attempts, keyName) {
          span.setAttribute('switchboard.outcome', outcome);
          span.setAttribute('switchboard.attempts', attempts);
          if (keyName !== null) span.setAttribute('switchboard.key_name', keyName);
          if (outcome !== 'ok') span.setStatus({ code: SpanStatusCode.ERROR, message: outcome });
          span.end();
        },
      };
    },
  };
}
