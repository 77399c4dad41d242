import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { startGateway, type Gateway } from '../../src/gateway/index.js';
import { looksLikeSecret, resolveConfig } from '../../src/gateway/config.js';

let gw: Gateway | null = null;
afterEach(async () => {
  await gw?.close({ drain: false });
  gw = null;
});

const EXAMPLE = fileURLToPath(new URL('../../switchboard.config.example.json', import.meta.url));

describe('the config file', () => {
  it('refuses a key that looks like a secret, showing at most its first 4 characters', () => {
    const secret = 'sk-proj-abcdefghijklmnopqrstuvwxyz0123456789';
    let message = '';
    try {
      resolveConfig({ providers: { openai: { keys: [secret] } } }, 'config switchboard.config.json');
    } catch (error) {
      message = (error as Error).message;
      expect(error).toMatchObject({ code: 'SB_CONFIG', field: 'providers.openai.keys[0]' });
    }
    expect(message).toContain('`providers.openai.keys[0]` looks like a secret ("sk-p…")');
    expect(message).not.toContain(secret.slice(0, 5));
  });

  it.each(['gsk_AbCdEf0123456789AbCdEf01', 'AIzaSyA1234567890abcdefghijk', 'sk-ant-api03-xyz', 'Ab3dEf6hIj9kLm2nOp5qRs8tUv1w'])('takes %s for a secret', (value) => {
    expect(looksLikeSecret(value)).toBe(true);
  });

  it.each(['OPENAI_API_KEY', 'ANTHROPIC_API_KEY_2', 'my_key'])('takes %s for a variable name', (value) => {
    expect(looksLikeSecret(value)).toBe(false);
  });

  it('refuses the object form { name, secret }: a config file never holds a secret', () => {
    expect(() => resolveConfig({ providers: { openai: { keys: [{ name: 'main', secret: 'hunter2-but-longer' }] } } }, 'config c.json')).toThrow(
      'config c.json: `providers.openai.keys[0].secret` is not accepted: a config file never holds a secret',
    );
  });

  it('refuses an unknown top-level name with a "did you mean"', () => {
    expect(() => resolveConfig({ alias: {} }, 'config c.json')).toThrow('config c.json: unknown option `alias`; did you mean `aliases`?');
  });

  it('serves the example file on the simulator with fake keys, none of its variables set', async () => {
    gw = await startGateway({ port: 0, sim: true, inspector: false, env: {}, configFile: EXAMPLE });
    expect(gw.simulatorReason).toBe('requested');
    const models = (await (await fetch(`${gw.url}/v1/models`)).json()) as { data: Array<{ id: string; owned_by: string }> };
    expect(models.data.slice(0, 2)).toEqual([
      { id: 'fast', object: 'model', created: 0, owned_by: 'groq' },
      { id: 'smart', object: 'model', created: 0, owned_by: 'anthropic' },
    ]);
    const r = await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'fast', messages: [{ role: 'user', content: 'hi' }] }) });
    expect(r.status).toBe(200);
    expect(((await r.json()) as { model: string }).model).toBe('llama-3.1-8b-instant');
  });

  it('still needs the variables the file names when it runs on real providers', async () => {
    await expect(startGateway({ port: 0, inspector: false, env: {}, configFile: EXAMPLE })).rejects.toThrow('names the environment variable OPENAI_API_KEY, which is not set');
  });

  it('answers SB_CONTEXT_LENGTH as a 400 with that code at the gateway', async () => {
    gw = await startGateway({ port: 0, sim: true, inspector: false, env: {} });
    gw.simulator!.configure({ openai: { script: ['context-length'] } });
    const r = await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }) });
    expect(r.status).toBe(400);
    expect(((await r.json()) as { error: { code: string } }).error.code).toBe('SB_CONTEXT_LENGTH');
  });
});
