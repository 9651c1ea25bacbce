/**
 * Each resilience rule on hand-written CloudFormation: a Compliance case and numbered Noncompliance cases,
 * after cdk-nag's test/rules/*.test.ts. The rules are pure functions, so no synthesis is needed here.
 */
import { describe, expect, it } from 'vitest';
import { type CfnResource, type CfnTemplate, type PeerStack, RESILIENCE_RULES, type RuleOutcome, type RuleSubject } from '@ha-reference/constructs/pure';

type Resources = Record<string, CfnResource>;

function judge(ruleId: string, resources: Resources, subject: string, parameters?: CfnTemplate['Parameters']): RuleOutcome {
  const rule = RESILIENCE_RULES.find((r) => r.id === ruleId);
  if (!rule) throw new Error(`no rule ${ruleId}`);
  const resource = resources[subject];
  expect(rule.resourceTypes).toContain(resource.Type);
  return rule.evaluate({ logicalId: subject, resource, template: { Resources: resources, Parameters: parameters } });
}

const expectStatus = (outcome: RuleOutcome, status: RuleOutcome['status']) => expect(outcome.status, JSON.stringify(outcome)).toBe(status);

/** Three subnets in three zones, a NAT gateway in each zone's public subnet, routes kept in-zone. */
function network(zones = ['a', 'b', 'c'], natZones = zones): Resources {
  const r: Record<string, CfnResource> = {};
  zones.forEach((z) => {
    r[`Public${z}`] = { Type: 'AWS::EC2::Subnet', Properties: { AvailabilityZone: `us-east-1${z}` } };
    r[`Private${z}`] = { Type: 'AWS::EC2::Subnet', Properties: { AvailabilityZone: `us-east-1${z}` } };
    r[`Table${z}`] = { Type: 'AWS::EC2::RouteTable', Properties: {} };
    r[`Assoc${z}`] = { Type: 'AWS::EC2::SubnetRouteTableAssociation', Properties: { SubnetId: { Ref: `Private${z}` }, RouteTableId: { Ref: `Table${z}` } } };
  });
  natZones.forEach((z) => (r[`Nat${z}`] = { Type: 'AWS::EC2::NatGateway', Properties: { SubnetId: { Ref: `Public${z}` } } }));
  zones.forEach((z) => {
    const nat = natZones.includes(z) ? z : natZones[0];
    r[`Route${z}`] = { Type: 'AWS::EC2::Route', Properties: { RouteTableId: { Ref: `Table${z}` }, DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: { Ref: `Nat${nat}` } } };
  });
  return r;
}

function service(properties: Record<string, unknown>, zones = ['a', 'b', 'c']): CfnResource {
  return {
    Type: 'AWS::ECS::Service',
    Properties: {
      DesiredCount: 3,
      NetworkConfiguration: { AwsvpcConfiguration: { Subnets: zones.map((z) => ({ Ref: `Private${z}` })) } },
      DeploymentConfiguration: { MinimumHealthyPercent: 100, MaximumPercent: 200, DeploymentCircuitBreaker: { Enable: true, Rollback: true } },
      ...properties,
    },
  };
}

describe('Resilience-ServiceTasksPerZone', () => {
  it('Compliance: three tasks over three zones, autoscaling minimum three', () => {
    const resources = {
      ...network(),
      Service: service({}),
      Target: { Type: 'AWS::ApplicationAutoScaling::ScalableTarget', Properties: { ServiceNamespace: 'ecs', MinCapacity: 3, ResourceId: { 'Fn::Join': ['/', ['service', { 'Fn::GetAtt': ['Service', 'Name'] }]] } } },
    };
    expectStatus(judge('ServiceTasksPerZone', resources, 'Service'), 'compliant');
  });
  it('Noncompliance 1: desired count 2 over three zones', () => {
    const outcome = judge('ServiceTasksPerZone', { ...network(), Service: service({ DesiredCount: 2 }) }, 'Service');
    expectStatus(outcome, 'non-compliant');
    expect(outcome).toMatchObject({ detail: expect.stringMatching(/2 tasks \(desired count 2\) over 3 Availability Zones/) });
  });
  it('Noncompliance 2: autoscaling may scale in below the zone count', () => {
    const resources = {
      ...network(),
      Service: service({}),
      Target: { Type: 'AWS::ApplicationAutoScaling::ScalableTarget', Properties: { ServiceNamespace: 'ecs', MinCapacity: 1, ResourceId: { 'Fn::Join': ['/', [{ 'Fn::GetAtt': ['Service', 'Name'] }]] } } },
    };
    expect(judge('ServiceTasksPerZone', resources, 'Service')).toMatchObject({ status: 'non-compliant', detail: expect.stringMatching(/MinCapacity 1/) });
  });
  it('Noncompliance 3: all subnets in one zone', () => {
    expectStatus(judge('ServiceTasksPerZone', { ...network(['a']), Service: service({}, ['a']) }, 'Service'), 'non-compliant');
  });
  it('Noncompliance 4: no DesiredCount and no autoscaling starts one task', () => {
    expectStatus(judge('ServiceTasksPerZone', { ...network(), Service: service({ DesiredCount: undefined }) }, 'Service'), 'non-compliant');
  });
  it('reports a count only deploy time knows as unknown, and resolves a parameter default', () => {
    expectStatus(judge('ServiceTasksPerZone', { ...network(), Service: service({ DesiredCount: { 'Fn::ImportValue': 'x' } }) }, 'Service'), 'unknown');
    expectStatus(judge('ServiceTasksPerZone', { ...network(), Service: service({ DesiredCount: { Ref: 'Count' } }) }, 'Service', { Count: { Type: 'Number', Default: 3 } }), 'compliant');
  });
});

