import { Duration, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { Construct } from 'constructs';
import { BurnRateSeverity } from './burn-rate';
import { BurnRateAlarms } from './burn-rate-alarms';
import { IDatabaseMetrics, InfrastructureAlarms, databaseCpu } from './infrastructure-alarms';
import { SloAlarms } from './slo-alarms';
import { describeWindow, windowId } from './sli';
import type { ZonalOutlierAlarms } from '../zonal/zonal-outlier-alarms';

export interface ServiceDashboardProps {
  /** The SLO alarms: the dashboard shows their SLIs, burn rates, budgets and states. */
  readonly slo: SloAlarms;
  readonly loadBalancer: elbv2.IApplicationLoadBalancer;
  readonly targetGroup: elbv2.IApplicationTargetGroup;
  /**
   * The second target group of a canary, linear or blue/green deployment: healthy hosts per zone add both.
   * @default - only `targetGroup`
   */
  readonly alternateTargetGroup?: elbv2.IApplicationTargetGroup;
  /**
   * Gray-failure alarms: adds a row with every zone's 5xx ratio and response time side by side, and their states.
   * @default - no per-zone row
   */
  readonly zonalOutliers?: ZonalOutlierAlarms;
  /** The ECS service behind the target group, defined in this app or imported. */
  readonly service: ecs.IBaseService;
  /**
   * Zones to show healthy hosts for, one line each.
   * @default - the load balancer VPC's zones
   */
  readonly availabilityZones?: string[];
  /**
   * Database to show.
   * @default - no database row
   */
  readonly database?: IDatabaseMetrics;
  /**
   * Infrastructure alarms to show in the alarm status row.
   * @default - SLO alarms only
   */
  readonly infrastructureAlarms?: InfrastructureAlarms;
  /**
   * Where the error budget policy is written down (a URL or a path), shown under the SLOs.
   * @default - not shown
   */
  readonly errorBudgetPolicy?: string;
}

const FULL = 24;
const HALF = 12;
const THIRD = 8;

/**
 * One CloudWatch dashboard for the service: alarm states, the SLIs against their targets, burn rates per
 * window with the paging thresholds, the error budget left over each SLO's period, then the load balancer,
 * health per Availability Zone, the ECS service and the database. CloudFormation names the dashboard.
 */
export class ServiceDashboard extends Construct {
  public readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: ServiceDashboardProps) {
    super(scope, id);

    const zones = (props.availabilityZones ?? props.loadBalancer.vpc?.availabilityZones ?? []).filter((z) => !Token.isUnresolved(z));
    const { availability, latency } = props.slo;
    const slos = [availability, latency];
    const lb = props.loadBalancer.metrics;
    const tg = props.targetGroup.metrics;
    const healthy = (group: elbv2.IApplicationTargetGroup, zone: string, label?: string) =>
      group.metrics.healthyHostCount({ statistic: cloudwatch.Stats.MINIMUM, period: Duration.minutes(1), label }).with({
        dimensionsMap: { ...group.metrics.healthyHostCount().dimensions, AvailabilityZone: zone } as Record<string, string>,
      });
    const alternate = props.alternateTargetGroup;
    const healthyInZone = (zone: string, i: number): cloudwatch.IMetric =>
      alternate
        ? new cloudwatch.MathExpression({
            // IDs unique per zone: the zones share one graph.
            expression: `FILL(primary${i}, 0) + FILL(alternate${i}, 0)`,
            usingMetrics: { [`primary${i}`]: healthy(props.targetGroup, zone), [`alternate${i}`]: healthy(alternate, zone) },
            period: Duration.minutes(1),
            label: zone,
          })
        : healthy(props.targetGroup, zone, zone);

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.hours(6),
      periodOverride: cloudwatch.PeriodOverride.AUTO,
    });

    this.dashboard.addWidgets(
      new cloudwatch.TextWidget({
        markdown: [
          '# Service health',
          `**Availability SLO** ${pct(availability.target)} of requests without a 5xx over ${availability.periodDays} days · ` +
            `**Latency SLO** ${pct(latency.target)} of responses within ${props.slo.config.latency.thresholdMs} ms over ${latency.periodDays} days.`,
          availability.tiers
            .map((t) => `${t.tier.severity === BurnRateSeverity.PAGE ? 'Page' : 'Ticket'}: ${t.tier.burnRate}× the budget over ${describeWindow(Duration.seconds(t.tier.longWindowSeconds))} and ${describeWindow(Duration.seconds(t.tier.shortWindowSeconds))}`)
            .join(' · ') + (props.errorBudgetPolicy ? `. Error budget policy: ${props.errorBudgetPolicy}.` : '.'),
        ].join('\n\n'),
        width: FULL,
        height: 3,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.AlarmStatusWidget({
        title: 'Alarms',
        alarms: [
          props.slo.pageAlarm,
          props.slo.ticketAlarm,
          ...slos.flatMap((s) => [s.pageAlarm, ...(s.ticketAlarm ? [s.ticketAlarm] : [])]),
          ...props.slo.deploymentAlarms,
          ...(props.infrastructureAlarms?.alarms ?? []),
          ...(props.zonalOutliers?.alarms ?? []),
        ],
        width: FULL,
        height: 4,
      }),
    );

    this.dashboard.addWidgets(
      ...slos.map(
        (slo) =>
          new cloudwatch.GraphWidget({
            title: `${slo.sli.name} SLI (5 min), target ${pct(slo.target)}`,
            left: [sliPercent(slo, Duration.minutes(5))],
            leftYAxis: { min: Math.floor(slo.target * 100) - 1, max: 100, showUnits: false, label: '%' },
            leftAnnotations: [{ value: slo.target * 100, label: 'SLO', color: cloudwatch.Color.RED }],
            width: HALF,
          }),
      ),
    );
    this.dashboard.addWidgets(
      ...slos.map(
        (slo) =>
          new cloudwatch.GraphWidget({
            title: `${slo.sli.name} burn rate per window (1 = budget lasts exactly the period)`,
            left: [Duration.minutes(5), Duration.hours(1), Duration.hours(6)].map((w) => slo.metricBurnRate(w)),
            leftYAxis: { min: 0, showUnits: false },
            leftAnnotations: slo.tiers.map((t) => ({
              value: t.tier.burnRate,
              label: `${t.tier.name} (${t.tier.severity})`,
              color: t.tier.severity === BurnRateSeverity.PAGE ? cloudwatch.Color.RED : cloudwatch.Color.ORANGE,
            })),
            width: HALF,
          }),
      ),
    );
    this.dashboard.addWidgets(
      ...slos.map(
        (slo) =>
          new cloudwatch.SingleValueWidget({
            title: `${slo.sli.name} error budget remaining, last ${slo.periodDays} days (%)`,
            metrics: [slo.metricErrorBudgetRemaining()],
            // The widget's own range, whatever the dashboard shows: the SLO period, as one value.
            start: `-P${slo.periodDays}D`,
            setPeriodToTimeRange: true,
            width: HALF,
            height: 4,
          }),
      ),
    );

    const sum = cloudwatch.Stats.SUM;
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Load balancer: requests and 5xx',
        left: [lb.custom('RequestCount', { statistic: sum, label: 'Requests', period: Duration.minutes(1) })],
        right: [
          lb.custom('HTTPCode_Target_5XX_Count', { statistic: sum, label: 'Target 5xx', period: Duration.minutes(1) }),
          lb.custom('HTTPCode_ELB_5XX_Count', { statistic: sum, label: 'Load balancer 5xx', period: Duration.minutes(1) }),
        ],
        width: THIRD,
      }),
      new cloudwatch.GraphWidget({
        title: 'Target response time (s)',
        left: ['p50', 'p90', 'p99'].map((p) => tg.targetResponseTime({ statistic: p, label: p, period: Duration.minutes(1) })),
        leftAnnotations: [{ value: props.slo.config.latency.thresholdMs / 1000, label: 'Latency SLO threshold' }],
        width: THIRD,
      }),
      new cloudwatch.GraphWidget({
        title: 'Healthy tasks per Availability Zone',
        left: zones.map((zone, i) => healthyInZone(zone, i)),
        right: [tg.unhealthyHostCount({ statistic: cloudwatch.Stats.MAXIMUM, period: Duration.minutes(1), label: 'Unhealthy (all zones)' })],
        leftYAxis: { min: 0 },
        width: THIRD,
      }),
    );

    if (props.zonalOutliers) {
      this.dashboard.addWidgets(
        new cloudwatch.GraphWidget({
          title: 'Gray failure: 5xx ratio per zone (%), side by side',
          left: props.zonalOutliers.metricZoneErrorRatios(),
          leftYAxis: { min: 0 },
          width: HALF,
        }),
        new cloudwatch.GraphWidget({
          title: 'Gray failure: average response time per zone (s), side by side',
          left: props.zonalOutliers.metricZoneResponseTimes(),
          leftYAxis: { min: 0 },
          width: HALF,
        }),
      );
    }

    const insights = (metricName: string, label: string) =>
      new cloudwatch.Metric({
        namespace: 'ECS/ContainerInsights',
        metricName,
        dimensionsMap: { ClusterName: props.service.cluster.clusterName, ServiceName: props.service.serviceName },
        statistic: cloudwatch.Stats.AVERAGE,
        period: Duration.minutes(1),
        label,
      });
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'ECS: CPU and memory (%)',
        left: [
          serviceMetric(props.service, 'CPUUtilization', { label: 'CPU', period: Duration.minutes(1) }),
          serviceMetric(props.service, 'MemoryUtilization', { label: 'Memory', period: Duration.minutes(1) }),
        ],
        leftYAxis: { min: 0, max: 100 },
        width: HALF,
      }),
      new cloudwatch.GraphWidget({
        title: 'ECS: running, desired and pending tasks',
        left: [insights('RunningTaskCount', 'Running'), insights('DesiredTaskCount', 'Desired'), insights('PendingTaskCount', 'Pending')],
        leftYAxis: { min: 0 },
        width: HALF,
      }),
    );

    if (props.database) {
      const db = props.database;
      this.dashboard.addWidgets(
        new cloudwatch.GraphWidget({ title: 'Database CPU (%)', left: [databaseCpu(db)], leftYAxis: { min: 0, max: 100 }, width: THIRD }),
        new cloudwatch.GraphWidget({ title: 'Database free storage (bytes)', left: [db.metricFreeStorageSpace()], leftYAxis: { min: 0 }, width: THIRD }),
        new cloudwatch.GraphWidget({ title: 'Database connections', left: [db.metricDatabaseConnections()], leftYAxis: { min: 0 }, width: THIRD }),
      );
    }
  }
}

