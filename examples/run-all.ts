/**
 * Runs every example (examples/compat/*.ts, then examples/core/*.ts), each with a fresh simulator.
 *
 *   npm run build && tsx examples/run-all.ts --fast        # simulated clock: seconds in all
 *   npm run build && tsx examples/run-all.ts               # real time: the guide's 30–60 s waits
 *   tsx examples/run-all.ts --fast breaker                 # only the examples whose name contains "breaker"
 *
 * Prints `PASS <name>` or `FAIL <name>` for each; exits 1 when one failed.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { exampleName, runExample, type Example } from './support/runtime.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const fast = process.argv.includes('--fast');
const filters = process.argv.slice(2).filter((a) => !a.startsWith('--'));

const files = ['compat', 'core'].flatMap((dir) =>
  readdirSync(join(here, dir))
    .filter((f) => f.endsWith('.ts'))
    .sort()
    .map((f) => join(here, dir, f)),
);

let failed = 0;
let ran = 0;
const started = Date.now();
for (const file of files) {
  const url = pathToFileURL(file).href;
  const name = exampleName(url);
  if (filters.length > 0 && !filters.some((f) => name.includes(f))) continue;
  console.log(`\n── ${name}${fast ? ' (--fast)' : ''} ${'─'.repeat(Math.max(0, 60 - name.length))}`);
  const t = Date.now();
  const example = ((await import(url)) as { default: Example }).default;
  const passed = await runExample(name, example, fast);
  ran++;
  if (!passed) failed++;
  console.log(`${passed ? 'PASS' : 'FAIL'} ${name} (${Date.now() - t} ms)`);
}

console.log(`\nexamples: ${ran - failed} passed, ${failed} failed, ${Date.now() - started} ms`);
process.exitCode = failed === 0 && ran > 0 ? 0 : 1;
// Every example stops what it started; this only guards against a stray handle keeping the process up.
setTimeout(() => process.exit(process.exitCode), 2_000).unref();