describe('Resilience-ServiceMinimumHealthy', () => {
  it('Compliance: 100 % minimum healthy, or a circuit breaker', () => {
    expectStatus(judge('ServiceMinimumHealthy', { S: service({ DeploymentConfiguration: { MinimumHealthyPercent: 100 } }) }, 'S'), 'compliant');
    expectStatus(judge('ServiceMinimumHealthy', { S: service({ DeploymentConfiguration: { MinimumHealthyPercent: 50, DeploymentCircuitBreaker: { Enable: true, Rollback: false } } }) }, 'S'), 'compliant');
  });
  it('Noncompliance 1: 50 % minimum healthy without a circuit breaker', () => {
    expect(judge('ServiceMinimumHealthy', { S: service({ DeploymentConfiguration: { MinimumHealthyPercent: 50 } }) }, 'S')).toMatchObject({ status: 'non-compliant', detail: expect.stringMatching(/50 %/) });
  });
  it('does not apply to CodeDeploy blue/green services', () => {
    expectStatus(judge('ServiceMinimumHealthy', { S: service({ DeploymentController: { Type: 'CODE_DEPLOY' }, DeploymentConfiguration: { MinimumHealthyPercent: 0 } }) }, 'S'), 'not-applicable');
  });
});

describe('Resilience-ServiceDeploymentRollback', () => {
  it('Compliance: circuit breaker with rollback', () => {
    expectStatus(judge('ServiceDeploymentRollback', { S: service({}) }, 'S'), 'compliant');
  });
  it('Compliance: deployment alarms with rollback', () => {
    const resources = { A: { Type: 'AWS::CloudWatch::Alarm', Properties: {} }, S: service({ DeploymentConfiguration: { Alarms: { Enable: true, Rollback: true, AlarmNames: [{ Ref: 'A' }] } } }) };
    expectStatus(judge('ServiceDeploymentRollback', resources, 'S'), 'compliant');
  });
  it('Noncompliance 1: no circuit breaker, no alarms', () => {
    expectStatus(judge('ServiceDeploymentRollback', { S: service({ DeploymentConfiguration: { MinimumHealthyPercent: 100 } }) }, 'S'), 'non-compliant');
  });
  it('Noncompliance 2: circuit breaker that stops without rolling back', () => {
    const outcome = judge('ServiceDeploymentRollback', { S: service({ DeploymentConfiguration: { DeploymentCircuitBreaker: { Enable: true, Rollback: false } } }) }, 'S');
    expect(outcome).toMatchObject({ status: 'non-compliant', detail: expect.stringMatching(/does not roll it back/) });
  });
});

describe('Resilience-ServiceDeploymentBake', () => {
  const deploying = (extra: Record<string, unknown>) =>
    service({ DeploymentConfiguration: { MinimumHealthyPercent: 100, MaximumPercent: 200, DeploymentCircuitBreaker: { Enable: true, Rollback: true }, ...extra } });
  it('Compliance: a canary share that bakes, a linear step that bakes, or a bake time after a rolling shift', () => {
    expectStatus(judge('ServiceDeploymentBake', { Service: deploying({ Strategy: 'CANARY', CanaryConfiguration: { CanaryPercent: 10, CanaryBakeTimeInMinutes: 5 } }) }, 'Service'), 'compliant');
    expectStatus(judge('ServiceDeploymentBake', { Service: deploying({ Strategy: 'LINEAR', LinearConfiguration: { StepPercent: 25, StepBakeTimeInMinutes: 2 } }) }, 'Service'), 'compliant');
    expectStatus(judge('ServiceDeploymentBake', { Service: deploying({ Strategy: 'BLUE_GREEN', BakeTimeInMinutes: 10 }) }, 'Service'), 'compliant');
  });
  it('Noncompliance 1: a rolling deployment (no Strategy) without bake time', () => {
    const outcome = judge('ServiceDeploymentBake', { Service: deploying({}) }, 'Service');
    expectStatus(outcome, 'non-compliant');
    expect(outcome).toMatchObject({ detail: expect.stringMatching(/deploys ROLLING with no bake time/) });
  });
  it('Noncompliance 2: a canary whose share does not bake, and no bake time after', () => {
    expectStatus(judge('ServiceDeploymentBake', { Service: deploying({ Strategy: 'CANARY', CanaryConfiguration: { CanaryPercent: 10, CanaryBakeTimeInMinutes: 0 } }) }, 'Service'), 'non-compliant');
  });
  it('reports a strategy only deploy time knows as unknown', () => {
    expectStatus(judge('ServiceDeploymentBake', { Service: deploying({ Strategy: { Ref: 'Strategy' } }) }, 'Service'), 'unknown');
  });
});

