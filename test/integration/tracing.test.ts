import { trace } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drive, simBoard } from '../support/sim-board.js';

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });

beforeAll(() => {
  trace.setGlobalTracerProvider(provider);
});
afterAll(async () => {
  trace.disable();
  await provider.shutdown();
});

const SECRETS = ['tracing-secret-alpha-0001', 'tracing-secret-beta-0002'];

function spansOf(requestId: string): { request: ReadableSpan; attempts: ReadableSpan[] } {
  const all = exporter.getFinishedSpans();
  const request = all.find((s) => s.name === 'switchboard.request' && s.attributes['switchboard.request_id'] === requestId);
  if (!request) throw new Error(`no request span for ${requestId}`);
  const id = request.spanContext().spanId;
  const attempts = all.filter((s) => s.name === 'switchboard.attempt' && s.parentSpanContext?.spanId === id);
  return { request, attempts };
}

describe('OpenTelemetry spans (an SDK registered, in-memory exporter)', () => {
  it('makes one switchboard.request span per request, with a child span per HTTP attempt', async () => {
    exporter.reset();
    const { clock, sim, board, close } = await simBoard('openai', { secrets: SECRETS });
    try {
      sim.configure({ openai: { script: ['503', 'ok'] } } as never);
      const reply = await drive(clock, board.chat({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }, { requestId: 'trace-1', priority: 'high' }));
      expect(reply.attempts).toBe(2);
      const { request, attempts } = spansOf('trace-1');
      expect(request.attributes).toMatchObject({
        'switchboard.provider': 'openai', 'switchboard.model': 'gpt-4o-mini', 'switchboard.priority': 'high',
        'switchboard.outcome': 'ok', 'switchboard.attempts': 2, 'switchboard.key_name': reply.keyName,
      });
      expect(attempts.map((s) => s.attributes['http.response.status_code'])).toEqual([503, 200]);
      expect(attempts[0]!.status.code).toBe(2); // ERROR
      expect(attempts.every((s) => s.attributes['switchboard.key_name'] === reply.keyName)).toBe(true);
    } finally {
      await close();
    }
  });

  it('records a failed request with its error code as outcome and status, and never a secret', async () => {
    exporter.reset();
    const { clock, sim, board, close } = await simBoard('openai', { secrets: SECRETS, retry: { maxRetries: 1, jitter: 'none', initialDelayMs: 10 } });
    try {
      sim.configure({ openai: { script: ['500', '500'] } } as never);
      const failed = await drive(clock, board.chat({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }, { requestId: 'trace-2' }).catch((e) => e));
      expect(failed.code).toBe('SB_RETRIES_EXHAUSTED');
      const { request, attempts } = spansOf('trace-2');
      expect(request.attributes['switchboard.outcome']).toBe('SB_RETRIES_EXHAUSTED');
      expect(request.status).toMatchObject({ code: 2, message: 'SB_RETRIES_EXHAUSTED' });
      expect(attempts).toHaveLength(2);
      const dump = JSON.stringify(exporter.getFinishedSpans().map((s) => ({ n: s.name, a: s.attributes, st: s.status, ev: s.events })));
      for (const secret of SECRETS) expect(dump).not.toContain(secret);
    } finally {
      await close();
    }
  });

  it('makes a refused request a span too (fail fast, no attempt)', async () => {
    exporter.reset();
    const { board, close } = await simBoard('openai', { secrets: SECRETS });
    try {
      board.send({ type: 'breaker.force', state: 'forcedOpen' });
      const refused = await board.chat({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }, { requestId: 'trace-3' }).catch((e) => e);
      expect(refused.code).toBe('SB_CIRCUIT_OPEN');
      const { request, attempts } = spansOf('trace-3');
      expect(request.attributes['switchboard.outcome']).toBe('SB_CIRCUIT_OPEN');
      expect(attempts).toHaveLength(0);
    } finally {
      await close();
    }
  });
});

describe('without @opentelemetry/api', () => {
  it('never imports the API statically, so a missing optional peer costs nothing', async () => {
    const { readFileSync } = await import('node:fs');
    const built = readFileSync(new URL('../../dist/src/tracing/otel.js', import.meta.url), 'utf8');
    expect(built).not.toMatch(/^import .*@opentelemetry\/api/m);
    expect(built).toContain("createRequire(import.meta.url)('@opentelemetry/api')");
  });
});
