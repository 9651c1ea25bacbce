/**
 * The NagPack on real CDK stacks: a naive stack from aws-ecs-patterns defaults, acknowledgments, synthesis
 * with the pack registered, and this project's own app.
 */
import { App, Stack, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as ecsPatterns from 'aws-cdk-lib/aws-ecs-patterns';
import * as rds from 'aws-cdk-lib/aws-rds';
import { describe, expect, it } from 'vitest';
import { ResilienceChecks } from '@ha-reference/constructs';
import { buildApp } from '../../../lib/app';
import { newApp, newStack } from '../../support/synth';

/** What a team gets from the aws-ecs-patterns defaults: one NAT gateway, one task, a single-AZ database. */
function naiveStack(app: App = newApp()): { stack: Stack; database: rds.DatabaseInstance } {
  const stack = newStack(app, 'Naive');
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
  new ecsPatterns.ApplicationLoadBalancedFargateService(stack, 'Web', {
    vpc,
    taskImageOptions: { image: ecs.ContainerImage.fromRegistry('public.ecr.aws/nginx/nginx:latest') },
  });
  const database = new rds.DatabaseInstance(stack, 'Db', {
    engine: rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_16 }),
    vpc,
  });
  return { stack, database };
}

const ruleNames = (report: { violations: Array<{ ruleName: string }> }) => report.violations.map((v) => v.ruleName);

describe('ResilienceChecks', () => {
  it('flags every weakness of a stack built from aws-ecs-patterns defaults, and fails on its errors', () => {
    // GIVEN
    const { stack } = naiveStack();
    // WHEN
    const report = new ResilienceChecks().validateScope(stack);
    // THEN
    expect(report.success).toBe(false);
    expect(ruleNames(report)).toEqual(
      expect.arrayContaining([
        'Resilience-ServiceTasksPerZone',
        'Resilience-ServiceDeploymentRollback',
        'Resilience-ServiceAlarms',
        'Resilience-TargetGroupHealthCheck',
        'Resilience-TargetGroupDeregistrationDelay',
        'Resilience-NatGatewayPerZone',
        'Resilience-DatabaseMultiAz',
        'Resilience-DatabaseBackupRetention',
        'Resilience-DatabaseCrossRegionBackup',
      ]),
    );
    // The database's default removal policy is SNAPSHOT: it keeps its data.
    expect(ruleNames(report)).not.toContain('Resilience-StatefulRetention');
  });

  it('reports each rule at its own severity, with its fix, and points at the construct', () => {
    const report = new ResilienceChecks().validateScope(naiveStack().stack);
    const multiAz = report.violations.find((v) => v.ruleName === 'Resilience-DatabaseMultiAz');
    expect(multiAz).toMatchObject({ severity: 'error', fix: expect.stringMatching(/multiAz: true/) });
    expect(multiAz?.violatingResources[0].constructPath).toBe('Naive/Db/Resource');
    expect(report.violations.find((v) => v.ruleName === 'Resilience-NatGatewayPerZone')?.severity).toBe('warning');
  });

  it('adds one info summary, which can be turned off', () => {
    const { stack } = naiveStack();
    const summary = new ResilienceChecks().validateScope(stack).violations.find((v) => v.ruleName === 'Resilience-Summary');
    expect(summary).toMatchObject({ severity: 'info', description: expect.stringMatching(/18 resilience rules checked \d+ resources: 3 errors, \d+ warnings, 3 infos/) });
    expect(ruleNames(new ResilienceChecks(undefined, { summary: false }).validateScope(stack))).not.toContain('Resilience-Summary');
  });

  it('honours an acknowledgment on the one construct it applies to', () => {
    // GIVEN
    const { stack, database } = naiveStack();
    Validations.of(database).acknowledge({ id: 'Resilience-DatabaseMultiAz', reason: 'test database for the acknowledgment mechanism, rebuilt from fixtures' });
    // WHEN
    const report = new ResilienceChecks().validateScope(stack);
    // THEN
    expect(ruleNames(report)).not.toContain('Resilience-DatabaseMultiAz');
    expect(ruleNames(report)).toContain('Resilience-DatabaseBackupRetention');
  });

  it('fails synthesis when registered with Validations and an error-severity rule fails', () => {
    const app = newApp();
    Validations.of(app).addPlugins(new ResilienceChecks(app));
    naiveStack(app);
    expect(() => app.synth()).toThrow(/Resilience-DatabaseMultiAz/);
  });

  it("passes this project's stacks without an error", () => {
    // GIVEN the app exactly as bin/app.ts builds it
    const app = newApp();
    buildApp(app);
    // WHEN
    const report = new ResilienceChecks(undefined, { summary: false }).validateScope(app);
    // THEN
    expect(report.violations.filter((v) => v.severity === 'error')).toEqual([]);
    expect(report.success).toBe(true);
  });
});
