import { anonymousPrincipal } from '@cloud-copilot/iam-simulate';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { documentOf, drSiteFixture, HEALTH_CHECK_ID, PRIMARY_REGION } from '../constructs/dr/fixture';
import { asRole, check, type Verdict } from './flow-table';
import { ACCOUNT, OTHER_ACCOUNT, PolicyWorld, type CfnTemplate } from './policy-world';

/**
 * Flow proof: the regional failover runbook (RegionFailoverRunbook in a pilot-light DR site built from the library's
 * own constructs) may do exactly what its steps need, on exactly its resources, and only SSM Automation of this
 * account may act as it. Every request is evaluated by the real IAM policy evaluator on the synthesised role, trust
 * policy and policy. Not in the flow table yet: the reference app does not deploy the runbook until lib/ wires it.
 */
describe('flow: the failover runbook role', () => {
  let world: PolicyWorld;
  let roleId: string;
  let replicaArn: string;
  let serviceArn: string;
  let clusterName: string;
  let alarmArn: string;

  const arn = (service: string, resource: string, region = world.region) => `arn:aws:${service}:${region}:${world.account}:${resource}`;
  const scalableTarget = (region = world.region) => arn('application-autoscaling', 'scalable-target/0123456789abcdef0123456789abcdef', region);
  const ecsDesiredCount = { 'application-autoscaling:service-namespace': 'ecs', 'application-autoscaling:scalable-dimension': 'ecs:service:DesiredCount' };
  const as = (action: string, resource: string, context: Record<string, string> = {}) => asRole(world, roleId, action, resource, context);
  const expectAll = (verdicts: Verdict[], expected: 'Allowed' | 'denied') => {
    expect(verdicts.length).toBeGreaterThan(0);
    for (const v of verdicts) {
      if (expected === 'Allowed') expect(v.result, v.label).toBe('Allowed');
      else expect(v.result, v.label).not.toBe('Allowed');
    }
  };

  beforeAll(() => {
    const site = drSiteFixture();
    const template = Template.fromStack(site.stack).toJSON() as CfnTemplate;
    world = new PolicyWorld(template, site.stack.region);
    // The role the document runs as, read from the document itself.
    const { content } = documentOf(template as never);
    roleId = (content.assumeRole as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    expect(world.resource(roleId).Type).toBe('AWS::IAM::Role');
    // The resources, named independently of the policy: the replica's identifier, the service and its cluster.
    const [replica] = world.idsOf('AWS::RDS::DBInstance');
    replicaArn = arn('rds', `db:${world.nameOf(replica!)}`);
    expect(world.nameOf(replica!)).toMatch(/^drsite-replica-[0-9a-f]{8}-51af3dc0$/);
    const [service] = world.idsOf('AWS::ECS::Service');
    const [cluster] = world.idsOf('AWS::ECS::Cluster');
    clusterName = world.nameOf(cluster!);
    serviceArn = arn('ecs', `service/${clusterName}/${world.nameOf(service!)}`);
    alarmArn = world.getAtt(world.idOf('PrimaryProbeAlarm'), 'Arn');
  });

  describe('trust', () => {
    const assume = (principal: Parameters<typeof check>[1]['principal'], context: Record<string, string>, identityPolicies?: Parameters<typeof check>[1]['identityPolicies']) =>
      check(`${typeof principal === 'string' ? principal : 'anonymous'} assumes ${roleId}`, {
        principal,
        identityPolicies,
        action: 'sts:AssumeRole',
        resource: world.getAtt(roleId, 'Arn'),
        context,
        resourcePolicy: world.resolve(world.resource(roleId).Properties!.AssumeRolePolicyDocument),
      });
    const mayAssumeAnything = [{ name: 'assume-anything', policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: '*' }] } }];

    it('SSM Automation of this account may assume the role', async () => {
      expectAll([await assume('ssm.amazonaws.com', { 'aws:SourceAccount': ACCOUNT })], 'Allowed');
    });

    it('SSM for another account may not (confused deputy)', async () => {
      expectAll([await assume('ssm.amazonaws.com', { 'aws:SourceAccount': OTHER_ACCOUNT })], 'denied');
    });

    it('nobody else may: another service, a role of this account that may assume anything, another account, anyone', async () => {
      const taskRole = world.getAtt(world.idOf('ServiceTaskTaskRole'), 'Arn');
      expectAll(
        [
          await assume('events.amazonaws.com', { 'aws:SourceAccount': ACCOUNT }),
          await assume('lambda.amazonaws.com', { 'aws:SourceAccount': ACCOUNT }),
          await assume(taskRole, {}, mayAssumeAnything),
          await assume(`arn:aws:iam::${OTHER_ACCOUNT}:root`, {}, mayAssumeAnything),
          await assume(anonymousPrincipal, {}),
        ],
        'denied',
      );
    });
  });

  describe('the guard', () => {
    it('may read the primary-down alarm and the primary health check', async () => {
      expectAll([await as('cloudwatch:DescribeAlarms', alarmArn), await as('route53:GetHealthCheckStatus', `arn:aws:route53:::healthcheck/${HEALTH_CHECK_ID}`)], 'Allowed');
    });

    it('may not change what the guard reads (no faking the alarm or the health check) nor read other alarms', async () => {
      expectAll(
        [
          await as('cloudwatch:SetAlarmState', alarmArn),
          await as('cloudwatch:DisableAlarmActions', alarmArn),
          await as('cloudwatch:DeleteAlarms', alarmArn),
          await as('cloudwatch:PutMetricAlarm', alarmArn),
          await as('cloudwatch:DescribeAlarms', arn('cloudwatch', 'alarm:other-alarm')),
          await as('route53:UpdateHealthCheck', `arn:aws:route53:::healthcheck/${HEALTH_CHECK_ID}`),
          await as('route53:GetHealthCheckStatus', 'arn:aws:route53:::healthcheck/00000000-0000-0000-0000-000000000000'),
          await as('route53:ChangeResourceRecordSets', 'arn:aws:route53:::hostedzone/Z0123456789ABCDEFGHIJ'),
        ],
        'denied',
      );
    });
  });

  describe('the promotion', () => {
    it('may promote and describe the replica', async () => {
      expectAll([await as('rds:PromoteReadReplica', replicaArn), await as('rds:DescribeDBInstances', replicaArn)], 'Allowed');
    });

    it('may not promote another DB instance, nor the primary in its region', async () => {
      expectAll(
        [await as('rds:PromoteReadReplica', arn('rds', 'db:other-database')), await as('rds:PromoteReadReplica', arn('rds', 'db:primary-database', PRIMARY_REGION))],
        'denied',
      );
    });

    it('may not delete, modify, reboot or snapshot the replica', async () => {
      expectAll(
        await Promise.all(['rds:DeleteDBInstance', 'rds:ModifyDBInstance', 'rds:RebootDBInstance', 'rds:CreateDBSnapshot', 'rds:CreateDBInstanceReadReplica'].map((a) => as(a, replicaArn))),
        'denied',
      );
    });
  });

  describe('the scaling', () => {
    it('may update and describe the standby service', async () => {
      expectAll([await as('ecs:UpdateService', serviceArn, { 'ecs:cluster': arn('ecs', `cluster/${clusterName}`) }), await as('ecs:DescribeServices', serviceArn)], 'Allowed');
    });

    it('may not update another service, in this cluster or another, nor delete the standby service', async () => {
      expectAll(
        [
          await as('ecs:UpdateService', arn('ecs', `service/${clusterName}/other-service`)),
          await as('ecs:UpdateService', arn('ecs', 'service/other-cluster/other-service')),
          await as('ecs:DeleteService', serviceArn),
          await as('ecs:StopTask', arn('ecs', `task/${clusterName}/0123456789abcdef0123456789abcdef`)),
        ],
        'denied',
      );
    });

    it('may register an ECS desired-count scalable target in this region', async () => {
      expectAll([await as('application-autoscaling:RegisterScalableTarget', scalableTarget(), ecsDesiredCount)], 'Allowed');
    });

    it('may not register another kind of target, in another region, nor change scaling policies or deregister', async () => {
      expectAll(
        [
          await as('application-autoscaling:RegisterScalableTarget', scalableTarget(), { 'application-autoscaling:service-namespace': 'dynamodb', 'application-autoscaling:scalable-dimension': 'dynamodb:table:WriteCapacityUnits' }),
          await as('application-autoscaling:RegisterScalableTarget', scalableTarget(), { ...ecsDesiredCount, 'application-autoscaling:scalable-dimension': 'ecs:service:Other' }),
          await as('application-autoscaling:RegisterScalableTarget', scalableTarget(PRIMARY_REGION), ecsDesiredCount),
          await as('application-autoscaling:DeregisterScalableTarget', scalableTarget(), ecsDesiredCount),
          await as('application-autoscaling:PutScalingPolicy', scalableTarget(), ecsDesiredCount),
        ],
        'denied',
      );
    });

    it('cannot register the target of another service: Application Auto Scaling checks the caller may describe and update it', async () => {
      // https://docs.aws.amazon.com/autoscaling/application/userguide/security_iam_permission_validation.html
      const other = arn('ecs', `service/${clusterName}/other-service`);
      expectAll([await as('ecs:DescribeServices', other), await as('ecs:UpdateService', other)], 'denied');
    });
  });

  it('may not pass roles, start automations or read secrets', async () => {
    expectAll(
      [
        await as('iam:PassRole', world.getAtt(roleId, 'Arn')),
        await as('ssm:StartAutomationExecution', arn('ssm', 'automation-definition/any:$DEFAULT')),
        await as('secretsmanager:GetSecretValue', arn('secretsmanager', 'secret:any-AbCdEf')),
      ],
      'denied',
    );
  });
});