describe('Resilience-AutoScalingGroupZones', () => {
  const group = (properties: Record<string, unknown>): Resources => ({
    ...network(),
    G: { Type: 'AWS::AutoScaling::AutoScalingGroup', Properties: { MinSize: '3', MaxSize: '6', VPCZoneIdentifier: ['a', 'b', 'c'].map((z) => ({ Ref: `Private${z}` })), ...properties } },
  });
  it('Compliance: three zones, one instance each at least', () => {
    expectStatus(judge('AutoScalingGroupZones', group({}), 'G'), 'compliant');
  });
  it('Noncompliance 1: one zone', () => {
    expectStatus(judge('AutoScalingGroupZones', group({ VPCZoneIdentifier: [{ Ref: 'Privatea' }] }), 'G'), 'non-compliant');
  });
  it('Noncompliance 2: MinSize below the zone count', () => {
    expectStatus(judge('AutoScalingGroupZones', group({ MinSize: '1' }), 'G'), 'non-compliant');
  });
});

describe('Resilience-TargetGroupHealthCheck', () => {
  const tg = (properties: Record<string, unknown>): Resources => ({ T: { Type: 'AWS::ElasticLoadBalancingV2::TargetGroup', Properties: { Protocol: 'HTTP', ...properties } } });
  it('Compliance: 5 s × 2 = 10 s', () => {
    expectStatus(judge('TargetGroupHealthCheck', tg({ HealthCheckIntervalSeconds: 5, UnhealthyThresholdCount: 2 }), 'T'), 'compliant');
  });
  it('Noncompliance 1: the AWS defaults, 30 s × 2 = 60 s', () => {
    expect(judge('TargetGroupHealthCheck', tg({}), 'T')).toMatchObject({ status: 'non-compliant', detail: expect.stringMatching(/60 s \(interval 30 s × unhealthy threshold 2\)/) });
  });
  it('Noncompliance 2: health checks disabled', () => {
    expectStatus(judge('TargetGroupHealthCheck', tg({ HealthCheckEnabled: false }), 'T'), 'non-compliant');
  });
  it('does not apply to Lambda targets', () => {
    expectStatus(judge('TargetGroupHealthCheck', tg({ TargetType: 'lambda' }), 'T'), 'not-applicable');
  });
});

describe('Resilience-TargetGroupDeregistrationDelay', () => {
  const tg = (attributes?: Array<{ Key: string; Value: string }>): Resources => ({
    T: { Type: 'AWS::ElasticLoadBalancingV2::TargetGroup', Properties: { TargetGroupAttributes: attributes } },
  });
  it('Compliance: 30 s', () => {
    expectStatus(judge('TargetGroupDeregistrationDelay', tg([{ Key: 'deregistration_delay.timeout_seconds', Value: '30' }]), 'T'), 'compliant');
  });
  it('Noncompliance 1: the AWS default of 300 s', () => {
    expect(judge('TargetGroupDeregistrationDelay', tg(), 'T')).toMatchObject({ status: 'non-compliant', detail: expect.stringMatching(/300 s \(the AWS default\)/) });
  });
  it('Noncompliance 2: 180 s set explicitly', () => {
    expectStatus(judge('TargetGroupDeregistrationDelay', tg([{ Key: 'deregistration_delay.timeout_seconds', Value: '180' }]), 'T'), 'non-compliant');
  });
});

describe('Resilience-LoadBalancerZones', () => {
  it('Compliance: subnets in three zones, or subnet mappings in two', () => {
    const net = network();
    expectStatus(judge('LoadBalancerZones', { ...net, L: { Type: 'AWS::ElasticLoadBalancingV2::LoadBalancer', Properties: { Subnets: ['a', 'b', 'c'].map((z) => ({ Ref: `Public${z}` })) } } }, 'L'), 'compliant');
    expectStatus(
      judge('LoadBalancerZones', { ...net, L: { Type: 'AWS::ElasticLoadBalancingV2::LoadBalancer', Properties: { SubnetMappings: [{ SubnetId: { Ref: 'Publica' } }, { SubnetId: { Ref: 'Publicb' } }] } } }, 'L'),
      'compliant',
    );
  });
  it('Noncompliance 1: one subnet', () => {
    expectStatus(judge('LoadBalancerZones', { ...network(), L: { Type: 'AWS::ElasticLoadBalancingV2::LoadBalancer', Properties: { Subnets: [{ Ref: 'Publica' }] } } }, 'L'), 'non-compliant');
  });
  it('Noncompliance 2: two subnets of the same zone', () => {
    const resources = { ...network(), Other: { Type: 'AWS::EC2::Subnet', Properties: { AvailabilityZone: 'us-east-1a' } }, L: { Type: 'AWS::ElasticLoadBalancingV2::LoadBalancer', Properties: { Subnets: [{ Ref: 'Publica' }, { Ref: 'Other' }] } } };
    expectStatus(judge('LoadBalancerZones', resources, 'L'), 'non-compliant');
  });
  it('Noncompliance 3: a Classic Load Balancer in one zone', () => {
    expectStatus(judge('LoadBalancerZones', { C: { Type: 'AWS::ElasticLoadBalancing::LoadBalancer', Properties: { AvailabilityZones: ['us-east-1a'] } } }, 'C'), 'non-compliant');
  });
});

