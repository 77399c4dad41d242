// CPU time of another process (the gateway, the simulator), from /proc/<pid>/stat (Linux only).
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
 * Time `pid`'s threads spent on a CPU and waiting for one (runnable, not running), in ms, from
 * /proc/<pid>/task/<tid>/schedstat (ns, exact): `{ main: { runMs, waitMs }, others: { runMs, waitMs } }`,
 * `main` the thread whose id is the pid (the JavaScript thread), `others` the rest summed (V8's and
 * libuv's workers). null where schedstat is missing. Two readings subtract with schedDelta.
 */
export function schedTimes(pid) {
  if (!pid) return null;
  try {
    const out = { mainTid: String(pid), main: { runMs: 0, waitMs: 0 }, others: { runMs: 0, waitMs: 0 }, threads: {} };
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      let run;
      let wait;
      try {
        [run, wait] = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ').map(Number);
      } catch {
        continue; // the thread ended meanwhile
      }
      out.threads[tid] = { runMs: run / 1e6, waitMs: wait / 1e6 };
      const into = Number(tid) === pid ? out.main : out.others;
      into.runMs += run / 1e6;
      into.waitMs += wait / 1e6;
    }
    return out;
  } catch {
    return null;
  }
}

/** What `pid`'s threads ran and waited between two schedTimes readings (threads that ended meanwhile are not counted). */
export function schedDelta(before, after) {
  if (!before || !after) return null;
  const d = { main: { runMs: after.main.runMs - before.main.runMs, waitMs: after.main.waitMs - before.main.waitMs }, others: { runMs: 0, waitMs: 0 } };
  for (const [tid, t] of Object.entries(after.threads)) {
    if (tid === after.mainTid) continue;
    const b = before.threads[tid] ?? { runMs: 0, waitMs: 0 };
    d.others.runMs += t.runMs - b.runMs;
    d.others.waitMs += t.waitMs - b.waitMs;
  }
  return d;
}
