/**
 * Error-budget and burn-rate arithmetic, after the Google SRE workbook, chapter 5 ("Alerting on SLOs").
 * Pure functions only: no CDK, so the numbers can be unit-tested and reused by tools and docs.
 *
 * Vocabulary:
 * - target: the SLO as a fraction of good events, 0.999 for "99.9 %".
 * - error budget: the fraction of events allowed to be bad, 1 - target.
 * - burn rate: how fast the budget is being spent, relative to spending it exactly over the SLO period.
 *   At burn rate 1 the budget lasts the whole period; at 14.4 a 30-day budget is gone in 50 hours.
 * - window: the time an alarm looks back over. One window is one CloudWatch alarm period.
 */

export const SECONDS_PER_MINUTE = 60;
export const SECONDS_PER_HOUR = 3600;
export const SECONDS_PER_DAY = 86_400;
/** The nines table uses a 365-day year and a month of one twelfth of it (30.42 days), as the seed material does. */
export const SECONDS_PER_YEAR = 365 * SECONDS_PER_DAY;
export const SECONDS_PER_MONTH = SECONDS_PER_YEAR / 12;

/** The SLO targets a burn-rate alarm can serve; see {@link validateSloTarget} for why. */
export const SLO_TARGET_RANGE = { min: 0.9, max: 0.9999 } as const;

/**
 * CloudWatch limits that shape the windows (PutMetricAlarm API reference, "Period" and "EvaluationPeriods"):
 * a period is 10, 20, 30 or a multiple of 60 seconds; period × evaluation periods is at most 7 days
 * (604,800 s), and at most 1 day (86,400 s) when the period is under 1 hour. Every window here is one
 * period of a metric-math alarm with one evaluation period, so a window is at most 7 days long.
 */
export const CLOUDWATCH_LIMITS = {
  periodMultipleSeconds: 60,
  maxEvaluationRangeSeconds: 7 * SECONDS_PER_DAY,
  maxEvaluationRangeSubHourPeriodSeconds: SECONDS_PER_DAY,
} as const;

/** Whether a tier wakes a person up or opens a ticket for working hours. */
export enum BurnRateSeverity {
  /** Someone is woken up. */
  PAGE = 'page',
  /** Handled in working hours. */
  TICKET = 'ticket',
}

/** One row of the multi-window, multi-burn-rate table. */
export interface BurnRateTier {
  /** Short PascalCase name; part of construct IDs, so renaming it replaces the alarms. */
  readonly name: string;
  readonly severity: BurnRateSeverity;
  /** Fraction of the whole period's error budget that, spent within the long window, fires the tier (0.02 = 2 %). */
  readonly budgetConsumed: number;
  /** Long window in seconds: the evidence that the budget is really being spent. */
  readonly longWindowSeconds: number;
  /** Short window in seconds (a twelfth of the long one): proof it is still happening, so the alert resets fast. */
  readonly shortWindowSeconds: number;
}

/**
 * The workbook's tiers for a 30-day period: 2 % of the budget in 1 h (14.4×) and 5 % in 6 h (6×) page;
 * 10 % in 1 day (3×) opens a ticket. The burn rates follow from the SLO period (see {@link burnRateFor}).
 */
export const DEFAULT_BURN_RATE_TIERS: readonly BurnRateTier[] = [
  { name: 'Fast', severity: BurnRateSeverity.PAGE, budgetConsumed: 0.02, longWindowSeconds: SECONDS_PER_HOUR, shortWindowSeconds: 5 * SECONDS_PER_MINUTE },
  { name: 'Medium', severity: BurnRateSeverity.PAGE, budgetConsumed: 0.05, longWindowSeconds: 6 * SECONDS_PER_HOUR, shortWindowSeconds: 30 * SECONDS_PER_MINUTE },
  { name: 'Slow', severity: BurnRateSeverity.TICKET, budgetConsumed: 0.1, longWindowSeconds: SECONDS_PER_DAY, shortWindowSeconds: 2 * SECONDS_PER_HOUR },
];

/**
 * The workbook's own ticket tier: 10 % of the budget in 3 days (1×) with a 6 h short window. A 3-day window
 * is one 259,200 s period, inside CloudWatch's documented 7-day evaluation range; add it to the tiers to
 * catch a slow leak that the 1-day tier misses.
 */
export const THREE_DAY_TICKET_TIER: BurnRateTier = {
  name: 'Leak',
  severity: BurnRateSeverity.TICKET,
  budgetConsumed: 0.1,
  longWindowSeconds: 3 * SECONDS_PER_DAY,
  shortWindowSeconds: 6 * SECONDS_PER_HOUR,
};