describe('Resilience-LoadBalancerAutoshift', () => {
  const alb = (zonalShift?: string): CfnResource => ({
    Type: 'AWS::ElasticLoadBalancingV2::LoadBalancer',
    Properties: { Type: 'application', ...(zonalShift ? { LoadBalancerAttributes: [{ Key: 'zonal_shift.config.enabled', Value: zonalShift }] } : {}) },
  });
  const autoshift = (status: string): CfnResource => ({
    Type: 'AWS::ARCZonalShift::ZonalAutoshiftConfiguration',
    Properties: { ResourceIdentifier: { Ref: 'Lb' }, ZonalAutoshiftStatus: status },
  });
  it('Compliance: zonal shift on and an autoshift configuration ENABLED for this load balancer', () => {
    expectStatus(judge('LoadBalancerAutoshift', { Lb: alb('true'), Autoshift: autoshift('ENABLED') }, 'Lb'), 'compliant');
  });
  it('Noncompliance 1: zonal shift without autoshift (a person must start the shift)', () => {
    const outcome = judge('LoadBalancerAutoshift', { Lb: alb('true') }, 'Lb');
    expectStatus(outcome, 'non-compliant');
    expect(outcome).toMatchObject({ detail: expect.stringMatching(/zonal shift is enabled but zonal autoshift is not/) });
  });
  it('Noncompliance 2: neither, or an autoshift configuration for another load balancer, or DISABLED', () => {
    expect(judge('LoadBalancerAutoshift', { Lb: alb() }, 'Lb')).toMatchObject({ status: 'non-compliant', detail: expect.stringMatching(/neither zonal shift nor zonal autoshift/) });
    expectStatus(judge('LoadBalancerAutoshift', { Lb: alb('true'), Other: alb('true'), Autoshift: { ...autoshift('ENABLED'), Properties: { ResourceIdentifier: { Ref: 'Other' }, ZonalAutoshiftStatus: 'ENABLED' } } }, 'Lb'), 'non-compliant');
    expectStatus(judge('LoadBalancerAutoshift', { Lb: alb('true'), Autoshift: autoshift('DISABLED') }, 'Lb'), 'non-compliant');
  });
  it('does not apply to a Gateway Load Balancer', () => {
    expectStatus(judge('LoadBalancerAutoshift', { Lb: { Type: 'AWS::ElasticLoadBalancingV2::LoadBalancer', Properties: { Type: 'gateway' } } }, 'Lb'), 'not-applicable');
  });
});

describe('Resilience-NatGatewayPerZone', () => {
  it('Compliance: each zone routes through its own NAT gateway', () => {
    const resources = network();
    for (const z of ['a', 'b', 'c']) expectStatus(judge('NatGatewayPerZone', resources, `Nat${z}`), 'compliant');
  });
  it('Compliance: a regional NAT gateway', () => {
    const resources = network(['a', 'b'], ['a']);
    (resources.Nata.Properties as Record<string, unknown>).AvailabilityMode = 'regional';
    expectStatus(judge('NatGatewayPerZone', resources, 'Nata'), 'compliant');
  });
  it('Noncompliance 1: one NAT gateway for three zones', () => {
    expect(judge('NatGatewayPerZone', network(['a', 'b', 'c'], ['a']), 'Nata')).toMatchObject({
      status: 'non-compliant',
      detail: expect.stringMatching(/serves subnets in us-east-1b, us-east-1c from us-east-1a/),
    });
  });
});

describe('Resilience-DatabaseMultiAz', () => {
  it('Compliance: Multi-AZ instance, Multi-AZ DB cluster, Aurora with a reader, ElastiCache with failover', () => {
    expectStatus(judge('DatabaseMultiAz', { D: { Type: 'AWS::RDS::DBInstance', Properties: { Engine: 'postgres', MultiAZ: true } } }, 'D'), 'compliant');
    expectStatus(judge('DatabaseMultiAz', { C: { Type: 'AWS::RDS::DBCluster', Properties: { Engine: 'postgres', DBClusterInstanceClass: 'db.m6gd.large' } } }, 'C'), 'compliant');
    const aurora: Resources = {
      C: { Type: 'AWS::RDS::DBCluster', Properties: { Engine: 'aurora-postgresql' } },
      W: { Type: 'AWS::RDS::DBInstance', Properties: { Engine: 'aurora-postgresql', DBClusterIdentifier: { Ref: 'C' } } },
      R: { Type: 'AWS::RDS::DBInstance', Properties: { Engine: 'aurora-postgresql', DBClusterIdentifier: { Ref: 'C' } } },
    };
    expectStatus(judge('DatabaseMultiAz', aurora, 'C'), 'compliant');
    expectStatus(judge('DatabaseMultiAz', aurora, 'W'), 'not-applicable');
    expectStatus(judge('DatabaseMultiAz', { G: { Type: 'AWS::ElastiCache::ReplicationGroup', Properties: { MultiAZEnabled: true, AutomaticFailoverEnabled: true } } }, 'G'), 'compliant');
  });
  it('Noncompliance 1: a single-AZ instance (MultiAZ absent)', () => {
    expectStatus(judge('DatabaseMultiAz', { D: { Type: 'AWS::RDS::DBInstance', Properties: { Engine: 'postgres' } } }, 'D'), 'non-compliant');
  });
  it('Noncompliance 2: an Aurora cluster with one instance', () => {
    const resources: Resources = {
      C: { Type: 'AWS::RDS::DBCluster', Properties: { Engine: 'aurora-mysql' } },
      W: { Type: 'AWS::RDS::DBInstance', Properties: { Engine: 'aurora-mysql', DBClusterIdentifier: { Ref: 'C' } } },
    };
    expectStatus(judge('DatabaseMultiAz', resources, 'C'), 'non-compliant');
  });
  it('does not judge a read replica', () => {
    expectStatus(judge('DatabaseMultiAz', { D: { Type: 'AWS::RDS::DBInstance', Properties: { SourceDBInstanceIdentifier: 'db-1' } } }, 'D'), 'not-applicable');
  });
});

