import { Annotations, Duration, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { checkRange } from '../common/validate';

/**
 * The database metrics the alarms and the dashboard read. Shaped after `rds.DatabaseInstance`'s metric
 * helpers, so the database construct (or an RDS instance) can be passed as it is.
 */
export interface IDatabaseMetrics {
  metricCPUUtilization?(props?: cloudwatch.MetricOptions): cloudwatch.IMetric;
  metricCpuUtilization?(props?: cloudwatch.MetricOptions): cloudwatch.IMetric;
  metricFreeStorageSpace(props?: cloudwatch.MetricOptions): cloudwatch.IMetric;
  metricDatabaseConnections(props?: cloudwatch.MetricOptions): cloudwatch.IMetric;
}

/** CPU utilisation of a database, whichever spelling of the helper it has. */
export function databaseCpu(database: IDatabaseMetrics, props?: cloudwatch.MetricOptions): cloudwatch.IMetric {
  const metric = database.metricCpuUtilization?.(props) ?? database.metricCPUUtilization?.(props);
  if (!metric) throw new Error('database must have metricCpuUtilization() or metricCPUUtilization()');
  return metric;
}

export interface InfrastructureAlarmsProps {
  readonly loadBalancer: elbv2.IApplicationLoadBalancer;
  readonly targetGroup: elbv2.IApplicationTargetGroup;
  /**
   * The second target group of a canary, linear or blue/green deployment: the per-zone host counts add both, since
   * ECS moves production between them and the idle one has no targets.
   * @default - only `targetGroup`
   */
  readonly alternateTargetGroup?: elbv2.IApplicationTargetGroup;
  /**
   * The ECS service behind the target group, defined in this app or imported (its cluster must have
   * Container Insights enabled for the running-tasks alarm).
   */
  readonly service: ecs.IBaseService;
  /**
   * Availability Zones to watch one by one.
   * @default - the load balancer VPC's zones
   */
  readonly availabilityZones?: string[];
  /**
   * Database to watch.
   * @default - no database alarms
   */
  readonly database?: IDatabaseMetrics;
  /**
   * Topic the alarms notify. These are causes, not symptoms: they open tickets; the SLO alarms page.
   * @default - no actions
   */
  readonly topic?: sns.ITopic;
  /**
   * Average database CPU, in percent over 15 minutes, that raises an alarm.
   * @default 80
   */
  readonly databaseCpuPercent?: number;
  /**
   * Free database storage, in GiB, under which an alarm is raised.
   * @default 5
   */
  readonly databaseMinFreeStorageGiB?: number;
  /**
   * Database connections at or above which an alarm is raised; set it to about 80 % of the instance class's max_connections.
   * @default 80
   */
  readonly databaseMaxConnections?: number;
}

/**
 * Alarms on the causes that the SLO alarms do not name: a zone without healthy tasks, tasks failing health
 * checks, fewer running tasks than desired, and a database running out of CPU, storage or connections.
 */
export class InfrastructureAlarms extends Construct {
  /** Per zone: some target failed the health check for 5 minutes. */
  public readonly unhealthyHostAlarms: cloudwatch.Alarm[];
  /** Per zone: no healthy target for 2 minutes (the zone serves nothing). */
  public readonly noHealthyHostAlarms: cloudwatch.Alarm[];
  /** Fewer tasks running than desired for 5 minutes. */
  public readonly tasksBelowDesiredAlarm: cloudwatch.Alarm;
  public readonly databaseCpuAlarm?: cloudwatch.Alarm;
  public readonly databaseStorageAlarm?: cloudwatch.Alarm;
  public readonly databaseConnectionsAlarm?: cloudwatch.Alarm;
  /** Every alarm above. */
  public readonly alarms: cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: InfrastructureAlarmsProps) {
    super(scope, id);

    const zones = props.availabilityZones ?? props.loadBalancer.vpc?.availabilityZones ?? [];
    const cpuPercent = props.databaseCpuPercent ?? 80;
    const minFreeGiB = props.databaseMinFreeStorageGiB ?? 5;
    const maxConnections = props.databaseMaxConnections ?? 80;
    checkRange('databaseCpuPercent', cpuPercent, 1, 100);
    checkRange('databaseMinFreeStorageGiB', minFreeGiB, 1, 65_536);
    checkRange('databaseMaxConnections', maxConnections, 1, 100_000);

    const knownZones = zones.filter((z) => !Token.isUnresolved(z));
    if (knownZones.length === 0) {
      Annotations.of(this).addWarningV2('ha:slo:noZones', 'no Availability Zones known at synth time: there are no per-zone health alarms. Pass availabilityZones.');
    }
    const perZone = (zone: string, metric: cloudwatch.Metric) =>
      metric.with({ dimensionsMap: { ...metric.dimensions, AvailabilityZone: zone } as Record<string, string>, period: Duration.minutes(1) });
    const alternate = props.alternateTargetGroup;
    // With two target groups, a zone's hosts are the sum of both (the idle group reports nothing: FILL 0).
    const hostsInZone = (zone: string, name: string, of: (tg: elbv2.IApplicationTargetGroup) => cloudwatch.Metric): cloudwatch.IMetric =>
      alternate
        ? new cloudwatch.MathExpression({
            expression: 'FILL(primary, 0) + FILL(alternate, 0)',
            usingMetrics: { primary: perZone(zone, of(props.targetGroup)), alternate: perZone(zone, of(alternate)) },
            period: Duration.minutes(1),
            label: `${name} in ${zone} (both target groups)`,
          })
        : perZone(zone, of(props.targetGroup));

    this.unhealthyHostAlarms = knownZones.map(
      (zone) =>
        new cloudwatch.Alarm(this, `UnhealthyHosts${zoneId(zone)}`, {
          alarmDescription: `A task in ${zone} has failed the load balancer health check for 5 minutes: it is not replaced, or it is replaced by tasks that fail too.`,
          metric: hostsInZone(zone, 'Unhealthy hosts', (tg) => tg.metrics.unhealthyHostCount({ statistic: cloudwatch.Stats.MINIMUM })),
          threshold: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          evaluationPeriods: 5,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
    );
    this.noHealthyHostAlarms = knownZones.map(
      (zone) =>
        new cloudwatch.Alarm(this, `NoHealthyHosts${zoneId(zone)}`, {
          alarmDescription: `${zone} has had no healthy task for 2 minutes: the service runs on the other zones only. Check the zone's health and the ECS events.`,
          metric: hostsInZone(zone, 'Healthy hosts', (tg) => tg.metrics.healthyHostCount({ statistic: cloudwatch.Stats.MINIMUM })),
          threshold: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
          evaluationPeriods: 2,
          // A zone that reports nothing is a zone without targets.
          treatMissingData: cloudwatch.TreatMissingData.BREACHING,
        }),
    );

    const insights = (metricName: string) =>
      new cloudwatch.Metric({
        namespace: 'ECS/ContainerInsights',
        metricName,
        dimensionsMap: { ClusterName: props.service.cluster.clusterName, ServiceName: props.service.serviceName },
        statistic: cloudwatch.Stats.MINIMUM,
        period: Duration.minutes(1),
      });
    this.tasksBelowDesiredAlarm = new cloudwatch.Alarm(this, 'TasksBelowDesired', {
      alarmDescription:
        'Fewer tasks running than desired for 5 minutes: tasks fail to start or keep crashing (image, secrets, health check, capacity). Check the ECS service events.',
      metric: new cloudwatch.MathExpression({
        expression: 'FILL(desired, 0) - FILL(running, 0)',
        usingMetrics: { desired: insights('DesiredTaskCount'), running: insights('RunningTaskCount') },
        period: Duration.minutes(1),
        label: 'Tasks missing',
      }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 5,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    if (props.database) {
      this.databaseCpuAlarm = new cloudwatch.Alarm(this, 'DatabaseCpu', {
        alarmDescription: `Database CPU at or above ${cpuPercent} % for 15 minutes: queries will slow down and time out. Look for new slow queries or scale the instance class.`,
        metric: databaseCpu(props.database, { statistic: cloudwatch.Stats.AVERAGE, period: Duration.minutes(5) }),
        threshold: cpuPercent,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 3,
        treatMissingData: cloudwatch.TreatMissingData.MISSING,
      });
      this.databaseStorageAlarm = new cloudwatch.Alarm(this, 'DatabaseStorage', {
        alarmDescription: `Database free storage under ${minFreeGiB} GiB: writes fail when it runs out. Raise the allocated storage or its autoscaling ceiling.`,
        metric: props.database.metricFreeStorageSpace({ statistic: cloudwatch.Stats.MINIMUM, period: Duration.minutes(5) }),
        threshold: minFreeGiB * 1024 ** 3,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.MISSING,
      });
      this.databaseConnectionsAlarm = new cloudwatch.Alarm(this, 'DatabaseConnections', {
        alarmDescription: `Database connections at or above ${maxConnections} for 10 minutes: new connections will be refused. Check the pool size per task times the task count.`,
        metric: props.database.metricDatabaseConnections({ statistic: cloudwatch.Stats.MAXIMUM, period: Duration.minutes(5) }),
        threshold: maxConnections,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 2,
        treatMissingData: cloudwatch.TreatMissingData.MISSING,
      });
    }

    this.alarms = [
      ...this.unhealthyHostAlarms,
      ...this.noHealthyHostAlarms,
      this.tasksBelowDesiredAlarm,
      ...[this.databaseCpuAlarm, this.databaseStorageAlarm, this.databaseConnectionsAlarm].filter((a): a is cloudwatch.Alarm => a !== undefined),
    ];
    if (props.topic) {
      const action = new cloudwatchActions.SnsAction(props.topic);
      for (const alarm of this.alarms) alarm.addAlarmAction(action);
    }
  }
}

/** "us-east-1a" → "A": a short, stable construct ID suffix per zone. */
function zoneId(zone: string): string {
  const match = /([a-z])$/.exec(zone);
  return match ? match[1].toUpperCase() : zone.replace(/[^A-Za-z0-9]/g, '');
}
