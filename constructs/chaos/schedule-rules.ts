/**
 * Pure checks for chaos schedules and durations: no CDK here, so they are unit-tested directly
 * and shared by the constructs and the config.
 */

/** The experiments ChaosExperiments knows; the values are the names config and construct IDs use. */
export enum ExperimentName {
  /** Stop tasks of the service. */
  TASK_LOSS = 'taskLoss',
  /** Fail the database over to its standby. */
  DATABASE_FAILOVER = 'databaseFailover',
  /** Cut the network of one Availability Zone's subnets. */
  AZ_LOSS = 'azLoss',
}

/** Every experiment name, in the order the experiments are built. */
export const EXPERIMENT_NAMES: readonly ExperimentName[] = [ExperimentName.TASK_LOSS, ExperimentName.DATABASE_FAILOVER, ExperimentName.AZ_LOSS];

/**
 * Business hours on a weekday, staggered, so people are there to watch and one experiment never overlaps
 * another: taskLoss Tue 10:00, databaseFailover Wed 10:00, azLoss Thu 10:00.
 */
export const DEFAULT_CRON: Readonly<Record<ExperimentName, string>> = {
  taskLoss: 'cron(0 10 ? * TUE *)',
  databaseFailover: 'cron(0 10 ? * WED *)',
  azLoss: 'cron(0 10 ? * THU *)',
};

/** Time zone of the default schedule (the default primary region is us-east-1). */
export const DEFAULT_TIME_ZONE = 'America/New_York';

/** Minutes the AZ-loss experiment cuts the zone off: long enough for detection, failover and scaling to show. */
export const DEFAULT_ZONE_OUTAGE_MINUTES = 5;

/** FIS stops any action after 12 hours; an experiment that long is a mistake. */
export const MAX_ACTION_DURATION_MINUTES = 12 * 60;

const CRON = /^cron\((.+)\)$/;

/**
 * Checks an EventBridge Scheduler cron expression: `cron(minutes hours day-of-month month day-of-week year)`,
 * six fields, with `?` in exactly one of day-of-month and day-of-week.
 * Returns a problem description, or undefined when the expression is valid.
 */
export function cronProblem(expression: string): string | undefined {
  const match = CRON.exec(expression.trim());
  if (!match) return 'must look like cron(minutes hours day-of-month month day-of-week year)';
  const fields = match[1].trim().split(/\s+/);
  if (fields.length !== 6) return `must have 6 fields (minutes hours day-of-month month day-of-week year), got ${fields.length}`;
  const [minutes, hours, dayOfMonth, month, dayOfWeek, year] = fields;
  const checks: Array<[string, string, RegExp]> = [
    ['minutes', minutes, /^(\*|([0-5]?\d)([-\/,]([0-5]?\d))*)$/],
    ['hours', hours, /^(\*|([01]?\d|2[0-3])([-\/,]([01]?\d|2[0-3]))*)$/],
    ['day-of-month', dayOfMonth, /^(\?|\*|L|W|([1-9]|[12]\d|3[01])W?([-\/,]([1-9]|[12]\d|3[01]))*)$/],
    ['month', month, /^(\*|((1[0-2]|0?[1-9])|JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC)([-\/,]((1[0-2]|0?[1-9])|JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC))*)$/i],
    ['day-of-week', dayOfWeek, /^(\?|\*|([1-7]|SUN|MON|TUE|WED|THU|FRI|SAT)(L|#[1-5])?([-\/,]([1-7]|SUN|MON|TUE|WED|THU|FRI|SAT))*)$/i],
    ['year', year, /^(\*|(19[7-9]\d|2[01]\d\d)([-\/,](19[7-9]\d|2[01]\d\d))*)$/],
  ];
  for (const [name, value, pattern] of checks) {
    if (!pattern.test(value)) return `has an invalid ${name} field "${value}"`;
  }
  if ((dayOfMonth === '?') === (dayOfWeek === '?')) {
    return 'must use "?" in exactly one of day-of-month and day-of-week';
  }
  return undefined;
}

/** True when the IANA time zone name is known to this runtime (and so to EventBridge Scheduler). */
export function isKnownTimeZone(timeZone: string): boolean {
  if (timeZone === 'UTC') return true;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return timeZone.includes('/');
  } catch {
    return false;
  }
}

/** ISO 8601 duration as FIS expects it: PT5M, PT1H30M. */
export function isoDuration(minutes: number): string {
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return `PT${h > 0 ? `${h}H` : ''}${m > 0 || h === 0 ? `${m}M` : ''}`;
}

/** Checks an action duration in minutes: a whole number from 1 to 720. */
export function durationProblem(minutes: number): string | undefined {
  if (!Number.isInteger(minutes) || minutes < 1 || minutes > MAX_ACTION_DURATION_MINUTES) {
    return `must be a whole number of minutes from 1 to ${MAX_ACTION_DURATION_MINUTES} (FIS stops actions after 12 hours)`;
  }
  return undefined;
}
