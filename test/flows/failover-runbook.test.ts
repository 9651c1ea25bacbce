import { anonymousPrincipal } from '@cloud-copilot/iam-simulate';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { documentOf, drSiteFixture, HEALTH_CHECK_ID } from '../constructs/dr/fixture';
import { asRole, check, flow, type FlowRow, type Verdict } from './flow-table';
import { ACCOUNT, globMatches, OTHER_ACCOUNT, PolicyWorld, stemOf, type CfnTemplate } from './policy-world';
import { synthWorlds, warmStandbyWithDns } from './worlds';

/**
 * Flow proof: the regional failover runbook (RegionFailoverRunbook) may do exactly what its steps need, on exactly its
 * resources, and only SSM Automation of this account may act as it. Each request is evaluated twice by the real IAM
 * policy evaluator on the synthesised role, trust policy and policy: on the reference app's HaDrSite (warm standby
 * with DNS failover, the runbook reading the Route 53 health check of DnsFailover) and on a pilot-light site built from
 * the library's constructs alone (test/constructs/dr/fixture.ts, a health check ID given as a value). The role is the
 * one the Automation document names; the replica, service, alarm and health check are read from the template, not
 * from the role's policy.
 */
interface Runbook {
  readonly name: string;
  readonly world: PolicyWorld;
  readonly role: string;
  readonly replica: string;
  readonly service: string;
  readonly cluster: string;
  readonly alarm: string;
  /** The logical ID of the health check, when the template has one (a value given to the construct otherwise). */
  readonly healthCheck?: string;
  readonly healthCheckArn: string;
  /** The region of the primary database the replica follows. */
  readonly primaryRegion: string;
}

