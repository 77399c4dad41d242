import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { health, openaiClient, startGatewayProcess, waitUntil, type GatewayProcess } from '../support/gateway.js';

let gw: GatewayProcess | null = null;
afterEach(async () => {
  await gw?.stop();
  gw = null;
});

function configFile(content: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-reload-'));
  const path = join(dir, 'switchboard.config.json');
  writeFileSync(path, JSON.stringify(content));
  return path;
}

describe('SIGHUP reloads --config', () => {
  it('applies the new file during a slow in-flight request, which still completes 200', async () => {
    const path = configFile({ aliases: { fast: 'gpt-4o-mini' }, providers: { openai: { retry: { maxRetries: 1 } } } });
    // Every simulated answer takes 1.5 s of real time: the request is surely in flight during the reload.
    gw = await startGatewayProcess(['--sim', '--port', '0', '--config', path, '--sim-config', '{"defaults":{"latencyMs":1500}}']);
    await gw.waitForLine(/Press Ctrl-C/);
    const client = openaiClient(gw.url);
    const slow = client.chat.completions.create({ model: 'fast', messages: [{ role: 'user', content: 'slow one' }] });
    await waitUntil(async () => (await health(gw!.url)).providers.openai.inFlight === 1, 5_000, 'the request in flight');

    writeFileSync(path, JSON.stringify({ aliases: { fast: 'gemini/gemini-2.0-flash', smart: 'claude-3-5-haiku-latest' }, providers: { openai: { queue: { maxConcurrent: 2 } } } }));
    gw.child.kill('SIGHUP');
    await gw.waitForLine(/SIGHUP: reloaded/);

    const reply = await slow;
    expect(reply.choices[0]!.message.content).toBe('echo: slow one');
    expect(reply.model).toBe('gpt-4o-mini');
    // The new aliases route the next requests; the new queue setting is in force.
    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toEqual(expect.arrayContaining(['fast', 'smart']));
    expect((await health(gw.url)).providers.openai.maxConcurrent).toBe(2);
    const next = await client.chat.completions.create({ model: 'fast', messages: [{ role: 'user', content: 'after' }] });
    expect(next.model).toBe('gemini-2.0-flash');
  });

  it('changes nothing when the new file is invalid, and says why with the start-up message', async () => {
    const path = configFile({ aliases: { fast: 'gpt-4o-mini' } });
    gw = await startGatewayProcess(['--sim', '--port', '0', '--config', path]);
    await gw.waitForLine(/Press Ctrl-C/);
    writeFileSync(path, JSON.stringify({ aliases: { fast: 'gpt-4o-mini' }, providers: { openai: { queue: { size: -1 } } } }));
    gw.child.kill('SIGHUP');
    await waitUntil(() => gw!.stderr().includes('unchanged'), 5_000, 'the refusal').catch((e) => { throw new Error(`${e.message}; stdout: ${gw!.lines.join('\n')}; stderr: ${gw!.stderr()}`); });
    expect(gw.stderr()).toContain('createRouter: providers.openai: expected `queue.size` to be an integer >= 0, got -1 (number)');
    const client = openaiClient(gw.url);
    const reply = await client.chat.completions.create({ model: 'fast', messages: [{ role: 'user', content: 'still here' }] });
    expect(reply.model).toBe('gpt-4o-mini');
    expect((await health(gw.url)).providers.openai.queue.size).toBe(100);
  });
});
