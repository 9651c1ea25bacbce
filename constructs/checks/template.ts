/**
 * A read-only view of a CloudFormation template and the lookups the resilience rules share.
 *
 * Pure functions over plain JSON, no CDK: the same code judges a template synthesised a moment
 * ago (the NagPack) and a template read from disk that this project never saw (the report).
 */

/** One resource of a template, as CloudFormation receives it. */
export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly DeletionPolicy?: string;
  readonly UpdateReplacePolicy?: string;
  readonly Metadata?: Record<string, unknown>;
  readonly Condition?: string;
}

export interface CfnParameter {
  readonly Type?: string;
  readonly Default?: unknown;
}

/** One output of a template. */
export interface CfnOutput {
  readonly Value?: unknown;
  readonly Export?: { readonly Name?: unknown };
}

/** The parts of a template the rules read. */
export interface CfnTemplate {
  readonly Resources?: Record<string, CfnResource>;
  readonly Parameters?: Record<string, CfnParameter>;
  readonly Outputs?: Record<string, CfnOutput>;
}

/** Another stack of the same app or cloud assembly, as a rule that looks across stacks reads it. */
export interface PeerStack {
  /** The CloudFormation stack name (what `Fn::GetStackOutput` names). */
  readonly stackName: string;
  /** Its region, when the app or the assembly names one. */
  readonly region?: string;
  readonly template: CfnTemplate;
}

/** What a rule is asked about: one resource, with its template for lookups. */
export interface RuleSubject {
  readonly logicalId: string;
  readonly resource: CfnResource;
  readonly template: CfnTemplate;
  /** The stack name of the resource's stack, when the checker knows it. */
  readonly stackName?: string;
  /** The region of the resource's stack, when the checker knows it. */
  readonly region?: string;
  /**
   * The other stacks of the same app (the NagPack: the stacks of the same stage) or cloud assembly (the report).
   * Absent when the checker sees one template only; rules must then judge from `template` alone.
   */
  readonly peers?: readonly PeerStack[];
}

/** A value the template leaves to deploy time (an intrinsic function, an import, a parameter without a default). */
export class Unresolved {
  constructor(public readonly value: unknown) {}
  /** Short JSON of the value, for messages. */
  public toString(): string {
    const text = JSON.stringify(this.value) ?? String(this.value);
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
  }
}

type Json = Record<string, unknown>;

export function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The properties of a resource (empty when it has none). */
export function props(resource: CfnResource): Json {
  return resource.Properties ?? {};
}

/** Reads a nested property by path: `get(props, 'DeploymentConfiguration', 'DeploymentCircuitBreaker')`. */
export function get(value: unknown, ...path: string[]): unknown {
  let current = value;
  for (const key of path) {
    if (!isObject(current)) return undefined;
    current = current[key];
  }
  return current;
}

/**
 * A primitive value: itself, or the default of the parameter it refers to.
 * `undefined` when absent; `Unresolved` when only deploy time can tell.
 */
export function primitive(value: unknown, template: CfnTemplate): string | number | boolean | undefined | Unresolved {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  const ref = isObject(value) && Object.keys(value).length === 1 ? value.Ref : undefined;
  if (typeof ref === 'string') {
    const parameter = template.Parameters?.[ref];
    const fallback = parameter?.Default;
    if (typeof fallback === 'string' || typeof fallback === 'number' || typeof fallback === 'boolean') return fallback;
  }
  return new Unresolved(value);
}

/** A number (CloudFormation often writes numbers as strings). */
export function num(value: unknown, template: CfnTemplate): number | undefined | Unresolved {
  const p = primitive(value, template);
  if (p === undefined || p instanceof Unresolved) return p;
  const n = typeof p === 'number' ? p : Number(p);
  return Number.isFinite(n) && p !== '' ? n : new Unresolved(value);
}

/** A boolean (`true`, `"true"`, case-insensitive). */
export function bool(value: unknown, template: CfnTemplate): boolean | undefined | Unresolved {
  const p = primitive(value, template);
  if (p === undefined || p instanceof Unresolved) return p;
  if (typeof p === 'boolean') return p;
  if (typeof p === 'string' && /^(true|false)$/i.test(p)) return p.toLowerCase() === 'true';
  return new Unresolved(value);
}

/** A string, or undefined / Unresolved. */
export function str(value: unknown, template: CfnTemplate): string | undefined | Unresolved {
  const p = primitive(value, template);
  if (p === undefined || p instanceof Unresolved) return p;
  return String(p);
}

