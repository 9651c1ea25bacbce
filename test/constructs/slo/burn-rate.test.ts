import { describe, expect, it } from 'vitest';
import {
  alarmThreshold,
  allowedDowntimeSeconds,
  budgetMinutes,
  burnRateFor,
  DEFAULT_BURN_RATE_TIERS,
  detectionTimeSeconds,
  errorBudget,
  errorRatioThreshold,
  formatDuration,
  isTierReachable,
  ninesTable,
  resolveSloConfig,
  resolveTiers,
  SECONDS_PER_DAY,
  SECONDS_PER_HOUR,
  SECONDS_PER_MINUTE,
  SECONDS_PER_MONTH,
  SECONDS_PER_YEAR,
  SLO_DEFAULTS,
  SloConfigError,
  THREE_DAY_TICKET_TIER,
  timeToExhaustionSeconds,
  validateSloTarget,
  validateTier,
  validateWindow,
} from '@ha-reference/constructs/pure';

const THIRTY_DAYS = 30 * SECONDS_PER_DAY;

describe('error budget', () => {
  it('is 1 - target without floating-point noise', () => {
    expect(errorBudget(0.999)).toBe(0.001);
    expect(errorBudget(0.99)).toBe(0.01);
    expect(errorBudget(0.9999)).toBe(0.0001);
  });

  it('is 43.2 minutes over 30 days at 99.9 %', () => {
    expect(budgetMinutes(0.999, THIRTY_DAYS)).toBe(43.2);
  });

  it('is 43.8 minutes a month and 8.76 hours a year at 99.9 % (365-day year, month = year / 12)', () => {
    expect(budgetMinutes(0.999, SECONDS_PER_MONTH)).toBe(43.8);
    expect(allowedDowntimeSeconds(0.999, SECONDS_PER_YEAR) / SECONDS_PER_HOUR).toBeCloseTo(8.76, 10);
  });

  it('is about 26 s over 30 days at 99.999 %', () => {
    expect(allowedDowntimeSeconds(0.99999, THIRTY_DAYS)).toBeCloseTo(25.92, 6);
  });

  it('is 7.2 hours over 30 days at 99 % (the latency SLO default)', () => {
    expect(allowedDowntimeSeconds(0.99, THIRTY_DAYS) / SECONDS_PER_HOUR).toBeCloseTo(7.2, 10);
  });
});

describe('nines table', () => {
  const rows = new Map(ninesTable().map((r) => [r.target, r]));

  it('gives the seed material numbers for 99 %, 99.9 % and 99.99 %', () => {
    expect(rows.get(0.99)!.perYearSeconds / SECONDS_PER_DAY).toBeCloseTo(3.65, 10);
    expect(rows.get(0.999)!.perYearSeconds / SECONDS_PER_HOUR).toBeCloseTo(8.76, 10);
    expect(rows.get(0.999)!.perMonthSeconds / SECONDS_PER_MINUTE).toBeCloseTo(43.8, 10);
    expect(rows.get(0.9999)!.perYearSeconds / SECONDS_PER_MINUTE).toBeCloseTo(52.56, 10);
    expect(rows.get(0.9999)!.perMonthSeconds / SECONDS_PER_MINUTE).toBeCloseTo(4.38, 10);
    expect(rows.get(0.99999)!.perYearSeconds / SECONDS_PER_MINUTE).toBeCloseTo(5.256, 10);
  });

  it('gives 86.4 s a day and 10.08 min a week at 99.9 %', () => {
    expect(rows.get(0.999)!.perDaySeconds).toBeCloseTo(86.4, 10);
    expect(rows.get(0.999)!.perWeekSeconds / SECONDS_PER_MINUTE).toBeCloseTo(10.08, 10);
  });
});

describe('burn rate', () => {
  it('is 14.4 for 2 % of a 30-day budget in 1 hour', () => {
    expect(burnRateFor(0.02, SECONDS_PER_HOUR, THIRTY_DAYS)).toBe(14.4);
  });

  it('is 6 for 5 % in 6 hours, 3 for 10 % in 1 day and 1 for 10 % in 3 days', () => {
    expect(burnRateFor(0.05, 6 * SECONDS_PER_HOUR, THIRTY_DAYS)).toBe(6);
    expect(burnRateFor(0.1, SECONDS_PER_DAY, THIRTY_DAYS)).toBe(3);
    expect(burnRateFor(0.1, 3 * SECONDS_PER_DAY, THIRTY_DAYS)).toBe(1);
  });

  it('scales with the SLO period: 2 % of a 28-day budget in 1 hour is 13.44', () => {
    expect(burnRateFor(0.02, SECONDS_PER_HOUR, 28 * SECONDS_PER_DAY)).toBe(13.44);
  });

  it('turns into an error-ratio threshold of burn rate × budget', () => {
    expect(errorRatioThreshold(14.4, 0.999)).toBe(0.0144);
    expect(errorRatioThreshold(6, 0.999)).toBe(0.006);
    expect(errorRatioThreshold(3, 0.999)).toBe(0.003);
    expect(errorRatioThreshold(14.4, 0.99)).toBe(0.144);
  });

  it('caps the alarm threshold at 100 % and reports the tier unreachable', () => {
    expect(errorRatioThreshold(14.4, 0.9)).toBe(1.44);
    expect(alarmThreshold(14.4, 0.9)).toBe(1);
    expect(isTierReachable(14.4, 0.9)).toBe(false);
    expect(isTierReachable(6, 0.9)).toBe(true);
  });

  it('spends a 30-day budget in 50 hours at 14.4× and in 5 days at 6×', () => {
    expect(timeToExhaustionSeconds(14.4, THIRTY_DAYS) / SECONDS_PER_HOUR).toBe(50);
    expect(timeToExhaustionSeconds(6, THIRTY_DAYS) / SECONDS_PER_DAY).toBe(5);
  });

  it('detects a total outage of a 99.9 % SLO in 51.84 s on the 1-hour window', () => {
    expect(detectionTimeSeconds(SECONDS_PER_HOUR, 0.0144, 1)).toBeCloseTo(51.84, 6);
    expect(detectionTimeSeconds(SECONDS_PER_HOUR, 0.0144, 0.01)).toBe(Number.POSITIVE_INFINITY);
  });
});

