/**
 * The resilience rules, each registered beside the text that explains it: what is wrong, why it matters,
 * and the fix. The NagPack (resilience-checks.ts) and the offline report (../report) both read this
 * list, so a rule means the same thing at synth time and on any template read from disk.
 *
 * Pure: no CDK imports, so the report starts fast.
 */
import type { ResilienceRule } from './rule';
import { alarmActions } from './rules/alarm-actions';
import { autoScalingGroupZones } from './rules/auto-scaling-group-zones';
import { databaseBackupRetention, MIN_BACKUP_RETENTION_DAYS } from './rules/database-backup-retention';
import { databaseCrossRegionBackup } from './rules/database-cross-region-backup';
import { databaseMultiAz } from './rules/database-multi-az';
import { externalProbe } from './rules/external-probe';
import { fisStopCondition } from './rules/fis-stop-condition';
import { loadBalancerAutoshift } from './rules/load-balancer-autoshift';
import { loadBalancerInTwoZones } from './rules/load-balancer-zones';
import { logGroupRetention } from './rules/log-group-retention';
import { natGatewayPerZone } from './rules/nat-gateway-per-zone';
import { serviceAlarms } from './rules/service-alarms';
import { serviceDeploymentBake } from './rules/service-deployment-bake';
import { serviceDeploymentRollback } from './rules/service-deployment-rollback';
import { serviceMinimumHealthy } from './rules/service-minimum-healthy';
import { serviceTasksPerZone } from './rules/service-tasks-per-zone';
import { statefulRetention } from './rules/stateful-retention';
import { MAX_DEREGISTRATION_DELAY_SECONDS, targetGroupDeregistrationDelay } from './rules/target-group-deregistration-delay';
import { MAX_DETECTION_SECONDS, targetGroupHealthCheck } from './rules/target-group-health-check';

const ECS_SERVICE = 'AWS::ECS::Service';
const TARGET_GROUP = 'AWS::ElasticLoadBalancingV2::TargetGroup';
const RDS = ['AWS::RDS::DBInstance', 'AWS::RDS::DBCluster'];

