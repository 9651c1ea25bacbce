/**
 * The `ha-resilience` command: argument handling in-process, and the exit codes and output of the built bin
 * (`node_modules/.bin/ha-resilience`, as npm links it: shebang, mode and package.json's `bin` included) on
 * cloud assemblies the test synthesises, on a single template, and on bad input.
 */
import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as ecsPatterns from 'aws-cdk-lib/aws-ecs-patterns';
import * as logs from 'aws-cdk-lib/aws-logs';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMAND, parseArgs, run } from '@ha-reference/constructs/report';
import { cdkJsonContext } from '../../support/synth';

const ROOT = path.join(__dirname, '..', '..', '..');
const fixture = (name: string) => path.join(__dirname, 'fixtures', name);
const packageJson = JSON.parse(readFileSync(require.resolve('@ha-reference/constructs/package.json'), 'utf8'));

/** The bin as a user runs it: through npm's link, found on PATH beside node. */
function bin(...args: string[]) {
  const env = { ...process.env, PATH: [path.join(ROOT, 'node_modules', '.bin'), path.dirname(process.execPath), process.env.PATH].join(path.delimiter) };
  const result = spawnSync(COMMAND, args, { cwd: ROOT, env, encoding: 'utf8', timeout: 30_000 });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr.split('\n').filter((l) => l.length > 0) };
}

/** Synthesises one stack into a cloud assembly in a temporary directory. */
function synthesise(dir: string, build: (stack: Stack) => void): string {
  const app = new App({ outdir: dir, context: cdkJsonContext() });
  build(new Stack(app, 'Stack', { env: { account: '111111111111', region: 'eu-west-1' } }));
  return app.synth().directory;
}

describe('ha-resilience arguments', () => {
  it('defaults to cdk.out and Markdown', () => {
    expect(parseArgs([])).toEqual({ path: 'cdk.out', json: false, output: undefined });
    expect(parseArgs(['x.json', '--json'])).toEqual({ path: 'x.json', json: true, output: undefined });
  });

  it('rejects an unknown option or a second path with exit code 2', () => {
    const err: string[] = [];
    expect(run(['report', '--yaml'], () => undefined, (t) => err.push(t))).toBe(2);
    expect(run(['report', 'a', 'b'], () => undefined, (t) => err.push(t))).toBe(2);
    expect(err.join('')).toMatch(/^report: unknown option --yaml\. usage: ha-resilience report .*\n.*one path only/);
  });

  it('needs a command, and names the one it did not know', () => {
    const err: string[] = [];
    expect(run([], () => undefined, (t) => err.push(t))).toBe(2);
    expect(run(['cdk.out'], () => undefined, (t) => err.push(t))).toBe(2);
    expect(err).toEqual([
      expect.stringMatching(/^ha-resilience: a command is needed\. usage: ha-resilience report/),
      expect.stringMatching(/^ha-resilience: unknown command cdk\.out \(the report is `report <path>`\)\. usage:/),
    ]);
    const out: string[] = [];
    expect(run(['--help'], (t) => out.push(t), () => undefined)).toBe(0);
    expect(out.join('')).toMatch(/Exit codes: 0 no error finding; 1 .*; 2 bad usage/);
  });
});

