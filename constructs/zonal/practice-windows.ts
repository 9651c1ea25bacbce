/**
 * Blocked windows for zonal autoshift practice runs, computed from EventBridge Scheduler crons. Pure: no CDK.
 *
 * ARC takes blocked windows in UTC as `Day:HH:MM-Day:HH:MM` (`Mon:18:30-Mon:19:30`), each starting and ending on the same day
 * (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-arczonalshift-zonalautoshiftconfiguration-practicerunconfiguration.html).
 * A cron runs in a time zone with daylight saving time, so a window covers the run at every UTC offset the zone
 * uses in the year, and is split at midnight UTC.
 */

const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] as const;
/** ARC's spelling of the days in blocked windows (the CloudFormation schema's pattern: `Mon`, not `MON`). */
const ARC_DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;
const MINUTES_PER_DAY = 24 * 60;
const MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY;

/** The first minute, hour and days of week of a simple weekly cron, or undefined when it is not one. */
export function weeklyCronTimes(expression: string): { minute: number; hour: number; days: number[] } | undefined {
  const match = /^cron\((.+)\)$/.exec(expression.trim());
  if (!match) return undefined;
  const [minutes, hours, dayOfMonth, month, dayOfWeek, year] = match[1].trim().split(/\s+/);
  if (!/^\d{1,2}$/.test(minutes) || !/^\d{1,2}$/.test(hours) || dayOfMonth !== '?' || month !== '*' || year !== '*') return undefined;
  const days: number[] = [];
  for (const part of dayOfWeek.toUpperCase().split(',')) {
    const range = part.split('-').map(dayNumber);
    if (range.some((d) => d === undefined) || range.length > 2) return undefined;
    const [from, to = from] = range as number[];
    for (let d = from; ; d = (d + 1) % 7) {
      days.push(d);
      if (d === to) break;
    }
  }
  return { minute: Number(minutes), hour: Number(hours), days: [...new Set(days)] };
}

function dayNumber(token: string): number | undefined {
  const named = DAYS.indexOf(token as (typeof DAYS)[number]);
  if (named >= 0) return named;
  // EventBridge numbers days 1 (Sunday) to 7 (Saturday).
  if (/^[1-7]$/.test(token)) return Number(token) - 1;
  return undefined;
}

/** The UTC offsets, in minutes east of UTC, a time zone uses in `year` (one, or two with daylight saving time). */
export function utcOffsetsMinutes(timeZone: string, year: number): number[] {
  const offsets = new Set<number>();
  for (let month = 0; month < 12; month++) {
    const date = new Date(Date.UTC(year, month, 15, 12));
    const local = new Date(date.toLocaleString('en-US', { timeZone }));
    const asUtc = new Date(date.toLocaleString('en-US', { timeZone: 'UTC' }));
    offsets.add(Math.round((local.getTime() - asUtc.getTime()) / 60_000));
  }
  return [...offsets].sort((a, b) => a - b);
}

/**
 * UTC windows that keep practice runs away from a weekly cron: from `beforeMinutes` before each run to
 * `afterMinutes` after it, at every offset the time zone uses. Undefined when the cron is not a simple weekly one.
 */
export function blockedWindowsForCron(
  expression: string,
  timeZone: string,
  beforeMinutes: number,
  afterMinutes: number,
  year = 2026,
): string[] | undefined {
  const times = weeklyCronTimes(expression);
  if (!times) return undefined;
  const offsets = timeZone === 'UTC' ? [0] : utcOffsetsMinutes(timeZone, year);
  const segments: Array<[number, number]> = [];
  for (const day of times.days) {
    const local = day * MINUTES_PER_DAY + times.hour * 60 + times.minute;
    // Earliest start at the largest offset (UTC earliest), latest end at the smallest.
    const start = local - Math.max(...offsets) - beforeMinutes;
    const end = local - Math.min(...offsets) + afterMinutes;
    segments.push(...splitAtMidnight(mod(start, MINUTES_PER_WEEK), end - start));
  }
  return mergeSegments(segments).map(([from, to]) => `${format(from, false)}-${format(to, true)}`);
}

function mod(value: number, by: number): number {
  return ((value % by) + by) % by;
}

/** [start, end) minute-of-week segments within one UTC day each. */
function splitAtMidnight(start: number, length: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let from = start;
  let left = length;
  while (left > 0) {
    const dayEnd = (Math.floor(from / MINUTES_PER_DAY) + 1) * MINUTES_PER_DAY;
    const to = Math.min(dayEnd, from + left);
    out.push([from % MINUTES_PER_WEEK, ((to - 1) % MINUTES_PER_WEEK) + 1]);
    left -= to - from;
    from = to % MINUTES_PER_WEEK;
  }
  return out;
}

function mergeSegments(segments: Array<[number, number]>): Array<[number, number]> {
  const sorted = [...segments].sort((a, b) => a[0] - b[0]);
  const out: Array<[number, number]> = [];
  for (const [from, to] of sorted) {
    const last = out[out.length - 1];
    if (last && from <= last[1] && Math.floor(from / MINUTES_PER_DAY) === Math.floor((last[1] - 1) / MINUTES_PER_DAY)) last[1] = Math.max(last[1], to);
    else out.push([from, to]);
  }
  return out;
}

/** `Tue:13:00`; the end of a day is `23:59` (ARC windows cannot end on the next day). */
function format(minuteOfWeek: number, isEnd: boolean): string {
  let day = Math.floor(minuteOfWeek / MINUTES_PER_DAY);
  let minutes = minuteOfWeek % MINUTES_PER_DAY;
  if (isEnd && minutes === 0) {
    // An end at midnight: the last minute of the previous day.
    day -= 1;
    minutes = MINUTES_PER_DAY - 1;
  }
  const hh = String(Math.floor(minutes / 60)).padStart(2, '0');
  const mm = String(minutes % 60).padStart(2, '0');
  return `${ARC_DAYS[mod(day, 7)]}:${hh}:${mm}`;
}

/** A blocked window as ARC accepts it: `Day:HH:MM-Day:HH:MM`, the same day, start before end. */
export function blockedWindowProblem(window: string): string | undefined {
  const match = /^(Sun|Mon|Tue|Wed|Thu|Fri|Sat):([01]\d|2[0-3]):([0-5]\d)-(Sun|Mon|Tue|Wed|Thu|Fri|Sat):([01]\d|2[0-3]):([0-5]\d)$/.exec(window);
  if (!match) return 'must look like Day:HH:MM-Day:HH:MM in UTC, such as Mon:18:30-Mon:19:30';
  if (match[1] !== match[4]) return 'must start and end on the same day (ARC does not support windows that span days)';
  if (Number(match[2]) * 60 + Number(match[3]) >= Number(match[5]) * 60 + Number(match[6])) return 'must end after it starts';
  return undefined;
}
