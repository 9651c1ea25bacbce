/**
 * The report on hand-written fixtures (a naive single-AZ template, a template this project did not write,
 * a small cloud assembly with an acknowledgment), on a naive stack the test builds from aws-ecs-patterns
 * defaults, and on this project's own app.
 */
import { Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as ecsPatterns from 'aws-cdk-lib/aws-ecs-patterns';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CfnTemplate } from '@ha-reference/constructs/pure';
import { buildApp } from '../../../lib/app';
import { buildReport, exitCodeOf, loadInput, LoadedInput, renderMarkdown, UsageError } from '@ha-reference/constructs/report';
import { newApp, newStack, Template } from '../../support/synth';

const fixture = (name: string) => path.join(__dirname, 'fixtures', name);

function fromTemplates(templates: Record<string, CfnTemplate>): LoadedInput {
  return {
    source: 'test',
    kind: 'cloud-assembly',
    stacks: Object.entries(templates).map(([name, template]) => ({ name, templateFile: `${name}.template.json`, template, acknowledgments: new Map() })),
  };
}

describe('report on the single-AZ fixture', () => {
  const report = buildReport(loadInput(fixture('single-az.template.json')));

  it('flags every weakness, each with its severity and fix', () => {
    const flagged = report.findings.map((f) => `${f.severity} ${f.rule} ${f.resource}`);
    expect(flagged).toEqual([
      'error Resilience-DatabaseMultiAz Database',
      'error Resilience-FisStopCondition Experiment',
      'error Resilience-LoadBalancerZones LoadBalancer',
      'error Resilience-ServiceDeploymentRollback Service',
      'error Resilience-ServiceTasksPerZone Service',
      'error Resilience-StatefulRetention Database',
      'warning Resilience-AlarmActions CpuAlarm',
      'warning Resilience-DatabaseBackupRetention Database',
      'warning Resilience-DatabaseCrossRegionBackup Database',
      'warning Resilience-NatGatewayPerZone Nat',
      'warning Resilience-ServiceAlarms Service',
      'warning Resilience-ServiceMinimumHealthy Service',
      'warning Resilience-TargetGroupDeregistrationDelay TargetGroup',
      'warning Resilience-TargetGroupHealthCheck TargetGroup',
      'info Resilience-LoadBalancerAutoshift LoadBalancer',
      'info Resilience-LogGroupRetention Logs',
      'info Resilience-ServiceDeploymentBake Service',
    ]);
    expect(report.findings[0]).toMatchObject({ stack: 'single-az', message: expect.stringMatching(/single-AZ.*Fix: Set multiAz: true/) });
    expect(exitCodeOf(report)).toBe(1);
  });

  it('estimates availability with exact numbers: LB 99.9 % × one task 99.5 % × shared NAT 99.9 % × single-AZ RDS 99.5 %', () => {
    const { availability } = report;
    expect(availability.components.map((c) => [c.tier, c.resource, c.availability])).toEqual([
      ['load balancer', 'LoadBalancer', 0.999],
      ['compute', 'Service', 0.995],
      ['network', 'Nat', 0.999],
      ['database', 'Database', 0.995],
    ]);
    expect(availability.composite).toBeCloseTo(0.988045940025, 12);
    expect(availability.nines).toBeCloseTo(1.922485, 5);
    expect(availability.downtimeMinutesPerMonth).toBeCloseTo(523.5878, 3);
  });

  it('gives recovery figures for a crashed task, a lost zone, a failed database, a lost region and a bad deployment', () => {
    const rows = Object.fromEntries(report.recovery.map((r) => [r.failure, r]));
    // AWS default health check: 30 s × 2 to detect; +60 s start; +5 × 30 s to pass the healthy threshold.
    expect(rows['crashed task']).toMatchObject({ detectSeconds: 60, recoverSeconds: 270, rpoSeconds: 0 });
    expect(rows['lost Availability Zone']).toMatchObject({ recoverSeconds: null, rpoSeconds: 300 });
    expect(rows['failed database instance']).toMatchObject({ recoverSeconds: 1800, rpoSeconds: 300 });
    expect(rows['lost region']).toMatchObject({ detectSeconds: null, recoverSeconds: null, rpoSeconds: null });
    expect(rows['bad deployment']).toMatchObject({ detectSeconds: null, recoverSeconds: null });
    // The same readings as the rules ServiceDeploymentBake and LoadBalancerAutoshift.
    expect(rows['bad deployment']!.notes).toMatch(/rolling: a bad version serves all requests as soon as its tasks are healthy, with no bake time/);
    expect(rows['lost Availability Zone']!.notes).toMatch(/LoadBalancer has neither zonal shift nor autoshift: a gray failure keeps getting traffic/);
  });

  it('renders Markdown with findings, availability, recovery and error budget sections', () => {
    const markdown = renderMarkdown(report);
    for (const heading of ['# Resilience report', '## Findings', '## Availability', '## Recovery', '## Error budget']) expect(markdown).toContain(heading);
    expect(markdown).toContain('**6 errors, 8 warnings, 3 infos**');
    expect(markdown).toContain('Composite estimate: **98.80 %** (1.92 nines), about **523.6 minutes of downtime a month**');
    expect(markdown).toMatch(/\| crashed task \| Service \| 60 s \| 5 min \| none \|/);
    expect(markdown).toMatch(/\| 99.90 % \| 43.8 min \| 8.76 h \|/);
  });
});

