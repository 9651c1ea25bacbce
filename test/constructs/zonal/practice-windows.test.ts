import { describe, expect, it } from 'vitest';
import { blockedWindowProblem, blockedWindowsForCron, utcOffsetsMinutes, weeklyCronTimes } from '@ha-reference/constructs/pure';

describe('blockedWindowsForCron', () => {
  it('covers both UTC offsets of a zone with daylight saving time', () => {
    // 10:00 New York is 15:00 UTC in winter (UTC-5) and 14:00 in summer (UTC-4); 1 h before to 2 h after.
    expect(blockedWindowsForCron('cron(0 10 ? * TUE *)', 'America/New_York', 60, 120)).toEqual(['Tue:13:00-Tue:17:00']);
  });

  it('splits a window at midnight UTC (ARC windows cannot span days)', () => {
    expect(blockedWindowsForCron('cron(30 23 ? * MON *)', 'UTC', 60, 120)).toEqual(['Mon:22:30-Mon:23:59', 'Tue:00:00-Tue:01:30']);
  });

  it('wraps from Sunday back to Saturday', () => {
    expect(blockedWindowsForCron('cron(0 1 ? * SUN *)', 'Europe/Berlin', 60, 120)).toEqual(['Sun:00:00-Sun:02:00', 'Sat:22:00-Sat:23:59']);
  });

  it('understands day ranges and numbered days (1 = Sunday)', () => {
    expect(weeklyCronTimes('cron(0 9 ? * MON-WED *)')?.days).toEqual([1, 2, 3]);
    expect(weeklyCronTimes('cron(0 9 ? * 1,7 *)')?.days).toEqual([0, 6]);
  });

  it('gives up on crons that are not simple weekly ones', () => {
    expect(blockedWindowsForCron('cron(0 */2 ? * TUE *)', 'UTC', 60, 120)).toBeUndefined();
    expect(blockedWindowsForCron('cron(0 10 1 * ? *)', 'UTC', 60, 120)).toBeUndefined();
  });

  it('every window it produces is one ARC accepts', () => {
    for (const w of blockedWindowsForCron('cron(45 22 ? * MON-FRI *)', 'Australia/Sydney', 60, 120) ?? []) {
      expect(blockedWindowProblem(w)).toBeUndefined();
    }
  });

  it('finds one offset for a zone without daylight saving time', () => {
    expect(utcOffsetsMinutes('Asia/Tokyo', 2026)).toEqual([540]);
  });
});