/** The logical ID a value points at through `Ref` or `Fn::GetAtt` (either form), if any. */
export function refTarget(value: unknown): string | undefined {
  if (!isObject(value)) return undefined;
  if (typeof value.Ref === 'string') return value.Ref;
  const getAtt = value['Fn::GetAtt'];
  if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') return getAtt[0];
  if (typeof getAtt === 'string') return getAtt.split('.')[0];
  return undefined;
}

/** Whether a value (any depth: Fn::Join, Fn::Sub, lists, objects) refers to the logical ID. */
export function refersTo(value: unknown, logicalId: string): boolean {
  if (Array.isArray(value)) return value.some((v) => refersTo(v, logicalId));
  if (!isObject(value)) return false;
  if (refTarget(value) === logicalId) return true;
  const sub = value['Fn::Sub'];
  const subText = typeof sub === 'string' ? sub : Array.isArray(sub) && typeof sub[0] === 'string' ? sub[0] : undefined;
  if (subText !== undefined && new RegExp(`\\$\\{${escapeRegExp(logicalId)}(\\.[^}]*)?\\}`).test(subText)) return true;
  return Object.values(value).some((v) => refersTo(v, logicalId));
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Every resource of a type, as `[logicalId, resource]`. */
export function resourcesOfType(template: CfnTemplate, ...types: string[]): Array<[string, CfnResource]> {
  return Object.entries(template.Resources ?? {}).filter(([, r]) => types.includes(r.Type));
}

/** Every resource (other than the subject) whose properties refer to the logical ID. */
export function referrers(template: CfnTemplate, logicalId: string, ...types: string[]): Array<[string, CfnResource]> {
  return Object.entries(template.Resources ?? {}).filter(
    ([id, r]) => id !== logicalId && (types.length === 0 || types.includes(r.Type)) && refersTo(r.Properties, logicalId),
  );
}

/** The elements of a list property; a list parameter's default is split on commas. */
export function list(value: unknown, template: CfnTemplate): unknown[] | Unresolved | undefined {
  if (value === undefined || value === null) return undefined;
  if (Array.isArray(value)) return value;
  const ref = isObject(value) ? value.Ref : undefined;
  if (typeof ref === 'string') {
    const fallback = template.Parameters?.[ref]?.Default;
    if (typeof fallback === 'string') return fallback.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
    if (Array.isArray(fallback)) return fallback;
  }
  return new Unresolved(value);
}

/** What is known about the Availability Zones behind a list of subnets. */
export interface ZoneSpread {
  /** Distinct zones of the subnets whose zone the template states. */
  readonly zones: readonly string[];
  /** Subnets whose zone the template does not state (imported IDs, parameters). */
  readonly unknownSubnets: number;
  /** Distinct subnets listed. */
  readonly subnets: number;
}

/**
 * The zone of a subnet defined in the template: its `AvailabilityZone` (a name, or an expression such as
 * `Fn::Select [1, Fn::GetAZs]`, compared by its JSON) or `AvailabilityZoneId`.
 */
export function subnetZone(subnet: unknown, template: CfnTemplate): string | undefined {
  const id = refTarget(subnet);
  const resource = id ? template.Resources?.[id] : undefined;
  if (!resource || resource.Type !== 'AWS::EC2::Subnet') return undefined;
  const zone = props(resource).AvailabilityZone ?? props(resource).AvailabilityZoneId;
  if (zone === undefined) return undefined;
  return typeof zone === 'string' ? zone : JSON.stringify(zone);
}

/** The Availability Zones a list of subnet references spans. */
export function zoneSpread(subnets: unknown, template: CfnTemplate): ZoneSpread | Unresolved {
  const items = list(subnets, template);
  if (items === undefined) return { zones: [], unknownSubnets: 0, subnets: 0 };
  if (items instanceof Unresolved) return items;
  const zones = new Set<string>();
  const seen = new Set<string>();
  let unknownSubnets = 0;
  for (const item of items) {
    const key = JSON.stringify(item);
    if (seen.has(key)) continue;
    seen.add(key);
    const zone = subnetZone(item, template);
    if (zone === undefined) unknownSubnets += 1;
    else zones.add(zone);
  }
  return { zones: [...zones], unknownSubnets, subnets: seen.size };
}

/**
 * The most zones a spread can cover: the known zones plus one per subnet of unknown zone
 * (an upper bound, stated as an assumption wherever it is used).
 */
export function zoneCount(spread: ZoneSpread): number {
  return spread.zones.length + spread.unknownSubnets;
}

/** Readable name of a zone key (expressions become `zone #1`). */
export function zoneLabel(zone: string): string {
  if (!zone.startsWith('{')) return zone;
  const index = /"Fn::Select":\[(\d+)/.exec(zone);
  return index ? `zone #${Number(index[1]) + 1}` : 'a zone given by an expression';
}

/** `Key`/`Value` attribute lists (load balancer and target group attributes) as a map. */
export function attributes(value: unknown, template: CfnTemplate): Map<string, string | Unresolved> {
  const result = new Map<string, string | Unresolved>();
  if (!Array.isArray(value)) return result;
  for (const entry of value) {
    const key = get(entry, 'Key');
    if (typeof key !== 'string') continue;
    const v = str(get(entry, 'Value'), template);
    if (v !== undefined) result.set(key, v);
  }
  return result;
}

/** The NAT gateway a subnet's default route leads to, if the template says. */
export function natGatewayOfSubnet(subnet: unknown, template: CfnTemplate): string | undefined {
  const subnetId = refTarget(subnet);
  if (!subnetId) return undefined;
  for (const [, association] of resourcesOfType(template, 'AWS::EC2::SubnetRouteTableAssociation')) {
    if (refTarget(props(association).SubnetId) !== subnetId) continue;
    const tableId = refTarget(props(association).RouteTableId);
    if (!tableId) continue;
    for (const [, route] of resourcesOfType(template, 'AWS::EC2::Route')) {
      const p = props(route);
      if (refTarget(p.RouteTableId) !== tableId) continue;
      const nat = refTarget(p.NatGatewayId);
      if (nat && (p.DestinationCidrBlock === '0.0.0.0/0' || p.DestinationCidrBlock === undefined)) return nat;
    }
  }
  return undefined;
}

/** The subnets whose route tables send traffic to a NAT gateway. */
export function subnetsServedByNat(natId: string, template: CfnTemplate): string[] {
  const tables = new Set<string>();
  for (const [, route] of resourcesOfType(template, 'AWS::EC2::Route')) {
    if (refTarget(props(route).NatGatewayId) !== natId) continue;
    const table = refTarget(props(route).RouteTableId);
    if (table) tables.add(table);
  }
  const subnets: string[] = [];
  for (const [, association] of resourcesOfType(template, 'AWS::EC2::SubnetRouteTableAssociation')) {
    const table = refTarget(props(association).RouteTableId);
    const subnet = refTarget(props(association).SubnetId);
    if (table && subnet && tables.has(table)) subnets.push(subnet);
  }
  return subnets;
}

/** The CDK construct path of a resource, when the template was written by the CDK. */
export function constructPath(resource: CfnResource): string | undefined {
  const path = resource.Metadata?.['aws:cdk:path'];
  return typeof path === 'string' ? path : undefined;
}

/** Engines of Amazon Aurora (their instances belong to a cluster). */
export function isAuroraEngine(engine: unknown): boolean {
  return typeof engine === 'string' && engine.toLowerCase().startsWith('aurora');
}

/**
 * Whether an RDS DB instance is the primary of its data: not an Aurora or Multi-AZ cluster member,
 * not a read replica. Cluster members and replicas are judged through their cluster or source.
 */
export function isPrimaryDbInstance(resource: CfnResource): boolean {
  const p = props(resource);
  return (
    resource.Type === 'AWS::RDS::DBInstance' &&
    p.DBClusterIdentifier === undefined &&
    p.SourceDBInstanceIdentifier === undefined &&
    p.SourceDBClusterIdentifier === undefined &&
    !isAuroraEngine(p.Engine)
  );
}

/** Instances in the template that belong to a DB cluster. */
export function clusterInstances(clusterId: string, template: CfnTemplate): Array<[string, CfnResource]> {
  return resourcesOfType(template, 'AWS::RDS::DBInstance').filter(([, r]) => refTarget(props(r).DBClusterIdentifier) === clusterId);
}

/** Whether a DB cluster is a Multi-AZ DB cluster (RDS, not Aurora: it names an instance class itself). */
export function isMultiAzDbCluster(resource: CfnResource): boolean {
  return resource.Type === 'AWS::RDS::DBCluster' && props(resource).DBClusterInstanceClass !== undefined && !isAuroraEngine(props(resource).Engine);
}
