// CPU time of another process (the gateway, the simulator), from /proc/<pid>/stat (Linux only).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

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