describe('Resilience-DatabaseBackupRetention', () => {
  it('Compliance: 14 days on RDS, PITR on DynamoDB', () => {
    expectStatus(judge('DatabaseBackupRetention', { D: { Type: 'AWS::RDS::DBInstance', Properties: { BackupRetentionPeriod: 14 } } }, 'D'), 'compliant');
    expectStatus(judge('DatabaseBackupRetention', { T: { Type: 'AWS::DynamoDB::Table', Properties: { PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } } } }, 'T'), 'compliant');
  });
  it('Noncompliance 1: the CloudFormation default of 1 day', () => {
    expect(judge('DatabaseBackupRetention', { D: { Type: 'AWS::RDS::DBInstance', Properties: {} } }, 'D')).toMatchObject({ status: 'non-compliant', detail: expect.stringMatching(/1 day \(the CloudFormation default\)/) });
  });
  it('Noncompliance 2: backups off', () => {
    expectStatus(judge('DatabaseBackupRetention', { C: { Type: 'AWS::RDS::DBCluster', Properties: { BackupRetentionPeriod: '0' } } }, 'C'), 'non-compliant');
  });
  it('Noncompliance 3: DynamoDB without point-in-time recovery, or with 3 days of it', () => {
    expectStatus(judge('DatabaseBackupRetention', { T: { Type: 'AWS::DynamoDB::Table', Properties: {} } }, 'T'), 'non-compliant');
    expectStatus(
      judge('DatabaseBackupRetention', { T: { Type: 'AWS::DynamoDB::Table', Properties: { PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true, RecoveryPeriodInDays: 3 } } } }, 'T'),
      'non-compliant',
    );
  });
});

describe('Resilience-DatabaseCrossRegionBackup', () => {
  const plan = (copy: boolean): Resources => ({
    Plan: {
      Type: 'AWS::Backup::BackupPlan',
      Properties: {
        BackupPlan: {
          BackupPlanName: 'p',
          BackupPlanRule: [{ RuleName: 'daily', ScheduleExpression: 'cron(0 5 * * ? *)', CopyActions: copy ? [{ DestinationBackupVaultArn: 'arn:aws:backup:us-west-2:111111111111:backup-vault:dr' }] : undefined }],
        },
      },
    },
    Selection: { Type: 'AWS::Backup::BackupSelection', Properties: { BackupPlanId: { Ref: 'Plan' }, BackupSelection: { Resources: [{ 'Fn::Join': ['', ['arn:aws:rds:us-east-1:111111111111:db:', { Ref: 'D' }]] }] } } },
  });
  it('Compliance: replicated automated backups', () => {
    expectStatus(judge('DatabaseCrossRegionBackup', { D: { Type: 'AWS::RDS::DBInstance', Properties: { AutomaticBackupReplicationRegion: 'us-west-2' } } }, 'D'), 'compliant');
  });
  it('Compliance: an AWS Backup plan that selects the database and copies to another vault', () => {
    expectStatus(judge('DatabaseCrossRegionBackup', { ...plan(true), D: { Type: 'AWS::RDS::DBInstance', Properties: {} } }, 'D'), 'compliant');
  });
  it('Compliance: a plan selecting by tag, and a DynamoDB global table', () => {
    const resources: Resources = {
      ...plan(true),
      Selection: { Type: 'AWS::Backup::BackupSelection', Properties: { BackupPlanId: { Ref: 'Plan' }, BackupSelection: { ListOfTags: [{ ConditionType: 'STRINGEQUALS', ConditionKey: 'backup', ConditionValue: 'yes' }] } } },
      T: { Type: 'AWS::DynamoDB::Table', Properties: { Tags: [{ Key: 'backup', Value: 'yes' }] } },
      G: { Type: 'AWS::DynamoDB::GlobalTable', Properties: { Replicas: [{ Region: 'us-east-1' }, { Region: 'us-west-2' }] } },
    };
    expectStatus(judge('DatabaseCrossRegionBackup', resources, 'T'), 'compliant');
    expectStatus(judge('DatabaseCrossRegionBackup', resources, 'G'), 'compliant');
  });
  it('Noncompliance 1: nothing leaves the region', () => {
    expectStatus(judge('DatabaseCrossRegionBackup', { D: { Type: 'AWS::RDS::DBInstance', Properties: {} } }, 'D'), 'non-compliant');
  });
  it('Noncompliance 2: a backup plan without a copy action', () => {
    expectStatus(judge('DatabaseCrossRegionBackup', { ...plan(false), D: { Type: 'AWS::RDS::DBInstance', Properties: {} } }, 'D'), 'non-compliant');
  });
});

