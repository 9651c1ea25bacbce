import { COMPLIANT, nonCompliant, RuleOutcome, unknown } from '../rule';
import { CfnResource, CfnTemplate, get, list, props, RuleSubject, Unresolved, ZoneSpread, zoneCount, zoneSpread } from '../template';

/** The zones a load balancer (Application, Network, Gateway or Classic) has nodes in. */
export function loadBalancerZones(resource: CfnResource, template: CfnTemplate): ZoneSpread | Unresolved {
  const p = props(resource);
  if (resource.Type === 'AWS::ElasticLoadBalancing::LoadBalancer' && p.Subnets === undefined) {
    const zones = list(p.AvailabilityZones, template);
    if (zones instanceof Unresolved) return zones;
    const names = new Set((zones ?? []).map((z) => JSON.stringify(z)));
    return { zones: [...names], unknownSubnets: 0, subnets: names.size };
  }
  if (p.SubnetMappings !== undefined) {
    const mappings = list(p.SubnetMappings, template);
    if (mappings instanceof Unresolved) return mappings;
    return zoneSpread((mappings ?? []).map((m) => get(m, 'SubnetId')), template);
  }
  return zoneSpread(p.Subnets, template);
}

/** A load balancer has nodes in at least two Availability Zones. */
export function loadBalancerInTwoZones({ resource, template }: RuleSubject): RuleOutcome {
  const spread = loadBalancerZones(resource, template);
  if (spread instanceof Unresolved) return unknown('the load balancer subnets', spread);
  const zones = zoneCount(spread);
  if (zones >= 2) return COMPLIANT;
  return nonCompliant(
    `the load balancer has nodes in ${zones} Availability Zone${zones === 1 ? '' : 's'}: losing that zone takes the entry point down (ELB's SLA falls from 99.99 % to 99.9 %)`,
  );
}
