import { COMPLIANT, nonCompliant, RuleOutcome, unknown } from '../rule';
import { list, num, props, RuleSubject, Unresolved, zoneCount, zoneSpread } from '../template';

/** An EC2 Auto Scaling group spans at least two Availability Zones and keeps an instance in each. */
export function autoScalingGroupZones({ resource, template }: RuleSubject): RuleOutcome {
  const p = props(resource);
  let zones: number;
  if (p.VPCZoneIdentifier !== undefined) {
    const spread = zoneSpread(p.VPCZoneIdentifier, template);
    if (spread instanceof Unresolved) return unknown('VPCZoneIdentifier', spread);
    zones = zoneCount(spread);
  } else {
    const names = list(p.AvailabilityZones, template);
    if (names instanceof Unresolved) return unknown('AvailabilityZones', names);
    zones = new Set((names ?? []).map((z) => JSON.stringify(z))).size;
  }
  if (zones < 2) return nonCompliant(`the group spans ${zones} Availability Zone${zones === 1 ? '' : 's'}: losing it stops every instance`);
  const minSize = num(p.MinSize, template);
  if (minSize instanceof Unresolved) return unknown('MinSize', minSize);
  if (minSize !== undefined && minSize < zones) {
    return nonCompliant(`MinSize ${minSize} over ${zones} Availability Zones: at least one zone can be left without an instance`);
  }
  return COMPLIANT;
}
