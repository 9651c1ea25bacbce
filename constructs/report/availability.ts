/**
 * Availability math and the availability model: a composite estimate of the request path from the
 * tiers a template holds, with each component's figure taken from AWS's published SLAs.
 *
 * The math follows the seeds: components in series multiply (0.999 × 0.999 × 0.999 = 99.7 %); redundant
 * components in parallel fail only together (1 - 0.01 × 0.01 = 99.99 %).
 */
import {
  autoscalingMinimum,
  bool,
  clusterInstances,
  get,
  isMultiAzDbCluster,
  isPrimaryDbInstance,
  list,
  loadBalancerZones,
  natGatewayOfSubnet,
  num,
  props,
  resourcesOfType,
  SECONDS_PER_MONTH,
  SECONDS_PER_YEAR,
  str,
  subnetZone,
  Unresolved,
  zoneCount,
  zoneSpread,
} from '../pure';
import type { LoadedStack } from './load';

// ── The math ─────────────────────────────────────────────────────────────────────────────────────

/** Components that all must work: the product of their availabilities. */
export function series(availabilities: readonly number[]): number {
  return availabilities.reduce((product, a) => product * checkFraction(a), 1);
}

/** Redundant components, any one of which is enough: 1 - Π(1 - a). */
export function parallel(availabilities: readonly number[]): number {
  if (availabilities.length === 0) throw new Error('parallel needs at least one component');
  return 1 - availabilities.reduce((product, a) => product * (1 - checkFraction(a)), 1);
}

/** Minutes in an average month (a 365-day year / 12, as the SLO math counts it): 99.9 % allows 43.8 minutes. */
export const MINUTES_PER_MONTH = SECONDS_PER_MONTH / 60;
export const MINUTES_PER_YEAR = SECONDS_PER_YEAR / 60;

/** The number of nines: -log10(1 - a). 0.999 → 3; 0.9995 → 3.3. */
export function nines(availability: number): number {
  checkFraction(availability);
  return availability >= 1 ? Number.POSITIVE_INFINITY : -Math.log10(1 - availability);
}

/** Downtime an availability allows in an average month, in minutes. */
export function downtimeMinutesPerMonth(availability: number): number {
  return (1 - checkFraction(availability)) * MINUTES_PER_MONTH;
}

function checkFraction(a: number): number {
  if (!(a >= 0 && a <= 1)) throw new Error(`availability must be a fraction between 0 and 1, got ${a}`);
  return a;
}

// ── Published figures ────────────────────────────────────────────────────────────────────────────

/** A figure from an AWS SLA page (the monthly uptime below which AWS owes service credits), or an assumption. */
export interface Figure {
  readonly availability: number;
  /** The page and the commitment, or "assumption: ..." */
  readonly source: string;
}

export const FIGURES = {
  /** "Amazon Elastic Load Balancing Service Level Agreement": Multi-AZ Load Balancer SLA, 99.99 %. */
  loadBalancerMultiAz: { availability: 0.9999, source: 'Amazon Elastic Load Balancing SLA, Multi-AZ Load Balancer: 99.99 %' },
  /** Same page: Single Load Balancer SLA (one AZ), 99.9 %. */
  loadBalancerSingleAz: { availability: 0.999, source: 'Amazon Elastic Load Balancing SLA, Single Load Balancer: 99.9 %' },
  /**
   * "Amazon Compute Service Level Agreement" (EC2, EBS, ECS, Fargate): Instance-Level SLA, 99.5 %, used for the
   * tasks of one zone; the Region-Level SLA, 99.99 %, applies only to tasks in two or more zones and caps the tier.
   */
  computeZone: { availability: 0.995, source: 'Amazon Compute SLA (EC2, ECS, Fargate), Instance-Level: 99.5 % per zone' },
  computeRegion: { availability: 0.9999, source: 'Amazon Compute SLA (EC2, ECS, Fargate), Region-Level across 2+ AZs: 99.99 % (cap)' },
  /**
   * AWS publishes no SLA for NAT gateways. The Amazon VPC User Guide ("NAT gateway basics") says each is
   * "implemented with redundancy in that zone"; the model gives it the zonal load balancer figure.
   */
  natGateway: { availability: 0.999, source: 'assumption: no published NAT gateway SLA; zonal figure of the ELB SLA (99.9 %)' },
  /** "Amazon RDS Service Level Agreement": Multi-AZ DB Instance and Multi-AZ DB Cluster SLA, 99.95 %. */
  rdsMultiAz: { availability: 0.9995, source: 'Amazon RDS SLA, Multi-AZ DB Instance / Multi-AZ DB Cluster: 99.95 %' },
  /** Same page: Single-DB Instance SLA, 99.5 %. */
  rdsSingleAz: { availability: 0.995, source: 'Amazon RDS SLA, Single-DB Instance: 99.5 %' },
  /** "Amazon Aurora Service Level Agreement": Multi-AZ (cluster across 2+ AZs) 99.99 %; Single-AZ 99.9 %. */
  auroraMultiAz: { availability: 0.9999, source: 'Amazon Aurora SLA, Multi-AZ cluster: 99.99 %' },
  auroraSingleAz: { availability: 0.999, source: 'Amazon Aurora SLA, Single-AZ cluster: 99.9 %' },
  /** "Amazon DynamoDB Service Level Agreement": Standard 99.99 %; Global Tables 99.999 %. */
  dynamoDb: { availability: 0.9999, source: 'Amazon DynamoDB SLA, Standard: 99.99 %' },
  dynamoDbGlobal: { availability: 0.99999, source: 'Amazon DynamoDB SLA, Global Tables: 99.999 %' },
} satisfies Record<string, Figure>;

