import { appendFile } from 'node:fs/promises';
import cron from 'node-cron';
import type { ScheduledTask, TaskContext } from 'node-cron';
import { ConfigError } from '../errors.js';
import { safeLogger } from '../logger.js';
import type { Logger, Report } from '../types.js';

/** Where a scheduled report goes: a function (may be async), or a file path that gets one JSON line per report. */
export type ReportSink = ((report: Report) => void | Promise<void>) | string;

export interface ScheduleOptions {
  /** Cron expression (5 or 6 fields, node-cron syntax) for taking a report. */
  report?: string;
  /** Cron expression for `resetStats()`. When it fires in the same second as `report`, the report is taken first. */
  resetStats?: string;
  /** Default: the logger's `info` (`{ report }`, "switchboard report"). */
  sink?: ReportSink;
  /** Passed to `report({ includeDetails })`; default false. */
  includeDetails?: boolean;
  /** IANA time zone the expressions are read in; default the process's. */
  timezone?: string;
}

export interface ScheduleTarget {
  report(options: { includeDetails: boolean }): Report;
  resetStats(): void;
}

export interface ScheduleHandle {
  /** Stops and forgets every job; harmless twice. A sink write already under way still finishes. */
  stop(): void;
}

const KNOWN = ['report', 'resetStats', 'sink', 'includeDetails', 'timezone'];

function shown(value: unknown): string {
  const text = typeof value === 'string' ? JSON.stringify(value) : typeof value === 'function' ? 'a function' : String(value);
  return `${text} (${value === null ? 'null' : typeof value})`;
}

function invalid(field: string, rule: string, value: unknown): ConfigError {
  const path = field === '' ? 'schedule' : `schedule.${field}`;
  return new ConfigError(`createSupervisor: expected \`${path}\` to be ${rule}, got ${shown(value)}`, path);
}

/**
 * Checks scheduled-reporting options without starting anything (for validation up front).
 * @throws `SB_CONFIG` with `field` `schedule.report`, `schedule.resetStats`, `schedule.sink`, …
 */
export function validateSchedule(options: ScheduleOptions): void {
  if (typeof options !== 'object' || options === null) throw invalid('', 'an object', options);
  for (const name of Object.keys(options)) {
    if (!KNOWN.includes(name)) throw invalid(name, `one of ${KNOWN.join(', ')} (unknown option)`, (options as Record<string, unknown>)[name]);
  }
  for (const field of ['report', 'resetStats'] as const) {
    const expr = options[field];
    if (expr !== undefined && (typeof expr !== 'string' || !cron.validate(expr))) throw invalid(field, 'a cron expression', expr);
  }
  const { sink, includeDetails, timezone } = options;
  if (sink !== undefined && typeof sink !== 'function' && (typeof sink !== 'string' || sink === '')) {
    throw invalid('sink', 'a function or a file path', sink);
  }
  if (includeDetails !== undefined && typeof includeDetails !== 'boolean') throw invalid('includeDetails', 'a boolean', includeDetails);
  if (timezone !== undefined) {
    let ok = typeof timezone === 'string';
    try {
      if (ok) new Intl.DateTimeFormat('en-US', { timeZone: timezone });
    } catch {
      ok = false;
    }
    if (!ok) throw invalid('timezone', 'an IANA time zone', timezone);
  }
}

/**
 * Takes reports and resets stats on cron schedules (node-cron), e.g. a report every 5 minutes to
 * a JSON-lines file and a reset at midnight:
 *
 * ```ts
 * const schedule = startSchedule({ report: '*\/5 * * * *', resetStats: '0 0 * * *', sink: './reports.jsonl' }, board);
 * schedule.stop();
 * ```
 *
 * A sink that throws or rejects, a failing file write, or a failing `report()`/`resetStats()` is
 * reported to `logger.error` and changes nothing else. Timers are unref'd: a schedule never keeps
 * the process alive on its own.
 *
 * @throws `SB_CONFIG` (`schedule.report`, `schedule.resetStats`, …) on an invalid option; nothing is started then.
 */
export function startSchedule(options: ScheduleOptions, target: ScheduleTarget, userLogger?: Logger): ScheduleHandle {
  // node-cron calls this logger too (missed runs): it must never throw into node-cron's promises.
  const logger = safeLogger(userLogger);
  validateSchedule(options);
  const includeDetails = options.includeDetails ?? false;
  const fail = (err: unknown, what: string) => {
    try {
      logger?.error?.({ err }, `switchboard: scheduled ${what} failed`);
    } catch {
      // A throwing logger must not break the schedule either.
    }
  };

  let fileChain: Promise<void> = Promise.resolve();
  const deliver = (report: Report) => {
    const sink = options.sink;
    if (typeof sink === 'string') {
      const line = `${JSON.stringify(report)}\n`;
      // Chained so that lines land whole and in order even when a write is slow.
      fileChain = fileChain.then(() => appendFile(sink, line, 'utf8')).catch((err: unknown) => fail(err, 'report write'));
      return;
    }
    try {
      if (sink === undefined) {
        logger?.info?.({ report }, 'switchboard report');
        return;
      }
      const out = sink(report);
      if (out && typeof out.then === 'function') out.then(undefined, (err: unknown) => fail(err, 'report sink'));
    } catch (err) {
      fail(err, 'report sink');
    }
  };

  let lastReportSlot = Number.NaN;
  const takeReport = (slot: number) => {
    if (slot === lastReportSlot) return;
    lastReportSlot = slot;
    let report: Report;
    try {
      report = target.report({ includeDetails });
    } catch (err) {
      fail(err, 'report');
      return;
    }
    deliver(report);
  };

  const cronLogger = {
    info: (message: string) => logger?.debug?.({ source: 'node-cron' }, message),
    warn: (message: string) => logger?.warn?.({ source: 'node-cron' }, message),
    error: (message: string | Error, err?: Error) => logger?.error?.({ source: 'node-cron', err: err ?? message }, String(message)),
    debug: (message: string | Error) => logger?.debug?.({ source: 'node-cron' }, String(message)),
  };
  const taskOptions = { timezone: options.timezone, logger: cronLogger, unref: true };
  const tasks: ScheduledTask[] = [];
  let reportTask: ScheduledTask | null = null;
  try {
    if (options.report !== undefined) {
      reportTask = cron.schedule(options.report, (ctx: TaskContext) => takeReport(ctx.date.getTime()), { ...taskOptions, name: 'switchboard-report' });
      tasks.push(reportTask);
    }
    if (options.resetStats !== undefined) {
      const resetTask = cron.schedule(
        options.resetStats,
        (ctx: TaskContext) => {
          // Both due this second: the report covers the period that is about to be zeroed.
          if (reportTask?.match(ctx.date)) takeReport(ctx.date.getTime());
          try {
            target.resetStats();
          } catch (err) {
            fail(err, 'stats reset');
          }
        },
        { ...taskOptions, name: 'switchboard-reset-stats' },
      );
      tasks.push(resetTask);
    }
  } catch (err) {
    for (const task of tasks) void task.destroy();
    throw err;
  }

  return {
    stop() {
      // destroy() also drops the task from node-cron's process-wide task list (stop() alone would leak it).
      for (const task of tasks.splice(0)) void task.destroy();
    },
  };
}
