import { describe, expect, it } from 'vitest';
import { runDemo } from '../../src/cli/demo.js';
import { createTestClock } from '../../src/clock.js';

describe('switchboard demo', () => {
  // On a simulated clock that moves only when no answer is in flight: no real sleeps, and the
  // breaker opens and recovers at the same simulated instants however loaded the machine is.
  it('runs the mixed workload: an outage trips a breaker that recovers, and the report prints as tables', async () => {
    const lines: string[] = [];
    const result = await runDemo({ fast: true, clock: createTestClock(), out: (line: string) => lines.push(line) });
    const openai = result.breakerLog.filter((b) => b.provider === 'openai').map((b) => b.to);
    expect(openai[0]).toBe('open');
    expect(openai.at(-1)).toBe('closed');
    const text = lines.join('\n');
    expect(text).toMatch(/high/);
    expect(text).toMatch(/low/);
    expect(result.report.overall.totalRequests).toBeGreaterThan(50);
    expect(Object.keys(result.report.providers).sort()).toEqual(expect.arrayContaining(['anthropic', 'gemini', 'openai']));
  }, 60_000);

  it('prints the report as JSON with --json', async () => {
    const lines: string[] = [];
    await runDemo({ fast: true, json: true, clock: createTestClock(), out: (line: string) => lines.push(line) });
    const report = JSON.parse(lines.join('\n'));
    expect(report.overall.totalRequests).toBeGreaterThan(0);
  }, 60_000);
});
