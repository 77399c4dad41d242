import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../src/sim/index.js';

const root = join(import.meta.dirname, '..', '..');
const README = readFileSync(join(root, 'README.md'), 'utf8');

/** The README's "Embedding the supervisor" code block, as written. */
function supervisorExample(): string {
  const section = README.split('## Embedding the supervisor')[1]!;
  return /```ts\n([\s\S]*?)```/.exec(section)![1]!;
}

let sim: Simulator | null = null;
afterEach(async () => {
  await sim?.stop();
  sim = null;
});

describe("the README's supervisor example", () => {
  it('runs as written against the simulator (keys and endpoint from the environment) and exits 0', async () => {
    sim = await startSimulator({ seed: 1 });
    const dir = mkdtempSync(join(tmpdir(), 'sb-readme-'));
    const file = join(dir, 'example.mts');
    // Only the import is pointed at the sources (the package resolves `switchboard` to dist/).
    writeFileSync(file, supervisorExample().replace("from 'switchboard'", `from ${JSON.stringify(join(root, 'src', 'index.ts'))}`));
    const env = { ...process.env, OPENAI_BASE_URL: sim.urls.openai, OPENAI_API_KEY: 'sk-readme-000000000001', OPENAI_API_KEY_1: 'sk-readme-000000000002', NO_COLOR: '1' };
    const { code, out, err } = await new Promise<{ code: number | null; out: string; err: string }>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', file], { cwd: root, env });
      let out = '';
      let err = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (err += d));
      const bound = setTimeout(() => (child.kill('SIGKILL'), reject(new Error(`no exit within 30 s: ${out} ${err}`))), 30_000);
      child.on('exit', (c) => (clearTimeout(bound), resolve({ code: c, out, err })));
    });
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(out).toContain('primaryFirst running');
    expect(out).toMatch(/totalRequests/);
    expect(sim.stats().keys['sk-readme-000000000001']?.requests ?? 0).toBeGreaterThan(0);
  }, 40_000);
});
