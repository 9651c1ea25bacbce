import { describe, expect, it } from 'vitest';
import { cronProblem, durationProblem, isKnownTimeZone, isoDuration } from '@ha-reference/constructs/pure';

describe('cronProblem', () => {
  it.each(['cron(0 10 ? * TUE *)', 'cron(30 9 ? * MON-FRI *)', 'cron(0 14 1 * ? *)', 'cron(0/15 10-16 ? * 2-6 *)', 'cron(0 10 ? * 3#1 *)'])(
    'accepts %s',
    (expression) => expect(cronProblem(expression)).toBeUndefined(),
  );

  it.each([
    ['0 10 * * TUE', /must look like cron\(/],
    ['cron(0 10 * * TUE)', /must have 6 fields .* got 5/],
    ['cron(61 10 ? * TUE *)', /invalid minutes field "61"/],
    ['cron(0 25 ? * TUE *)', /invalid hours field "25"/],
    ['cron(0 10 ? * FUNDAY *)', /invalid day-of-week field "FUNDAY"/],
    ['cron(0 10 * * TUE *)', /"\?" in exactly one of day-of-month and day-of-week/],
    ['cron(0 10 ? * ? *)', /"\?" in exactly one of day-of-month and day-of-week/],
  ])('rejects %s', (expression, message) => {
    expect(cronProblem(expression)).toMatch(message);
  });
});

describe('isKnownTimeZone', () => {
  it('knows IANA zones and UTC', () => {
    expect(isKnownTimeZone('America/New_York')).toBe(true);
    expect(isKnownTimeZone('Europe/Berlin')).toBe(true);
    expect(isKnownTimeZone('UTC')).toBe(true);
  });

  it('rejects made-up zones and bare abbreviations', () => {
    expect(isKnownTimeZone('Mars/Olympus_Mons')).toBe(false);
    expect(isKnownTimeZone('EST')).toBe(false);
  });
});

describe('isoDuration', () => {
  it('formats minutes as the ISO 8601 durations FIS takes', () => {
    expect(isoDuration(5)).toBe('PT5M');
    expect(isoDuration(60)).toBe('PT1H');
    expect(isoDuration(90)).toBe('PT1H30M');
    expect(isoDuration(720)).toBe('PT12H');
  });
});

describe('durationProblem', () => {
  it('allows 1 minute to 12 hours', () => {
    expect(durationProblem(1)).toBeUndefined();
    expect(durationProblem(720)).toBeUndefined();
  });

  it.each([0, 721, 2.5])('rejects %s', (minutes) => {
    expect(durationProblem(minutes)).toMatch(/from 1 to 720 .*12 hours/);
  });
});
