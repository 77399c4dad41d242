import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startGateway, type Gateway } from '../../src/gateway/index.js';
import { startSimulator } from '../../src/sim/index.js';
import { createSupervisor } from '../../src/supervisor/index.js';
import { makeBoard, hi } from '../support/board.js';
import { CLI } from '../support/gateway.js';

const gateways: Gateway[] = [];
afterEach(async () => {
  for (const g of gateways.splice(0)) await g.close({ drain: false });
});

async function simGateway(): Promise<Gateway> {
  const g = await startGateway({ port: 0, sim: true, inspector: false });
  gateways.push(g);
  return g;
}

function thrown(fn: () => unknown): { code?: string; field?: string; message: string; name?: string } {
  try {
    fn();
  } catch (error) {
    return error as { code?: string; field?: string; message: string };
  }
  throw new Error('expected a throw');
}

async function rejected(p: Promise<unknown>): Promise<{ code?: string; field?: string; message: string }> {
  try {
    const v = await p;
    if (v && typeof (v as Gateway).close === 'function') gateways.push(v as Gateway);
  } catch (error) {
    return error as { code?: string; field?: string; message: string };
  }
  throw new Error('expected a rejection');
}

type ErrorAnswer = { error: { code: string; param: string | null; message: string } };
const errorOf = async (res: Response): Promise<ErrorAnswer['error']> => ((await res.json()) as ErrorAnswer).error;

