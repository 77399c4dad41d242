import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import cron from 'node-cron';
import { startSchedule, validateSchedule, type ScheduleHandle } from '../../src/metrics/schedule.js';
import type { Report } from '../../src/types.js';

const realSetTimeout = globalThis.setTimeout;
const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const MINUTE = 60_000;

/** A stand-in board: each report says when it was taken and how many resets came before it. */
function target() {
  const calls: string[] = [];
  let resets = 0;
  return {
    calls,
    report: vi.fn(({ includeDetails }: { includeDetails: boolean }): Report => {
      calls.push('report');
      return { generatedAt: new Date().toISOString(), since: `${resets}`, includeDetails } as unknown as Report;
    }),
    resetStats: vi.fn(() => {
      calls.push('reset');
      resets++;
    }),
  };
}

function logger() {
  return { error: vi.fn(), warn: vi.fn(), info: vi.fn(), debug: vi.fn() };
}

let handle: ScheduleHandle | null = null;

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(T0);
});

afterEach(() => {
  handle?.stop();
  handle = null;
  vi.useRealTimers();
});

describe('scheduled reporting', () => {
  it('sends a report to the sink every 5 minutes', async () => {
    const board = target();
    const reports: Report[] = [];
    handle = startSchedule({ report: '*/5 * * * *', sink: (r) => void reports.push(r) }, board);
    await vi.advanceTimersByTimeAsync(4 * MINUTE);
    expect(reports).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(MINUTE);
    expect(reports.map((r) => r.generatedAt)).toEqual(['2026-01-01T00:05:00.000Z']);
    await vi.advanceTimersByTimeAsync(10 * MINUTE);
    expect(reports.map((r) => r.generatedAt)).toEqual([
      '2026-01-01T00:05:00.000Z',
      '2026-01-01T00:10:00.000Z',
      '2026-01-01T00:15:00.000Z',
    ]);
    expect(board.report).toHaveBeenCalledWith({ includeDetails: false });
  });

  it('passes includeDetails to the report', async () => {
    const board = target();
    handle = startSchedule({ report: '* * * * *', includeDetails: true, sink: () => {} }, board);
    await vi.advanceTimersByTimeAsync(MINUTE);
    expect(board.report).toHaveBeenCalledWith({ includeDetails: true });
  });

  it('calls resetStats on its own schedule', async () => {
    const board = target();
    handle = startSchedule({ resetStats: '0 * * * *' }, board);
    await vi.advanceTimersByTimeAsync(59 * MINUTE);
    expect(board.resetStats).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(MINUTE);
    expect(board.resetStats).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(120 * MINUTE);
    expect(board.resetStats).toHaveBeenCalledTimes(3);
    expect(board.report).not.toHaveBeenCalled();
  });

  it('takes the report before the reset when both are due in the same second', async () => {
    const board = target();
    const reports: Report[] = [];
    // The reset job is listed first on purpose: the order of the options must not matter.
    handle = startSchedule({ resetStats: '*/10 * * * *', report: '*/5 * * * *', sink: (r) => void reports.push(r) }, board);
    await vi.advanceTimersByTimeAsync(20 * MINUTE);
    expect(board.calls).toEqual(['report', 'report', 'reset', 'report', 'report', 'reset']);
    expect(reports.map((r) => r.since)).toEqual(['0', '0', '1', '1']);
  });

  it('appends one JSON line per report to a file sink', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'switchboard-schedule-'));
    try {
      const file = join(dir, 'reports.jsonl');
      handle = startSchedule({ report: '* * * * *', sink: file }, target());
      await vi.advanceTimersByTimeAsync(3 * MINUTE);
      const lines = await waitForLines(file, 3);
      expect(lines.map((line) => (JSON.parse(line) as Report).generatedAt)).toEqual([
        '2026-01-01T00:01:00.000Z',
        '2026-01-01T00:02:00.000Z',
        '2026-01-01T00:03:00.000Z',
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('reports a failing file sink to the logger and keeps going', async () => {
    const log = logger();
    const board = target();
    handle = startSchedule({ report: '* * * * *', sink: join(tmpdir(), 'no-such-dir-switchboard', 'x', 'r.jsonl') }, board, log);
    await vi.advanceTimersByTimeAsync(2 * MINUTE);
    await until(() => log.error.mock.calls.length >= 2);
    expect(board.report).toHaveBeenCalledTimes(2);
    expect(log.error.mock.calls[0]?.[1]).toMatch(/report write failed/);
  });

  it('reports a sink that throws or rejects to the logger and keeps the schedule running', async () => {
    const log = logger();
    const board = target();
    let n = 0;
    const sink = (): Promise<void> | void => {
      n++;
      if (n === 1) throw new Error('sink exploded');
      if (n === 2) return Promise.reject(new Error('sink rejected'));
    };
    handle = startSchedule({ report: '* * * * *', resetStats: '*/2 * * * *', sink }, board, log);
    await vi.advanceTimersByTimeAsync(3 * MINUTE);
    expect(n).toBe(3);
    expect(board.resetStats).toHaveBeenCalledTimes(1);
    expect(log.error).toHaveBeenCalledTimes(2);
    expect(log.error.mock.calls.map((c) => (c[0] as { err: Error }).err.message)).toEqual(['sink exploded', 'sink rejected']);
  });

  it('reports a failing report() or resetStats() to the logger', async () => {
    const log = logger();
    const board = {
      report: () => {
        throw new Error('no report');
      },
      resetStats: () => {
        throw new Error('no reset');
      },
    };
    handle = startSchedule({ report: '* * * * *', resetStats: '* * * * *', sink: () => {} }, board, log);
    await vi.advanceTimersByTimeAsync(MINUTE);
    expect(log.error.mock.calls.map((c) => (c[0] as { err: Error }).err.message).sort()).toEqual(['no report', 'no reset']);
  });

  it('sends reports to logger.info when no sink is given', async () => {
    const log = logger();
    handle = startSchedule({ report: '* * * * *' }, target(), log);
    await vi.advanceTimersByTimeAsync(MINUTE);
    expect(log.info).toHaveBeenCalledWith({ report: expect.objectContaining({ generatedAt: '2026-01-01T00:01:00.000Z' }) }, 'switchboard report');
  });

  it('stops every job with stop(), and forgets them', async () => {
    const board = target();
    const before = cron.getTasks().size;
    handle = startSchedule({ report: '* * * * *', resetStats: '* * * * *', sink: () => {} }, board);
    expect(cron.getTasks().size).toBe(before + 2);
    await vi.advanceTimersByTimeAsync(MINUTE);
    handle.stop();
    handle.stop();
    expect(cron.getTasks().size).toBe(before);
    await vi.advanceTimersByTimeAsync(10 * MINUTE);
    expect(board.report).toHaveBeenCalledTimes(1);
    expect(board.resetStats).toHaveBeenCalledTimes(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('refuses a bad cron expression with SB_CONFIG naming the option', () => {
    const board = target();
    expect(() => startSchedule({ report: 'nope' }, board)).toThrow(
      expect.objectContaining({
        code: 'SB_CONFIG',
        field: 'schedule.report',
        message: 'createSupervisor: expected `schedule.report` to be a cron expression, got "nope" (string)',
      }),
    );
    expect(() => startSchedule({ report: '* * * * *', resetStats: '61 * * * *' }, board)).toThrow(
      expect.objectContaining({ code: 'SB_CONFIG', field: 'schedule.resetStats' }),
    );
    expect(() => startSchedule({ report: 5 as unknown as string }, board)).toThrow(
      expect.objectContaining({ message: 'createSupervisor: expected `schedule.report` to be a cron expression, got 5 (number)' }),
    );
    // Nothing was started by the refused calls.
    expect(vi.getTimerCount()).toBe(0);
  });

  it('refuses other bad options with SB_CONFIG', () => {
    const cases: Array<[unknown, string]> = [
      [{ sink: 42 }, 'schedule.sink'],
      [{ includeDetails: 'yes' }, 'schedule.includeDetails'],
      [{ timezone: 'Mars/Olympus' }, 'schedule.timezone'],
      [{ every: '5m' }, 'schedule.every'],
    ];
    for (const [options, field] of cases) {
      expect(() => validateSchedule(options as never)).toThrow(expect.objectContaining({ code: 'SB_CONFIG', field }));
    }
  });
});

/** Waits (in real time: the file write is real I/O) until `file` holds `n` lines. */
async function waitForLines(file: string, n: number): Promise<string[]> {
  let lines: string[] = [];
  await until(async () => {
    lines = (await readFile(file, 'utf8').catch(() => '')).split('\n').filter(Boolean);
    return lines.length >= n;
  });
  return lines;
}

async function until(check: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  for (let waited = 0; !(await check()); waited += 5) {
    if (waited > timeoutMs) throw new Error('condition not met in time');
    await new Promise((resolve) => realSetTimeout(resolve, 5));
  }
}
