/**
 * What the rehearsal takes from the synthesised CloudFormation template, so the local load balancer
 * and the service replicas behave like the ones `cdk deploy` creates: the target group's health check
 * and deregistration delay, and the container's environment. Pure functions (unit tested) plus one
 * loader that synthesises the real app in-process.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type * as CdkLib from 'aws-cdk-lib';
import { deregistrationDelaySeconds } from '../../constructs/checks/rules/target-group-deregistration-delay';
import { healthCheckTiming } from '../../constructs/checks/rules/target-group-health-check';
import { type CfnTemplate, Unresolved } from '../../constructs/checks/template';
import type * as LibApp from '../../lib/app';

export type { CfnTemplate };

/** The load balancer settings the rehearsal copies into HAProxy. */
export interface HealthCheckSettings {
  /** Logical ID of the target group the values came from. */
  readonly targetGroup: string;
  readonly path: string;
  readonly intervalSeconds: number;
  readonly timeoutSeconds: number;
  readonly healthyThreshold: number;
  readonly unhealthyThreshold: number;
  /** The success codes, as the ALB matcher spells them ("200", "200-299", "200,202"). */
  readonly matcher: string;
  readonly deregistrationDelaySeconds: number;
}

// Elastic Load Balancing's defaults for what the resilience rules do not read (they fill in the interval,
// thresholds and deregistration delay): https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html
const ALB_DEFAULTS = { path: '/', timeoutSeconds: 5, matcher: '200' } as const;

function literal<T>(value: T | Unresolved, what: string): T {
  if (value instanceof Unresolved) throw new Error(`${what} must be a literal in the template, got ${value}`);
  return value;
}

function literalNumber(value: unknown, what: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = typeof value === 'string' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n) || n <= 0) {
    throw new Error(`${what} must be a positive literal number in the template, got ${JSON.stringify(value)}`);
  }
  return n;
}

function literalString(value: unknown, what: string, fallback: string): string {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || value === '') {
    throw new Error(`${what} must be a literal string in the template, got ${JSON.stringify(value)}`);
  }
  return value;
}

/**
 * Reads the health check of the template's HTTP target group (the service's). A canary, linear or blue/green
 * service has two (ECS moves production between them): then the one the ECS service names is read, and the other
 * must have the same health check. Throws when there is none, when two differ, or when a value is not a literal
 * (a token would make the rehearsal guess).
 */
export function healthCheckFromTemplate(template: CfnTemplate): HealthCheckSettings {
  let groups = Object.entries(template.Resources ?? {}).filter(
    ([, r]) => r.Type === 'AWS::ElasticLoadBalancingV2::TargetGroup' && (r.Properties?.Protocol ?? 'HTTP') === 'HTTP',
  );
  if (groups.length === 2) {
    const keys = ['HealthCheckPath', 'HealthCheckIntervalSeconds', 'HealthCheckTimeoutSeconds', 'HealthyThresholdCount', 'UnhealthyThresholdCount', 'Matcher', 'TargetGroupAttributes'];
    const [a, b] = groups.map(([, r]) => JSON.stringify(keys.map((k) => r.Properties?.[k])));
    const services = Object.values(template.Resources ?? {}).filter((r) => r.Type === 'AWS::ECS::Service');
    const named = services.flatMap((svc) => (Array.isArray(svc.Properties?.LoadBalancers) ? svc.Properties.LoadBalancers : []))
      .map((lb: { TargetGroupArn?: { Ref?: string } }) => lb.TargetGroupArn?.Ref);
    if (a === b && named.length === 1) groups = groups.filter(([id]) => id === named[0]);
  }
  if (groups.length !== 1) {
    throw new Error(`expected exactly one HTTP target group in the template, found ${groups.length}: ${groups.map(([id]) => id).join(', ') || 'none'}`);
  }
  const [id, resource] = groups[0];
  const p = resource.Properties ?? {};
  const matcher = (p.Matcher as { HttpCode?: unknown } | undefined)?.HttpCode;
  // Interval, thresholds and deregistration delay with the same defaults the resilience rules apply.
  const timing = literal(healthCheckTiming(resource, template), `${id} health check`);
  const settings: HealthCheckSettings = {
    targetGroup: id,
    path: literalString(p.HealthCheckPath, `${id}.HealthCheckPath`, ALB_DEFAULTS.path),
    intervalSeconds: timing.intervalSeconds,
    timeoutSeconds: literalNumber(p.HealthCheckTimeoutSeconds, `${id}.HealthCheckTimeoutSeconds`, ALB_DEFAULTS.timeoutSeconds),
    healthyThreshold: timing.healthyThreshold,
    unhealthyThreshold: timing.unhealthyThreshold,
    matcher: literalString(matcher, `${id}.Matcher.HttpCode`, ALB_DEFAULTS.matcher),
    deregistrationDelaySeconds: literal(deregistrationDelaySeconds(resource, template), `${id} deregistration_delay.timeout_seconds`),
  };
  if (settings.timeoutSeconds >= settings.intervalSeconds) {
    throw new Error(`${id}: HealthCheckTimeoutSeconds (${settings.timeoutSeconds}) must be less than HealthCheckIntervalSeconds (${settings.intervalSeconds})`);
  }
  return settings;
}