const post = (g: Gateway, path: string, body: unknown) =>
  fetch(`${g.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('model names cannot escape the Gemini path (finding 6)', () => {
  it.each(['gemini/../../../admin/delete', 'gemini-x/../../../../other', 'gemini/models/./gemini-2.0-flash', 'gemini/tunedModels//x'])(
    '%s is a 400 SB_CONFIG and nothing reaches the provider',
    async (model) => {
      const g = await simGateway();
      const res = await post(g, '/v1/chat/completions', { model, messages: [{ role: 'user', content: 'hi' }] });
      expect(res.status).toBe(400);
      expect((await errorOf(res)).code).toBe('SB_CONFIG');
      expect(g.simulator!.stats().providers.gemini.requests).toBe(0);
    },
  );

  it('still serves an ordinary and a tuned model name', async () => {
    const g = await simGateway();
    for (const model of ['gemini-2.0-flash', 'gemini/gemini-2.0-flash']) {
      expect((await post(g, '/v1/chat/completions', { model, messages: [{ role: 'user', content: 'hi' }] })).status, model).toBe(200);
    }
  });
});

describe('every duration is capped at 2^31-1 ms (finding 7)', () => {
  it('refuses a longer duration in the options, the gateway settings and a request', async () => {
    for (const options of [{ timeoutMs: 3_000_000_000 }, { deadlineMs: 2 ** 31 }, { retry: { maxDelayMs: 1e12 } }, { circuitBreaker: { resetTimeoutMs: 3e9 } }, { queue: { agingMs: 3e9 } }, { batching: { batchTimeoutMs: 3e9 } }]) {
      const e = thrown(() => createSupervisor({ ...options, keys: [{ name: 'a', secret: 'sk-a-123456' }] } as never));
      expect(e.code, JSON.stringify(options)).toBe('SB_CONFIG');
      expect(e.message).toContain('2147483647');
    }
    for (const setting of ['bodyTimeoutMs', 'requestTimeoutMs', 'headersTimeoutMs', 'keepAliveTimeoutMs', 'drainTimeoutMs', 'writeTimeoutMs']) {
      const e = await rejected(startGateway({ port: 0, sim: true, inspector: false, [setting]: 3_000_000_000 }));
      expect(e.code, setting).toBe('SB_CONFIG');
      expect(e.field).toBe(setting);
    }
    const { board } = makeBoard();
    const e = await rejected(board.chat(hi(), { timeoutMs: 3_000_000_000 }));
    expect(e.code).toBe('SB_CONFIG');
    expect(e.field).toBe('timeoutMs');
    await board.stop();
  });

  it.skipIf(!existsSync(CLI))('refuses `--body-timeout 3000000000` on the command line', () => {
    const run = spawnSync(process.execPath, [CLI, 'serve', '--sim', '--port', '0', '--body-timeout', '3000000000'], { encoding: 'utf8', timeout: 20_000, cwd: tmpdir() });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain('--body-timeout must be an integer from 1 to 2147483647');
  });
});

describe('the simulator configuration is validated like the options (finding 8)', () => {
  it.each([
    [{ defaults: { dimensions: 300_000_000 } }, 'defaults.dimensions'],
    [{ defaults: { latencyMs: -5 } }, 'defaults.latencyMs'],
    [{ openai: { chunkDelayMs: 3e9 } }, 'openai.chunkDelayMs'],
    [{ defaults: { rateLimit: { requestsPerMinute: '10' } } }, 'defaults.rateLimit.requestsPerMinute'],
    [{ defaults: { errorRates: { 500: 2 } } }, 'defaults.errorRates'],
    [{ keys: { k1: { dailyQuota: -1 } } }, 'keys.k1.dailyQuota'],
    [{ gemini: { script: [{ status: 99 }] } }, 'gemini.script[0].status'],
  ])('POST /sim/configure %j → 400 naming `%s`', async (config, field) => {
    const g = await simGateway();
    const res = await post(g, '/sim/configure', config);
    expect(res.status).toBe(400);
    const error = await errorOf(res);
    expect(error.code).toBe('SB_CONFIG');
    expect(error.param).toBe(field);
  });

  it('names an unknown knob with a "did you mean"', async () => {
    const g = await simGateway();
    const res = await post(g, '/sim/configure', { defaults: { latncyMs: 5 } });
    expect(res.status).toBe(400);
    expect((await errorOf(res)).message).toContain('did you mean `defaults.latencyMs`?');
    expect((await post(g, '/sim/configure', { defualts: {} })).status).toBe(400);
  });

  it('checks --sim-config (the gateway option) and startSimulator the same way', async () => {
    const e = await rejected(startGateway({ port: 0, sim: true, inspector: false, simConfig: { defaults: { dimensions: 300_000_000 } } }));
    expect(e.code).toBe('SB_CONFIG');
    expect(e.message).toContain('simConfig: expected `defaults.dimensions` to be an integer from 1 to 8192');
    expect((await rejected(startSimulator({ defaults: { latencyMs: -1 } }))).code).toBe('SB_CONFIG');
  });

  it('still takes a sane configuration', async () => {
    const g = await simGateway();
    const res = await post(g, '/sim/configure', { defaults: { dimensions: 1536, latencyMs: 0, rateLimit: { requestsPerMinute: 600 } }, openai: { script: ['503', 'ok'], errorRates: { 500: 0.1 } } });
    expect(res.status).toBe(204);
  });
});

describe('configuration robustness (finding 9)', () => {
  it('bounds metrics.recentSize instead of allocating gigabytes', () => {
    const e = thrown(() => createSupervisor({ metrics: { recentSize: 20_000_000 }, keys: [{ name: 'a', secret: 'sk-a-123456' }] }));
    expect(e.code).toBe('SB_CONFIG');
    expect(e.field).toBe('metrics.recentSize');
  });

  it.each(['{"__proto__":{"x":1}}', '{"constructor":1}', '{"queue":{"constructor":5}}', '{"retry":{"__proto__":{"maxRetries":1}}}', '{"toString":"x"}'])(
    'options %s are an unknown name (SB_CONFIG), never Object.prototype members',
    (json) => {
      const e = thrown(() => createSupervisor({ ...JSON.parse(json), keys: [{ name: 'a', secret: 'sk-a-123456' }] }));
      expect(e.code).toBe('SB_CONFIG');
      expect(e.message).toMatch(/unknown option/);
    },
  );

  it('config files and the simulator refuse `__proto__` and `constructor` keys the same way', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sb-config-'));
    for (const [i, json] of ['{"gateway":{"constructor":1}}', '{"gateway":{"__proto__":{"port":1}}}', '{"providers":{"openai":{"queue":{"constructor":5},"keys":[{"name":"a","secret":"sk-a-123456"}]}}}'].entries()) {
      const file = join(dir, `c${i}.json`);
      writeFileSync(file, json);
      const e = await rejected(startGateway({ port: 0, configFile: file, inspector: false }));
      expect(e.code, json).toBe('SB_CONFIG');
    }
    const g = await simGateway();
    const res = await fetch(`${g.url}/sim/configure`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"defaults":{"__proto__":{"latencyMs":1}},"constructor":{}}' });
    expect(res.status).toBe(400);
  });

  it('treats a priority named `constructor` as invalid', async () => {
    const { board } = makeBoard();
    const e = await rejected(board.chat(hi(), { priority: 'constructor' as never }));
    expect(e.code).toBe('SB_CONFIG');
    expect(e.field).toBe('priority');
    await board.stop();
  });
});
