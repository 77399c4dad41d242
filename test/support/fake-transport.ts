import type { HttpRequest, HttpResponse, Transport } from '../../src/transport/types.js';
import { TransportError } from '../../src/errors.js';
import type { TestClock } from '../../src/clock.js';

/** One scripted answer: a status (with optional headers/body), or a failure with no answer. */
export type Step =
  | number
  | { status: number; headers?: Record<string, string>; body?: string | object; delayMs?: number }
  | 'reset'
  | 'hang'
  | 'malformed'
  | 'truncated';

export interface Call {
  request: HttpRequest;
  body: Record<string, unknown>;
  keyName: string;
  at: number;
}

/**
 * A scripted in-process transport speaking OpenAI's JSON. Answers come from a per-key script
 * (`byKey`), else the shared script, else 200. `delayMs` answers on the test clock.
 */
export function fakeTransport(clock: TestClock, options: { script?: Step[]; byKey?: Record<string, Step[]>; latencyMs?: number; keyOf?: (secret: string) => string; respond?: (call: Call) => Step | undefined } = {}) {
  const script = [...(options.script ?? [])];
  const byKey: Record<string, Step[]> = Object.fromEntries(Object.entries(options.byKey ?? {}).map(([k, v]) => [k, [...v]]));
  const calls: Call[] = [];
  let inFlight = 0;
  let peak = 0;
  const keyInFlight: Record<string, number> = {};
  const keyPeak: Record<string, number> = {};
  const keyOf = options.keyOf ?? ((secret: string) => secret.replace(/^sk-/, ''));

  const transport: Transport = (request, signal) => {
    const secret = (request.headers.authorization ?? '').replace(/^Bearer /, '');
    const keyName = keyOf(secret);
    const body = request.body ? JSON.parse(request.body) : {};
    calls.push({ request, body, keyName, at: clock.now() });
    const queue = byKey[keyName]?.length ? byKey[keyName]! : script;
    const step: Step = queue.length ? queue.shift()! : options.respond?.(calls[calls.length - 1]!) ?? 200;
    inFlight++;
    peak = Math.max(peak, inFlight);
    keyInFlight[keyName] = (keyInFlight[keyName] ?? 0) + 1;
    keyPeak[keyName] = Math.max(keyPeak[keyName] ?? 0, keyInFlight[keyName]!);
    return new Promise<HttpResponse>((resolve, reject) => {
      let timer: unknown = null;
      const done = () => {
        inFlight--;
        keyInFlight[keyName]!--;
        signal.removeEventListener('abort', onAbort);
      };
      const onAbort = () => {
        if (timer !== null) clock.clearTimeout(timer);
        done();
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort);
      const answer = () => {
        timer = null;
        if (step === 'hang') return;
        done();
        if (step === 'reset') return reject(new TransportError('ECONNRESET', 'socket hang up'));
        if (step === 'malformed') return resolve({ status: 200, headers: {}, body: '<html>oops' });
        if (step === 'truncated') return resolve({ status: 200, headers: {}, body: '{"id":"x","choices":[{"mess' });
        const s = typeof step === 'number' ? { status: step } : step;
        const status = s.status;
        let text: string;
        if (s.body !== undefined) text = typeof s.body === 'string' ? s.body : JSON.stringify(s.body);
        else if (status >= 200 && status < 300) text = JSON.stringify(okBody(request, body));
        else text = JSON.stringify({ error: { message: `status ${status}`, type: 'error', code: status === 429 ? 'rate_limit_exceeded' : null } });
        resolve({ status, headers: s.headers ?? {}, body: text });
      };
      const delay = typeof step === 'object' && step.delayMs !== undefined ? step.delayMs : options.latencyMs ?? 0;
      if (delay > 0) timer = clock.setTimeout(answer, delay);
      else queueMicrotask(answer);
    });
  };
  return {
    transport,
    calls,
    push: (...steps: Step[]) => script.push(...steps),
    pushFor: (key: string, ...steps: Step[]) => (byKey[key] ??= []).push(...steps),
    get inFlight() {
      return inFlight;
    },
    get peak() {
      return peak;
    },
    keyPeak,
    keyInFlight,
    perKey: () => calls.reduce<Record<string, number>>((acc, c) => ((acc[c.keyName] = (acc[c.keyName] ?? 0) + 1), acc), {}),
  };
}

function okBody(request: HttpRequest, body: Record<string, unknown>): object {
  if (request.url.endsWith('/embeddings')) {
    const input = body.input as string[];
    return {
      object: 'list',
      data: input.map((text, index) => ({ object: 'embedding', index, embedding: vectorOf(text) })),
      model: body.model,
      usage: { prompt_tokens: input.length * 2, total_tokens: input.length * 2 },
    };
  }
  const messages = body.messages as Array<{ content: string }>;
  return {
    id: 'chatcmpl-1',
    object: 'chat.completion',
    model: body.model,
    choices: [{ index: 0, message: { role: 'assistant', content: `echo: ${messages[messages.length - 1]?.content ?? ''}` }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 },
  };
}

/** A deterministic vector for a text: lets a test check each caller got its own. */
export function vectorOf(text: string): number[] {
  let h = 0;
  for (const c of text) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return [h % 1000, text.length];
}