// ── The model ────────────────────────────────────────────────────────────────────────────────────

export type Tier = 'load balancer' | 'compute' | 'network' | 'database';

export interface Component {
  readonly tier: Tier;
  readonly stack: string;
  readonly resource: string;
  readonly availability: number;
  /** How the figure was reached, with the numbers. */
  readonly basis: string;
  readonly sources: readonly string[];
}

export interface Availability {
  /** Product of the components; null when the template holds no request-path tier. */
  readonly composite: number | null;
  readonly nines: number | null;
  readonly downtimeMinutesPerMonth: number | null;
  readonly components: readonly Component[];
  readonly assumptions: readonly string[];
}

export const ASSUMPTIONS: readonly string[] = [
  'Every tier found is on the request path, in series: a request needs the load balancer, a task and the database.',
  'Zones fail independently; the tasks of one zone (and the NAT gateway in that zone) form one unit, and the units are in parallel.',
  'A redundant compute tier never exceeds the Region-Level Compute SLA (99.99 %): shared regional control planes fail together.',
  'Tasks need egress through their NAT gateway to serve (image pulls, secrets, telemetry); VPC endpoints remove that dependency and are not modelled.',
  'SLA figures are the monthly uptime below which AWS owes credits: a floor AWS commits to, not a measurement.',
  'Application bugs, bad deployments and dependencies outside the template are not in the estimate; the error budget must absorb them.',
  'Multi-region active-active serving is not modelled: stacks in other regions are assumed to hold standby data, not to serve.',
];

/** A fraction as a percentage with the digits that matter, never rounded up to 100 %. */
export function percent(a: number): string {
  const text = (Math.floor(a * 1e8) / 1e6).toFixed(6).replace(/0+$/, '').replace(/\.$/, '');
  return `${text} %`;
}

/** Finds the request-path tiers in every stack and combines them. */
export function availabilityModel(stacks: readonly LoadedStack[]): Availability {
  const components: Component[] = [];
  for (const stack of stacks) {
    components.push(...loadBalancers(stack), ...computeTiers(stack), ...databases(stack));
  }
  if (components.length === 0) {
    return { composite: null, nines: null, downtimeMinutesPerMonth: null, components, assumptions: ASSUMPTIONS };
  }
  const composite = series(components.map((c) => c.availability));
  return { composite, nines: nines(composite), downtimeMinutesPerMonth: downtimeMinutesPerMonth(composite), components, assumptions: ASSUMPTIONS };
}

function loadBalancers(stack: LoadedStack): Component[] {
  const { template } = stack;
  return resourcesOfType(template, 'AWS::ElasticLoadBalancingV2::LoadBalancer', 'AWS::ElasticLoadBalancing::LoadBalancer').map(([id, lb]) => {
    const spread = loadBalancerZones(lb, template);
    const zones = spread instanceof Unresolved ? 2 : zoneCount(spread);
    const figure = zones >= 2 ? FIGURES.loadBalancerMultiAz : FIGURES.loadBalancerSingleAz;
    const basis = spread instanceof Unresolved ? 'subnets given at deploy time: assumed in 2+ zones' : `nodes in ${zones} zone${zones === 1 ? '' : 's'}`;
    return { tier: 'load balancer' as const, stack: stack.name, resource: id, availability: figure.availability, basis, sources: [figure.source] };
  });
}

/** Tasks (or instances) per zone and the NAT gateways their subnets route through. */
function computeTiers(stack: LoadedStack): Component[] {
  const { template } = stack;
  const result: Component[] = [];
  for (const [id, service] of resourcesOfType(template, 'AWS::ECS::Service')) {
    const p = props(service);
    if (str(p.SchedulingStrategy, template) === 'DAEMON') continue;
    const desired = num(p.DesiredCount, template);
    const minimum = autoscalingMinimum(id, template);
    const known = (v: number | undefined | Unresolved) => (typeof v === 'number' ? v : undefined);
    const tasks = Math.min(known(desired) ?? known(minimum) ?? 1, known(minimum) ?? Number.POSITIVE_INFINITY);
    const subnets = get(p, 'NetworkConfiguration', 'AwsvpcConfiguration', 'Subnets');
    result.push(...zonalTier(stack, id, subnets, tasks, 'task'));
  }
  for (const [id, group] of resourcesOfType(template, 'AWS::AutoScaling::AutoScalingGroup')) {
    const minSize = num(props(group).MinSize, template);
    result.push(...zonalTier(stack, id, props(group).VPCZoneIdentifier, typeof minSize === 'number' ? minSize : 1, 'instance'));
  }
  return result;
}

