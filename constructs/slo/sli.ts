import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';

/**
 * A service level indicator as CloudWatch metric math: the ratio of bad events to all events over a window.
 * An error ratio of 0.001 means 1 request in 1,000 was bad.
 */
export interface IServiceLevelIndicator {
  /** Short name: "Availability", "Latency". */
  readonly name: string;
  /** What counts as good, in a sentence, for alarm descriptions and the dashboard. */
  readonly description: string;
  /**
   * The error ratio (bad / total, 0 to 1) aggregated over one window: one period of `window`. Its metric-math
   * IDs end in the window ({@link windowId}), so several windows can share one alarm or graph.
   * Missing load balancer datapoints (ELB publishes nothing for a minute without requests) count as 0
   * through FILL, and a window without traffic has an error ratio of 0, never a division by zero.
   */
  errorRatio(window: Duration, label?: string): cloudwatch.IMetric;
  /**
   * The number of events (requests, responses) over one window: one period of `window`, missing datapoints
   * read 0. The burn-rate alarms' low-traffic guard compares it with a minimum. Its metric-math IDs start with
   * `vol` and end in the window, so it can share an expression with {@link errorRatio}.
   */
  eventCount(window: Duration): cloudwatch.IMetric;
}

/**
 * Availability from the load balancer: bad = 5xx answers from the targets plus 5xx the load balancer
 * generated itself (502 when a task drops the connection, 503 without a registered target, 504 on a target
 * timeout); total = requests.
 *
 * `RequestCount` counts only requests for which the load balancer could choose a target, so a 503 without
 * registered targets is bad but not in `RequestCount`. The denominator is therefore MAX(requests, bad): the
 * ratio stays within 0–1, reads 100 % in a total outage, and errs towards alerting when both happen at once.
 * All three metrics are load-balancer-wide (every target group behind the load balancer).
 */
export function loadBalancerAvailability(loadBalancer: elbv2.IApplicationLoadBalancer): IServiceLevelIndicator {
  const sum = (metricName: string) => loadBalancer.metrics.custom(metricName, { statistic: cloudwatch.Stats.SUM });
  return {
    name: 'Availability',
    description: 'requests that did not end in a 5xx from the targets or the load balancer',
    errorRatio(window: Duration, label?: string) {
      const w = windowId(window);
      const bad = new cloudwatch.MathExpression({
        expression: `FILL(target5xx_${w}, 0) + FILL(elb5xx_${w}, 0)`,
        usingMetrics: { [`target5xx_${w}`]: sum('HTTPCode_Target_5XX_Count'), [`elb5xx_${w}`]: sum('HTTPCode_ELB_5XX_Count') },
        period: window,
        label: '5xx responses',
      });
      return new cloudwatch.MathExpression({
        expression: `IF(bad_${w} > 0, bad_${w} / MAX([FILL(requests_${w}, 0), bad_${w}]), 0)`,
        usingMetrics: { [`bad_${w}`]: bad, [`requests_${w}`]: sum('RequestCount') },
        period: window,
        label: label ?? `Availability error ratio (${describeWindow(window)})`,
      });
    },
    eventCount(window: Duration) {
      const w = windowId(window);
      // The same denominator as the ratio: a total outage without registered targets is counted too.
      return new cloudwatch.MathExpression({
        expression: `MAX([FILL(volreq_${w}, 0), FILL(voltarget5xx_${w}, 0) + FILL(volelb5xx_${w}, 0)])`,
        usingMetrics: {
          [`volreq_${w}`]: sum('RequestCount'),
          [`voltarget5xx_${w}`]: sum('HTTPCode_Target_5XX_Count'),
          [`volelb5xx_${w}`]: sum('HTTPCode_ELB_5XX_Count'),
        },
        period: window,
        label: `Requests (${describeWindow(window)})`,
      });
    },
  };
}

/**
 * Latency from the target group: good = target responses at or under the threshold, counted with the
 * trimmed-count statistic `TC(:x)` on `TargetResponseTime` (seconds; the upper bound is inclusive);
 * total = `SampleCount` of the same metric, one sample per response. Counts, unlike a percentile, add up
 * over any window, so the SLI is exact for 5 minutes and for 30 days alike. Requests that never reached a
 * target have no response time: they belong to the availability SLI.
 */
