import { COMPLIANT, nonCompliant, RuleOutcome } from '../rule';
import { CfnTemplate, get, props, refersTo, refTarget, resourcesOfType, RuleSubject } from '../template';
import { alarmActions } from './alarm-actions';

/** The service, its target groups, and the load balancers in front of them: what an alarm on the service names. */
export function serviceFootprint(serviceId: string, template: CfnTemplate): string[] {
  const service = template.Resources?.[serviceId];
  const targetGroups = (Array.isArray(get(service, 'Properties', 'LoadBalancers')) ? (get(service, 'Properties', 'LoadBalancers') as unknown[]) : [])
    .map((lb) => refTarget(get(lb, 'TargetGroupArn')))
    .filter((id): id is string => id !== undefined);
  const loadBalancers = new Set<string>();
  for (const [, listener] of resourcesOfType(template, 'AWS::ElasticLoadBalancingV2::Listener')) {
    if (targetGroups.some((tg) => refersTo(props(listener).DefaultActions, tg))) {
      const lb = refTarget(props(listener).LoadBalancerArn);
      if (lb) loadBalancers.add(lb);
    }
  }
  return [serviceId, ...targetGroups, ...loadBalancers];
}

/**
 * Someone hears when the service fails: at least one alarm on the service, its target group or its load
 * balancer has actions, or feeds a composite alarm, a deployment rollback or an experiment stop condition.
 */
export function serviceAlarms({ logicalId, template }: RuleSubject): RuleOutcome {
  const footprint = serviceFootprint(logicalId, template);
  const watching = resourcesOfType(template, 'AWS::CloudWatch::Alarm').filter(([, alarm]) =>
    footprint.some((id) => refersTo(props(alarm).Dimensions, id) || refersTo(props(alarm).Metrics, id)),
  );
  const heard = watching.filter(([id, alarm]) => alarmActions({ logicalId: id, resource: alarm, template }).status === 'compliant');
  if (heard.length > 0) return COMPLIANT;
  return nonCompliant(
    watching.length === 0
      ? 'no CloudWatch alarm watches the service, its target group or its load balancer: an outage is found by users'
      : `${watching.length} alarm${watching.length === 1 ? '' : 's'} watch the service but none notifies anyone or feeds a rollback`,
  );
}
