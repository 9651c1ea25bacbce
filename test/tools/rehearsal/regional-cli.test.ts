import { describe, expect, it } from 'vitest';
import { exitCode, parseRegionalArgs } from '../../../tools/rehearsal/regional-cli';

describe('rehearsal:regional command line', () => {
  it('runs the three scenarios at the stated time scale by default, charts into reports/rehearsal-charts', () => {
    expect(parseRegionalArgs([])).toEqual({ json: false, only: ['region-partition', 'region-switchover', 'region-loss'], charts: 'reports/rehearsal-charts', timeScale: 0.05, strategy: 'warm-standby' });
  });

  it('takes --json, --only, --charts, --time-scale and --strategy', () => {
    expect(parseRegionalArgs(['--json', '--only', 'region-loss,region-partition', '--charts', '/tmp/c', '--time-scale', '0.1', '--strategy', 'pilot-light'])).toEqual({
      json: true,
      only: ['region-partition', 'region-loss'],
      charts: '/tmp/c',
      timeScale: 0.1,
      strategy: 'pilot-light',
    });
  });

  it('refuses unknown scenarios, a time scale outside (0, 1] and unknown strategies, saying what is allowed', () => {
    expect(() => parseRegionalArgs(['--only', 'region-typo'])).toThrow(/--only takes scenario names/);
    expect(() => parseRegionalArgs(['--time-scale', '2'])).toThrow(/--time-scale must be in \(0, 1\], got "2"/);
    expect(() => parseRegionalArgs(['--strategy', 'backup-restore'])).toThrow(/warm-standby or pilot-light/);
  });

  it('exits 0 only when every scenario passed and nothing broke', () => {
    const pass = { status: 'pass' } as never;
    const fail = { status: 'fail' } as never;
    expect(exitCode({ scenarios: [pass, pass, pass], errors: [] })).toBe(0);
    expect(exitCode({ scenarios: [pass, fail], errors: [] })).toBe(1);
    expect(exitCode({ scenarios: [pass], errors: ['region-loss could not complete'] })).toBe(1);
    expect(exitCode({ scenarios: [], errors: [] })).toBe(1);
  });
});