describe('Resilience-StatefulRetention', () => {
  it('Compliance: Snapshot policy, Retain policy, or deletion protection', () => {
    expectStatus(judge('StatefulRetention', { D: { Type: 'AWS::RDS::DBInstance', DeletionPolicy: 'Snapshot', Properties: {} } }, 'D'), 'compliant');
    expectStatus(judge('StatefulRetention', { B: { Type: 'AWS::S3::Bucket', DeletionPolicy: 'Retain' } }, 'B'), 'compliant');
    expectStatus(judge('StatefulRetention', { T: { Type: 'AWS::DynamoDB::Table', Properties: { DeletionProtectionEnabled: true } } }, 'T'), 'compliant');
  });
  it('Noncompliance 1: a database deleted with its stack', () => {
    expectStatus(judge('StatefulRetention', { D: { Type: 'AWS::RDS::DBInstance', DeletionPolicy: 'Delete', Properties: {} } }, 'D'), 'non-compliant');
  });
  it('Noncompliance 2: a bucket emptied by auto-delete objects', () => {
    const resources: Resources = { B: { Type: 'AWS::S3::Bucket' }, Empty: { Type: 'Custom::S3AutoDeleteObjects', Properties: { BucketName: { Ref: 'B' } } } };
    expect(judge('StatefulRetention', resources, 'B')).toMatchObject({ status: 'non-compliant', detail: expect.stringMatching(/auto-delete/) });
  });
  it('Noncompliance 3: an EFS file system and a KMS key with the default policy', () => {
    expectStatus(judge('StatefulRetention', { F: { Type: 'AWS::EFS::FileSystem', Properties: {} } }, 'F'), 'non-compliant');
    expect(judge('StatefulRetention', { K: { Type: 'AWS::KMS::Key', Properties: {} } }, 'K')).toMatchObject({ detail: expect.stringMatching(/unreadable/) });
  });
});

describe('Resilience-LogGroupRetention', () => {
  it('Compliance: 90 days', () => {
    expectStatus(judge('LogGroupRetention', { L: { Type: 'AWS::Logs::LogGroup', Properties: { RetentionInDays: 90 } } }, 'L'), 'compliant');
  });
  it('Noncompliance 1: no retention', () => {
    expectStatus(judge('LogGroupRetention', { L: { Type: 'AWS::Logs::LogGroup' } }, 'L'), 'non-compliant');
  });
});

describe('Resilience-AlarmActions', () => {
  const alarm = (properties: Record<string, unknown> = {}): CfnResource => ({ Type: 'AWS::CloudWatch::Alarm', Properties: { Threshold: 1, ...properties } });
  it('Compliance: an alarm with an SNS action', () => {
    expectStatus(judge('AlarmActions', { A: alarm({ AlarmActions: [{ Ref: 'Topic' }] }) }, 'A'), 'compliant');
  });
  it('Compliance: burn-rate alarms without actions that feed a composite alarm', () => {
    const resources: Resources = {
      Long: alarm(),
      Short: alarm(),
      Page: {
        Type: 'AWS::CloudWatch::CompositeAlarm',
        Properties: {
          AlarmRule: { 'Fn::Join': ['', ['(ALARM("', { 'Fn::GetAtt': ['Long', 'Arn'] }, '") AND ALARM("', { 'Fn::GetAtt': ['Short', 'Arn'] }, '"))']] },
          AlarmActions: [{ Ref: 'Topic' }],
        },
      },
    };
    for (const id of ['Long', 'Short', 'Page']) expectStatus(judge('AlarmActions', resources, id), 'compliant');
  });
  it('Compliance: an ECS deployment alarm and an FIS stop condition', () => {
    const resources: Resources = {
      Deploy: alarm(),
      Stop: alarm(),
      S: service({ DeploymentConfiguration: { Alarms: { Enable: true, Rollback: true, AlarmNames: [{ Ref: 'Deploy' }] } } }),
      X: { Type: 'AWS::FIS::ExperimentTemplate', Properties: { StopConditions: [{ Source: 'aws:cloudwatch:alarm', Value: { 'Fn::GetAtt': ['Stop', 'Arn'] } }] } },
    };
    expectStatus(judge('AlarmActions', resources, 'Deploy'), 'compliant');
    expectStatus(judge('AlarmActions', resources, 'Stop'), 'compliant');
  });
  it('Compliance: a roll-up composite of composites that notify themselves', () => {
    const resources: Resources = {
      PageA: { Type: 'AWS::CloudWatch::CompositeAlarm', Properties: { AlarmRule: 'ALARM(x)', AlarmActions: [{ Ref: 'Topic' }] } },
      PageB: { Type: 'AWS::CloudWatch::CompositeAlarm', Properties: { AlarmRule: 'ALARM(y)', AlarmActions: [{ Ref: 'Topic' }] } },
      AnyPage: {
        Type: 'AWS::CloudWatch::CompositeAlarm',
        Properties: { AlarmRule: { 'Fn::Join': ['', ['ALARM("', { 'Fn::GetAtt': ['PageA', 'Arn'] }, '") OR ALARM("', { 'Fn::GetAtt': ['PageB', 'Arn'] }, '")']] } },
      },
    };
    expectStatus(judge('AlarmActions', resources, 'AnyPage'), 'compliant');
    (resources.PageB.Properties as Record<string, unknown>).AlarmActions = [];
    expectStatus(judge('AlarmActions', resources, 'AnyPage'), 'non-compliant');
  });
  it('Noncompliance 1: no actions, read only by a dashboard', () => {
    const resources: Resources = { A: alarm(), D: { Type: 'AWS::CloudWatch::Dashboard', Properties: { DashboardBody: { 'Fn::Join': ['', [{ 'Fn::GetAtt': ['A', 'Arn'] }]] } } } };
    expectStatus(judge('AlarmActions', resources, 'A'), 'non-compliant');
  });
  it('Noncompliance 2: actions disabled', () => {
    expectStatus(judge('AlarmActions', { A: alarm({ ActionsEnabled: false, AlarmActions: [{ Ref: 'Topic' }] }) }, 'A'), 'non-compliant');
  });
});

