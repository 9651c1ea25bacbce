import { COMPLIANT, NOT_APPLICABLE, nonCompliant, RuleOutcome, unknown } from '../rule';
import { bool, CfnResource, CfnTemplate, num, props, RuleSubject, str, Unresolved } from '../template';

/** Longest time a dead target may keep receiving traffic before the load balancer notices. */
export const MAX_DETECTION_SECONDS = 30;

/** How a target group probes its targets, with the AWS defaults filled in. */
export interface HealthCheckTiming {
  readonly enabled: boolean;
  readonly intervalSeconds: number;
  readonly healthyThreshold: number;
  readonly unhealthyThreshold: number;
  /** intervalSeconds × unhealthyThreshold: how long a dead target stays in rotation. */
  readonly detectionSeconds: number;
}

/**
 * The health check of a target group, defaults included (AWS::ElasticLoadBalancingV2::TargetGroup reference:
 * interval 30 s for HTTP, HTTPS, TCP, TLS, UDP, 10 s for GENEVE, 35 s for Lambda; unhealthy threshold 2,
 * 5 for Lambda; healthy threshold 5, 3 for GENEVE and TCP-based protocols).
 */
export function healthCheckTiming(resource: CfnResource, template: CfnTemplate): HealthCheckTiming | Unresolved {
  const p = props(resource);
  const lambda = str(p.TargetType, template) === 'lambda';
  const protocol = str(p.Protocol, template);
  const enabled = bool(p.HealthCheckEnabled, template);
  const interval = num(p.HealthCheckIntervalSeconds, template);
  const unhealthy = num(p.UnhealthyThresholdCount, template);
  const healthy = num(p.HealthyThresholdCount, template);
  for (const value of [enabled, interval, unhealthy, healthy]) if (value instanceof Unresolved) return value;
  const tcpLike = typeof protocol === 'string' && /^(TCP|TLS|UDP|TCP_UDP|GENEVE)$/.test(protocol);
  const intervalSeconds = (interval as number | undefined) ?? (lambda ? 35 : protocol === 'GENEVE' ? 10 : 30);
  const unhealthyThreshold = (unhealthy as number | undefined) ?? (lambda ? 5 : 2);
  const healthyThreshold = (healthy as number | undefined) ?? (tcpLike ? 3 : 5);
  return {
    // Health checks are off by default only for Lambda targets.
    enabled: (enabled as boolean | undefined) ?? !lambda,
    intervalSeconds,
    healthyThreshold,
    unhealthyThreshold,
    detectionSeconds: intervalSeconds * unhealthyThreshold,
  };
}

/**
 * A target group notices a dead target within 30 s: health checks on, and interval × unhealthy threshold
 * at most 30 s (the AWS defaults give 30 s × 2 = 60 s).
 */
export function targetGroupHealthCheck({ resource, template }: RuleSubject): RuleOutcome {
  if (str(props(resource).TargetType, template) === 'lambda') return NOT_APPLICABLE;
  const timing = healthCheckTiming(resource, template);
  if (timing instanceof Unresolved) return unknown('the health check settings', timing);
  if (!timing.enabled) return nonCompliant('health checks are disabled: a dead target keeps receiving traffic until it is removed by hand');
  if (timing.detectionSeconds <= MAX_DETECTION_SECONDS) return COMPLIANT;
  return nonCompliant(
    `a dead target keeps receiving traffic for ${timing.detectionSeconds} s (interval ${timing.intervalSeconds} s × unhealthy threshold ${timing.unhealthyThreshold}), more than ${MAX_DETECTION_SECONDS} s`,
  );
}
