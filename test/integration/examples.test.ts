import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const examples = ['compat', 'core'].flatMap((dir) =>
  readdirSync(join(root, 'examples', dir)).filter((f) => f.endsWith('.ts')).sort().map((f) => `${dir}/${f.replace(/\.ts$/, '')}`),
);

/** Runs a TypeScript file with tsx in its own process; the examples import `switchboard` from dist/ (build first). */
function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', ...args], { cwd: root, env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('examples', () => {
  it('has the guide\'s scenarios on both APIs', () => {
    for (const scenario of ['priority-queue', 'circuit-breaker', 'monitoring', 'batching', 'key-multiplexing', 'retry-backoff', 'advanced', 'environment']) {
      expect(examples).toContain(`compat/${scenario}`);
      expect(examples).toContain(`core/${scenario}`);
    }
    expect(examples).toContain('compat/dotenv-file');
  });

  it('runs every example with --fast: each passes and prints its marker', async () => {
    expect(existsSync(join(root, 'dist', 'src', 'compat', 'index.js')), 'the examples import switchboard from dist/: run `npm run build` first').toBe(true);
    const { code, stdout, stderr } = await run(['examples/run-all.ts', '--fast']);
    for (const name of examples) {
      expect(stdout, `${name}\n${stderr}`).toContain(`[ok] ${name}: `);
      expect(stdout).toContain(`PASS ${name} (`);
    }
    expect(stdout).toContain(`examples: ${examples.length} passed, 0 failed`);
    expect(code, stderr).toBe(0);
  }, 60_000);

  it('runs one example on its own and exits 0', async () => {
    const { code, stdout } = await run(['examples/compat/circuit-breaker.ts', '--fast']);
    expect(stdout).toContain('[ok] compat/circuit-breaker: ');
    expect(code).toBe(0);
  }, 30_000);
});
