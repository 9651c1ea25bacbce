/**
 * What the regional rehearsal takes from the synthesised DR site (stack HaDrSite): the Route 53 failover records and
 * the health check on the primary (interval, failure threshold, path, TTL), the replica-lag alarm, and how many
 * standby tasks run before a failover. Pure readers (unit tested on small fixtures and on the real synthesis) plus one
 * loader that synthesises the app in-process.
 *
 * Nothing here falls back to a default: a template without the records, or with a value that is not a literal, is an
 * error that says what is missing. The rehearsal must measure the template's numbers, not Route 53's defaults.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import type { CfnTemplate } from '../../constructs/checks/template';
import { buildApp } from '../../lib/app';

/** The DNS failover as the template configures it. */
export interface DnsFailoverSettings {
  readonly recordName: string;
  readonly primaryRecord: string;
  readonly secondaryRecord: string;
  readonly healthCheck: string;
  /** HealthCheckConfig.Type (HTTP, HTTPS, ...). The rehearsal probes over HTTP on loopback either way. */
  readonly type: string;
  readonly resourcePath: string;
  /** HealthCheckConfig.RequestInterval, seconds. */
  readonly intervalSeconds: number;
  /** HealthCheckConfig.FailureThreshold: probes in a row that change the status. */
  readonly failureThreshold: number;
  /** TTL of the failover records, seconds (both must agree). */
  readonly ttlSeconds: number;
}

/** The alarm on the cross-region replica's lag (AWS/RDS ReplicaLag). */
export interface LagAlarmSettings {
  readonly alarm: string;
  readonly thresholdSeconds: number;
  readonly periodSeconds: number;
  readonly evaluationPeriods: number;
  readonly datapointsToAlarm: number;
}

type Resource = { Type?: string; Properties?: Record<string, unknown> };

function resources(template: CfnTemplate, type: string): [string, Resource][] {
  return Object.entries((template.Resources ?? {}) as Record<string, Resource>).filter(([, r]) => r.Type === type);
}

function positive(value: unknown, what: string): number {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n) || n <= 0) {
    throw new Error(`${what} must be a positive literal number in the template, got ${value === undefined ? 'nothing (the property is absent)' : JSON.stringify(value)}`);
  }
  return n;
}

/**
 * Reads the PRIMARY/SECONDARY failover record sets and the health check the PRIMARY one names. Throws when the
 * template has no such pair (DNS failover not configured), when there is more than one pair, when the two records
 * differ in name or TTL, or when RequestInterval, FailureThreshold, ResourcePath or TTL is absent or not a literal.
 */
