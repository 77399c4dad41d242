// CPU time of another process (the gateway, the simulator), from /proc/<pid>/stat, and its threads'
// time on a CPU and waiting for one, from /proc/<pid>/task/*/schedstat (Linux only).
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

let ticks = 100;
try {
  ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
} catch {
  // not POSIX: keep 100, and procCpuUs answers null anyway
}

/** USER_HZ: the unit of /proc's CPU times. */
export const ticksPerSecond = ticks;

/** utime + stime of `pid`, in µs (resolution: one clock tick, usually 10 ms); null where /proc is missing. */
export function procCpuUs(pid) {
  if (!pid) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count fields after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]); // field 14
    const stime = Number(fields[12]); // field 15
    return ((utime + stime) / ticksPerSecond) * 1e6;
  } catch {
    return null;
  }
}

/**
 * Time each of `pid`'s threads has spent on a CPU and waiting for one (runnable, not running), in ms,
 * from /proc/<pid>/task/<tid>/schedstat (ns, exact): `{ mainTid, threads: { [tid]: { runMs, waitMs } } }`.
 * null where schedstat is missing. Two readings subtract with schedDelta.
 */
export function schedTimes(pid) {
  if (!pid) return null;
  try {
    const threads = {};
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        const [run, wait] = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ').map(Number);
        threads[tid] = { runMs: run / 1e6, waitMs: wait / 1e6 };
      } catch {
        // the thread ended meanwhile
      }
    }
    return { mainTid: String(pid), threads };
  } catch {
    return null;
  }
}

/**
 * What `pid`'s threads ran and waited between two schedTimes readings: `main` the thread whose id is
 * the pid (the JavaScript thread), `others` the rest summed (V8's and libuv's workers; a thread that
 * ended meanwhile is not counted).
 */
export function schedDelta(before, after) {
  if (!before || !after) return null;
  const zero = { runMs: 0, waitMs: 0 };
  const d = { main: { ...zero }, others: { ...zero } };
  for (const [tid, t] of Object.entries(after.threads)) {
    const b = before.threads[tid] ?? zero;
    const into = tid === after.mainTid ? d.main : d.others;
    into.runMs += t.runMs - b.runMs;
    into.waitMs += t.waitMs - b.waitMs;
  }
  return d;
}
