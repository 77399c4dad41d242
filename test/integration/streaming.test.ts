import { afterEach, describe, expect, it } from 'vitest';
import type { ChatChunk, Provider } from '../../src/types.js';
import { drive, simBoard, until } from '../support/sim-board.js';

type Env = Awaited<ReturnType<typeof simBoard>>;
let env: Env | null = null;
afterEach(async () => {
  await env?.close();
  env = null;
});

const models: Record<Provider, string> = { openai: 'gpt-4o-mini', anthropic: 'claude-3-5-haiku-latest', groq: 'llama-3.1-8b-instant', gemini: 'gemini-2.0-flash' };
const ask = (provider: Provider) => ({ model: models[provider], messages: [{ role: 'user' as const, content: 'tell me a short story about a fox' }], maxTokens: 200 });

async function collect(it: AsyncIterable<ChatChunk>): Promise<ChatChunk[]> {
  const out: ChatChunk[] = [];
  for await (const c of it) out.push(c);
  return out;
}

describe.each(['openai', 'anthropic', 'groq', 'gemini'] as const)('streaming from %s', (provider) => {
  it('yields the text in order and ends with the finish reason and usage', async () => {
    env = await simBoard(provider);
    env.sim.configure({ [provider]: { chunkDelayMs: 5 } });
    const chunks = await drive(env.clock, collect(env.board.chatStream(ask(provider))));
    expect(chunks.length).toBeGreaterThanOrEqual(3);
    expect(chunks.map((c) => c.delta).join('')).toBe('echo: tell me a short story about a fox');
    const last = chunks.at(-1)!;
    expect(last.finishReason).toBe('stop');
    expect(last.usage!.outputTokens).toBeGreaterThan(0);
    expect(chunks.slice(0, -1).every((c) => c.finishReason === undefined)).toBe(true);
    expect(env.board.report().summary).toMatchObject({ totalRequests: 1, succeeded: 1 });
  });

  it('retries a reset before the first chunk: the caller sees one clean stream', async () => {
    env = await simBoard(provider, { secrets: [`${provider}-one-key`] });
    env.sim.configure({ [provider]: { script: ['stream-reset:0', '503'] } });
    const chunks = await drive(env.clock, collect(env.board.chatStream(ask(provider))));
    expect(chunks.map((c) => c.delta).join('')).toBe('echo: tell me a short story about a fox');
    expect(env.sim.stats().requests).toBe(3);
    expect(env.board.report().summary).toMatchObject({ succeeded: 1, retries: 2 });
  });

  it('ends with SB_STREAM_INTERRUPTED and the partial text on a reset after the first chunk', async () => {
    env = await simBoard(provider);
    env.sim.configure({ [provider]: { script: ['stream-reset:6'] } });
    const seen: string[] = [];
    const err = await drive(
      env.clock,
      (async () => {
        try {
          for await (const c of env!.board.chatStream(ask(provider))) seen.push(c.delta);
        } catch (e) {
          return e as { code: string; partialText: string };
        }
        return null;
      })(),
    );
    expect(err?.code).toBe('SB_STREAM_INTERRUPTED');
    expect(err!.partialText).toBe(seen.join(''));
    expect(err!.partialText.length).toBeGreaterThan(0);
    expect(env.sim.stats().requests).toBe(1);
  });

  it('aborts the upstream call when the caller breaks after two chunks, and frees the slot', async () => {
    env = await simBoard(provider, { secrets: [`${provider}-one-key`] });
    env.sim.configure({ [provider]: { chunkDelayMs: 50 } });
    const got = await drive(
      env.clock,
      (async () => {
        const out: string[] = [];
        for await (const c of env!.board.chatStream(ask(provider))) {
          out.push(c.delta);
          if (out.length === 2) break;
        }
        return out;
      })(),
    );
    expect(got).toHaveLength(2);
    await until(() => env!.sim.stats().streams.abortedByClient === 1);
    expect(env.board.state().inFlight).toBe(0);
    expect(env.board.state().keys[0]!.inFlight).toBe(0);
    // The slot and the key are free: the next request goes at once.
    const reply = await drive(env.clock, env.board.chat(ask(provider)));
    expect(reply.text).toContain('echo:');
  });
});