/** The error budget of a target: the fraction of events that may be bad. 0.999 → 0.001. */
export function errorBudget(target: number): number {
  return round(1 - target);
}

/** Time, in seconds, a target allows to be fully down over a duration. 99.9 % over 30 days → 2,592 s (43.2 min). */
export function allowedDowntimeSeconds(target: number, durationSeconds: number): number {
  return round((1 - target) * durationSeconds);
}

/** Budget, in minutes, of a target over a window. 99.9 % over 30 days → 43.2; over a 365/12-day month → 43.8. */
export function budgetMinutes(target: number, windowSeconds: number): number {
  return round(allowedDowntimeSeconds(target, windowSeconds) / SECONDS_PER_MINUTE);
}

/**
 * The burn rate at which `budgetConsumed` of a period's budget is spent within `windowSeconds`.
 * 2 % of a 30-day budget in 1 h → 0.02 × 720 h / 1 h = 14.4.
 */
export function burnRateFor(budgetConsumed: number, windowSeconds: number, sloPeriodSeconds: number): number {
  return round((budgetConsumed * sloPeriodSeconds) / windowSeconds);
}

/**
 * The error ratio (bad / total) that means "burning at `burnRate`": burnRate × budget.
 * 14.4 × (1 - 0.999) → 0.0144, so the alarm fires above 1.44 % errors.
 */
export function errorRatioThreshold(burnRate: number, target: number): number {
  return round(burnRate * errorBudget(target));
}

/**
 * The threshold an alarm can use: the error ratio, capped at 1 (an error ratio cannot exceed 100 %).
 * A capped tier fires only on a total outage; {@link isTierReachable} says when that happens.
 */
export function alarmThreshold(burnRate: number, target: number): number {
  return Math.min(1, errorRatioThreshold(burnRate, target));
}

/** Whether an error ratio below 100 % can fire the tier; false when burnRate × budget ≥ 1. */
export function isTierReachable(burnRate: number, target: number): boolean {
  return errorRatioThreshold(burnRate, target) < 1;
}

/** Seconds until the budget of a whole period is gone at a burn rate. 14.4× over 30 days → 50 h. */
export function timeToExhaustionSeconds(burnRate: number, sloPeriodSeconds: number): number {
  return round(sloPeriodSeconds / burnRate);
}

/**
 * Seconds after an error ratio starts before a window's alarm fires (from a clean window):
 * window × threshold / errorRatio. A total outage fires the 1 h, 14.4× window of a 99.9 % SLO after 51.8 s;
 * the 5 min short window after 4.3 s, so the 1-minute metric resolution dominates.
 * Infinity when the error ratio never reaches the threshold.
 */
export function detectionTimeSeconds(windowSeconds: number, threshold: number, errorRatio: number): number {
  if (errorRatio < threshold || errorRatio <= 0) return Number.POSITIVE_INFINITY;
  return round((windowSeconds * threshold) / errorRatio);
}

/** A tier resolved against a target and an SLO period: what the alarms of that tier are built from. */
export interface ResolvedTier extends BurnRateTier {
  readonly burnRate: number;
  /** Error ratio the alarms compare against (capped at 1). */
  readonly threshold: number;
  readonly reachable: boolean;
}

/** Resolves every tier's burn rate and threshold for a target and an SLO period. */
export function resolveTiers(tiers: readonly BurnRateTier[], target: number, sloPeriodSeconds: number): ResolvedTier[] {
  return tiers.map((tier) => {
    const burnRate = burnRateFor(tier.budgetConsumed, tier.longWindowSeconds, sloPeriodSeconds);
    return { ...tier, burnRate, threshold: alarmThreshold(burnRate, target), reachable: isTierReachable(burnRate, target) };
  });
}

/** A row of the availability ("nines") table. */
export interface NinesRow {
  readonly target: number;
  readonly perYearSeconds: number;
  readonly perMonthSeconds: number;
  readonly perWeekSeconds: number;
  readonly perDaySeconds: number;
}

/** The allowed downtime of each target per year, month (a twelfth of a year), week and day. */
export function ninesTable(targets: readonly number[] = [0.9, 0.99, 0.995, 0.999, 0.9995, 0.9999, 0.99999]): NinesRow[] {
  return targets.map((target) => ({
    target,
    perYearSeconds: allowedDowntimeSeconds(target, SECONDS_PER_YEAR),
    perMonthSeconds: allowedDowntimeSeconds(target, SECONDS_PER_MONTH),
    perWeekSeconds: allowedDowntimeSeconds(target, 7 * SECONDS_PER_DAY),
    perDaySeconds: allowedDowntimeSeconds(target, SECONDS_PER_DAY),
  }));
}

