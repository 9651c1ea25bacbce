import { describe, expect, it } from 'vitest';
import { downtimeMinutesPerMonth, FIGURES, formatPercent, nines, ninesTable, parallel, percent, series } from '@ha-reference/constructs/report';

describe('availability math', () => {
  it('multiplies components in series: 0.999 × 0.999 × 0.999 = 99.7 %', () => {
    expect(series([0.999, 0.999, 0.999])).toBeCloseTo(0.997002999, 12);
  });

  it('fails redundant components only together: 1 - 0.01 × 0.01 = 99.99 %', () => {
    expect(parallel([0.99, 0.99])).toBeCloseTo(0.9999, 12);
    expect(parallel([0.995, 0.995, 0.995])).toBeCloseTo(1 - 0.005 ** 3, 12);
  });

  it('counts nines and monthly downtime (a month is a twelfth of 365 days)', () => {
    expect(nines(0.999)).toBeCloseTo(3, 10);
    expect(nines(0.9995)).toBeCloseTo(3.30103, 5);
    expect(nines(1)).toBe(Number.POSITIVE_INFINITY);
    expect(downtimeMinutesPerMonth(0.999)).toBeCloseTo(43.8, 10);
    expect(downtimeMinutesPerMonth(0.9999)).toBeCloseTo(4.38, 10);
  });

  it('reproduces the seeds nines table: 99.9 % is 8.76 h a year and 43.8 min a month', () => {
    const row = ninesTable([0.999])[0];
    expect(row.downtimeHoursPerYear).toBeCloseTo(8.76, 10);
    expect(row.downtimeMinutesPerMonth).toBeCloseTo(43.8, 10);
  });

  it('rejects a figure that is not a fraction', () => {
    expect(() => series([1.5])).toThrow(/between 0 and 1, got 1.5/);
    expect(() => parallel([])).toThrow(/at least one/);
  });

  it('prints a percentage without rounding it up to the next nine', () => {
    expect(percent(0.99999978)).toBe('99.999978 %');
    expect(percent(0.9999)).toBe('99.99 %');
  });

  it('cites an SLA page or states an assumption for every figure', () => {
    for (const figure of Object.values(FIGURES)) expect(figure.source).toMatch(/SLA|assumption/);
  });
});

describe('formatPercent', () => {
  it('shows two decimals, more only past 99.99 %, and never rounds up', () => {
    expect(formatPercent(0.988045940025)).toBe('98.80 %');
    expect(formatPercent(0.9999)).toBe('99.99 %');
    expect(formatPercent(0.99999)).toBe('99.999 %');
    expect(formatPercent(0.99989)).toBe('99.98 %');
  });
});