describe('Resilience-ServiceAlarms', () => {
  const base = (): Resources => ({
    TG: { Type: 'AWS::ElasticLoadBalancingV2::TargetGroup', Properties: {} },
    LB: { Type: 'AWS::ElasticLoadBalancingV2::LoadBalancer', Properties: {} },
    Listener: { Type: 'AWS::ElasticLoadBalancingV2::Listener', Properties: { LoadBalancerArn: { Ref: 'LB' }, DefaultActions: [{ Type: 'forward', TargetGroupArn: { Ref: 'TG' } }] } },
    S: service({ LoadBalancers: [{ TargetGroupArn: { Ref: 'TG' } }] }),
  });
  it('Compliance: a paging alarm on the load balancer', () => {
    const resources = {
      ...base(),
      A: { Type: 'AWS::CloudWatch::Alarm', Properties: { Dimensions: [{ Name: 'LoadBalancer', Value: { 'Fn::GetAtt': ['LB', 'LoadBalancerFullName'] } }], AlarmActions: [{ Ref: 'Topic' }] } },
    };
    expectStatus(judge('ServiceAlarms', resources, 'S'), 'compliant');
  });
  it('Noncompliance 1: no alarm at all', () => {
    expectStatus(judge('ServiceAlarms', base(), 'S'), 'non-compliant');
  });
  it('Noncompliance 2: an alarm on the target group that notifies nobody', () => {
    const resources = { ...base(), A: { Type: 'AWS::CloudWatch::Alarm', Properties: { Dimensions: [{ Name: 'TargetGroup', Value: { 'Fn::GetAtt': ['TG', 'TargetGroupFullName'] } }] } } };
    expect(judge('ServiceAlarms', resources, 'S')).toMatchObject({ status: 'non-compliant', detail: expect.stringMatching(/1 alarm watch/) });
  });
});

