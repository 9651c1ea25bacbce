/**
 * The NagPack on real CDK stacks: a naive stack from aws-ecs-patterns defaults, acknowledgments, synthesis
 * with the pack registered, and this project's own app.
 */
import { App, CfnOutput, Fn, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as synthetics from 'aws-cdk-lib/aws-synthetics';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as ecsPatterns from 'aws-cdk-lib/aws-ecs-patterns';
import * as rds from 'aws-cdk-lib/aws-rds';
import { describe, expect, it } from 'vitest';
import { ResilienceChecks } from '@ha-reference/constructs';
import { type CfnTemplate, RESILIENCE_RULES } from '@ha-reference/constructs/pure';
import { buildApp } from '../../../lib/app';
import { newApp, newStack, synthApp, Template } from '../../support/synth';

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
    expect(summary).toMatchObject({ severity: 'info', description: expect.stringMatching(/19 resilience rules checked \d+ resources: 3 errors, \d+ warnings, 3 infos/) });
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

  describe('ExternalProbe across the stacks of an app', () => {
    /** A primary stack (public load balancer, a paging alarm, its DNS name as an output) and a watcher in `watcherRegion`. */
    function twoRegions(watcherRegion: string, pages = true): App {
      const app = newApp();
      const primary = new Stack(app, 'Primary', { env: { account: '111111111111', region: 'us-east-1' } });
      const lb = new elbv2.CfnLoadBalancer(primary, 'LB', { type: 'application', subnets: ['subnet-a', 'subnet-b'] });
      const topic = new sns.CfnTopic(primary, 'Topic');
      new cloudwatch.CfnAlarm(primary, 'Page', {
        namespace: 'AWS/ApplicationELB', metricName: 'HTTPCode_ELB_5XX_Count', statistic: 'Sum', period: 60, evaluationPeriods: 1, threshold: 1,
        comparisonOperator: 'GreaterThanThreshold', dimensions: [{ name: 'LoadBalancer', value: lb.attrLoadBalancerFullName }], alarmActions: [topic.ref],
      });
      new CfnOutput(primary, 'LbDns', { value: lb.attrDnsName });
      const watcher = new Stack(app, 'Watcher', { env: { account: '111111111111', region: watcherRegion } });
      const probe = new synthetics.CfnCanary(watcher, 'Probe', {
        name: 'probe', runtimeVersion: 'syn-nodejs-puppeteer-13.0', executionRoleArn: 'arn:aws:iam::111111111111:role/canary', artifactS3Location: 's3://bucket',
        schedule: { expression: 'rate(1 minute)' }, code: { handler: 'index.handler', script: 'exports.handler = async () => {};' },
        runConfig: { environmentVariables: { TARGET_URL: Fn.join('', ['https://', Fn.getStackOutput('Primary', 'LbDns', 'us-east-1')]) } },
      });
      const drTopic = new sns.CfnTopic(watcher, 'Topic');
      new cloudwatch.CfnAlarm(watcher, 'ProbeAlarm', {
        namespace: 'CloudWatchSynthetics', metricName: 'SuccessPercent', statistic: 'Average', period: 60, evaluationPeriods: 3, threshold: 100,
        comparisonOperator: 'LessThanThreshold', dimensions: [{ name: 'CanaryName', value: probe.ref }], alarmActions: pages ? [drTopic.ref] : [],
      });
      return app;
    }
    const external = (app: App) =>
      new ResilienceChecks(undefined, { summary: false }).validateScope(app).violations.filter((v) => v.ruleName === 'Resilience-ExternalProbe').flatMap((v) => v.violatingResources.map((r) => r.constructPath));

    it('passes a load balancer watched by a paging canary in another region of the same app', () => {
      expect(external(twoRegions('us-west-2'))).toEqual([]);
    });

    it('flags it, as a warning, when the canary runs in the same region or its alarm pages nobody', () => {
      expect(external(twoRegions('us-east-1'))).toEqual(['Primary/LB']);
      expect(external(twoRegions('us-west-2', false))).toEqual(['Primary/LB']);
      const report = new ResilienceChecks(undefined, { summary: false }).validateScope(twoRegions('us-east-1'));
      expect(report.violations.find((v) => v.ruleName === 'Resilience-ExternalProbe')?.severity).toBe('warning');
      expect(report.success).toBe(true);
    });

    it("this project's primary: watched from the DR region with a standby site, flagged with backup-restore", () => {
      // The rule's own verdict on the synthesised stacks, before any acknowledgment the app may add.
      const verdicts = (strategy: string) => {
        const app = synthApp({ ha: { dr: { strategy } } }).app;
        const stacks = app.node.children.filter(Stack.isStack).map((s) => ({ stackName: s.stackName, region: s.region, template: Template.fromStack(s).toJSON() as CfnTemplate }));
        const rule = RESILIENCE_RULES.find((r) => r.id === 'ExternalProbe')!;
        return stacks.flatMap((me) =>
          Object.entries(me.template.Resources ?? {})
            .filter(([, r]) => rule.resourceTypes.includes(r.Type))
            .map(([logicalId, resource]) => `${me.stackName}/${logicalId} ${rule.evaluate({ logicalId, resource, template: me.template, stackName: me.stackName, region: me.region, peers: stacks.filter((p) => p !== me) }).status}`),
        );
      };
      expect(verdicts('backup-restore')).toEqual([expect.stringMatching(/^HaPrimary\/ServiceLoadBalancer[0-9A-F]{8} non-compliant$/)]);
      for (const strategy of ['pilot-light', 'warm-standby']) {
        // The canary of HaDrSite reads HaPrimary's LoadBalancerDnsName; nothing outside us-west-2 probes the standby's.
        expect(verdicts(strategy).sort()).toEqual([
          expect.stringMatching(/^HaDrSite\/ServiceLoadBalancer[0-9A-F]{8} non-compliant$/),
          expect.stringMatching(/^HaPrimary\/ServiceLoadBalancer[0-9A-F]{8} compliant$/),
        ]);
      }
    });
  });
});