export function targetGroupLatency(targetGroup: elbv2.IApplicationTargetGroup, thresholdMs: number): IServiceLevelIndicator {
  return targetGroupsLatency([targetGroup], thresholdMs);
}

/**
 * {@link targetGroupLatency} over several target groups, counts summed: for a service whose deployments move
 * production between two target groups (ECS canary, linear, blue/green), so the SLI follows the traffic.
 */
export function targetGroupsLatency(targetGroups: elbv2.IApplicationTargetGroup[], thresholdMs: number): IServiceLevelIndicator {
  if (targetGroups.length === 0) throw new Error('targetGroups must hold at least one target group, got none');
  const thresholdSeconds = thresholdMs / 1000;
  // One target group keeps the IDs it always had; several get an index after the kind.
  const ids = (kind: string, w: string) => targetGroups.map((_, i) => (targetGroups.length === 1 ? `${kind}_${w}` : `${kind}${i}_${w}`));
  const metrics = (kind: string, w: string, statistic: string) =>
    Object.fromEntries(ids(kind, w).map((id, i) => [id, targetGroups[i].metrics.targetResponseTime({ statistic })]));
  const total = (kind: string, w: string) =>
    targetGroups.length === 1 ? `${kind}_${w}` : ids(kind, w).map((id) => `FILL(${id}, 0)`).join(' + ');
  return {
    name: 'Latency',
    description: `target responses within ${thresholdMs} ms`,
    errorRatio(window: Duration, label?: string) {
      const w = windowId(window);
      const responses = total('responses', w);
      const single = targetGroups.length === 1;
      const fast = single ? `FILL(fast_${w}, 0)` : `(${total('fast', w)})`;
      return new cloudwatch.MathExpression({
        expression: `IF(${responses} > 0, 1 - ${fast} / ${single ? responses : `(${responses})`}, 0)`,
        usingMetrics: {
          ...metrics('responses', w, cloudwatch.Stats.SAMPLE_COUNT),
          ...metrics('fast', w, `TC(:${thresholdSeconds})`),
        },
        period: window,
        label: label ?? `Share slower than ${thresholdMs} ms (${describeWindow(window)})`,
      });
    },
    eventCount(window: Duration) {
      const w = windowId(window);
      return new cloudwatch.MathExpression({
        expression: ids('volresponses', w).map((id) => `FILL(${id}, 0)`).join(' + '),
        usingMetrics: metrics('volresponses', w, cloudwatch.Stats.SAMPLE_COUNT),
        period: window,
        label: `Responses (${describeWindow(window)})`,
      });
    },
  };
}

/** The service level indicators of {@link loadBalancerAvailability} and {@link targetGroupLatency}, as static factories. */
export class ServiceLevelIndicators {
  /** Availability from the load balancer's 5xx and request counts (see {@link loadBalancerAvailability}). */
  public static loadBalancerAvailability(loadBalancer: elbv2.IApplicationLoadBalancer): IServiceLevelIndicator {
    return loadBalancerAvailability(loadBalancer);
  }

  /** Latency from the target group's response times, good at or under `thresholdMs` (see {@link targetGroupLatency}). */
  public static targetGroupLatency(targetGroup: elbv2.IApplicationTargetGroup, thresholdMs: number): IServiceLevelIndicator {
    return targetGroupLatency(targetGroup, thresholdMs);
  }

  /** Latency over several target groups, counts summed (see {@link targetGroupsLatency}). */
  public static targetGroupsLatency(targetGroups: elbv2.IApplicationTargetGroup[], thresholdMs: number): IServiceLevelIndicator {
    return targetGroupsLatency(targetGroups, thresholdMs);
  }

  private constructor() {}
}

/**
 * "5m", "1h", "3d": suffix of the metric-math IDs, so one alarm or graph can hold several windows of the
 * same SLI (CloudWatch IDs must be unique within a request).
 */
export function windowId(window: Duration): string {
  return describeWindow(window).replace(' min', 'm').replace(' ', '');
}

/** "5 min", "1 h", "3 d". */
export function describeWindow(window: Duration): string {
  const seconds = window.toSeconds();
  if (seconds % 86_400 === 0) return `${seconds / 86_400} d`;
  if (seconds % 3600 === 0) return `${seconds / 3600} h`;
  return `${seconds / 60} min`;
}
