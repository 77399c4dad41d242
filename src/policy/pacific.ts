/**
 * Gemini's per-day quotas reset at midnight Pacific time (ai.google.dev/gemini-api/docs/rate-limits):
 * America/Los_Angeles, so UTC−8 in winter and UTC−7 in summer (DST), read from the time-zone
 * database through `Intl.DateTimeFormat` rather than a fixed offset.
 */
const PACIFIC = new Intl.DateTimeFormat('en-US', {
  timeZone: 'America/Los_Angeles',
  hourCycle: 'h23',
  year: 'numeric',
  month: 'numeric',
  day: 'numeric',
  hour: 'numeric',
  minute: 'numeric',
  second: 'numeric',
});

/** The Pacific wall-clock time at `instant`, as if it were UTC (so `wall - instant` is the offset). */
function pacificWall(instant: number): { wall: number; y: number; m: number; d: number } {
  const p: Record<string, number> = {};
  for (const part of PACIFIC.formatToParts(new Date(instant))) if (part.type !== 'literal') p[part.type] = Number(part.value);
  const wall = Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!) + (instant % 1000 + 1000) % 1000;
  return { wall, y: p.year!, m: p.month! - 1, d: p.day! };
}

/** Milliseconds from `now` to the next midnight in America/Los_Angeles. */
export function msUntilPacificMidnight(now: number): number {
  const { wall, y, m, d } = pacificWall(now);
  const midnightWall = Date.UTC(y, m, d + 1);
  // The offset can change between now and midnight (DST switches at 02:00, never at midnight):
  // take the offset in force at the first guess of the instant.
  let at = midnightWall - (wall - now);
  at = midnightWall - (pacificWall(at).wall - at);
  return at - now;
}