export const RESILIENCE_RULES: readonly ResilienceRule[] = [
  // ── Compute: enough tasks, in enough zones, deployed safely ────────────────────────────────────
  {
    id: 'ServiceTasksPerZone',
    severity: 'error',
    resourceTypes: [ECS_SERVICE],
    info: 'The ECS service can run fewer tasks than it has Availability Zones.',
    explanation:
      'With fewer tasks than zones, at least one zone runs nothing; when a zone that does run tasks fails, the ' +
      'survivors carry all traffic and the scheduler must first start new tasks (a minute or more) before capacity is back. ' +
      'One task per zone, at least two zones, keeps a warm copy wherever the load balancer can send traffic.',
    fix: 'Set desiredCount (and the autoscaling minCapacity) to at least the number of zones of the task subnets, and give the service subnets in two or more zones.',
    evaluate: serviceTasksPerZone,
  },
  {
    id: 'ServiceMinimumHealthy',
    severity: 'warning',
    resourceTypes: [ECS_SERVICE],
    info: 'The ECS service may stop old tasks before new ones are healthy, without a deployment circuit breaker.',
    explanation:
      'Below 100 % minimum healthy, a rolling deployment removes serving tasks first. If the new tasks never become ' +
      'healthy and nothing stops the deployment, the service stays at reduced capacity indefinitely.',
    fix: 'Set minHealthyPercent: 100 and maxHealthyPercent: 200 (new tasks start beside the old), or enable circuitBreaker: { enable: true, rollback: true }.',
    evaluate: serviceMinimumHealthy,
  },
  {
    id: 'ServiceDeploymentRollback',
    severity: 'error',
    resourceTypes: [ECS_SERVICE],
    info: 'A failed deployment of the ECS service does not roll back by itself.',
    explanation:
      'Most outages follow a change. A deployment that fails its health checks, or that starts but serves errors, ' +
      'should return to the last good task definition without waiting for a person.',
    fix: 'Enable circuitBreaker: { enable: true, rollback: true } and, for releases that start but misbehave, deploymentAlarms with rollback (ECS DeploymentConfiguration.Alarms).',
    evaluate: serviceDeploymentRollback,
  },
  {
    id: 'ServiceDeploymentBake',
    severity: 'info',
    resourceTypes: [ECS_SERVICE],
    info: 'A new version of the ECS service takes all traffic without a bake time.',
    explanation:
      'A rolling deployment with no bake moves every request to the new version as soon as its tasks pass health checks, ' +
      'and a version that passes health checks but serves errors is judged only afterwards, on all the traffic. A canary or ' +
      'linear strategy gives it a share first, and a bake time keeps the old version ready for an instant rollback while ' +
      'the deployment alarms watch.',
    fix: 'Deploy with strategy CANARY or LINEAR and a step bake time, or set BakeTimeInMinutes, with deployment alarms and rollback (deployment in this library\'s ResilientFargateService).',
    evaluate: serviceDeploymentBake,
  },
  {
    id: 'AutoScalingGroupZones',
    severity: 'error',
    resourceTypes: ['AWS::AutoScaling::AutoScalingGroup'],
    info: 'The Auto Scaling group spans fewer than two Availability Zones, or its minimum leaves a zone empty.',
    explanation: 'Instances in a single zone share its fate; a minimum below the zone count lets scale-in empty a zone.',
    fix: 'Give the group subnets (vpcSubnets) in two or more zones and a minCapacity of at least one instance per zone.',
    evaluate: autoScalingGroupZones,
  },
  // ── Load balancing: notice failures fast, drain fast, span zones ───────────────────────────────
  {
    id: 'TargetGroupHealthCheck',
    severity: 'warning',
    resourceTypes: [TARGET_GROUP],
    info: `The target group takes more than ${MAX_DETECTION_SECONDS} s (interval × unhealthy threshold) to stop sending traffic to a dead target.`,
    explanation:
      'Until the load balancer marks a target unhealthy, its share of requests fails. The AWS defaults (30 s × 2) ' +
      'mean a minute of errors for every crashed task; 5 s × 2 means 10 s.',
    fix: 'Set healthCheck: { interval: Duration.seconds(5), unhealthyThresholdCount: 2, timeout: Duration.seconds(4) } on a readiness path.',
    evaluate: targetGroupHealthCheck,
  },
  {
    id: 'TargetGroupDeregistrationDelay',
    severity: 'warning',
    resourceTypes: [TARGET_GROUP],
    info: `The target group drains a stopping target for more than ${MAX_DEREGISTRATION_DELAY_SECONDS} s.`,
    explanation:
      'Every deployment batch, scale-in and replacement of an unhealthy task waits for the deregistration delay. ' +
      'The AWS default of 300 s makes a three-batch rollback take 15 minutes; requests rarely need more than the ' +
      "service's own timeout to finish.",
    fix: 'Set deregistrationDelay: Duration.seconds(30) (a little more than the longest request the service allows).',
    evaluate: targetGroupDeregistrationDelay,
  },
  {
    id: 'LoadBalancerZones',
    severity: 'error',
    resourceTypes: ['AWS::ElasticLoadBalancingV2::LoadBalancer', 'AWS::ElasticLoadBalancing::LoadBalancer'],
    info: 'The load balancer has nodes in fewer than two Availability Zones.',
    explanation: 'The entry point is only as available as its zones: the ELB SLA is 99.99 % across two or more zones and 99.9 % in one.',
    fix: 'Place the load balancer in subnets of two or more zones (vpcSubnets selecting one public subnet per zone).',
    evaluate: loadBalancerInTwoZones,
  },
  {
    id: 'LoadBalancerAutoshift',
    severity: 'info',
    resourceTypes: ['AWS::ElasticLoadBalancingV2::LoadBalancer'],
    info: 'The load balancer does not move traffic out of an impaired Availability Zone by itself (no zonal autoshift).',
    explanation:
      'Most zone failures are gray: targets stay healthy enough to pass their checks while requests there fail or slow down, ' +
      'so health checks never take the zone out. Zonal autoshift lets AWS shift traffic away when its telemetry sees a zone ' +
      'impaired, and rehearses that weekly with practice runs judged by an alarm; a zonal shift alone waits for a person.',
    fix: 'Enable zonal shift on the load balancer (attribute zonal_shift.config.enabled) and add an AWS::ARCZonalShift::ZonalAutoshiftConfiguration with ZonalAutoshiftStatus ENABLED and practice-run outcome alarms (ZonalAutoshift in this library).',
    evaluate: loadBalancerAutoshift,
  },
  // ── Network ────────────────────────────────────────────────────────────────────────────────────
  {
    id: 'NatGatewayPerZone',
    severity: 'warning',
    resourceTypes: ['AWS::EC2::NatGateway'],
    info: 'A NAT gateway serves subnets in other Availability Zones.',
    explanation:
      "A NAT gateway is redundant only within its zone. Tasks in other zones that route through it lose egress (image pulls, " +
      'Secrets Manager, CloudWatch, third-party APIs) when its zone fails, so the zones are no longer independent.',
    fix: 'Use one NAT gateway per zone (ec2.Vpc natGateways equal to the number of zones), or VPC endpoints for the AWS services the tasks need.',
    evaluate: natGatewayPerZone,
  },
  // ── Data: survive an instance, a zone, a region and a mistake ──────────────────────────────────
  {
    id: 'DatabaseMultiAz',
    severity: 'error',
    resourceTypes: [...RDS, 'AWS::ElastiCache::ReplicationGroup'],
    info: 'The database is not Multi-AZ.',
    explanation:
      'A Multi-AZ database fails over to a synchronous standby in another zone, typically in 60-120 s with no data lost ' +
      '(Multi-AZ DB clusters in under 35 s). A single-AZ database needs a point-in-time restore: tens of minutes down and ' +
      'up to 5 minutes of writes lost. The RDS SLA is 99.95 % for Multi-AZ and 99.5 % for a single instance.',
    fix: 'Set multiAz: true on rds.DatabaseInstance (MultiAZ: true), or use a Multi-AZ DB cluster or an Aurora cluster with a reader in another zone.',
    evaluate: databaseMultiAz,
  },
  {
    id: 'DatabaseBackupRetention',
    severity: 'warning',
    resourceTypes: [...RDS, 'AWS::DynamoDB::Table'],
    info: `The database keeps fewer than ${MIN_BACKUP_RETENTION_DAYS} days of point-in-time backups.`,
    explanation:
      'Corruption and bad migrations are often found days later. CloudFormation keeps RDS backups for 1 day unless told ' +
      'otherwise, which is gone by the time a Friday mistake is found on Monday.',
    fix: `Set backupRetention: Duration.days(${MIN_BACKUP_RETENTION_DAYS}) or more (BackupRetentionPeriod); for DynamoDB, pointInTimeRecoverySpecification with a recovery period of ${MIN_BACKUP_RETENTION_DAYS}+ days.`,
    evaluate: databaseBackupRetention,
  },
  {
    id: 'DatabaseCrossRegionBackup',
    severity: 'warning',
    resourceTypes: [...RDS, 'AWS::DynamoDB::Table', 'AWS::DynamoDB::GlobalTable'],
    info: 'No copy of the database leaves its region.',
    explanation:
      'Backups in the same region share its fate and its account. Replicated automated backups give point-in-time restore ' +
      'in another region with an RPO of minutes; an AWS Backup copy action gives a copy per schedule in a vault you control.',
    fix: 'Set AutomaticBackupReplicationRegion (and its KMS key) on the DB instance, or add an AWS Backup plan that selects the database with a copy action to a vault in the DR region.',
    evaluate: databaseCrossRegionBackup,
  },
  {
    id: 'StatefulRetention',
    severity: 'error',
    resourceTypes: [
      ...RDS,
      'AWS::DynamoDB::Table',
      'AWS::DynamoDB::GlobalTable',
      'AWS::S3::Bucket',
      'AWS::EFS::FileSystem',
      'AWS::Backup::BackupVault',
      'AWS::KMS::Key',
    ],
    info: 'A resource that holds data is deleted with its stack.',
    explanation:
      'A stack deletion, a rename of a construct ID or a property change that forces replacement deletes the old resource. ' +
      'For data (and for the keys data is encrypted with) that is an unrecoverable loss unless the resource is retained, ' +
      'snapshotted or protected from deletion.',
    fix: 'Set removalPolicy: RemovalPolicy.RETAIN (or SNAPSHOT for databases) and deletionProtection: true where the resource supports it.',
    evaluate: statefulRetention,
  },
  // ── Operations: evidence, alerts, safe experiments ─────────────────────────────────────────────
  {
    id: 'LogGroupRetention',
    severity: 'info',
    resourceTypes: ['AWS::Logs::LogGroup'],
    info: 'The log group has no retention period.',
    explanation: 'Logs are the evidence of an incident; how long they are kept should be a decision, and "forever" has a growing cost.',
    fix: 'Set retention: logs.RetentionDays.THREE_MONTHS (or what your incident reviews and compliance need).',
    evaluate: logGroupRetention,
  },
  {
    id: 'AlarmActions',
    severity: 'warning',
    resourceTypes: ['AWS::CloudWatch::Alarm', 'AWS::CloudWatch::CompositeAlarm'],
    info: 'The alarm notifies nobody and nothing reads it.',
    explanation:
      'An alarm without actions only changes colour on a console. It must page or ticket someone (an SNS topic), or feed ' +
      'something that acts: a composite alarm, an ECS deployment rollback, an FIS stop condition.',
    fix: 'Add alarm.addAlarmAction(new SnsAction(topic)), or use the alarm in a composite alarm, deploymentAlarms or an experiment stop condition.',
    evaluate: alarmActions,
  },
  {
    id: 'ServiceAlarms',
    severity: 'warning',
    resourceTypes: [ECS_SERVICE],
    info: 'No alarm that reaches anyone watches the ECS service, its target group or its load balancer.',
    explanation:
      'Detection is the first step of every recovery. Without an alarm on the service (5xx, unhealthy hosts, SLO burn ' +
      'rate) that pages someone or rolls a deployment back, an outage lasts until a user complains.',
    fix: 'Add SLO burn-rate alarms on the load balancer metrics with an SNS action (constructs/slo), and use them as the service deploymentAlarms.',
    evaluate: serviceAlarms,
  },
  {
    id: 'ExternalProbe',
    severity: 'warning',
    resourceTypes: ['AWS::ElasticLoadBalancingV2::LoadBalancer', 'AWS::ElasticLoadBalancing::LoadBalancer'],
    info: 'The stack pages only from its own region: nothing outside the region probes its internet-facing load balancer.',
    explanation:
      'Monitoring must not depend on the system it monitors. Alarms, their metrics and their SNS topics are regional: when ' +
      'the region fails, they fail with it, and an outage of the whole region pages nobody. A Route 53 health check ' +
      '(checkers in several regions) or a Synthetics canary in another region, with an alarm that pages from there, ' +
      'still sees the endpoint go dark. A watcher in another stack counts when the checker sees that stack (the same ' +
      'app or cloud assembly) and it reads this load balancer through Fn::GetStackOutput.',
    fix:
      'Probe the load balancer from another region: a Synthetics canary in a stack of the DR region that reads its DNS name ' +
      '(Fn.getStackOutput of an output of this stack) with an alarm on its SuccessPercent that pages through a topic of that ' +
      'region, or a Route 53 health check on it read by a failover record set. A watcher the checker cannot see is ' +
      'acknowledged on the load balancer, naming it.',
    evaluate: externalProbe,
  },
  {
    id: 'FisStopCondition',
    severity: 'error',
    resourceTypes: ['AWS::FIS::ExperimentTemplate'],
    info: 'The FIS experiment has no CloudWatch alarm stop condition.',
    explanation: 'A chaos experiment must end itself when users are hurt; without a stop condition it runs to the end whatever it breaks.',
    fix: "Set stopConditions: [{ source: 'aws:cloudwatch:alarm', value: pageAlarm.alarmArn }] (the SLO page alarm).",
    evaluate: fisStopCondition,
  },
];

/** The rules that judge a resource type. */
export function rulesFor(resourceType: string): ResilienceRule[] {
  return RESILIENCE_RULES.filter((rule) => rule.resourceTypes.includes(resourceType));
}