/**
 * A metric of the service in AWS/ECS: the service's own helper when it is defined in this app, the same
 * metric (average, by cluster and service name) for an imported one.
 */
function serviceMetric(service: ecs.IBaseService, metricName: 'CPUUtilization' | 'MemoryUtilization', props: cloudwatch.MetricOptions): cloudwatch.IMetric {
  if (service instanceof ecs.BaseService) {
    return metricName === 'CPUUtilization' ? service.metricCpuUtilization(props) : service.metricMemoryUtilization(props);
  }
  return new cloudwatch.Metric({
    namespace: 'AWS/ECS',
    metricName,
    dimensionsMap: { ClusterName: service.cluster.clusterName, ServiceName: service.serviceName },
    statistic: cloudwatch.Stats.AVERAGE,
    ...props,
  });
}

/** The SLI as a percentage of good events over a window. */
function sliPercent(slo: BurnRateAlarms, window: Duration): cloudwatch.IMetric {
  return new cloudwatch.MathExpression({
    expression: `100 * (1 - sli_${windowId(window)})`,
    usingMetrics: { [`sli_${windowId(window)}`]: slo.sli.errorRatio(window) },
    period: window,
    label: `${slo.sli.name} (% good)`,
  });
}

function pct(fraction: number): string {
  return `${Math.round(fraction * 1e8) / 1e6} %`;
}
