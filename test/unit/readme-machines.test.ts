import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MACHINES_END, MACHINES_START, machineCharts, readmeBlock, replaceReadmeBlock } from '../../src/statecharts/index.js';
import { updateReadme } from '../../src/statecharts/update-readme.js';
import { fencedBlocks, parseStateDiagram } from '../support/mermaid-grammar.js';

const README = resolve(fileURLToPath(new URL('../../README.md', import.meta.url)));
const FIX = 'run `npm run machines:readme` (tsx src/statecharts/update-readme.ts) and commit README.md';

describe('README.md machines block', () => {
  it('carries the current Mermaid diagram of every machine', () => {
    if (!existsSync(README)) throw new Error(`README.md is missing at ${README}; write it, then ${FIX}`);
    const text = readFileSync(README, 'utf8');
    const start = text.indexOf(MACHINES_START);
    const end = text.indexOf(MACHINES_END, start + 1);
    if (start < 0 || end < 0) {
      throw new Error(`README.md has no ${MACHINES_START} … ${MACHINES_END} block for the machine diagrams: ${FIX} (it appends the block when the markers are absent)`);
    }
    const current = text.slice(start, end + MACHINES_END.length);
    expect(current, `README.md's machine diagrams are stale: ${FIX}`).toBe(readmeBlock(machineCharts()));
  });
});

describe('npm run machines:readme', () => {
  const withReadme = (content: string, fn: (path: string) => void) => {
    const dir = mkdtempSync(join(tmpdir(), 'sb-readme-'));
    try {
      const path = join(dir, 'README.md');
      writeFileSync(path, content);
      fn(path);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  const block = readmeBlock(machineCharts());

  it('rewrites a stale block in place and leaves the rest of the file alone', () => {
    withReadme(`# Title\n\nIntro.\n\n${MACHINES_START}\nold diagrams\n${MACHINES_END}\n\n## After\n`, (path) => {
      expect(updateReadme(path).outcome).toBe('updated');
      expect(readFileSync(path, 'utf8')).toBe(`# Title\n\nIntro.\n\n${block}\n\n## After\n`);
      expect(updateReadme(path).outcome).toBe('unchanged');
    });
  });

  it('appends a section with the markers when the README has none', () => {
    withReadme('# Title\n', (path) => {
      expect(updateReadme(path).outcome).toBe('appended');
      const text = readFileSync(path, 'utf8');
      expect(text).toBe(`# Title\n\n## State machines\n\n${block}\n`);
      expect(replaceReadmeBlock(text, block)).toBe(text);
    });
  });

  it('puts one mermaid diagram per machine between the markers', () => {
    expect(block.startsWith(MACHINES_START)).toBe(true);
    expect(block.endsWith(MACHINES_END)).toBe(true);
    expect(block.match(/```mermaid\nstateDiagram-v2\n/g)).toHaveLength(5);
    // Each block is one document Mermaid parses (test/support/mermaid-grammar.ts).
    const blocks = fencedBlocks(block);
    expect(blocks).toHaveLength(5);
    for (const b of blocks) expect(() => parseStateDiagram(b.body)).not.toThrow();
    expect(replaceReadmeBlock('no markers here', block)).toBeNull();
  });
});