function zonalTier(stack: LoadedStack, id: string, subnets: unknown, units: number, noun: string): Component[] {
  const { template } = stack;
  const spread = zoneSpread(subnets, template);
  const zonesAvailable = spread instanceof Unresolved ? 2 : spread.subnets === 0 ? 1 : zoneCount(spread);
  const zones = Math.max(1, Math.min(zonesAvailable, units));

  // Which NAT gateway each zone's subnets route through, and whether it sits in that zone.
  const items = list(subnets, template);
  const nats = new Map<string, string | undefined>();
  for (const subnet of Array.isArray(items) ? items : []) {
    const nat = natGatewayOfSubnet(subnet, template);
    if (nat) nats.set(nat, subnetZone(props(template.Resources?.[nat] ?? { Type: '' }).SubnetId, template));
  }
  const zonalNat =
    nats.size > 0 &&
    (Array.isArray(items) ? items : []).every((subnet) => {
      const nat = natGatewayOfSubnet(subnet, template);
      return nat !== undefined && nats.get(nat) !== undefined && nats.get(nat) === subnetZone(subnet, template);
    });

  const zoneFigures = zonalNat ? [FIGURES.computeZone, FIGURES.natGateway] : [FIGURES.computeZone];
  const unit = series(zoneFigures.map((f) => f.availability));
  const unitText = zonalNat ? `(${percent(FIGURES.computeZone.availability)} ${noun}s × ${percent(FIGURES.natGateway.availability)} NAT)` : percent(unit);
  let availability: number;
  let basis: string;
  const sources = zoneFigures.map((f) => f.source);
  if (zones >= 2) {
    const redundant = parallel(Array.from({ length: zones }, () => unit));
    availability = Math.min(redundant, FIGURES.computeRegion.availability);
    basis = `${units} ${noun}${units === 1 ? '' : 's'} over ${zones} zones in parallel: 1 - (1 - ${unitText})^${zones} = ${percent(redundant)}${redundant > availability ? `, capped at ${percent(availability)}` : ''}`;
    sources.push(FIGURES.computeRegion.source);
  } else {
    availability = unit;
    basis = `${units} ${noun}${units === 1 ? '' : 's'} in one zone: ${unitText}`;
  }
  const components: Component[] = [{ tier: 'compute', stack: stack.name, resource: id, availability, basis, sources }];
  if (!zonalNat) {
    for (const nat of nats.keys()) {
      components.push({
        tier: 'network',
        stack: stack.name,
        resource: nat,
        availability: FIGURES.natGateway.availability,
        basis: `shared NAT gateway: every zone of ${id} routes through it, so it is in series`,
        sources: [FIGURES.natGateway.source],
      });
    }
  }
  return components;
}

function databases(stack: LoadedStack): Component[] {
  const { template } = stack;
  const result: Component[] = [];
  const add = (resource: string, figure: Figure, basis: string) =>
    result.push({ tier: 'database', stack: stack.name, resource, availability: figure.availability, basis, sources: [figure.source] });
  for (const [id, db] of resourcesOfType(template, 'AWS::RDS::DBInstance')) {
    if (!isPrimaryDbInstance(db)) continue;
    const multiAz = bool(props(db).MultiAZ, template) === true;
    add(id, multiAz ? FIGURES.rdsMultiAz : FIGURES.rdsSingleAz, multiAz ? 'Multi-AZ DB instance (synchronous standby)' : 'single-AZ DB instance');
  }
  for (const [id, cluster] of resourcesOfType(template, 'AWS::RDS::DBCluster')) {
    if (props(cluster).SourceDBClusterIdentifier !== undefined) continue;
    if (isMultiAzDbCluster(cluster)) {
      add(id, FIGURES.rdsMultiAz, 'Multi-AZ DB cluster (two readable standbys)');
      continue;
    }
    const instances = clusterInstances(id, template).length;
    add(id, instances >= 2 ? FIGURES.auroraMultiAz : FIGURES.auroraSingleAz, `Aurora cluster with ${instances} instance${instances === 1 ? '' : 's'}`);
  }
  for (const [id] of resourcesOfType(template, 'AWS::DynamoDB::Table')) add(id, FIGURES.dynamoDb, 'DynamoDB table');
  for (const [id, table] of resourcesOfType(template, 'AWS::DynamoDB::GlobalTable')) {
    const replicas = Array.isArray(props(table).Replicas) ? (props(table).Replicas as unknown[]).length : 1;
    add(id, replicas >= 2 ? FIGURES.dynamoDbGlobal : FIGURES.dynamoDb, `DynamoDB global table with ${replicas} replica${replicas === 1 ? '' : 's'}`);
  }
  return result;
}