/** Error raised for an SLO setting that cannot work; the message names the setting, the value and what is allowed. */
export class SloConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SloConfigError';
  }
}

/**
 * Checks an SLO target. Outside 0.9–0.9999 multi-window burn-rate alerting stops working:
 * above, the budget is smaller than the alarms' windows (a 30-day budget at 99.999 % is 26 s, gone
 * before a 5-minute window can see it); below, the fast tiers would need error ratios above 100 %.
 */
export function validateSloTarget(prop: string, target: number, sloPeriodSeconds = 30 * SECONDS_PER_DAY): void {
  const allowed = `between ${SLO_TARGET_RANGE.min} and ${SLO_TARGET_RANGE.max}`;
  if (typeof target !== 'number' || !Number.isFinite(target)) {
    throw new SloConfigError(`${prop} must be a number ${allowed} (a fraction: 0.999 for 99.9 %), got ${String(target)}`);
  }
  if (target > SLO_TARGET_RANGE.max) {
    const seconds = allowedDowntimeSeconds(target, sloPeriodSeconds);
    throw new SloConfigError(
      `${prop} must be ${allowed}, got ${target}: its error budget over ${formatDuration(sloPeriodSeconds)} is ${formatDuration(seconds)}, ` +
        `less than the 5-minute window of the fast-burn alarm, so the budget is gone before any alarm can page`,
    );
  }
  if (target < SLO_TARGET_RANGE.min) {
    throw new SloConfigError(
      `${prop} must be ${allowed}, got ${target}: a target under ${SLO_TARGET_RANGE.min * 100} % lets more than 1 request in 10 fail, ` +
        `and the burn-rate tiers (14.4× and 6× the budget) would need error ratios above 100 %. Use a fraction: 0.99 for 99 %`,
    );
  }
}

/** Checks a window against CloudWatch's period limits (one period, one evaluation period). */
export function validateWindow(prop: string, windowSeconds: number): void {
  if (!Number.isInteger(windowSeconds) || windowSeconds <= 0 || windowSeconds % CLOUDWATCH_LIMITS.periodMultipleSeconds !== 0) {
    throw new SloConfigError(`${prop} must be a whole number of minutes (a CloudWatch period is a multiple of 60 s), got ${windowSeconds} s`);
  }
  if (windowSeconds > CLOUDWATCH_LIMITS.maxEvaluationRangeSeconds) {
    throw new SloConfigError(
      `${prop} must be at most 7 days (604,800 s: CloudWatch's limit on period × evaluation periods), got ${formatDuration(windowSeconds)}`,
    );
  }
}

/** Checks a tier: windows inside CloudWatch's limits, the short window shorter than the long one, a sensible budget share. */
export function validateTier(prop: string, tier: BurnRateTier): void {
  if (!/^[A-Z][A-Za-z0-9]*$/.test(tier.name)) {
    throw new SloConfigError(`${prop}.name must be PascalCase letters and digits (it becomes a construct ID), got ${JSON.stringify(tier.name)}`);
  }
  if (!(tier.budgetConsumed > 0 && tier.budgetConsumed <= 1)) {
    throw new SloConfigError(`${prop}.budgetConsumed must be a fraction of the budget above 0 and at most 1, got ${tier.budgetConsumed}`);
  }
  validateWindow(`${prop}.longWindowSeconds`, tier.longWindowSeconds);
  validateWindow(`${prop}.shortWindowSeconds`, tier.shortWindowSeconds);
  if (tier.shortWindowSeconds >= tier.longWindowSeconds) {
    throw new SloConfigError(
      `${prop}.shortWindowSeconds must be shorter than longWindowSeconds (${tier.longWindowSeconds} s; the workbook uses a twelfth), got ${tier.shortWindowSeconds} s`,
    );
  }
}

/** "43.2 min", "8.76 h", "26 s": a duration in the largest unit that keeps it readable. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return 'never';
  const fmt = (n: number) => String(round(n, 3));
  if (seconds >= SECONDS_PER_DAY && seconds % SECONDS_PER_DAY === 0) return `${fmt(seconds / SECONDS_PER_DAY)} d`;
  if (seconds >= SECONDS_PER_HOUR) return `${fmt(seconds / SECONDS_PER_HOUR)} h`;
  if (seconds >= SECONDS_PER_MINUTE) return `${fmt(seconds / SECONDS_PER_MINUTE)} min`;
  return `${fmt(seconds)} s`;
}

/** Rounds away binary floating-point noise (1 - 0.999 = 0.0010000000000000009). */
function round(value: number, digits = 10): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
