import { COMPLIANT, NOT_APPLICABLE, nonCompliant, RuleOutcome } from '../rule';
import { attributes, CfnResource, CfnTemplate, get, props, refersTo, resourcesOfType, RuleSubject, str, Unresolved } from '../template';

/** How a load balancer's traffic leaves an impaired zone: by itself (autoshift), when a person shifts it, or not at all. */
export type ZoneEvacuation = 'autoshift' | 'zonal-shift' | 'none' | Unresolved;

/**
 * Zonal shift is the `zonal_shift.config.enabled` attribute of an Application or Network Load Balancer; zonal
 * autoshift is an `AWS::ARCZonalShift::ZonalAutoshiftConfiguration` naming it, with status ENABLED (ARC then also
 * runs weekly practice runs). https://docs.aws.amazon.com/r53recovery/latest/dg/arc-zonal-autoshift.html
 */
export function zoneEvacuation(logicalId: string, resource: CfnResource, template: CfnTemplate): ZoneEvacuation {
  const autoshift = resourcesOfType(template, 'AWS::ARCZonalShift::ZonalAutoshiftConfiguration').find(([, c]) => refersTo(get(props(c), 'ResourceIdentifier'), logicalId));
  if (autoshift) {
    const status = str(get(props(autoshift[1]), 'ZonalAutoshiftStatus'), template);
    if (status instanceof Unresolved) return status;
    if (status === 'ENABLED') return 'autoshift';
  }
  const enabled = attributes(get(props(resource), 'LoadBalancerAttributes'), template).get('zonal_shift.config.enabled');
  if (enabled instanceof Unresolved) return enabled;
  return enabled === 'true' ? 'zonal-shift' : 'none';
}

/** An Application or Network Load Balancer moves traffic out of an impaired zone by itself: zonal autoshift. */
export function loadBalancerAutoshift({ logicalId, resource, template }: RuleSubject): RuleOutcome {
  const type = str(get(props(resource), 'Type'), template);
  if (type === 'gateway') return NOT_APPLICABLE;
  const evacuation = zoneEvacuation(logicalId, resource, template);
  if (evacuation instanceof Unresolved) return { status: 'unknown', detail: `zonal shift or autoshift is not known until deployment (${evacuation.toString()})` };
  if (evacuation === 'autoshift') return COMPLIANT;
  return nonCompliant(
    evacuation === 'zonal-shift'
      ? 'zonal shift is enabled but zonal autoshift is not: in an impaired zone the load balancer keeps sending traffic there until a person starts a shift'
      : 'neither zonal shift nor zonal autoshift is enabled: traffic leaves an impaired zone only when its targets fail health checks, and a gray failure never does',
  );
}