describe('Resilience-ExternalProbe', () => {
  const primary = (): Resources => ({
    LB: { Type: 'AWS::ElasticLoadBalancingV2::LoadBalancer', Properties: { Type: 'application' } },
    Topic: { Type: 'AWS::SNS::Topic', Properties: {} },
    Page: { Type: 'AWS::CloudWatch::Alarm', Properties: { Dimensions: [{ Name: 'LoadBalancer', Value: { 'Fn::GetAtt': ['LB', 'LoadBalancerFullName'] } }], AlarmActions: [{ Ref: 'Topic' }] } },
  });
  const outputs = { LbDns: { Value: { 'Fn::GetAtt': ['LB', 'DNSName'] } } };
  const judgeLb = (resources: Resources, extra: Partial<RuleSubject> = {}, template: Partial<CfnTemplate> = {}): RuleOutcome =>
    RESILIENCE_RULES.find((r) => r.id === 'ExternalProbe')!.evaluate({ logicalId: 'LB', resource: resources.LB, template: { Resources: resources, ...template }, ...extra });
  const readsLb = { 'Fn::GetStackOutput': { StackName: 'Primary', Region: 'us-east-1', OutputName: 'LbDns' } };
  /** A stack in `region` with a canary on the primary's LbDns output and an alarm on its SuccessPercent with `actions`. */
  const watcher = (region: string, actions: unknown[] = [{ Ref: 'DrTopic' }], target: unknown = readsLb): PeerStack => ({
    stackName: 'DrSite',
    region,
    template: {
      Resources: {
        DrTopic: { Type: 'AWS::SNS::Topic', Properties: {} },
        Probe: { Type: 'AWS::Synthetics::Canary', Properties: { Schedule: { Expression: 'rate(1 minute)' }, RunConfig: { EnvironmentVariables: { TARGET_URL: { 'Fn::Join': ['', ['https://', target]] } } } } },
        ProbeAlarm: {
          Type: 'AWS::CloudWatch::Alarm',
          Properties: { Namespace: 'CloudWatchSynthetics', MetricName: 'SuccessPercent', Dimensions: [{ Name: 'CanaryName', Value: { Ref: 'Probe' } }], AlarmActions: actions },
        },
      },
    },
  });
  const me = { stackName: 'Primary', region: 'us-east-1' };

  it('Compliance 1: a Route 53 health check on the load balancer, read by a failover record', () => {
    const resources: Resources = {
      ...primary(),
      Check: { Type: 'AWS::Route53::HealthCheck', Properties: { HealthCheckConfig: { Type: 'HTTPS', FullyQualifiedDomainName: { 'Fn::GetAtt': ['LB', 'DNSName'] }, ResourcePath: '/health' } } },
      Record: { Type: 'AWS::Route53::RecordSet', Properties: { Name: 'api.example.com', Type: 'CNAME', Failover: 'PRIMARY', HealthCheckId: { Ref: 'Check' }, TTL: '60', ResourceRecords: [{ 'Fn::GetAtt': ['LB', 'DNSName'] }] } },
    };
    expectStatus(judgeLb(resources), 'compliant');
    // The same check that nothing reads pages nobody and fails over nothing.
    delete (resources.Record.Properties as Record<string, unknown>).HealthCheckId;
    expectStatus(judgeLb(resources), 'non-compliant');
  });
  it('Compliance 2: a health check on the record set that aliases the load balancer, read by an alarm', () => {
    const resources: Resources = {
      ...primary(),
      Alias: { Type: 'AWS::Route53::RecordSet', Properties: { Name: 'api.example.com', Type: 'A', AliasTarget: { DNSName: { 'Fn::GetAtt': ['LB', 'DNSName'] }, HostedZoneId: 'Z35SXDOTRQ7X7K' } } },
      Check: { Type: 'AWS::Route53::HealthCheck', Properties: { HealthCheckConfig: { Type: 'HTTPS', FullyQualifiedDomainName: 'api.example.com' } } },
      CheckAlarm: { Type: 'AWS::CloudWatch::Alarm', Properties: { Namespace: 'AWS/Route53', MetricName: 'HealthCheckStatus', Dimensions: [{ Name: 'HealthCheckId', Value: { Ref: 'Check' } }] } },
    };
    expectStatus(judgeLb(resources), 'compliant');
  });
  it('Compliance 3: a canary in another region of the app reads its DNS name from an output, and its alarm pages', () => {
    expectStatus(judgeLb(primary(), { ...me, peers: [watcher('us-west-2')] }, { Outputs: outputs }), 'compliant');
  });
  it('Noncompliance 1: paging alarms, and nothing outside the region (no peers known)', () => {
    const outcome = judgeLb(primary(), me, { Outputs: outputs });
    expect(outcome).toMatchObject({ status: 'non-compliant', detail: expect.stringMatching(/pages through 1 alarm in its own region \(Page\).*reads output LbDns/) });
  });
  it('Noncompliance 2: the watching canary runs in the same region, or its alarm pages nobody, or it reads another output', () => {
    expectStatus(judgeLb(primary(), { ...me, peers: [watcher('us-east-1')] }, { Outputs: outputs }), 'non-compliant');
    expectStatus(judgeLb(primary(), { ...me, peers: [watcher('us-west-2', [])] }, { Outputs: outputs }), 'non-compliant');
    const other = { 'Fn::GetStackOutput': { StackName: 'Primary', Region: 'us-east-1', OutputName: 'DatabaseArn' } };
    expectStatus(judgeLb(primary(), { ...me, peers: [watcher('us-west-2', undefined, other)] }, { Outputs: { ...outputs, DatabaseArn: { Value: 'arn' } } }), 'non-compliant');
    // Another stack of the same name in another region is not this stack.
    const elsewhere = { 'Fn::GetStackOutput': { StackName: 'Primary', Region: 'eu-west-1', OutputName: 'LbDns' } };
    expectStatus(judgeLb(primary(), { ...me, peers: [watcher('us-west-2', undefined, elsewhere)] }, { Outputs: outputs }), 'non-compliant');
  });
  it('Noncompliance 3: a canary in its own template probes it, from its own region', () => {
    const resources: Resources = { ...primary(), ...(watcher('us-east-1', [{ Ref: 'Topic' }], { 'Fn::GetAtt': ['LB', 'DNSName'] }).template.Resources as Resources) };
    expectStatus(judgeLb(resources, me), 'non-compliant');
  });
  it('does not apply to an internal or gateway load balancer, or to a stack whose alarms page nobody', () => {
    expectStatus(judgeLb({ ...primary(), LB: { Type: 'AWS::ElasticLoadBalancingV2::LoadBalancer', Properties: { Scheme: 'internal' } } }), 'not-applicable');
    expectStatus(judgeLb({ ...primary(), LB: { Type: 'AWS::ElasticLoadBalancingV2::LoadBalancer', Properties: { Type: 'gateway' } } }), 'not-applicable');
    const quiet = primary();
    (quiet.Page.Properties as Record<string, unknown>).AlarmActions = [];
    expectStatus(judgeLb(quiet), 'not-applicable');
    (quiet.Page.Properties as Record<string, unknown>).AlarmActions = ['arn:aws:sns:us-east-1:111111111111:pager'];
    expectStatus(judgeLb(quiet), 'non-compliant');
  });
});

describe('Resilience-FisStopCondition', () => {
  const experiment = (stop: unknown[]): Resources => ({ X: { Type: 'AWS::FIS::ExperimentTemplate', Properties: { StopConditions: stop } } });
  it('Compliance: stops on a CloudWatch alarm', () => {
    expectStatus(judge('FisStopCondition', experiment([{ Source: 'aws:cloudwatch:alarm', Value: { 'Fn::GetAtt': ['A', 'Arn'] } }]), 'X'), 'compliant');
  });
  it('Noncompliance 1: stop condition none', () => {
    expectStatus(judge('FisStopCondition', experiment([{ Source: 'none' }]), 'X'), 'non-compliant');
  });
  it('Noncompliance 2: no stop conditions', () => {
    expectStatus(judge('FisStopCondition', experiment([]), 'X'), 'non-compliant');
  });
});

describe('the rule registry', () => {
  it('gives every rule a unique ID, a severity, an explanation and a fix', () => {
    const ids = RESILIENCE_RULES.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const rule of RESILIENCE_RULES) {
      expect(rule.id).toMatch(/^[A-Z][A-Za-z]+$/);
      expect(['error', 'warning', 'info']).toContain(rule.severity);
      expect(rule.info.length).toBeGreaterThan(20);
      expect(rule.explanation.length).toBeGreaterThan(40);
      expect(rule.fix.length).toBeGreaterThan(20);
      expect(rule.resourceTypes.length).toBeGreaterThan(0);
    }
  });
});
