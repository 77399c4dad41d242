import { describe, expect, it } from 'vitest';
import { completionText } from '../../src/gateway/routes/chat.js';
import { openaiAdapter } from '../../src/providers/openai.js';
import type { RichChatReply } from '../../src/types.js';
import type { RoutedReply } from '../../src/router/index.js';

// The provider's bytes, with spacing and key order JSON.stringify would not reproduce.
const BODY = '{ "id": "chatcmpl-1", "object": "chat.completion", "created": 1700000000, "model": "gpt-4o-mini",\n'
  + '  "choices": [{"index":0,"message":{"role":"assistant","content":"ok é"},"logprobs":null,"finish_reason":"stop"}],\n'
  + '  "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4}, "system_fingerprint": "fp_1" }';

function replyOf(body: string, extra: Partial<RoutedReply<RichChatReply>> = {}): RoutedReply<RichChatReply> {
  const p = openaiAdapter.parseChat({ status: 200, headers: {}, body });
  return {
    requestId: 'sb_1', id: p.id, model: p.model, provider: 'openai', text: p.text, finishReason: p.finishReason,
    usage: p.usage, keyName: 'k1', attempts: 1, raw: p.raw, ...extra,
  } as RoutedReply<RichChatReply>;
}

describe('the chat completion text the gateway answers', () => {
  it('is the provider\'s own bytes, as the reply hook hands them over, when the OpenAI-format answer goes out unchanged', () => {
    expect(completionText(replyOf(BODY), 0, BODY)).toBe(BODY);
  });

  it('is re-encoded, with the same content, when the bytes are not at hand', () => {
    const text = completionText(replyOf(BODY), 0);
    expect(text).not.toBe(BODY);
    expect(JSON.parse(text)).toEqual(JSON.parse(BODY));
  });

  it('is re-encoded with fallback_from after a fallback', () => {
    const text = completionText(replyOf(BODY, { fallbackFrom: 'claude-3-5-haiku-latest' }), 0, BODY);
    expect(text).not.toBe(BODY);
    expect(JSON.parse(text)).toMatchObject({ object: 'chat.completion', model: 'gpt-4o-mini', fallback_from: 'claude-3-5-haiku-latest', system_fingerprint: 'fp_1' });
  });

  it('is re-encoded as a chat.completion when the provider names its object otherwise', () => {
    const odd = BODY.replace('"object": "chat.completion"', '"object": "chat.completion.custom"');
    expect(JSON.parse(completionText(replyOf(odd), 0, odd))).toMatchObject({ object: 'chat.completion', choices: [{ message: { content: 'ok é' } }] });
  });

  it('leaves the parsed answer as JSON.parse made it (nothing kept on it)', () => {
    const raw = replyOf(BODY).raw as Record<string, unknown>;
    expect(Object.keys({ ...raw })).toEqual(['id', 'object', 'created', 'model', 'choices', 'usage', 'system_fingerprint']);
    expect(Object.getOwnPropertySymbols({ ...raw })).toEqual([]);
    expect(JSON.parse(JSON.stringify(raw))).toEqual(JSON.parse(BODY));
  });
});