describe('tiers', () => {
  it('resolve to 14.4×, 6× and 3× for 99.9 % over 30 days', () => {
    const tiers = resolveTiers(DEFAULT_BURN_RATE_TIERS, 0.999, THIRTY_DAYS);
    expect(tiers.map((t) => [t.name, t.severity, t.burnRate, t.threshold, t.longWindowSeconds, t.shortWindowSeconds])).toEqual([
      ['Fast', 'page', 14.4, 0.0144, 3600, 300],
      ['Medium', 'page', 6, 0.006, 21600, 1800],
      ['Slow', 'ticket', 3, 0.003, 86400, 7200],
    ]);
  });

  it('use a short window a twelfth of the long one', () => {
    for (const tier of [...DEFAULT_BURN_RATE_TIERS, THREE_DAY_TICKET_TIER]) {
      expect(tier.longWindowSeconds / tier.shortWindowSeconds).toBe(12);
    }
  });

  it('accept the 3-day window (259,200 s is within the 7-day evaluation range)', () => {
    expect(() => validateTier('tier', THREE_DAY_TICKET_TIER)).not.toThrow();
  });
});

describe('validation', () => {
  it('rejects a target above 0.9999 and says the budget is shorter than the alarm window', () => {
    expect(() => validateSloTarget('slo.availability.target', 0.99999)).toThrow(
      /slo\.availability\.target must be between 0\.9 and 0\.9999, got 0\.99999: its error budget over 30 d is 25\.92 s/,
    );
  });

  it('rejects a target below 0.9 and a percentage given instead of a fraction', () => {
    expect(() => validateSloTarget('slo.latency.target', 0.5)).toThrow(/slo\.latency\.target must be between 0\.9 and 0\.9999, got 0\.5/);
    expect(() => validateSloTarget('slo.latency.target', 99.9)).toThrow(/got 99\.9/);
    expect(() => validateSloTarget('slo.latency.target', Number.NaN)).toThrow(SloConfigError);
  });

  it('accepts the bounds', () => {
    expect(() => validateSloTarget('t', 0.9)).not.toThrow();
    expect(() => validateSloTarget('t', 0.9999)).not.toThrow();
  });

  it('rejects windows CloudWatch cannot evaluate', () => {
    expect(() => validateWindow('w', 90)).toThrow(/multiple of 60 s\), got 90 s/);
    expect(() => validateWindow('w', 8 * SECONDS_PER_DAY)).toThrow(/at most 7 days \(604,800 s.*got 8 d/);
    expect(() => validateWindow('w', 7 * SECONDS_PER_DAY)).not.toThrow();
  });

  it('rejects a short window that is not shorter than the long one', () => {
    expect(() => validateTier('tiers[0]', { ...DEFAULT_BURN_RATE_TIERS[0], shortWindowSeconds: 3600 })).toThrow(
      /tiers\[0\]\.shortWindowSeconds must be shorter than longWindowSeconds/,
    );
  });
});

describe('resolveSloConfig', () => {
  it('defaults to 99.9 % availability and 99 % within 300 ms, both over 30 days', () => {
    expect(resolveSloConfig()).toEqual(SLO_DEFAULTS);
    expect(SLO_DEFAULTS.availability).toEqual({ target: 0.999, periodDays: 30 });
    expect(SLO_DEFAULTS.latency).toEqual({ target: 0.99, thresholdMs: 300, periodDays: 30 });
  });

  it('keeps given values and fills the rest', () => {
    const config = resolveSloConfig({ availability: { target: 0.995 }, latency: { thresholdMs: 500 } });
    expect(config.availability).toEqual({ target: 0.995, periodDays: 30 });
    expect(config.latency).toEqual({ target: 0.99, thresholdMs: 500, periodDays: 30 });
  });

  it('names the key in every error', () => {
    expect(() => resolveSloConfig({ availability: { target: 1.5 } })).toThrow(/slo\.availability\.target .* got 1\.5/);
    expect(() => resolveSloConfig({ latency: { thresholdMs: 0 } })).toThrow(/slo\.latency\.thresholdMs .* got 0/);
    expect(() => resolveSloConfig({ availability: { periodDays: 365 } })).toThrow(/slo\.availability\.periodDays .* between 7 and 90/);
    expect(() => resolveSloConfig({ tiers: [{ ...DEFAULT_BURN_RATE_TIERS[2] }] })).toThrow(/slo\.tiers must include at least one tier with severity "page"/);
    expect(() => resolveSloConfig({ tiers: [DEFAULT_BURN_RATE_TIERS[0], DEFAULT_BURN_RATE_TIERS[0]] })).toThrow(/slo\.tiers\[1\]\.name must be unique/);
  });
});

describe('formatDuration', () => {
  it('picks a readable unit', () => {
    expect(formatDuration(THIRTY_DAYS)).toBe('30 d');
    expect(formatDuration(2592)).toBe('43.2 min');
    expect(formatDuration(31_536)).toBe('8.76 h');
    expect(formatDuration(25.92)).toBe('25.92 s');
    expect(formatDuration(Number.POSITIVE_INFINITY)).toBe('never');
  });
});