/**
 * The worst-case time for the load balancer to stop routing to a dead target: up to one interval until
 * the first check after the failure, `unhealthyThreshold - 1` more intervals for the following failed
 * checks, and the last check waiting its full timeout.
 */
export function detectionBoundSeconds(hc: HealthCheckSettings): number {
  return hc.intervalSeconds * hc.unhealthyThreshold + hc.timeoutSeconds;
}

/**
 * The service container's literal environment variables (values that are CloudFormation tokens, such as
 * the database endpoint, are left out: the rehearsal supplies its own).
 */
export function containerEnvironment(template: CfnTemplate): Record<string, string> {
  const taskDefinitions = Object.values(template.Resources ?? {}).filter((r) => r.Type === 'AWS::ECS::TaskDefinition');
  const env: Record<string, string> = {};
  for (const td of taskDefinitions) {
    const containers = (td.Properties?.ContainerDefinitions ?? []) as { Environment?: { Name?: unknown; Value?: unknown }[] }[];
    for (const c of containers) {
      for (const e of c.Environment ?? []) {
        if (typeof e.Name === 'string' && typeof e.Value === 'string') env[e.Name] = e.Value;
      }
    }
  }
  return env;
}

export interface LoadedTemplate {
  readonly template: CfnTemplate;
  /** The latency SLO threshold from the app's config (undefined when synthesis failed). */
  readonly latencySloMs?: number;
  /** Where it came from, for the report: an in-process synthesis or a file. */
  readonly source: string;
}

const ROOT = path.resolve(__dirname, '..', '..');

/**
 * Synthesises the primary stack in-process from cdk.json's context (exactly what `cdk synth` builds,
 * rule packs included). When that throws (lib/ mid-edit, for example) falls back to
 * cdk.out/HaPrimary.template.json and says so in `source`.
 */
export function loadPrimaryTemplate(log: (msg: string) => void): LoadedTemplate {
  const outdir = mkdtempSync(path.join(tmpdir(), 'ha-rehearsal-synth-'));
  // Synthesis prints its validation report on stdout; stdout belongs to the rehearsal's own output (--json).
  const write = process.stdout.write;
  process.stdout.write = process.stderr.write.bind(process.stderr) as typeof process.stdout.write;
  try {
    // Loaded here, not at the top: lib/ failing to load (mid-edit) must fall back, not crash the CLI.
    const { App } = require('aws-cdk-lib') as typeof CdkLib;
    const { buildApp } = require('../../lib/app') as typeof LibApp;
    const cdkJson = JSON.parse(readFileSync(path.join(ROOT, 'cdk.json'), 'utf8')) as { context?: Record<string, unknown> };
    const app = new App({ context: cdkJson.context ?? {}, outdir });
    const { primary, config } = buildApp(app);
    const assembly = app.synth();
    const latencySloMs = (config as { slo?: { latency?: { thresholdMs?: unknown } } }).slo?.latency?.thresholdMs;
    return {
      template: assembly.getStackArtifact(primary.artifactId).template as CfnTemplate,
      source: `in-process synthesis of ${primary.stackName}`,
      latencySloMs: typeof latencySloMs === 'number' ? latencySloMs : undefined,
    };
  } catch (err) {
    const file = path.join(ROOT, 'cdk.out', 'HaPrimary.template.json');
    log(`synthesis failed (${(err as Error).message.split('\n')[0]}); falling back to ${path.relative(ROOT, file)}`);
    try {
      return { template: JSON.parse(readFileSync(file, 'utf8')) as CfnTemplate, source: `${path.relative(ROOT, file)} (synthesis failed)` };
    } catch {
      throw new Error(`cannot synthesise the app and ${file} is missing: run \`npm run synth\` first`);
    }
  } finally {
    process.stdout.write = write;
    rmSync(outdir, { recursive: true, force: true });
  }
}
