import { Names, Stack } from 'aws-cdk-lib';
import * as signals from 'aws-cdk-lib/aws-applicationsignals';
import type * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { Construct } from 'constructs';
import { ResolvedSloConfig, SLO_DEFAULTS } from './slo-config';

export interface ApplicationSignalsSlosProps {
  /** Load balancer whose 5xx and request counts are the availability SLI. */
  readonly loadBalancer: elbv2.IApplicationLoadBalancer;
  /** Target group whose response times are the latency SLI. */
  readonly targetGroup: elbv2.IApplicationTargetGroup;
  /**
   * The SLOs, as the alarms use them, so the console and the pager agree.
   * @default SLO_DEFAULTS
   */
  readonly slo?: ResolvedSloConfig;
  /**
   * Remaining error budget, in percent, below which the console shows the SLO as warning.
   * @default 30
   */
  readonly warningThresholdPercent?: number;
}

const ELB = 'AWS/ApplicationELB';
/** Application Signals accepts burn-rate look-back windows of 1 minute to 7 days. */
const MAX_LOOK_BACK_MINUTES = 7 * 24 * 60;

/**
 * The same two SLOs as CloudWatch Application Signals service level objectives (request-based, on the
 * load balancer's metrics), so the console shows attainment, budget remaining and burn rates over the
 * alarms' windows. The burn-rate alarms in {@link SloAlarms} stay the paging path: these are for people.
 */
export class ApplicationSignalsSlos extends Construct {
  public readonly availability: signals.CfnServiceLevelObjective;
  public readonly latency: signals.CfnServiceLevelObjective;

  constructor(scope: Construct, id: string, props: ApplicationSignalsSlosProps) {
    super(scope, id);

    const slo = props.slo ?? SLO_DEFAULTS;
    const warningThreshold = props.warningThresholdPercent ?? 30;
    if (!(warningThreshold > 0 && warningThreshold < 100)) {
      throw new Error(`warningThresholdPercent must be between 0 and 100 (exclusive), got ${warningThreshold}`);
    }

    // The dimensions the load balancer's own metric helpers use (LoadBalancer, and TargetGroup for response times).
    const lbDimensions = props.loadBalancer.metrics.custom('RequestCount').dimensions ?? {};
    const tgDimensions = props.targetGroup.metrics.targetResponseTime().dimensions ?? {};
    const lookBackWindows = [...new Set(slo.tiers.flatMap((t) => [t.longWindowSeconds / 60, t.shortWindowSeconds / 60]))]
      .filter((minutes) => Number.isInteger(minutes) && minutes >= 1 && minutes <= MAX_LOOK_BACK_MINUTES)
      .sort((a, b) => a - b)
      .map((lookBackWindowMinutes) => ({ lookBackWindowMinutes }));

    const metric = (queryId: string, metricName: string, stat: string, dimensions: Record<string, unknown>, returnData: boolean) => ({
      id: queryId,
      returnData,
      metricStat: {
        metric: { namespace: ELB, metricName, dimensions: Object.entries(dimensions).map(([name, value]) => ({ name, value: String(value) })) },
        period: 60,
        stat,
      },
    });
    const goal = (target: number, periodDays: number) => ({
      attainmentGoal: round(target * 100),
      warningThreshold,
      interval: { rollingInterval: { duration: periodDays, durationUnit: 'DAY' } },
    });
    // SLO names are unique per account and region: derive them from the construct path, never hard-code them.
    const name = (suffix: string) => Names.uniqueResourceName(this, { maxLength: 100 - suffix.length, separator: '-' }) + `-${suffix}`;

    this.availability = new signals.CfnServiceLevelObjective(this, 'Availability', {
      name: name('availability'),
      description: `${round(slo.availability.target * 100)} % of requests do not end in a 5xx from the targets or the load balancer (${Stack.of(this).stackName})`,
      requestBasedSli: {
        requestBasedSliMetric: {
          monitoredRequestCountMetric: {
            badCountMetric: [
              metric('target5xx', 'HTTPCode_Target_5XX_Count', 'Sum', lbDimensions, false),
              metric('elb5xx', 'HTTPCode_ELB_5XX_Count', 'Sum', lbDimensions, false),
              { id: 'bad', expression: 'FILL(target5xx, 0) + FILL(elb5xx, 0)', returnData: true },
            ],
          },
          totalRequestCountMetric: [metric('requests', 'RequestCount', 'Sum', lbDimensions, true)],
        },
      },
      goal: goal(slo.availability.target, slo.availability.periodDays),
      burnRateConfigurations: lookBackWindows,
    });

    const thresholdSeconds = slo.latency.thresholdMs / 1000;
    this.latency = new signals.CfnServiceLevelObjective(this, 'Latency', {
      name: name('latency'),
      description: `${round(slo.latency.target * 100)} % of target responses within ${slo.latency.thresholdMs} ms (${Stack.of(this).stackName})`,
      requestBasedSli: {
        requestBasedSliMetric: {
          monitoredRequestCountMetric: {
            // TC(:x) counts the responses at or under x seconds: the good requests.
            goodCountMetric: [metric('fast', 'TargetResponseTime', `TC(:${thresholdSeconds})`, tgDimensions, true)],
          },
          totalRequestCountMetric: [metric('responses', 'TargetResponseTime', 'SampleCount', tgDimensions, true)],
        },
      },
      goal: goal(slo.latency.target, slo.latency.periodDays),
      burnRateConfigurations: lookBackWindows,
    });
  }
}

function round(value: number): number {
  return Number(value.toFixed(4));
}
