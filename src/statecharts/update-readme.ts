/**
 * `npm run machines:readme` (tsx src/statecharts/update-readme.ts [README.md]): rewrites the
 * Mermaid diagrams between `<!-- machines:start -->` and `<!-- machines:end -->` in place. Without
 * the markers, it appends a "State machines" section that has them.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { machineCharts } from './index.js';
import { readmeBlock, replaceReadmeBlock } from './readme.js';

export interface UpdateReadmeResult {
  path: string;
  /** `updated` (the block changed), `unchanged`, or `appended` (no markers were found). */
  outcome: 'updated' | 'unchanged' | 'appended';
}

export function updateReadme(path = resolve(process.cwd(), 'README.md')): UpdateReadmeResult {
  const before = readFileSync(path, 'utf8');
  const block = readmeBlock(machineCharts());
  const replaced = replaceReadmeBlock(before, block);
  if (replaced === null) {
    const sep = before.endsWith('\n') ? '\n' : '\n\n';
    writeFileSync(path, `${before}${sep}## State machines\n\n${block}\n`);
    return { path, outcome: 'appended' };
  }
  if (replaced === before) return { path, outcome: 'unchanged' };
  writeFileSync(path, replaced);
  return { path, outcome: 'updated' };
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const { path, outcome } = updateReadme(process.argv[2] ? resolve(process.argv[2]) : undefined);
  const said = { updated: 'rewrote the machines block of', unchanged: 'the machines block is up to date in', appended: 'found no machines markers; appended a "State machines" section to' };
  console.log(`machines:readme: ${said[outcome]} ${path}`);
}
