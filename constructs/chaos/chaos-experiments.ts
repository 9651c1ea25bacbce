import { Duration, RemovalPolicy, Stack, TimeZone, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { acknowledgeWildcardResources } from '../common/acknowledge';
import { allowCloudWatchLogsToUseKey } from '../common/log-encryption';
import { FisExperiment } from './fis-experiment';
import { cronProblem, DEFAULT_CRON, DEFAULT_TIME_ZONE, DEFAULT_ZONE_OUTAGE_MINUTES, durationProblem, ExperimentName, isKnownTimeZone, isoDuration } from './schedule-rules';
import { newEncryptionKey } from '../common/encryption-key';

export { ExperimentName };

/** The database to fail over: a Multi-AZ DB instance or a Multi-AZ DB cluster. */
export interface ChaosDatabaseTarget {
  /** ARN of the Multi-AZ DB instance (`arn:aws:rds:...:db:name`). Give this or `clusterArn`. */
  readonly instanceArn?: string;
  /** ARN of the Multi-AZ DB cluster (`arn:aws:rds:...:cluster:name`). Give this or `instanceArn`. */
  readonly clusterArn?: string;
}

/** The zone to cut off and its subnets. */
export interface ChaosZoneTarget {
  /** Availability Zone to isolate, such as `us-east-1a`. */
  readonly availabilityZone: string;
  /** Subnets whose connectivity is cut: the zone's task and database subnets. */
  readonly subnets: ec2.ISubnet[];
  /** The VPC of the subnets: the temporary network ACL is created in it. */
  readonly vpc: ec2.IVpc;
  /**
   * The load balancer in front of the zone's tasks. When given, the drill also evacuates the zone as an operator or
   * zonal autoshift would: a minute into the outage (time to notice), FIS shifts the load balancer's traffic away
   * from the zone (`aws:arc:start-zonal-autoshift`) until the outage ends, so the drill rehearses the recovery, not
   * only the loss. Needs zonal shift enabled on the load balancer and an outage of at least 2 minutes.
   * https://docs.aws.amazon.com/fis/latest/userguide/fis-actions-reference.html#recovery
   * @default - the outage only
   */
  readonly evacuate?: elbv2.IApplicationLoadBalancer;
}

/**
 * What each experiment expects to hold, in one sentence: the hypothesis in the template's description,
 * after what the experiment does. State the numbers the service is built for, so a run can refute them.
 */
export interface ChaosHypotheses {
  /** @default 'the load balancer routes around them, ECS replaces them, and the availability SLO holds.' */
  readonly taskLoss?: string;
  /** @default 'the service rides through the failover, no acknowledged write is lost, and the availability SLO holds.' */
  readonly databaseFailover?: string;
  /** @default 'the load balancer stops sending to that zone, the other zones carry the load, and the availability SLO holds.' */
  readonly azLoss?: string;
}

const DEFAULT_HYPOTHESES: Required<ChaosHypotheses> = {
  taskLoss: 'the load balancer routes around them, ECS replaces them, and the availability SLO holds.',
  databaseFailover: 'the service rides through the failover, no acknowledged write is lost, and the availability SLO holds.',
  azLoss: 'the load balancer stops sending to that zone, the other zones carry the load, and the availability SLO holds.',
};

/** An EventBridge Scheduler cron expression per experiment, in the schedule's time zone. */
export interface ChaosCronExpressions {
  /** @default 'cron(0 10 ? * TUE *)' */
  readonly taskLoss?: string;
  /** @default 'cron(0 10 ? * WED *)' */
  readonly databaseFailover?: string;
  /** @default 'cron(0 10 ? * THU *)' */
  readonly azLoss?: string;
}

/** The experiment templates a {@link ChaosExperiments} built, by experiment. */
export interface ChaosExperimentTemplates {
  /** @default - not built */
  readonly taskLoss?: FisExperiment;
  /** @default - not built (no `database`) */
  readonly databaseFailover?: FisExperiment;
  /** @default - not built (no `zone`) */
  readonly azLoss?: FisExperiment;
}

/** The schedules a {@link ChaosExperiments} created, by experiment. */
export interface ChaosSchedules {
  /** @default - not scheduled */
  readonly taskLoss?: scheduler.Schedule;
  /** @default - not scheduled */
  readonly databaseFailover?: scheduler.Schedule;
  /** @default - not scheduled */
  readonly azLoss?: scheduler.Schedule;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** When the experiments run. */
export interface ChaosScheduleOptions {
  /**
   * Run the experiments on a schedule. Off, they are templates started by hand
   * (`aws fis start-experiment --experiment-template-id <id>`).
   * @default false
   */
  readonly enabled?: boolean;
  /**
   * Which experiments run on the schedule.
   * @default - every experiment this construct built
   */
  readonly experiments?: ExperimentName[];
  /**
   * EventBridge Scheduler cron expression per experiment, in `timeZone`. Business hours on a weekday,
   * staggered, so people are there to watch and one experiment never overlaps another.
   * @default - taskLoss Tue 10:00, databaseFailover Wed 10:00, azLoss Thu 10:00
   */
  readonly cron?: ChaosCronExpressions;
  /**
   * IANA time zone of the cron expressions.
   * @default 'America/New_York'
   */
  readonly timeZone?: string;
  /**
   * Window in which the scheduler may start the experiment after its time (spreads load, tolerates throttling).
   * @default Duration.minutes(15)
   */
  readonly flexibleWindow?: Duration;
}

export interface ChaosExperimentsProps {
  /** Alarms that stop every experiment when they fire: the SLO page alarm. One to five. */
  readonly stopConditionAlarms: cloudwatch.IAlarm[];
  /**
   * The service whose tasks are stopped, defined in this app or imported.
   * @default - no task-loss experiment
   */
  readonly service?: ecs.IBaseService;
  /**
   * Tasks stopped by the task-loss experiment.
   * @default 1
   */
  readonly tasksToStop?: number;
  /**
   * The database to fail over.
   * @default - no database failover experiment
   */
  readonly database?: ChaosDatabaseTarget;
  /**
   * The zone whose subnets lose connectivity.
   * @default - no AZ loss experiment
   */
  readonly zone?: ChaosZoneTarget;
  /**
   * How long the zone stays cut off, in minutes (1 to 720).
   * @default 5
   */
  readonly zoneOutageMinutes?: number;
  /**
   * The hypothesis of each experiment, shown in its description.
   * @default - hypotheses without numbers: see ChaosHypotheses
   */
  readonly hypotheses?: ChaosHypotheses;
  /**
   * When the experiments run.
   * @default - not scheduled: templates started by hand
   */
  readonly schedule?: ChaosScheduleOptions;
  /**
   * Key for the experiment log group and the dead-letter queue.
   * @default - a new customer-managed key with rotation
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * Retention of the experiment logs.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * The standing chaos experiments of a service: lose tasks, fail the database over, lose a zone; each is
 * built when its target is given. Each stops on the SLO page alarm and logs to an encrypted log group;
 * when the schedule is enabled, EventBridge Scheduler starts them (weekly in business hours by default)
 * with retries and a dead-letter queue.
 */
export class ChaosExperiments extends Construct {
  public readonly experiments: ChaosExperimentTemplates;
  public readonly logGroup: logs.LogGroup;
  public readonly schedules: ChaosSchedules;
  /** Receives schedule invocations that failed after every retry. @default - none when the schedule is off */
  public readonly deadLetterQueue?: sqs.Queue;

  constructor(scope: Construct, id: string, props: ChaosExperimentsProps) {
    super(scope, id);
    const experiments: Mutable<ChaosExperimentTemplates> = {};
    const schedules: Mutable<ChaosSchedules> = {};
    this.experiments = experiments;
    this.schedules = schedules;

    const tasksToStop = props.tasksToStop ?? 1;
    const zoneOutageMinutes = props.zoneOutageMinutes ?? DEFAULT_ZONE_OUTAGE_MINUTES;
    const scheduleEnabled = props.schedule?.enabled ?? false;
    const timeZone = props.schedule?.timeZone ?? DEFAULT_TIME_ZONE;
    const flexibleWindow = props.schedule?.flexibleWindow ?? Duration.minutes(15);
    const cron = { ...DEFAULT_CRON, ...props.schedule?.cron };
    const hypotheses = { ...DEFAULT_HYPOTHESES, ...props.hypotheses };

    if (!Number.isInteger(tasksToStop) || tasksToStop < 1) {
      throw new Error(`tasksToStop must be a whole number of at least 1, got ${tasksToStop}`);
    }
    const durationIssue = durationProblem(zoneOutageMinutes);
    if (durationIssue) throw new Error(`zoneOutageMinutes ${durationIssue}, got ${zoneOutageMinutes}`);
    if (!isKnownTimeZone(timeZone)) {
      throw new Error(`schedule.timeZone must be an IANA time zone name such as "America/New_York" or "Europe/Berlin", got "${timeZone}"`);
    }
    for (const [name, expression] of Object.entries(cron)) {
      const issue = cronProblem(expression);
      if (issue) throw new Error(`schedule.cron.${name} ${issue}, got "${expression}"`);
    }
    if (props.database && Boolean(props.database.instanceArn) === Boolean(props.database.clusterArn)) {
      throw new Error('database must give exactly one of instanceArn and clusterArn');
    }
    if (!props.service && !props.database && !props.zone) {
      throw new Error('ChaosExperiments needs at least one target: pass service (task loss), database (failover) or zone (zone loss)');
    }
    const evacuate = props.zone?.evacuate;
    if (evacuate && zoneOutageMinutes < 2) {
      throw new Error(`zone.evacuate needs zoneOutageMinutes of at least 2 (a minute to notice, then at least a minute of shifted traffic), got ${zoneOutageMinutes}`);
    }
    if (props.zone && props.zone.subnets.length === 0) {
      throw new Error(`zone.subnets must list the subnets of ${props.zone.availabilityZone} to cut off, got none`);
    }

    const stack = Stack.of(this);
    const encryptionKey =
      props.encryptionKey ??
      newEncryptionKey(this, 'Key', 'Encrypts the chaos experiment logs and dead letters');
    allowCloudWatchLogsToUseKey(encryptionKey);

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      encryptionKey,
      retention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    const common = { stopConditionAlarms: props.stopConditionAlarms, logGroup: this.logGroup };
    if (props.service) {
      const service = props.service;
      const cluster = service.cluster;
      experiments.taskLoss = new FisExperiment(this, 'TaskLoss', {
        ...common,
        description: `Stop ${tasksToStop} task(s) of the service. Hypothesis: ${hypotheses.taskLoss}`,
        targets: {
          ServiceTasks: {
            resourceType: 'aws:ecs:task',
            selectionMode: `COUNT(${tasksToStop})`,
            parameters: { cluster: cluster.clusterName, service: service.serviceName },
          },
        },
        actions: {
          StopTasks: { actionId: 'aws:ecs:stop-task', description: 'Stop tasks as a crash or host loss would', targets: { Tasks: 'ServiceTasks' } },
        },
        wildcardReason: 'task IDs are assigned at run time, so StopTask is scoped to the tasks of this cluster (task/<cluster>/*); ListTasks has no resource type and is conditioned on this cluster',
        permissions: [
          new iam.PolicyStatement({
            sid: 'StopServiceTasks',
            actions: ['ecs:StopTask', 'ecs:DescribeTasks'],
            resources: [stack.formatArn({ service: 'ecs', resource: 'task', resourceName: `${cluster.clusterName}/*` })],
          }),
          new iam.PolicyStatement({
            sid: 'FindServiceTasks',
            actions: ['ecs:ListTasks'],
            resources: ['*'],
            conditions: { ArnEquals: { 'ecs:cluster': cluster.clusterArn } },
          }),
        ],
      });
    }

    if (props.database) {
      const { instanceArn, clusterArn } = props.database;
      experiments.databaseFailover = new FisExperiment(this, 'DatabaseFailover', {
        ...common,
        description: `Fail the database over to its standby. Hypothesis: ${hypotheses.databaseFailover}`,
        targets: instanceArn
          ? { Database: { resourceType: 'aws:rds:db', selectionMode: 'ALL', resourceArns: [instanceArn] } }
          : { Database: { resourceType: 'aws:rds:cluster', selectionMode: 'ALL', resourceArns: [clusterArn!] } },
        actions: instanceArn
          ? {
              Failover: {
                actionId: 'aws:rds:reboot-db-instances',
                description: 'Reboot the Multi-AZ instance with failover to the standby',
                parameters: { forceFailover: 'true' },
                targets: { DBInstances: 'Database' },
              },
            }
          : {
              Failover: { actionId: 'aws:rds:failover-db-cluster', description: 'Fail the Multi-AZ cluster over to a reader', targets: { Clusters: 'Database' } },
            },
        permissions: [
          new iam.PolicyStatement({
            sid: 'FailOverDatabase',
            actions: instanceArn ? ['rds:RebootDBInstance', 'rds:DescribeDBInstances'] : ['rds:FailoverDBCluster', 'rds:DescribeDBClusters'],
            resources: [instanceArn ?? clusterArn!],
          }),
        ],
      });
    }

    if (props.zone) {
      const subnetArns = props.zone.subnets.map((subnet) =>
        stack.formatArn({ service: 'ec2', resource: 'subnet', resourceName: subnet.subnetId }),
      );
      const networkAclArn = stack.formatArn({ service: 'ec2', resource: 'network-acl', resourceName: '*' });
      experiments.azLoss = new FisExperiment(this, 'AzLoss', {
        ...common,
        description: `Cut all network traffic of the task and database subnets in ${props.zone.availabilityZone} for ${zoneOutageMinutes} min. Hypothesis: ${hypotheses.azLoss} The cut does not fail the database over (network ACLs do not carry RDS replication); the database failover experiment covers that.`,
        targets: {
          ZoneSubnets: { resourceType: 'aws:ec2:subnet', selectionMode: 'ALL', resourceArns: subnetArns },
          ...(evacuate ? { ZonalShiftResources: { resourceType: 'aws:arc:zonal-shift-managed-resource', selectionMode: 'ALL', resourceArns: [evacuate.loadBalancerArn] } } : {}),
        },
        actions: {
          DisruptZone: {
            actionId: 'aws:network:disrupt-connectivity',
            description: `Deny all traffic in and out of the ${props.zone.availabilityZone} subnets`,
            parameters: { scope: 'all', duration: isoDuration(zoneOutageMinutes) },
            targets: { Subnets: 'ZoneSubnets' },
          },
          ...(evacuate
            ? {
                NoticeZoneLoss: { actionId: 'aws:fis:wait', description: 'A minute for a person or zonal autoshift to notice the zone is gone', parameters: { duration: 'PT1M' }, targets: {} },
                EvacuateZone: {
                  actionId: 'aws:arc:start-zonal-autoshift',
                  description: `Shift the load balancer's traffic away from ${props.zone.availabilityZone} for the rest of the outage`,
                  parameters: { availabilityZoneIdentifier: props.zone.availabilityZone, managedResourceTypes: 'ALB', zonalAutoshiftStatus: 'ANY', duration: isoDuration(zoneOutageMinutes - 1) },
                  targets: { ManagedResources: 'ZonalShiftResources' },
                  startAfter: ['NoticeZoneLoss'],
                },
              }
            : {}),
        },
        // disrupt-connectivity swaps each subnet onto a temporary deny-all network ACL tagged managedByFIS, then restores it.
        wildcardReason:
          'the temporary network ACL does not exist before the experiment, so ACL actions name network-acl/* and are conditioned on the managedByFIS tag; ec2:Describe*, GetManagedPrefixListEntries, arc-zonal-shift:ListManagedResources, autoscaling:DescribeTags and tag:GetResources have no resource-level permissions',
        permissions: [
          new iam.PolicyStatement({
            sid: 'CreateTemporaryAcl',
            actions: ['ec2:CreateNetworkAcl'],
            resources: [networkAclArn],
            conditions: { StringEquals: { 'aws:RequestTag/managedByFIS': 'true' } },
          }),
          new iam.PolicyStatement({
            sid: 'CreateAclInVpc',
            actions: ['ec2:CreateNetworkAcl'],
            resources: [stack.formatArn({ service: 'ec2', resource: 'vpc', resourceName: props.zone.vpc.vpcId })],
          }),
          new iam.PolicyStatement({
            sid: 'TagTemporaryAcl',
            actions: ['ec2:CreateTags'],
            resources: [networkAclArn],
            conditions: { StringEquals: { 'ec2:CreateAction': 'CreateNetworkAcl', 'aws:RequestTag/managedByFIS': 'true' } },
          }),
          new iam.PolicyStatement({
            sid: 'ChangeTemporaryAcl',
            actions: ['ec2:CreateNetworkAclEntry', 'ec2:DeleteNetworkAcl'],
            resources: [networkAclArn],
            conditions: { StringEquals: { 'ec2:ResourceTag/managedByFIS': 'true' } },
          }),
          new iam.PolicyStatement({
            sid: 'SwapZoneSubnetAcls',
            actions: ['ec2:ReplaceNetworkAclAssociation'],
            resources: [...subnetArns, networkAclArn],
          }),
          new iam.PolicyStatement({
            sid: 'ReadNetwork',
            actions: ['ec2:DescribeNetworkAcls', 'ec2:DescribeSubnets', 'ec2:DescribeVpcs', 'ec2:DescribeManagedPrefixLists', 'ec2:GetManagedPrefixListEntries'],
            resources: ['*'],
          }),
          // The permissions the FIS reference lists for aws:arc:start-zonal-autoshift: the shift itself on this load
          // balancer only; finding the managed resources has no resource-level permission.
          ...(evacuate
            ? [
                new iam.PolicyStatement({
                  sid: 'ShiftZoneTraffic',
                  actions: ['arc-zonal-shift:StartZonalShift', 'arc-zonal-shift:UpdateZonalShift', 'arc-zonal-shift:CancelZonalShift', 'arc-zonal-shift:GetManagedResource'],
                  resources: [evacuate.loadBalancerArn],
                }),
                new iam.PolicyStatement({
                  sid: 'FindZonalShiftResources',
                  actions: ['arc-zonal-shift:ListManagedResources', 'autoscaling:DescribeTags', 'tag:GetResources'],
                  resources: ['*'],
                }),
              ]
            : []),
        ],
      });
    }

    const toSchedule = (props.schedule?.experiments ?? (Object.keys(this.experiments) as ExperimentName[])).filter((name) => {
      if (!this.experiments[name]) {
        throw new Error(`schedule.experiments names "${name}", which was not built (built: ${Object.keys(this.experiments).join(', ')})`);
      }
      return true;
    });

    if (scheduleEnabled && toSchedule.length > 0) {
      this.deadLetterQueue = new sqs.Queue(this, 'DeadLetters', {
        encryption: sqs.QueueEncryption.KMS,
        encryptionMasterKey: encryptionKey,
        enforceSSL: true,
        retentionPeriod: Duration.days(14),
        // It is EventBridge Scheduler's dead-letter queue, not an SQS queue's: no source queue may redrive into
        // it. Saying so also marks it as a dead-letter queue, which needs none of its own (AWS Control Tower
        // CT.SQS.PR.1 applies only to queues without a RedriveAllowPolicy).
        redriveAllowPolicy: { redrivePermission: sqs.RedrivePermission.DENY_ALL },
      });
      Validations.of(this.deadLetterQueue).acknowledge({
        id: 'AwsSolutions::AwsSolutions-SQS3',
        reason: 'this queue is itself the dead-letter queue of the chaos schedules; a dead-letter queue of a dead-letter queue would never be read',
      });

      const experimentsArn = stack.formatArn({ service: 'fis', resource: 'experiment', resourceName: '*' });
      for (const name of toSchedule) {
        const experiment = this.experiments[name]!;
        // One role per schedule (the target library would share one across schedules), so each may start only its own template.
        const role = new iam.Role(this, `${capitalise(name)}ScheduleRole`, {
          description: `Lets EventBridge Scheduler start the ${name} experiment`,
          assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
            conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
          }),
        });
        const target = new schedulerTargets.Universal({
          role,
          service: 'fis',
          action: 'startExperiment',
          input: scheduler.ScheduleTargetInput.fromObject({
            ExperimentTemplateId: experiment.experimentTemplateId,
            // The same on every retry of one invocation (the execution ID is new per attempt), so a retried
            // start returns the experiment already started instead of a second one; the template ID keeps two
            // schedules at the same time apart.
            ClientToken: `${experiment.experimentTemplateId}-${scheduler.ContextAttribute.scheduledTime}`,
          }),
          policyStatements: [
            new iam.PolicyStatement({
              actions: ['fis:StartExperiment'],
              resources: [experiment.experimentTemplateArn, experimentsArn],
            }),
            new iam.PolicyStatement({ actions: ['iam:PassRole'], resources: [experiment.role.roleArn] }),
            // The dead-letter queue is SSE-KMS: a producer also needs the key, only through SQS
            // (SQS developer guide, key management: producer permissions for an encrypted queue).
            new iam.PolicyStatement({
              actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
              resources: [encryptionKey.keyArn],
              conditions: { StringEquals: { 'kms:ViaService': `sqs.${stack.region}.${stack.urlSuffix}` } },
            }),
          ],
          deadLetterQueue: this.deadLetterQueue,
          retryAttempts: 3,
          maxEventAge: Duration.hours(1),
        });
        schedules[name] = new scheduler.Schedule(this, `${capitalise(name)}Schedule`, {
          description: `Starts the ${name} chaos experiment weekly in business hours`,
          schedule: scheduler.ScheduleExpression.expression(cron[name], TimeZone.of(timeZone)),
          target,
          timeWindow: scheduler.TimeWindow.flexible(flexibleWindow),
          // The input holds only a template ID; the scheduler's own encryption at rest is enough.
        });
        acknowledgeWildcardResources(
          role.node.findChild('DefaultPolicy'),
          [experimentsArn],
          'fis:StartExperiment also authorizes on the experiment it creates, whose ID does not exist yet (experiment/*); the template it may start is named exactly',
        );
      }
    }
  }
}

function capitalise(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}
