import { describe, expect, it } from 'vitest';
import { createRouter, createSupervisor } from '../../src/index.js';
import { ON_REPLY, type OptionsWithReplyHook } from '../../src/supervisor/early-reply.js';
import type { HttpRequest, HttpResponse } from '../../src/transport/types.js';
import type { RichChatReply } from '../../src/types.js';

const hi = { model: 'gpt-4o-mini', messages: [{ role: 'user' as const, content: 'hi' }] };
const completion = (model: string) =>
  JSON.stringify({ id: 'c1', object: 'chat.completion', model, choices: [{ index: 0, message: { role: 'assistant', content: `from ${model}` }, finish_reason: 'stop' }], usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 } });

/** Answers each model's request with `answers[model]` (a status, or 200 with a completion). */
function transport(answers: Record<string, number>) {
  return async (req: HttpRequest): Promise<HttpResponse> => {
    const model = (JSON.parse(req.body ?? '{}') as { model: string }).model;
    const status = answers[model] ?? 200;
    return status === 200 ? { status, headers: {}, body: completion(model) } : { status, headers: {}, body: '{"error":{"message":"down"}}' };
  };
}

describe('the reply hook (ON_REPLY): the reply before the books', () => {
  it('is called once, with the reply the promise then resolves with, before the board has counted the request', async () => {
    const board = createSupervisor({ provider: 'openai', keys: [{ name: 'k', secret: 'sk-hook-test' }], transport: transport({}) });
    const seen: Array<{ reply: RichChatReply; countedThen: number }> = [];
    const options: OptionsWithReplyHook = { [ON_REPLY]: (reply) => seen.push({ reply, countedThen: board.report().summary.totalRequests }) };
    const reply = await board.chat(hi, options);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.reply).toBe(reply);
    expect(seen[0]!.countedThen).toBe(0);
    expect(board.report().summary.totalRequests).toBe(1);
    await board.stop();
  });

  it('a hook that throws is logged; the request still succeeds and is counted', async () => {
    const warnings: unknown[] = [];
    const board = createSupervisor({
      provider: 'openai', keys: [{ name: 'k', secret: 'sk-hook-test' }], transport: transport({}),
      logger: { warn: (...a: unknown[]) => warnings.push(a), error: () => {}, info: () => {}, debug: () => {} },
    });
    const reply = await board.chat(hi, { [ON_REPLY]: () => { throw new Error('the writer broke'); } } as OptionsWithReplyHook);
    expect(reply.text).toBe('from gpt-4o-mini');
    expect(JSON.stringify(warnings)).toContain('the writer broke');
    expect(board.report().summary.succeeded).toBe(1);
    await board.stop();
  });

  it('is not called for a failed request, which rejects as before', async () => {
    const board = createSupervisor({ provider: 'openai', keys: [{ name: 'k', secret: 'sk-hook-test' }], transport: transport({ 'gpt-4o-mini': 400 }) });
    let calls = 0;
    await expect(board.chat(hi, { [ON_REPLY]: () => calls++ } as OptionsWithReplyHook)).rejects.toMatchObject({ code: 'SB_PROVIDER' });
    expect(calls).toBe(0);
    await board.stop();
  });

  it('on a fallback hop the router hands it the reply as the caller gets it, with fallbackFrom', async () => {
    const router = createRouter({
      providers: { openai: { keys: [{ name: 'k', secret: 'sk-hook-test' }], retry: { maxRetries: 0 } } },
      fallbacks: { 'gpt-4o-mini': ['gpt-4o'] },
      transport: transport({ 'gpt-4o-mini': 503 }),
    });
    const seen: Array<{ reply: RichChatReply & { fallbackFrom?: string }; rawText: string }> = [];
    const hook = (reply: RichChatReply, rawText: string) => seen.push({ reply, rawText });
    const reply = await router.chat(hi, { [ON_REPLY]: hook } as OptionsWithReplyHook);
    expect(reply.fallbackFrom).toBe('gpt-4o-mini');
    expect(seen).toHaveLength(1);
    expect(seen[0]!.reply.fallbackFrom).toBe('gpt-4o-mini');
    expect(seen[0]!.reply.text).toBe('from gpt-4o');
    expect(JSON.parse(seen[0]!.rawText)).toMatchObject({ model: 'gpt-4o' });
    // A model no group names: the hook gets the reply as it is, and the provider's bytes.
    const plain = await router.chat({ ...hi, model: 'gpt-4o' }, { [ON_REPLY]: hook } as OptionsWithReplyHook);
    expect(seen).toHaveLength(2);
    expect(seen[1]!.reply).toBe(plain);
    expect(seen[1]!.rawText).toBe(completion('gpt-4o'));
    await router.stop();
  });
});