describe('report on a template this project did not write', () => {
  const report = buildReport(loadInput(fixture('foreign.template.json')));

  it('resolves parameter defaults and judges the Auto Scaling group, the Classic Load Balancer and the table', () => {
    expect(report.findings.map((f) => `${f.rule} ${f.resource}`)).toEqual([
      'Resilience-AutoScalingGroupZones WebGroup',
      'Resilience-StatefulRetention Sessions',
      'Resilience-DatabaseBackupRetention Sessions',
      'Resilience-DatabaseCrossRegionBackup Sessions',
    ]);
    expect(report.findings[0].message).toMatch(/MinSize 1 over 2 Availability Zones/);
    expect(report.availability.composite).toBeCloseTo(0.9999 * 0.995 * 0.9999, 12);
    expect(report.recovery.find((r) => r.failure === 'lost region')).toMatchObject({ rpoSeconds: null, notes: expect.stringMatching(/No disaster-recovery strategy \(no cross-region read replica and no copy outside the region of foreign\/Sessions\)/) });
  });
});

describe('report on a cloud assembly', () => {
  it('reads stacks through manifest.json and honours acknowledgments recorded in the assembly metadata', () => {
    const report = buildReport(loadInput(fixture('assembly')));
    expect(report.stacks).toEqual([{ name: 'Small', region: 'eu-west-1', resources: 2 }]);
    expect(report.findings.map((f) => f.rule)).toEqual(['Resilience-LogGroupRetention']);
    expect(report.acknowledged).toEqual([
      expect.objectContaining({ rule: 'Resilience-DatabaseCrossRegionBackup', resource: 'Table', reason: expect.stringMatching(/session data/) }),
    ]);
    expect(exitCodeOf(report)).toBe(0);
  });

  it('judges ExternalProbe across the stacks of the assembly: the primary is watched from the DR region, the standby is not', () => {
    const report = buildReport(loadInput(fixture('dr-assembly')));
    const external = report.findings.filter((f) => f.rule === 'Resilience-ExternalProbe');
    // Primary/LoadBalancer: DrSite's Route 53 health check reads its DNS name (Fn::GetStackOutput) and PrimaryRecord reads the check.
    expect(external.map((f) => `${f.severity} ${f.stack} ${f.resource}`)).toEqual(['warning DrSite StandbyLoadBalancer']);
    expect(external[0].message).toMatch(/^The stack pages through 2 alarms in its own region \(LagAlarm, CanaryAlarm\), and nothing outside the region probes this internet-facing load balancer/);
  });

  it('refuses input that is not a template, with a one-line message naming the path', () => {
    expect(() => loadInput(fixture('missing.json'))).toThrow(new UsageError(`${fixture('missing.json')}: no such file or directory (give a cloud assembly directory such as cdk.out, or a CloudFormation template JSON file)`));
    expect(() => loadInput(fixture('not-a-template.json'))).toThrow(/is not a CloudFormation template: it has no Resources section/);
    expect(() => loadInput(fixture('template.yaml'))).toThrow(/is not JSON \(it looks like YAML/);
    expect(() => loadInput(path.join(__dirname, 'fixtures'))).toThrow(/directory without manifest.json/);
  });
});

describe('report on stacks the test builds', () => {
  it('flags every weakness of the aws-ecs-patterns defaults and exits non-zero', () => {
    // GIVEN one NAT gateway, one task, default health checks and draining, a single-AZ database, no alarms
    const stack = newStack(newApp(), 'Naive');
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
    new ecsPatterns.ApplicationLoadBalancedFargateService(stack, 'Web', { vpc, taskImageOptions: { image: ecs.ContainerImage.fromRegistry('nginx') } });
    new rds.DatabaseInstance(stack, 'Db', { engine: rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_16 }), vpc });
    // WHEN
    const report = buildReport(fromTemplates({ Naive: Template.fromStack(stack).toJSON() as CfnTemplate }));
    // THEN
    const rules = new Set(report.findings.map((f) => f.rule));
    for (const rule of ['DatabaseMultiAz', 'TargetGroupDeregistrationDelay', 'TargetGroupHealthCheck', 'NatGatewayPerZone', 'ServiceDeploymentRollback', 'ServiceTasksPerZone', 'ServiceAlarms']) {
      expect(rules).toContain(`Resilience-${rule}`);
    }
    expect(exitCodeOf(report)).toBe(1);
  });

  it("gives this project's stacks no error finding, a composite estimate and recovery for four failure modes or more", () => {
    const app = newApp();
    buildApp(app);
    const templates = Object.fromEntries(app.node.children.filter(Stack.isStack).map((s) => [s.stackName, Template.fromStack(s).toJSON() as CfnTemplate]));
    const report = buildReport(fromTemplates(templates));
    expect(report.findings.filter((f) => f.severity === 'error')).toEqual([]);
    expect(report.availability.composite).toBeGreaterThan(0.999);
    expect(new Set(report.recovery.map((r) => r.failure)).size).toBeGreaterThanOrEqual(4);
    expect(report.recovery.find((r) => r.failure === 'crashed task')).toMatchObject({ detectSeconds: 10 });
  });
});
