/**
 * The CLI: argument handling in-process, and the exit codes through a real `npx tsx` subprocess
 * (each spawn costs about a second, so there are three).
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseArgs, run } from '../../../tools/report/cli';

const ROOT = path.join(__dirname, '..', '..', '..');
const fixture = (name: string) => path.join('test', 'tools', 'report', 'fixtures', name);

function cli(...args: string[]) {
  const result = spawnSync('npx', ['tsx', 'tools/report/cli.ts', ...args], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr.split('\n').filter((l) => !l.startsWith('npm warn') && l.length > 0) };
}

describe('report CLI', () => {
  it('defaults to cdk.out and Markdown', () => {
    expect(parseArgs([])).toEqual({ path: 'cdk.out', json: false, output: undefined });
    expect(parseArgs(['x.json', '--json'])).toEqual({ path: 'x.json', json: true, output: undefined });
  });

  it('rejects an unknown option or a second path with exit code 2', () => {
    const err: string[] = [];
    expect(run(['--yaml'], () => undefined, (t) => err.push(t))).toBe(2);
    expect(run(['a', 'b'], () => undefined, (t) => err.push(t))).toBe(2);
    expect(err.join('')).toMatch(/unknown option --yaml.*\n.*one path only/);
  });

  it('exits 2 with one line naming a missing path, and no stack trace', () => {
    const result = cli('no/such/cdk.out');
    expect(result.status).toBe(2);
    expect(result.stderr).toEqual(['report: no/such/cdk.out: no such file or directory (give a cloud assembly directory such as cdk.out, or a CloudFormation template JSON file)']);
  });

  it('exits 1 on an error finding and prints one JSON object of the documented shape', () => {
    const result = cli(fixture('single-az.template.json'), '--json');
    expect(result.status).toBe(1);
    const report = JSON.parse(result.stdout);
    expect(report.findings[0]).toEqual(
      expect.objectContaining({ rule: expect.any(String), severity: 'error', stack: 'single-az', resource: expect.any(String), message: expect.any(String) }),
    );
    expect(report.availability).toEqual(
      expect.objectContaining({ composite: expect.any(Number), nines: expect.any(Number), downtimeMinutesPerMonth: expect.any(Number), components: expect.any(Array) }),
    );
    expect(report.recovery[0]).toEqual(expect.objectContaining({ failure: 'crashed task', detectSeconds: 60, recoverSeconds: 270, rpoSeconds: 0, notes: expect.any(String) }));
  });

  it('exits 0 on a cloud assembly without error findings', () => {
    const result = cli(fixture('assembly'));
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^# Resilience report/);
  });
});
