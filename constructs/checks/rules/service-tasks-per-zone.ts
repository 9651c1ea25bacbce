import { COMPLIANT, NOT_APPLICABLE, nonCompliant, RuleOutcome, unknown } from '../rule';
import { CfnTemplate, get, num, props, refersTo, resourcesOfType, RuleSubject, str, Unresolved, ZoneSpread, zoneCount, zoneSpread } from '../template';

/**
 * An ECS service runs at least one task in every Availability Zone of its subnets, and in at least two
 * zones, at all times: its desired count and its autoscaling minimum are both at least its zone count.
 */
export function serviceTasksPerZone({ logicalId, resource, template }: RuleSubject): RuleOutcome {
  const p = props(resource);
  if (str(p.SchedulingStrategy, template) === 'DAEMON') return NOT_APPLICABLE;

  const spread = zoneSpread(get(p, 'NetworkConfiguration', 'AwsvpcConfiguration', 'Subnets'), template);
  if (spread instanceof Unresolved) return unknown('the service subnets', spread);
  // Without awsvpc subnets (EC2 bridge or host mode) the zones are the cluster's: ask for two tasks at least.
  const zones = spread.subnets === 0 ? 2 : zoneCount(spread);
  if (spread.subnets > 0 && zones < 2) {
    return nonCompliant(`the service places its tasks in ${describeZones(spread)} only: losing that zone stops the service`);
  }

  const desired = num(p.DesiredCount, template);
  if (desired instanceof Unresolved) return unknown('DesiredCount', desired);
  const minimum = autoscalingMinimum(logicalId, template);
  if (minimum instanceof Unresolved) return unknown('the autoscaling MinCapacity', minimum);

  // CloudFormation starts a service without DesiredCount at 1 task, unless autoscaling raises it.
  const floor = Math.min(desired ?? minimum ?? 1, minimum ?? Number.POSITIVE_INFINITY);
  if (floor < zones) {
    const source =
      minimum !== undefined && minimum === floor && minimum !== desired ? `autoscaling MinCapacity ${minimum}` : `desired count ${desired ?? 'unset, so 1'}`;
    const where = spread.subnets === 0 ? 'the cluster, whose zones the template does not state' : describeZones(spread);
    return nonCompliant(
      `the service can run ${floor} task${floor === 1 ? '' : 's'} (${source}) over ${where}: at least one zone has no task to carry its traffic when another zone fails`,
    );
  }
  return COMPLIANT;
}

function describeZones(spread: ZoneSpread): string {
  const n = zoneCount(spread);
  const text = `${n} Availability Zone${n === 1 ? '' : 's'}`;
  return spread.unknownSubnets > 0 ? `${text} (assuming each subnet not defined in the template is in its own zone)` : text;
}

/** MinCapacity of the ECS scalable target of a service, if the template has one. */
export function autoscalingMinimum(serviceId: string, template: CfnTemplate): number | undefined | Unresolved {
  for (const [, target] of resourcesOfType(template, 'AWS::ApplicationAutoScaling::ScalableTarget')) {
    const p = props(target);
    if (p.ServiceNamespace !== 'ecs' || !refersTo(p.ResourceId, serviceId)) continue;
    return num(p.MinCapacity, template);
  }
  return undefined;
}
