import { COMPLIANT, nonCompliant, RuleOutcome } from '../rule';
import { props, RuleSubject, str, subnetsServedByNat, subnetZone, zoneLabel } from '../template';

/**
 * A NAT gateway serves only subnets of its own Availability Zone (or is a regional NAT gateway), so the
 * loss of one zone does not cut the egress of the others: ECR image pulls, Secrets Manager, CloudWatch.
 */
export function natGatewayPerZone({ logicalId, resource, template }: RuleSubject): RuleOutcome {
  const p = props(resource);
  // A regional NAT gateway spans the VPC's zones by itself.
  if (str(p.AvailabilityMode, template) === 'regional') return COMPLIANT;
  const ownZone = subnetZone(p.SubnetId, template);
  const served = new Set<string>();
  for (const subnet of subnetsServedByNat(logicalId, template)) {
    const zone = subnetZone({ Ref: subnet }, template);
    if (zone !== undefined) served.add(zone);
  }
  const foreign = [...served].filter((zone) => zone !== ownZone);
  if (ownZone === undefined ? served.size <= 1 : foreign.length === 0) return COMPLIANT;
  const from = ownZone === undefined ? '' : ` from ${zoneLabel(ownZone)}`;
  return nonCompliant(
    `the NAT gateway serves subnets in ${foreign.map(zoneLabel).join(', ')}${from}: when its zone fails, tasks in those zones lose their egress too`,
  );
}