function runbookOf(name: string, world: PolicyWorld, healthCheckId?: string): Runbook {
  // The role the document runs as, read from the document itself.
  const { content } = documentOf(world.template as never);
  const role = (content.assumeRole as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
  expect(world.resource(role).Type).toBe('AWS::IAM::Role');
  const one = (type: string) => {
    const ids = world.idsOf(type);
    expect(ids, `${name}: one ${type}`).toHaveLength(1);
    return ids[0]!;
  };
  const replica = one('AWS::RDS::DBInstance');
  const healthChecks = world.idsOf('AWS::Route53::HealthCheck');
  const healthCheck = healthCheckId === undefined ? one('AWS::Route53::HealthCheck') : undefined;
  if (healthCheckId !== undefined) expect(healthChecks).toEqual([]);
  return {
    name,
    world,
    role,
    replica,
    service: one('AWS::ECS::Service'),
    cluster: one('AWS::ECS::Cluster'),
    alarm: world.idOf('PrimaryProbeAlarm'),
    healthCheck,
    healthCheckArn: `arn:aws:route53:::healthcheck/${healthCheck === undefined ? healthCheckId : world.ref(healthCheck)}`,
    primaryRegion: String(world.resolve(world.resource(replica).Properties!.SourceRegion)),
  };
}

describe('flow: the failover runbook role', () => {
  let runbooks: Runbook[];

  beforeAll(() => {
    const fixture = drSiteFixture();
    const alone = new PolicyWorld(Template.fromStack(fixture.stack).toJSON() as CfnTemplate, fixture.stack.region);
    runbooks = [runbookOf('HaDrSite (warm standby, dns)', synthWorlds(warmStandbyWithDns()).drSite!), runbookOf('RegionFailoverRunbook alone', alone, HEALTH_CHECK_ID)];
  });

  const arn = (r: Runbook, service: string, resource: string, region = r.world.region) => `arn:aws:${service}:${region}:${r.world.account}:${resource}`;
  const replicaArn = (r: Runbook) => arn(r, 'rds', `db:${r.world.nameOf(r.replica)}`);
  const clusterName = (r: Runbook) => r.world.nameOf(r.cluster);
  const serviceArn = (r: Runbook) => arn(r, 'ecs', `service/${clusterName(r)}/${r.world.nameOf(r.service)}`);
  const alarmArn = (r: Runbook) => r.world.getAtt(r.alarm, 'Arn');
  const scalableTarget = (r: Runbook, region = r.world.region) => arn(r, 'application-autoscaling', 'scalable-target/0123456789abcdef0123456789abcdef', region);
  const ecsDesiredCount = { 'application-autoscaling:service-namespace': 'ecs', 'application-autoscaling:scalable-dimension': 'ecs:service:DesiredCount' };
  const as = (r: Runbook, action: string, resource: string, context: Record<string, string> = {}) => asRole(r.world, r.role, action, resource, context);
  const each = (make: (r: Runbook) => Promise<Verdict>[]) => Promise.all(runbooks.flatMap(make));

  /** Every runbook's `pick`ed resource must be named by one of the row's tokens (in `who` or `on`). */
  const named = (row: FlowRow, column: 'who' | 'on', pick: (r: Runbook) => string | undefined) => {
    for (const r of runbooks) {
      const id = pick(r);
      if (id !== undefined) expect(row[column].some((t) => globMatches(t, stemOf(id))), `row ${row.id} (${column}) names ${id} of ${r.name}`).toBe(true);
    }
  };

  describe('trust', () => {
    const assume = (r: Runbook, principal: Parameters<typeof check>[1]['principal'], context: Record<string, string>, identityPolicies?: Parameters<typeof check>[1]['identityPolicies']) =>
      check(`${typeof principal === 'string' ? principal : 'anonymous'} assumes ${r.role} (${r.name})`, {
        principal,
        identityPolicies,
        action: 'sts:AssumeRole',
        resource: r.world.getAtt(r.role, 'Arn'),
        context,
        resourcePolicy: r.world.resolve(r.world.resource(r.role).Properties!.AssumeRolePolicyDocument),
      });
    const mayAssumeAnything = [{ name: 'assume-anything', policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: '*' }] } }];

    flow('failover-trust', async (row) => {
      named(row, 'on', (r) => r.role);
      return each((r) => [assume(r, 'ssm.amazonaws.com', { 'aws:SourceAccount': ACCOUNT })]);
    });

    flow('failover-trust-other-account', async (row) => {
      named(row, 'on', (r) => r.role);
      return each((r) => [assume(r, 'ssm.amazonaws.com', { 'aws:SourceAccount': OTHER_ACCOUNT })]);
    });

    flow('failover-trust-nobody-else', async (row) => {
      named(row, 'on', (r) => r.role);
      return each((r) => [
        assume(r, 'events.amazonaws.com', { 'aws:SourceAccount': ACCOUNT }),
        assume(r, 'lambda.amazonaws.com', { 'aws:SourceAccount': ACCOUNT }),
        assume(r, r.world.getAtt(r.world.idOf('ServiceTaskTaskRole'), 'Arn'), {}, mayAssumeAnything),
        assume(r, `arn:aws:iam::${OTHER_ACCOUNT}:root`, {}, mayAssumeAnything),
        assume(r, anonymousPrincipal, {}),
      ]);
    });
  });

  describe('the guard', () => {
    flow('failover-read-guard', async (row) => {
      named(row, 'who', (r) => r.role);
      named(row, 'on', (r) => r.alarm);
      named(row, 'on', (r) => r.healthCheck);
      return each((r) => [as(r, 'cloudwatch:DescribeAlarms', alarmArn(r)), as(r, 'route53:GetHealthCheckStatus', r.healthCheckArn)]);
    });

    flow('failover-guard-no-change', async () =>
      each((r) => [
        as(r, 'cloudwatch:SetAlarmState', alarmArn(r)),
        as(r, 'cloudwatch:DisableAlarmActions', alarmArn(r)),
        as(r, 'cloudwatch:DeleteAlarms', alarmArn(r)),
        as(r, 'cloudwatch:PutMetricAlarm', alarmArn(r)),
        as(r, 'cloudwatch:DescribeAlarms', arn(r, 'cloudwatch', 'alarm:other-alarm')),
        as(r, 'route53:UpdateHealthCheck', r.healthCheckArn),
        as(r, 'route53:GetHealthCheckStatus', 'arn:aws:route53:::healthcheck/00000000-0000-0000-0000-000000000000'),
        as(r, 'route53:ChangeResourceRecordSets', 'arn:aws:route53:::hostedzone/Z0123456789ABCDEFGHIJ'),
      ]),
    );
  });

  describe('the promotion', () => {
    flow('failover-promote', async (row) => {
      named(row, 'on', (r) => r.replica);
      // The identifier is the replica's own (DBInstanceIdentifier, with the stack ID's suffix), resolved from the template.
      for (const r of runbooks) expect(r.world.nameOf(r.replica), r.name).toMatch(/^[a-z]+-replica-[0-9a-f]{8}-51af3dc0$/);
      return each((r) => [as(r, 'rds:PromoteReadReplica', replicaArn(r)), as(r, 'rds:DescribeDBInstances', replicaArn(r))]);
    });

    flow('failover-promote-other', async () =>
      each((r) => [
        as(r, 'rds:PromoteReadReplica', arn(r, 'rds', 'db:other-database')),
        // The primary database, in its region, under the replica's identifier or any other.
        as(r, 'rds:PromoteReadReplica', arn(r, 'rds', 'db:primary-database', r.primaryRegion)),
        as(r, 'rds:PromoteReadReplica', arn(r, 'rds', `db:${r.world.nameOf(r.replica)}`, r.primaryRegion)),
      ]),
    );

    flow('failover-replica-no-admin', async (row) => {
      named(row, 'on', (r) => r.replica);
      return each((r) => row.actions.map((action) => as(r, action, replicaArn(r))));
    });
  });

  describe('the scaling', () => {
    flow('failover-scale', async (row) => {
      named(row, 'on', (r) => r.service);
      named(row, 'on', (r) => r.cluster);
      return each((r) => [
        as(r, 'ecs:UpdateService', serviceArn(r), { 'ecs:cluster': arn(r, 'ecs', `cluster/${clusterName(r)}`) }),
        as(r, 'ecs:DescribeServices', serviceArn(r)),
        as(r, 'application-autoscaling:RegisterScalableTarget', scalableTarget(r), ecsDesiredCount),
      ]);
    });

    flow('failover-scale-other', async () =>
      each((r) => [
        as(r, 'ecs:UpdateService', arn(r, 'ecs', `service/${clusterName(r)}/other-service`)),
        as(r, 'ecs:UpdateService', arn(r, 'ecs', 'service/other-cluster/other-service')),
        // Application Auto Scaling registers a target only if the caller may describe and update the service:
        // https://docs.aws.amazon.com/autoscaling/application/userguide/security_iam_permission_validation.html
        as(r, 'ecs:DescribeServices', arn(r, 'ecs', `service/${clusterName(r)}/other-service`)),
        as(r, 'ecs:DeleteService', serviceArn(r)),
        as(r, 'ecs:StopTask', arn(r, 'ecs', `task/${clusterName(r)}/0123456789abcdef0123456789abcdef`)),
      ]),
    );

    flow('failover-scaling-other-target', async () =>
      each((r) => [
        as(r, 'application-autoscaling:RegisterScalableTarget', scalableTarget(r), { 'application-autoscaling:service-namespace': 'dynamodb', 'application-autoscaling:scalable-dimension': 'dynamodb:table:WriteCapacityUnits' }),
        as(r, 'application-autoscaling:RegisterScalableTarget', scalableTarget(r), { ...ecsDesiredCount, 'application-autoscaling:scalable-dimension': 'ecs:service:Other' }),
        as(r, 'application-autoscaling:RegisterScalableTarget', scalableTarget(r, r.primaryRegion), ecsDesiredCount),
        as(r, 'application-autoscaling:DeregisterScalableTarget', scalableTarget(r), ecsDesiredCount),
        as(r, 'application-autoscaling:PutScalingPolicy', scalableTarget(r), ecsDesiredCount),
      ]),
    );
  });

  it('fails a row when the role loses the statement the row rests on (the proofs can fail)', async () => {
    // GIVEN each template with the role's statement that allows the promotion removed, nothing else changed
    for (const r of runbooks) {
      const template = structuredClone(r.world.template) as CfnTemplate & { Resources: Record<string, { Properties: Record<string, any> }> };
      const policies = r.world.idsOf('AWS::IAM::Policy').filter((id) => JSON.stringify(template.Resources[id]!.Properties.Roles) === JSON.stringify([{ Ref: r.role }]));
      expect(policies, r.name).toHaveLength(1);
      const document = template.Resources[policies[0]!]!.Properties.PolicyDocument as { Statement: { Action: string | string[] }[] };
      const before = document.Statement.length;
      document.Statement = document.Statement.filter((st) => ![st.Action].flat().includes('rds:PromoteReadReplica'));
      expect(document.Statement, r.name).toHaveLength(before - 1);
      const mutated: Runbook = { ...r, world: new PolicyWorld(template, r.world.region) };
      // WHEN failover-promote's requests are evaluated on it, THEN they are denied, and the guard still reads
      expect((await as(mutated, 'rds:PromoteReadReplica', replicaArn(mutated))).result, r.name).toBe('ImplicitlyDenied');
      expect((await as(mutated, 'rds:DescribeDBInstances', replicaArn(mutated))).result, r.name).toBe('ImplicitlyDenied');
      expect((await as(mutated, 'cloudwatch:DescribeAlarms', alarmArn(mutated))).result, r.name).toBe('Allowed');
    }
  });

  flow('failover-nothing-else', async () =>
    each((r) => [
      as(r, 'iam:PassRole', r.world.getAtt(r.role, 'Arn')),
      as(r, 'ssm:StartAutomationExecution', arn(r, 'ssm', 'automation-definition/any:$DEFAULT')),
      as(r, 'secretsmanager:GetSecretValue', arn(r, 'secretsmanager', 'secret:any-AbCdEf')),
    ]),
  );
});