export function dnsFailoverFromTemplate(template: CfnTemplate, stackName = 'the template'): DnsFailoverSettings {
  const records = resources(template, 'AWS::Route53::RecordSet');
  const byRole = (role: string) => records.filter(([, r]) => r.Properties?.Failover === role);
  const primaries = byRole('PRIMARY');
  const secondaries = byRole('SECONDARY');
  if (primaries.length === 0 || secondaries.length === 0) {
    throw new Error(
      `${stackName} has no Route 53 failover records (AWS::Route53::RecordSet with Failover PRIMARY and SECONDARY; found ${primaries.length} PRIMARY, ${secondaries.length} SECONDARY): ` +
        'configure dns { hostedZoneId, zoneName, recordName } with a pilot-light or warm-standby dr strategy; the rehearsal will not assume Route 53 defaults',
    );
  }
  if (primaries.length > 1 || secondaries.length > 1) {
    throw new Error(`${stackName} has ${primaries.length} PRIMARY and ${secondaries.length} SECONDARY failover records; the rehearsal needs exactly one pair`);
  }
  const [primaryId, primary] = primaries[0];
  const [secondaryId, secondary] = secondaries[0];
  const name = primary.Properties?.Name;
  if (typeof name !== 'string' || name !== secondary.Properties?.Name) {
    throw new Error(`${primaryId} and ${secondaryId} must be literal records of one name, got ${JSON.stringify(name)} and ${JSON.stringify(secondary.Properties?.Name)}`);
  }
  const ttl = positive(primary.Properties?.TTL, `${primaryId}.TTL`);
  const secondaryTtl = positive(secondary.Properties?.TTL, `${secondaryId}.TTL`);
  if (ttl !== secondaryTtl) throw new Error(`${primaryId}.TTL (${ttl}) and ${secondaryId}.TTL (${secondaryTtl}) differ; the rehearsal needs one TTL`);
  const ref = (primary.Properties?.HealthCheckId as { Ref?: unknown } | undefined)?.Ref;
  if (typeof ref !== 'string') {
    throw new Error(`${primaryId} (Failover PRIMARY) has no HealthCheckId referencing a health check in the template, got ${JSON.stringify(primary.Properties?.HealthCheckId)}: without one Route 53 never fails over`);
  }
  const hc = (template.Resources as Record<string, Resource> | undefined)?.[ref];
  if (hc?.Type !== 'AWS::Route53::HealthCheck') throw new Error(`${primaryId}.HealthCheckId references ${ref}, which is not an AWS::Route53::HealthCheck in ${stackName}`);
  const config = (hc.Properties?.HealthCheckConfig ?? {}) as Record<string, unknown>;
  const resourcePath = config.ResourcePath;
  if (typeof resourcePath !== 'string' || !resourcePath.startsWith('/')) {
    throw new Error(`${ref}.HealthCheckConfig.ResourcePath must be a literal path in the template, got ${JSON.stringify(resourcePath)}`);
  }
  const type = config.Type;
  if (typeof type !== 'string') throw new Error(`${ref}.HealthCheckConfig.Type must be a literal, got ${JSON.stringify(type)}`);
  return {
    recordName: name,
    primaryRecord: primaryId,
    secondaryRecord: secondaryId,
    healthCheck: ref,
    type,
    resourcePath,
    intervalSeconds: positive(config.RequestInterval, `${ref}.HealthCheckConfig.RequestInterval`),
    failureThreshold: positive(config.FailureThreshold, `${ref}.HealthCheckConfig.FailureThreshold`),
    ttlSeconds: ttl,
  };
}

/** Reads the one alarm on AWS/RDS ReplicaLag. Throws when there is none or more than one, or a value is not literal. */
export function lagAlarmFromTemplate(template: CfnTemplate, stackName = 'the template'): LagAlarmSettings {
  const alarms = resources(template, 'AWS::CloudWatch::Alarm').filter(([, r]) => r.Properties?.MetricName === 'ReplicaLag' && r.Properties?.Namespace === 'AWS/RDS');
  if (alarms.length !== 1) throw new Error(`${stackName} must have exactly one AWS/RDS ReplicaLag alarm, found ${alarms.length}`);
  const [id, alarm] = alarms[0];
  const p = alarm.Properties ?? {};
  if (p.ComparisonOperator !== 'GreaterThanThreshold' && p.ComparisonOperator !== 'GreaterThanOrEqualToThreshold') {
    throw new Error(`${id}.ComparisonOperator must be GreaterThan(OrEqualTo)Threshold, got ${JSON.stringify(p.ComparisonOperator)}`);
  }
  const evaluationPeriods = positive(p.EvaluationPeriods, `${id}.EvaluationPeriods`);
  return {
    alarm: id,
    thresholdSeconds: positive(p.Threshold, `${id}.Threshold`),
    periodSeconds: positive(p.Period, `${id}.Period`),
    evaluationPeriods,
    // CloudWatch: DatapointsToAlarm defaults to EvaluationPeriods (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-cloudwatch-alarm.html).
    datapointsToAlarm: p.DatapointsToAlarm === undefined ? evaluationPeriods : positive(p.DatapointsToAlarm, `${id}.DatapointsToAlarm`),
  };
}

