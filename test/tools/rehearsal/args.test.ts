import { describe, expect, it } from 'vitest';
import { ALL, parseArgs } from '../../../tools/rehearsal/args';

describe('parseArgs', () => {
  it('runs every scenario as a table by default', () => {
    expect(parseArgs([])).toEqual({ json: false, only: ALL, dump: undefined, serviceEnv: {} });
  });

  it('accepts --json, --only (kept in run order), --dump and --service-env', () => {
    expect(parseArgs(['--json', '--only', 'overload,crash', '--dump', 'r.json', '--service-env', 'MAX_IN_FLIGHT=64'])).toEqual({
      json: true,
      only: ['crash', 'overload'],
      dump: 'r.json',
      serviceEnv: { MAX_IN_FLIGHT: '64' },
    });
  });

  it('answers help', () => {
    expect(parseArgs(['--help'])).toBe('help');
  });

  it('rejects unknown arguments and scenario names with the usage', () => {
    expect(() => parseArgs(['--fast'])).toThrow(/unknown argument --fast.*usage/);
    expect(() => parseArgs(['--only', 'meteor'])).toThrow(/--only takes scenario names/);
    expect(() => parseArgs(['--service-env', 'NOEQUALS'])).toThrow(/NAME=VALUE/);
  });
});
