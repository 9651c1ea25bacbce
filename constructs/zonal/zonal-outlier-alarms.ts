import { Annotations, Duration, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { checkInt, checkRange } from '../common/validate';

export interface ZonalOutlierAlarmsProps {
  /** The load balancer whose per-zone metrics are compared. */
  readonly loadBalancer: elbv2.IApplicationLoadBalancer;
  /** The zones to compare, at least 2 (names, such as `us-east-1a`). */
  readonly availabilityZones: string[];
  /**
   * A zone is an outlier when its 5xx ratio (or average response time) is at least this many times the other
   * zones' together.
   * @default 3
   */
  readonly factor?: number;
  /**
   * Requests a zone must carry in a minute for that minute to count, so a quiet zone does not alarm on a stray error.
   * @default 60
   */
  readonly minimumRequestsPerMinute?: number;
  /**
   * The 5xx ratio a zone must also reach (a fraction): three times nearly nothing is still nearly nothing.
   * @default 0.01
   */
  readonly minimumErrorRatio?: number;
  /**
   * The average response time, in milliseconds, a zone must also reach for a latency outlier.
   * @default 100
   */
  readonly minimumLatencyMs?: number;
  /**
   * Minutes out of the last five that must be outliers.
   * @default 3
   */
  readonly datapointsToAlarm?: number;
  /**
   * Topic the alarms notify: the ticket topic (a person starts a zonal shift in working hours) or the page topic.
   * @default - no actions
   */
  readonly topic?: sns.ITopic;
}

/** The two outlier alarms of one zone. */
export interface ZoneOutlierAlarms {
  /** Zone name. */
  readonly availabilityZone: string;
  /** The zone's 5xx ratio is an outlier against the other zones. */
  readonly errors: cloudwatch.Alarm;
  /** The zone's average response time is an outlier against the other zones. */
  readonly latency: cloudwatch.Alarm;
}

/**
 * Gray-failure detection: each zone's 5xx ratio and average target response time compared with the other zones'
 * together, from the load balancer's per-zone metrics. A zone whose health checks pass but that serves
 * more errors or more slowly than its peers is the case zonal shift is for (docs/zonal-shift.md has the runbook).
 *
 * The load balancer publishes these metrics by the zone of the load balancer node that handled the request
 * (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-cloudwatch-metrics.html).
 * With cross-zone load balancing on (the ALB default) a node forwards to targets in every zone, so a zone's bad
 * targets show in every zone's numbers, diluted: these alarms then catch an impaired load balancer node or zone
 * network more surely than one zone's bad tasks.
 */
export class ZonalOutlierAlarms extends Construct {
  public readonly zones: ZoneOutlierAlarms[];
  /** Every alarm, zone by zone (errors, then latency). */
  public readonly alarms: cloudwatch.Alarm[];
  /** ALARM while any zone is an outlier. No actions of its own: a blocking alarm for practice runs, a dashboard tile. */
  public readonly anyZoneAlarm: cloudwatch.CompositeAlarm;
  private readonly loadBalancer: elbv2.IApplicationLoadBalancer;

  constructor(scope: Construct, id: string, props: ZonalOutlierAlarmsProps) {
    super(scope, id);
    this.loadBalancer = props.loadBalancer;
    const factor = props.factor ?? 3;
    const minimumRequests = props.minimumRequestsPerMinute ?? 60;
    const minimumErrorRatio = props.minimumErrorRatio ?? 0.01;
    const minimumLatencyMs = props.minimumLatencyMs ?? 100;
    const datapoints = props.datapointsToAlarm ?? 3;
    const zones = props.availabilityZones.filter((z) => !Token.isUnresolved(z));

    checkRange('factor', factor, 1.1, 100);
    checkInt('minimumRequestsPerMinute', minimumRequests, 1, 1_000_000);
    checkRange('minimumErrorRatio', minimumErrorRatio, 0.0001, 1);
    checkInt('minimumLatencyMs', minimumLatencyMs, 1, 60_000);
    checkInt('datapointsToAlarm', datapoints, 1, 5);
    if (zones.length < 2) {
      throw new Error(`availabilityZones must name at least 2 zones to compare, got ${JSON.stringify(props.availabilityZones)}`);
    }
    if (zones.length > 5) {
      // Each alarm reads two metrics per zone; a CloudWatch metric-math alarm reads at most 10.
      throw new Error(`availabilityZones must name at most 5 zones (an alarm's metric math reads at most 10 metrics, two per zone), got ${zones.length}`);
    }
    if (new Set(zones).size !== zones.length) {
      throw new Error(`availabilityZones must not repeat a zone, got ${JSON.stringify(zones)}`);
    }
    if (zones.length === 2) {
      Annotations.of(this).addWarningV2(
        'ha:zonal:twoZones',
        'with 2 zones each is compared with the other alone: an outlier alarm cannot tell which zone is the odd one when both drift',
      );
    }

    const metric = (zone: string, metricName: string, statistic: string) =>
      props.loadBalancer.metrics
        .custom(metricName, { statistic, period: Duration.minutes(1) })
        .with({ dimensionsMap: { LoadBalancer: loadBalancerDimension(props.loadBalancer), AvailabilityZone: zone } });
    const action = props.topic ? new cloudwatchActions.SnsAction(props.topic) : undefined;
    const ids = zones.map((_, i) => `z${i}`);

    this.zones = zones.map((zone, i) => {
      const others = ids.filter((_, j) => j !== i);
      const me = ids[i];
      const requests = Object.fromEntries(ids.map((zid, j) => [`req_${zid}`, metric(zones[j], 'RequestCount', cloudwatch.Stats.SUM)]));
      const errors = Object.fromEntries(ids.map((zid, j) => [`err_${zid}`, metric(zones[j], 'HTTPCode_Target_5XX_Count', cloudwatch.Stats.SUM)]));
      const count = Object.fromEntries(ids.map((zid, j) => [`cnt_${zid}`, metric(zones[j], 'TargetResponseTime', cloudwatch.Stats.SAMPLE_COUNT)]));
      const avg = Object.fromEntries(ids.map((zid, j) => [`lat_${zid}`, metric(zones[j], 'TargetResponseTime', cloudwatch.Stats.AVERAGE)]));
      const sumOf = (kind: string, of: string[]) => of.map((z) => `FILL(${kind}_${z}, 0)`).join(' + ');

      const errorOutlier = new cloudwatch.MathExpression({
        expression:
          `IF(FILL(req_${me}, 0) >= ${minimumRequests} AND FILL(err_${me}, 0) / FILL(req_${me}, 1) >= ${minimumErrorRatio} AND ` +
          `FILL(err_${me}, 0) / FILL(req_${me}, 1) >= ${factor} * (${sumOf('err', others)}) / MAX([${sumOf('req', others)}, 1]), 1, 0)`,
        usingMetrics: { ...requests, ...errors },
        period: Duration.minutes(1),
        label: `${zone}: 5xx ratio ≥ ${factor}× the other zones' (1 = outlier)`,
      });
      // The other zones' average, weighted by their response counts.
      const othersLatency = `(${others.map((z) => `FILL(lat_${z}, 0) * FILL(cnt_${z}, 0)`).join(' + ')}) / MAX([${sumOf('cnt', others)}, 1])`;
      const latencyOutlier = new cloudwatch.MathExpression({
        expression:
          `IF(FILL(cnt_${me}, 0) >= ${minimumRequests} AND FILL(lat_${me}, 0) >= ${minimumLatencyMs / 1000} AND ` +
          `FILL(lat_${me}, 0) >= ${factor} * ${othersLatency}, 1, 0)`,
        usingMetrics: { ...count, ...avg },
        period: Duration.minutes(1),
        label: `${zone}: average response time ≥ ${factor}× the other zones' (1 = outlier)`,
      });
      const alarm = (kind: 'Errors' | 'Latency', expression: cloudwatch.MathExpression, what: string) => {
        const a = new cloudwatch.Alarm(this, `${kind}${zoneId(zone)}`, {
          alarmDescription:
            `Gray failure in ${zone}: its ${what} was at least ${factor}× the other zones' in ${datapoints} of the last 5 minutes ` +
            `(minutes with fewer than ${minimumRequests} requests in the zone do not count). Health checks may still pass. ` +
            'Runbook: docs/zonal-shift.md, start a zonal shift away from the zone.',
          metric: expression,
          threshold: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          evaluationPeriods: 5,
          datapointsToAlarm: datapoints,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        });
        if (action) a.addAlarmAction(action);
        return a;
      };
      return {
        availabilityZone: zone,
        errors: alarm('Errors', errorOutlier, `5xx ratio (at least ${round(minimumErrorRatio * 100)} %)`),
        latency: alarm('Latency', latencyOutlier, `average response time (at least ${minimumLatencyMs} ms)`),
      };
    });
    this.alarms = this.zones.flatMap((z) => [z.errors, z.latency]);
    this.anyZoneAlarm = new cloudwatch.CompositeAlarm(this, 'AnyZone', {
      alarmDescription: 'ALARM while any zone is a gray-failure outlier (5xx ratio or response time). Notifies nobody itself.',
      alarmRule: cloudwatch.AlarmRule.anyOf(...this.alarms.map((a) => cloudwatch.AlarmRule.fromAlarm(a, cloudwatch.AlarmState.ALARM))),
    });
  }

  /** Per-zone 5xx ratio in percent, one line per zone, for a dashboard (zones side by side). */
  public metricZoneErrorRatios(): cloudwatch.IMetric[] {
    return this.zones.map(
      ({ availabilityZone: zone }, i) =>
        new cloudwatch.MathExpression({
          expression: `100 * FILL(e${i}, 0) / MAX([FILL(r${i}, 0), 1])`,
          usingMetrics: {
            [`e${i}`]: this.zoneMetric(zone, 'HTTPCode_Target_5XX_Count', cloudwatch.Stats.SUM),
            [`r${i}`]: this.zoneMetric(zone, 'RequestCount', cloudwatch.Stats.SUM),
          },
          period: Duration.minutes(1),
          label: zone,
        }),
    );
  }

  /** Per-zone average target response time (seconds), one line per zone. */
  public metricZoneResponseTimes(): cloudwatch.IMetric[] {
    return this.zones.map(({ availabilityZone: zone }) => this.zoneMetric(zone, 'TargetResponseTime', cloudwatch.Stats.AVERAGE).with({ label: zone }));
  }

  private zoneMetric(zone: string, metricName: string, statistic: string): cloudwatch.Metric {
    return this.loadBalancer.metrics
      .custom(metricName, { statistic, period: Duration.minutes(1) })
      .with({ dimensionsMap: { LoadBalancer: loadBalancerDimension(this.loadBalancer), AvailabilityZone: zone } });
  }
}

/** The `LoadBalancer` dimension value: the full name after `loadbalancer/`, as the load balancer's own metrics use. */
function loadBalancerDimension(loadBalancer: elbv2.IApplicationLoadBalancer): string {
  return loadBalancer.metrics.custom('RequestCount').dimensions?.LoadBalancer as string;
}

/** `us-east-1a` → `UsEast1a`: a construct ID. */
function zoneId(zone: string): string {
  return zone
    .split('-')
    .map((p) => p.charAt(0).toUpperCase() + p.slice(1))
    .join('');
}

function round(value: number): number {
  return Math.round(value * 1e10) / 1e10;
}