/** DesiredCount of the template's one ECS service: the tasks that run before anything scales. */
export function serviceDesiredCount(template: CfnTemplate, stackName = 'the template'): number {
  const services = resources(template, 'AWS::ECS::Service');
  if (services.length !== 1) throw new Error(`${stackName} must have exactly one AWS::ECS::Service, found ${services.length}`);
  const [id, svc] = services[0];
  const n = svc.Properties?.DesiredCount;
  if (n === 0 || n === '0') return 0;
  return positive(n, `${id}.DesiredCount`);
}

/** Whether the lag alarm's condition holds: the last `datapointsToAlarm` of the last `evaluationPeriods` per-period maxima breach. */
export function lagAlarmConditionMet(periodMaxima: readonly number[], alarm: LagAlarmSettings, thresholdSeconds = alarm.thresholdSeconds): boolean {
  const window = periodMaxima.slice(-alarm.evaluationPeriods);
  if (window.length < alarm.evaluationPeriods) return false;
  return window.filter((v) => v > thresholdSeconds).length >= alarm.datapointsToAlarm;
}

export type Strategy = 'warm-standby' | 'pilot-light';

/** The `ha` context the rehearsal synthesises: the strategy, DNS failover and the certificates HTTPS needs. */
export function regionalContext(strategy: Strategy): Record<string, unknown> {
  return {
    certificateArn: 'arn:aws:acm:us-east-1:111111111111:certificate/11111111-2222-3333-4444-555555555555',
    dns: { hostedZoneId: 'Z0123456789ABCDEFGHIJ', zoneName: 'example.com', recordName: 'api.example.com' },
    dr: { strategy, certificateArn: 'arn:aws:acm:us-west-2:111111111111:certificate/66666666-7777-8888-9999-000000000000' },
  };
}

export interface RegionalTemplates {
  readonly primary: CfnTemplate;
  readonly drSite: CfnTemplate;
  /** Every stack of the synthesis (for the resilience report's recovery model). */
  readonly stacks: readonly { name: string; template: CfnTemplate; region?: string }[];
  readonly source: string;
}

const ROOT = path.resolve(__dirname, '..', '..');

/** Synthesises the app in-process from cdk.json with `regionalContext(strategy)` merged into its `ha` context. */
export function loadRegionalTemplates(strategy: Strategy): RegionalTemplates {
  const outdir = mkdtempSync(path.join(tmpdir(), 'ha-regional-synth-'));
  const write = process.stdout.write;
  process.stdout.write = process.stderr.write.bind(process.stderr) as typeof process.stdout.write;
  try {
    const context = (JSON.parse(readFileSync(path.join(ROOT, 'cdk.json'), 'utf8')) as { context?: Record<string, unknown> }).context ?? {};
    const ha = { ...((context.ha as Record<string, unknown> | undefined) ?? {}) };
    const extra = regionalContext(strategy);
    const merged = { ...ha, ...extra, dr: { ...((ha.dr as Record<string, unknown> | undefined) ?? {}), ...(extra.dr as Record<string, unknown>) } };
    const app = new App({ context: { ...context, ha: merged }, outdir });
    const built = buildApp(app);
    if (!built.drSite) throw new Error(`dr.strategy ${strategy} built no DR site stack`);
    const assembly = app.synth();
    const stacks = assembly.stacks.map((s) => ({ name: s.stackName, template: s.template as CfnTemplate, region: s.environment.region }));
    return {
      primary: assembly.getStackArtifact(built.primary.artifactId).template as CfnTemplate,
      drSite: assembly.getStackArtifact(built.drSite.artifactId).template as CfnTemplate,
      stacks,
      source: `in-process synthesis of ${built.primary.stackName} and ${built.drSite.stackName} (dr.strategy ${strategy}, dns ${JSON.stringify(extra.dns)})`,
    };
  } finally {
    process.stdout.write = write;
    rmSync(outdir, { recursive: true, force: true });
  }
}
