import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../src/sim/index.js';

const root = join(import.meta.dirname, '..', '..');
let sim: Simulator | null = null;
afterEach(async () => {
  await sim?.stop();
  sim = null;
});

/** Runs the script in its own process; resolves with its exit code and output (bounded in real time). */
function run(script: string, env: Record<string, string>): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: root, env: { ...process.env, ...env, NO_COLOR: '1' } });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const bound = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the script did not exit within 30 s: ${out} ${err}`));
    }, 30_000);
    child.on('exit', (code) => {
      clearTimeout(bound);
      resolve({ code, out, err });
    });
  });
}

describe('a plain script', () => {
  it('stays alive through a retry backoff and a batch window, prints both results and exits 0 by itself', async () => {
    sim = await startSimulator({ seed: 1 });
    sim.configure({ openai: { script: ['503', 'ok'] } } as never);
    const { code, out, err } = await run('test/support/scripts/await-and-exit.ts', { SIM_URL: sim.urls.openai });
    expect(err).toBe('');
    expect(out).toBe('chat ok attempts=2\nembed ok dims=16\n');
    expect(code).toBe(0);
  }, 40_000);
});