describe('the ha-resilience bin', () => {
  let tmp: string;
  let naive: string;
  let clean: string;
  beforeAll(() => {
    tmp = mkdtempSync(path.join(tmpdir(), 'ha-resilience-'));
    // One NAT gateway, one task, default health checks and draining: the aws-ecs-patterns defaults.
    naive = synthesise(path.join(tmp, 'naive.out'), (stack) => {
      const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
      new ecsPatterns.ApplicationLoadBalancedFargateService(stack, 'Web', { vpc, taskImageOptions: { image: ecs.ContainerImage.fromRegistry('nginx') } });
    });
    clean = synthesise(path.join(tmp, 'clean.out'), (stack) => {
      new logs.LogGroup(stack, 'Logs', { retention: logs.RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY });
    });
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('is package.json\'s only bin, plain JavaScript that npm links executable', () => {
    expect(packageJson.bin).toEqual({ [COMMAND]: 'bin/ha-resilience.js' });
    expect(packageJson.files).toContain('bin/ha-resilience.js');
    expect(readFileSync(path.join(ROOT, 'constructs', packageJson.bin[COMMAND]), 'utf8')).toMatch(/^#!\/usr\/bin\/env node\n/);
    expect(bin('--version')).toEqual({ status: 0, stdout: `${packageJson.version}\n`, stderr: [] });
  });

  it('exits 1 on a synthesised cloud assembly with error findings, naming them in Markdown', () => {
    const result = bin('report', naive);
    expect(result.status).toBe(1);
    expect(result.stderr).toEqual([]);
    expect(result.stdout).toMatch(/^# Resilience report\n\nSource: `.*naive\.out`: Stack \(eu-west-1\)\. 19 rules checked \d+ resources: \*\*[1-9]\d* errors/);
    for (const rule of ['ServiceTasksPerZone', 'ServiceDeploymentRollback', 'NatGatewayPerZone', 'TargetGroupHealthCheck']) {
      expect(result.stdout).toMatch(new RegExp(`\\| (error|warning) \\| Resilience-${rule} \\| Stack \\|`));
    }
  });

  it('exits 0 on a synthesised cloud assembly without error findings, and writes --output', () => {
    const output = path.join(tmp, 'report.md');
    const result = bin('report', clean, '--output', output);
    expect(result).toEqual({ status: 0, stdout: '', stderr: [`resilience report written to ${output}`] });
    expect(readFileSync(output, 'utf8')).toMatch(/^# Resilience report[\s\S]*No findings: every rule passes\./);
  });

  it('exits 1 on a single template with an error finding and prints one JSON object of the documented shape', () => {
    const result = bin('report', fixture('single-az.template.json'), '--json');
    expect(result.status).toBe(1);
    const report = JSON.parse(result.stdout);
    expect(report.findings[0]).toEqual(
      expect.objectContaining({ rule: expect.any(String), severity: 'error', stack: 'single-az', resource: expect.any(String), message: expect.any(String) }),
    );
    expect(report.availability).toEqual(
      expect.objectContaining({ composite: expect.any(Number), nines: expect.any(Number), downtimeMinutesPerMonth: expect.any(Number), components: expect.any(Array) }),
    );
    expect(report.recovery[0]).toEqual(expect.objectContaining({ failure: 'crashed task', detectSeconds: 60, recoverSeconds: 270, rpoSeconds: 0, notes: expect.any(String) }));
    // No replica and no copy outside the region: no strategy, the data is lost, nothing outside the region detects.
    expect(report.lostRegion).toEqual(expect.objectContaining({ strategy: 'none', rtoSeconds: null, rpoSeconds: null, rtoKnownSeconds: expect.any(Number) }));
    expect(report.lostRegion.rto.map((t: { term: string }) => t.term)).toEqual(['detection', 'restore', 'redeployment', 'dns']);
  });

  it('prints the lost-region RTO and RPO of the two-region assembly in the JSON, each term with its source', () => {
    const report = JSON.parse(bin('report', fixture('dr-assembly'), '--json').stdout);
    expect(report.lostRegion).toMatchObject({ strategy: 'warm-standby', primaryRegion: 'us-east-1', drRegion: 'us-west-2', rtoSeconds: 755, rtoKnownSeconds: 755, rpoSeconds: 120 });
    expect(report.lostRegion.rpo).toEqual({ term: 'data', seconds: 120, basis: expect.any(String), source: expect.stringMatching(/DrSite\.template\.json: LagAlarm \(ReplicaLag Threshold 120 s\)$/), assumption: false });
    for (const t of report.lostRegion.rto) expect(t).toEqual({ term: expect.any(String), seconds: expect.any(Number), basis: expect.any(String), source: expect.any(String), assumption: expect.any(Boolean) });
  });

  it('exits 0 on the hand-written cloud assembly with an acknowledgment', () => {
    const result = bin('report', fixture('assembly'));
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^# Resilience report/);
  });

  it('exits 2 with one line naming a missing path or a bad command, and no stack trace', () => {
    expect(bin('report', 'no/such/cdk.out')).toEqual({
      status: 2,
      stdout: '',
      stderr: ['report: no/such/cdk.out: no such file or directory (give a cloud assembly directory such as cdk.out, or a CloudFormation template JSON file)'],
    });
    const bad = bin('cdk.out');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toHaveLength(1);
  });
});
