/**
 * The "lost region" recovery, computed per disaster-recovery strategy from the templates of a cloud assembly.
 *
 * The strategy is read from what the DR region runs:
 * - `pilot-light`: an AWS::RDS::DBInstance with SourceDBInstanceIdentifier whose source is in another region
 *   (a cross-region read replica), and in its stack no ECS service, or one with DesiredCount 0;
 * - `warm-standby`: the same replica, and an ECS service in its stack with DesiredCount ≥ 1;
 * - `backup-restore`: no cross-region read replica, but a copy of each database outside its region
 *   (replicated automated backups, an AWS Backup copy action, a global table or database);
 * - `none`: no replica and no copy outside the region (or no database at all).
 *
 * RTO = detection (+ the failover runbook's guard, when its alarm is slower) + promotion (replica strategies) or restore
 * + redeployment (backup-restore) + scaling + DNS.
 * The terms are added, a conservative bound: a runbook may overlap promotion and scaling. Each term says where its
 * figure comes from: a template and the resources read (with the values), or an assumption with the AWS page it
 * rests on. A term with no figure (`null`, "manual") makes the RTO `null`; `rtoKnownSeconds` is then the sum of
 * the terms that have one, a lower bound.
 */
import {
  alarmActions,
  autoscalingMinimum,
  CfnResource,
  get,
  healthCheckTiming,
  isObject,
  list,
  num,
  props,
  refersTo,
  refTarget,
  resourcesOfType,
  str,
  Unresolved,
} from '../pure';
import type { LoadedStack } from './load';

export type DrStrategyKind = 'backup-restore' | 'pilot-light' | 'warm-standby' | 'none';

/** One term of the RTO (or the RPO), with where its figure comes from. */
export interface RecoveryTerm {
  /** `detection`, `guard`, `promotion`, `restore`, `redeployment`, `scaling`, `dns` or, for the RPO, `data`. */
  readonly term: string;
  /** Seconds; `null` when nothing in the templates gives a figure and a person must act ("manual"). */
  readonly seconds: number | null;
  /** How the figure is obtained, in one sentence. */
  readonly basis: string;
  /** `<template file>: <logical ID> (<properties read>)`, or `assumption: <AWS documentation URL>`. */
  readonly source: string;
  /** True when the figure is an assumption rather than read from a template. */
  readonly assumption: boolean;
}

export interface LostRegionRecovery {
  readonly strategy: DrStrategyKind;
  /** What in the templates decided the strategy. */
  readonly strategyEvidence: string;
  /** The region whose loss is modelled (the replica's source, else the region of the stacks that serve). */
  readonly primaryRegion?: string;
  /** The region that takes over (the replica's), when there is a standby site. */
  readonly drRegion?: string;
  /** Sum of the RTO terms; `null` when one of them is manual. */
  readonly rtoSeconds: number | null;
  /** Sum of the RTO terms that have a figure: the RTO when none is manual, else a lower bound. */
  readonly rtoKnownSeconds: number;
  readonly rto: readonly RecoveryTerm[];
  /** Writes at risk; `null` when no copy leaves the region (the data is lost). */
  readonly rpoSeconds: number | null;
  readonly rpo: RecoveryTerm;
}

/** The facts about a primary database the backup-restore RPO needs (recovery.ts reads them). */
export interface RegionalDatabase {
  readonly stack: string;
  readonly id: string;
  readonly copyIntervalSeconds?: number;
  readonly copySource?: string;
  readonly replicatedBackups: boolean;
  readonly global: boolean;
}

/** Figures the lost-region model assumes, each with the AWS page it rests on. */
export const REGION_FIGURES = {
  /**
   * Promoting a cross-region RDS read replica until it accepts writes. The RDS User Guide: "The promotion process
   * can take several minutes or longer to complete, depending on the size of the read replica." 10 min assumed.
   */
  replicaPromotionSeconds: 600,
  replicaPromotionUrl: 'https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ReadRepl.Promote.html',
  /** Placing a Fargate task, pulling its image and starting the app; AWS publishes no figure. 60 s assumed. */
  taskStartSeconds: 60,
  taskStartUrl: 'https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-lifecycle-explanation.html',
  /** Pilot light without a standby service: deploying the service and its load balancer into the DR network. */
  serviceDeploySeconds: 1200,
  serviceDeployUrl: 'https://docs.aws.amazon.com/whitepapers/latest/disaster-recovery-workloads-on-aws/disaster-recovery-options-in-the-cloud.html',
  /** Backup and restore: point-in-time restore of a small database in the DR region; grows with size. */
  restoreSeconds: 1800,
  restoreUrl: 'https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_PIT.html',
  /** Backup and restore: deploying the stacks into the DR region, by a person with a runbook. */
  redeploySeconds: 3600,
  redeployUrl: 'https://docs.aws.amazon.com/whitepapers/latest/disaster-recovery-workloads-on-aws/disaster-recovery-options-in-the-cloud.html',
  /** Route 53 FAQ: failover alias records to ELB load balancers have a fixed TTL of 60 seconds. */
  elbAliasTtlSeconds: 60,
  elbAliasTtlUrl: 'https://aws.amazon.com/route53/faqs/',
  /** AWS::Route53::HealthCheck HealthCheckConfig defaults: RequestInterval 30 s, FailureThreshold 3. */
  route53IntervalSeconds: 30,
  route53FailureThreshold: 3,
  route53HealthUrl: 'https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/dns-failover-determining-health-of-endpoints.html',
  /** Cross-region read replicas replicate asynchronously; with no lag alarm the lag is unbounded: 5 min assumed. */
  replicaRpoSeconds: 300,
  replicaRpoUrl: 'https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ReadRepl.html',
  /** RDS uploads transaction logs every 5 minutes; replicated automated backups copy them as soon as they are ready. */
  replicatedBackupRpoSeconds: 300,
  replicatedBackupUrl: 'https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ReplicateBackups.html',
  /** Aurora global databases and DynamoDB global tables: replication typically under a second. */
  globalReplicationRpoSeconds: 1,
  globalReplicationUrl: 'https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-global-database.html',
} as const;

const R = REGION_FIGURES;

interface Replica {
  readonly stack: LoadedStack;
  readonly id: string;
  readonly resource: CfnResource;
  readonly sourceRegion?: string;
}

interface Service {
  readonly stack: LoadedStack;
  readonly id: string;
  readonly desired: number;
  readonly running: number;
  readonly desiredText: string;
}

export function lostRegionRecovery(stacks: readonly LoadedStack[], databases: readonly RegionalDatabase[]): LostRegionRecovery {
  const replicas = crossRegionReplicas(stacks);
  const primaryRegion = replicas.find((r) => r.sourceRegion)?.sourceRegion ?? servingRegion(stacks, replicas);
  const drStacks = new Set(replicas.map((r) => r.stack));
  const standbyServices = [...drStacks].flatMap(services);
  const primaryServices = stacks.filter((s) => !drStacks.has(s) && (primaryRegion === undefined || s.region === undefined || s.region === primaryRegion)).flatMap(services);

  const canaries = canaryDetections(stacks, primaryRegion);
  const detection = detectionTerm(stacks, primaryRegion, canaries);
  const dns = dnsTerm(stacks);

  if (replicas.length > 0) {
    const warm = standbyServices.some((s) => s.running >= 1);
    const strategy: DrStrategyKind = warm ? 'warm-standby' : 'pilot-light';
    const replicaText = replicas.map((r) => `${r.stack.name}/${r.id} (read replica of a source in ${r.sourceRegion ?? 'another region'})`).join(', ');
    const serviceText =
      standbyServices.length === 0
        ? 'no ECS service in its stack'
        : standbyServices.map((s) => `${s.stack.name}/${s.id} DesiredCount ${s.desiredText}`).join(', ');
    const guard = guardTerm(drStacks, canaries, detection);
    const rto = [detection, ...(guard ? [guard] : []), promotionTerm(replicas), scalingTerm(strategy, standbyServices, primaryServices), dns];
    const rpo = replicaRpoTerm(replicas);
    return {
      strategy,
      strategyEvidence: `${replicaText}; ${serviceText}`,
      primaryRegion,
      drRegion: replicas[0].stack.region,
      ...sum(rto),
      rto,
      rpoSeconds: rpo.seconds,
      rpo,
    };
  }

  const copied = databases.length > 0 && databases.some((d) => d.global || d.replicatedBackups || d.copyIntervalSeconds !== undefined);
  const strategy: DrStrategyKind = copied ? 'backup-restore' : 'none';
  const rpo = backupRpoTerm(databases);
  const restore: RecoveryTerm =
    databases.length === 0
      ? { term: 'restore', seconds: 0, basis: 'no database: nothing to restore', source: 'no AWS::RDS or AWS::DynamoDB resource in the templates', assumption: false }
      : databases.every((d) => d.global)
        ? { term: 'restore', seconds: 0, basis: 'every database is global: the other region already holds the data (its failover is not modelled)', source: databases.map((d) => `${d.stack}/${d.id}`).join(', '), assumption: false }
        : { term: 'restore', seconds: rpo.seconds === null ? null : R.restoreSeconds, basis: rpo.seconds === null ? 'no copy to restore from: the data is lost' : `restore the database in the DR region (~${R.restoreSeconds / 60} min assumed; grows with its size)`, source: `assumption: ${R.restoreUrl}`, assumption: rpo.seconds !== null };
  const redeploy: RecoveryTerm = {
    term: 'redeployment',
    seconds: R.redeploySeconds,
    basis: `deploy the stacks into the DR region, by a person with the runbook (~${R.redeploySeconds / 60} min assumed)`,
    source: `assumption: ${R.redeployUrl}`,
    assumption: true,
  };
  const rto = [detection, restore, redeploy, dns];
  return {
    strategy,
    strategyEvidence: copied
      ? `no cross-region read replica; copies outside the region: ${databases.map((d) => `${d.stack}/${d.id} ${copyKind(d)}`).join(', ')}`
      : databases.length === 0
        ? 'no cross-region read replica and no database'
        : `no cross-region read replica and no copy outside the region of ${databases.filter((d) => !copyKind(d).startsWith('by')).map((d) => `${d.stack}/${d.id}`).join(', ')}`,
    primaryRegion,
    ...sum(rto),
    rto,
    rpoSeconds: rpo.seconds,
    rpo,
  };
}

function sum(terms: readonly RecoveryTerm[]): { rtoSeconds: number | null; rtoKnownSeconds: number } {
  const known = terms.reduce((n, t) => n + (t.seconds ?? 0), 0);
  return { rtoSeconds: terms.some((t) => t.seconds === null) ? null : known, rtoKnownSeconds: known };
}

function copyKind(d: RegionalDatabase): string {
  if (d.global) return 'by global replication';
  if (d.replicatedBackups) return 'by replicated automated backups';
  if (d.copyIntervalSeconds !== undefined) return 'by AWS Backup copies';
  return 'none';
}

// ── What the templates say ───────────────────────────────────────────────────────────────────────

/** The region named by a source identifier: an RDS ARN literal or an Fn::GetStackOutput's Region. */
function regionOf(value: unknown): string | undefined {
  if (typeof value === 'string') return /^arn:aws[\w-]*:rds:([a-z0-9-]+):/.exec(value)?.[1];
  const output = get(value, 'Fn::GetStackOutput', 'Region');
  return typeof output === 'string' ? output : undefined;
}

/** DB instances that replicate a source in another region than their own stack's. */
function crossRegionReplicas(stacks: readonly LoadedStack[]): Replica[] {
  const result: Replica[] = [];
  for (const stack of stacks) {
    for (const [id, resource] of resourcesOfType(stack.template, 'AWS::RDS::DBInstance')) {
      const p = props(resource);
      if (p.SourceDBInstanceIdentifier === undefined) continue;
      const declared = str(p.SourceRegion, stack.template);
      const sourceRegion = typeof declared === 'string' ? declared : regionOf(p.SourceDBInstanceIdentifier);
      // SourceRegion is set for cross-region replicas only; a same-region replica names no other region.
      if (sourceRegion === undefined || sourceRegion === stack.region) continue;
      result.push({ stack, id, resource, sourceRegion });
    }
  }
  return result;
}

/** Without a replica: the region of the stacks that hold a load balancer or a database. */
function servingRegion(stacks: readonly LoadedStack[], replicas: readonly Replica[]): string | undefined {
  const serving = stacks.find(
    (s) =>
      s.region !== undefined &&
      !replicas.some((r) => r.stack === s) &&
      resourcesOfType(s.template, 'AWS::ElasticLoadBalancingV2::LoadBalancer', 'AWS::ElasticLoadBalancing::LoadBalancer', 'AWS::RDS::DBInstance', 'AWS::RDS::DBCluster').length > 0,
  );
  return serving?.region;
}

function services(stack: LoadedStack): Service[] {
  const { template } = stack;
  return resourcesOfType(template, 'AWS::ECS::Service')
    .filter(([, s]) => str(props(s).SchedulingStrategy, template) !== 'DAEMON')
    .map(([id, s]) => {
      const desired = num(props(s).DesiredCount, template);
      const minimum = autoscalingMinimum(id, template);
      // CloudFormation starts one task when DesiredCount is absent (AWS::ECS::Service DesiredCount).
      const d = typeof desired === 'number' ? desired : desired === undefined ? 1 : 0;
      // Application Auto Scaling keeps the desired count at or above the scalable target's minimum.
      const running = typeof minimum === 'number' ? Math.max(d, minimum) : d;
      return { stack, id, desired: d, running, desiredText: desired instanceof Unresolved ? desired.toString() : String(d) };
    });
}

const file = (stack: LoadedStack) => stack.templateFile;

/** A Route 53 health check (failover detection), else a canary outside the primary region with a paging alarm, else manual. */
function detectionTerm(stacks: readonly LoadedStack[], primaryRegion: string | undefined, canaries: readonly CanaryDetection[]): RecoveryTerm {
  const checks: Array<RecoveryTerm & { rank: number }> = [];
  for (const stack of stacks) {
    for (const [id, check] of resourcesOfType(stack.template, 'AWS::Route53::HealthCheck')) {
      const config = get(props(check), 'HealthCheckConfig');
      const type = str(get(config, 'Type'), stack.template);
      if (typeof type === 'string' && (type === 'CALCULATED' || type === 'CLOUDWATCH_METRIC' || type === 'RECOVERY_CONTROL')) continue;
      const interval = num(get(config, 'RequestInterval'), stack.template);
      const threshold = num(get(config, 'FailureThreshold'), stack.template);
      const i = typeof interval === 'number' ? interval : R.route53IntervalSeconds;
      const n = typeof threshold === 'number' ? threshold : R.route53FailureThreshold;
      const defaulted = typeof interval !== 'number' || typeof threshold !== 'number';
      checks.push({
        term: 'detection',
        seconds: i * n,
        basis: `Route 53 health checkers, outside the region, fail the endpoint after ${n} failed checks ${i} s apart`,
        source: `${file(stack)}: ${id} (HealthCheckConfig.RequestInterval ${i} s × FailureThreshold ${n}${defaulted ? `, defaults: ${R.route53HealthUrl}` : ''})`,
        assumption: false,
        rank: failoverRecords(stack).some((r) => r.failover === 'PRIMARY' && refersTo(r.record.HealthCheckId, id))
          ? 2
          : primaryRegion !== undefined && (namedRegions(config).includes(primaryRegion) || stack.region === primaryRegion)
            ? 1
            : 0,
      });
    }
  }
  if (checks.length > 0) {
    // The check the PRIMARY failover record reads decides the failover; then a check of the primary region's
    // endpoint; then the fastest.
    const { rank: _rank, ...best } = [...checks].sort((a, b) => b.rank - a.rank || a.seconds! - b.seconds!)[0];
    return best;
  }

  if (canaries.length > 0) {
    const { alarmId: _alarm, stack: _stack, ...fastest } = [...canaries].sort((a, b) => a.seconds! - b.seconds!)[0];
    return fastest;
  }
  return {
    term: 'detection',
    seconds: null,
    basis: 'none: manual. Nothing outside the lost region watches it; users or a person notice',
    source: `no AWS::Route53::HealthCheck, and no AWS::Synthetics::Canary outside ${primaryRegion ?? 'the primary region'} with a paging alarm on its SuccessPercent`,
    assumption: false,
  };
}

/** Canaries outside the primary region with a paging alarm on their SuccessPercent, each with its detection time. */
type CanaryDetection = RecoveryTerm & { alarmId: string; stack: LoadedStack };

function canaryDetections(stacks: readonly LoadedStack[], primaryRegion: string | undefined): CanaryDetection[] {
  const canaries: CanaryDetection[] = [];
  for (const stack of stacks) {
    const { template } = stack;
    for (const [canaryId, canary] of resourcesOfType(template, 'AWS::Synthetics::Canary')) {
      // A canary that reads the primary region's outputs watches it; one that probes a load balancer of its own
      // template watches its own site, wherever that is.
      const regions = namedRegions(props(canary));
      const ownSite = resourcesOfType(template, 'AWS::ElasticLoadBalancingV2::LoadBalancer', 'AWS::ElasticLoadBalancing::LoadBalancer').some(([lb]) => refersTo(props(canary), lb));
      const outside =
        (primaryRegion !== undefined && stack.region !== primaryRegion && regions.includes(primaryRegion)) ||
        (!ownSite && ((stack.region !== undefined && primaryRegion !== undefined && stack.region !== primaryRegion) || regions.some((r) => r !== stack.region)));
      if (!outside) continue;
      const expression = str(get(props(canary), 'Schedule', 'Expression'), template);
      const rate = typeof expression === 'string' ? rateSeconds(expression) : undefined;
      if (rate === undefined) continue;
      const name = props(canary).Name;
      for (const [alarmId, alarm] of resourcesOfType(template, 'AWS::CloudWatch::Alarm')) {
        const p = props(alarm);
        if (p.Namespace !== 'CloudWatchSynthetics' || p.MetricName !== 'SuccessPercent') continue;
        const dims = Array.isArray(p.Dimensions) ? p.Dimensions : [];
        const watches = dims.some((d) => get(d, 'Name') === 'CanaryName' && (refTarget(get(d, 'Value')) === canaryId || (name !== undefined && JSON.stringify(get(d, 'Value')) === JSON.stringify(name))));
        if (!watches || alarmActions({ logicalId: alarmId, resource: alarm, template }).status !== 'compliant') continue;
        const points = num(p.DatapointsToAlarm, template) ?? num(p.EvaluationPeriods, template);
        const period = num(p.Period, template);
        if (typeof points !== 'number') continue;
        // A datapoint needs a run: the slower of the canary's rate and the alarm's period, per datapoint.
        const step = Math.max(rate, typeof period === 'number' ? period : rate);
        canaries.push({
          term: 'detection',
          seconds: step * points,
          basis: `a Synthetics canary in ${stack.region ?? 'another region'} pages through its own region after ${points} failed run${points === 1 ? '' : 's'} ${step} s apart`,
          source: `${file(stack)}: ${canaryId} (Schedule ${expression}) and ${alarmId} (CloudWatchSynthetics SuccessPercent, ${p.DatapointsToAlarm !== undefined ? 'DatapointsToAlarm' : 'EvaluationPeriods'} ${points}, Period ${period ?? rate} s)`,
          assumption: false,
          alarmId,
          stack,
        });
      }
    }
  }
  return canaries;
}

/**
 * A failover runbook (an SSM Automation document in the standby's stack) that refuses to promote until an alarm is in
 * ALARM cannot start before that alarm fires: when the alarm is slower than `detection`, the difference is a term.
 * The on-call person's reaction to the page, before starting the runbook, is not counted.
 */
function guardTerm(drStacks: ReadonlySet<LoadedStack>, canaries: readonly CanaryDetection[], detection: RecoveryTerm): RecoveryTerm | undefined {
  for (const stack of drStacks) {
    for (const [docId, doc] of resourcesOfType(stack.template, 'AWS::SSM::Document')) {
      const p = props(doc);
      if (p.DocumentType !== 'Automation') continue;
      const steps = get(p, 'Content', 'mainSteps');
      for (const step of Array.isArray(steps) ? steps : []) {
        const inputs = get(step, 'inputs');
        if (get(inputs, 'Api') !== 'DescribeAlarms' || get(step, 'action') !== 'aws:assertAwsResourceProperty') continue;
        const names = get(inputs, 'AlarmNames');
        for (const name of Array.isArray(names) ? names : []) {
          const guard = canaries.find((c) => c.stack === stack && refTarget(name) === c.alarmId);
          if (!guard || guard.seconds === null || detection.seconds === null || guard.seconds <= detection.seconds) continue;
          return {
            term: 'guard',
            seconds: guard.seconds - detection.seconds,
            basis: `the failover runbook promotes only once its guard alarm ${guard.alarmId} is in ALARM (${guard.seconds} s after the failure), ${guard.seconds - detection.seconds} s after detection`,
            source: `${file(stack)}: ${docId} (step ${String(get(step, 'name'))}, DescribeAlarms ${guard.alarmId}); ${guard.source}`,
            assumption: false,
          };
        }
      }
    }
  }
  return undefined;
}

/** Regions an Fn::GetStackOutput inside a value names. */
function namedRegions(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(namedRegions);
  if (!isObject(value)) return [];
  const region = get(value, 'Fn::GetStackOutput', 'Region');
  return [...(typeof region === 'string' ? [region] : []), ...Object.values(value).flatMap(namedRegions)];
}

/** `rate(1 minute)`, `rate(5 minutes)`, `rate(1 hour)`: seconds between runs; `rate(0 minute)` runs once. */
export function rateSeconds(expression: string): number | undefined {
  const m = /^rate\((\d+)\s+(minute|hour)s?\)$/i.exec(expression.trim());
  if (!m || Number(m[1]) === 0) return undefined;
  return Number(m[1]) * (m[2].toLowerCase() === 'hour' ? 3600 : 60);
}

function promotionTerm(replicas: readonly Replica[]): RecoveryTerm {
  return {
    term: 'promotion',
    seconds: R.replicaPromotionSeconds,
    basis: `promote ${replicas.map((r) => r.id).join(', ')} (aws rds promote-read-replica): RDS reboots it and it accepts writes; "several minutes or longer, depending on the size" (~${R.replicaPromotionSeconds / 60} min assumed)`,
    source: `assumption: ${R.replicaPromotionUrl}`,
    assumption: true,
  };
}

function scalingTerm(strategy: DrStrategyKind, standby: readonly Service[], primary: readonly Service[]): RecoveryTerm {
  const target = primary.length > 0 ? Math.max(...primary.map((s) => s.running)) : 1;
  const primaryText = primary.length > 0 ? primary.map((s) => `${file(s.stack)}: ${s.id} DesiredCount ${s.desiredText}`).join(', ') : 'no primary service found: 1 task assumed';
  if (standby.length === 0) {
    return {
      term: 'scaling',
      seconds: R.serviceDeploySeconds,
      basis: `no standby service: deploy the service and its load balancer into the DR site (~${R.serviceDeploySeconds / 60} min assumed)`,
      source: `assumption: ${R.serviceDeployUrl}`,
      assumption: true,
    };
  }
  const service = [...standby].sort((a, b) => b.running - a.running)[0];
  const standbyText = `${file(service.stack)}: ${service.id} DesiredCount ${service.desiredText}`;
  if (service.running >= target) {
    return {
      term: 'scaling',
      seconds: 0,
      basis: `warm standby: ${service.running} running task${service.running === 1 ? '' : 's'}, as many as the primary's ${target}, serve at once`,
      source: `${standbyText}; ${primaryText}`,
      assumption: false,
    };
  }
  const healthy = healthySeconds(service);
  const from = strategy === 'pilot-light' ? 'from 0 tasks (pilot light)' : `out from ${service.running} running task${service.running === 1 ? '' : 's'}, which serve meanwhile (warm standby)`;
  return {
    term: 'scaling',
    seconds: R.taskStartSeconds + healthy.seconds,
    basis: `scale the standby service ${from} to the primary's ${target}: the new tasks start together (~${R.taskStartSeconds} s assumed) and pass ${healthy.text}`,
    source: `assumption: ${R.taskStartUrl}; ${standbyText}${healthy.source ? `, ${healthy.source}` : ''}; ${primaryText}`,
    assumption: true,
  };
}

function healthySeconds(service: Service): { seconds: number; text: string; source?: string } {
  const { template } = service.stack;
  const lbs = get(template.Resources?.[service.id], 'Properties', 'LoadBalancers');
  for (const lb of Array.isArray(lbs) ? lbs : []) {
    const tgId = refTarget(get(lb, 'TargetGroupArn'));
    const tg = tgId ? template.Resources?.[tgId] : undefined;
    if (!tg || tg.Type !== 'AWS::ElasticLoadBalancingV2::TargetGroup') continue;
    const timing = healthCheckTiming(tg, template);
    if (timing instanceof Unresolved) continue;
    return {
      seconds: timing.intervalSeconds * timing.healthyThreshold,
      text: `${timing.healthyThreshold} health checks ${timing.intervalSeconds} s apart`,
      source: `${tgId} (HealthCheckIntervalSeconds ${timing.intervalSeconds} × HealthyThresholdCount ${timing.healthyThreshold})`,
    };
  }
  return { seconds: 0, text: 'no load balancer health check' };
}

interface FailoverRecord {
  readonly id: string;
  readonly failover: 'PRIMARY' | 'SECONDARY';
  readonly record: Record<string, unknown>;
}

/** Failover record sets, standalone or inside an AWS::Route53::RecordSetGroup. */
function failoverRecords(stack: LoadedStack): FailoverRecord[] {
  const result: FailoverRecord[] = [];
  const add = (id: string, record: unknown) => {
    if (!isObject(record)) return;
    const failover = str(record.Failover, stack.template);
    if (failover === 'PRIMARY' || failover === 'SECONDARY') result.push({ id, failover, record });
  };
  for (const [id, r] of resourcesOfType(stack.template, 'AWS::Route53::RecordSet')) add(id, props(r));
  for (const [id, g] of resourcesOfType(stack.template, 'AWS::Route53::RecordSetGroup')) {
    const sets = list(props(g).RecordSets, stack.template);
    (Array.isArray(sets) ? sets : []).forEach((r, i) => add(`${id}.RecordSets[${i}]`, r));
  }
  return result;
}

/** Resolvers keep the answer they cached for its TTL: the longer TTL of the failover pair. */
function dnsTerm(stacks: readonly LoadedStack[]): RecoveryTerm {
  const found = stacks.flatMap((stack) => failoverRecords(stack).map((r) => ({ stack, ...r })));
  const primary = found.filter((r) => r.failover === 'PRIMARY');
  const secondary = found.filter((r) => r.failover === 'SECONDARY');
  if (primary.length === 0 || secondary.length === 0) {
    return {
      term: 'dns',
      seconds: null,
      basis: 'manual: no Route 53 failover record pair (PRIMARY and SECONDARY); a person gives users the DR endpoint',
      source: found.length === 0 ? 'no AWS::Route53::RecordSet with Failover in the templates' : found.map((r) => `${file(r.stack)}: ${r.id} (Failover ${r.failover})`).join(', '),
      assumption: false,
    };
  }
  const automatic = primary.some((r) => r.record.HealthCheckId !== undefined || get(r.record, 'AliasTarget', 'EvaluateTargetHealth') === true);
  const ttls = [...primary, ...secondary].map((r) => {
    const ttl = num(r.record.TTL, r.stack.template);
    if (typeof ttl === 'number') return { seconds: ttl, text: `${file(r.stack)}: ${r.id} (Failover ${r.failover}, TTL ${ttl} s)`, assumption: false };
    if (r.record.AliasTarget !== undefined) return { seconds: R.elbAliasTtlSeconds, text: `${file(r.stack)}: ${r.id} (Failover ${r.failover}, alias: TTL ${R.elbAliasTtlSeconds} s, assumption: ${R.elbAliasTtlUrl})`, assumption: true };
    return { seconds: 0, text: `${file(r.stack)}: ${r.id} (Failover ${r.failover}, TTL not known)`, assumption: false };
  });
  const ttl = Math.max(...ttls.map((t) => t.seconds));
  if (!automatic) {
    return {
      term: 'dns',
      seconds: null,
      basis: 'manual: the PRIMARY failover record has no health check (HealthCheckId) and does not evaluate its alias target, so Route 53 never fails over by itself',
      source: ttls.map((t) => t.text).join(', '),
      assumption: false,
    };
  }
  return {
    term: 'dns',
    seconds: ttl,
    basis: `Route 53 answers with the SECONDARY record once the health check fails (counted in detection); resolvers keep the cached PRIMARY answer up to ${ttl} s (TTL)`,
    source: ttls.map((t) => t.text).join(', '),
    assumption: ttls.some((t) => t.assumption),
  };
}

/** The replica's lag bound: the threshold of the ReplicaLag alarm on it, else an assumption. */
function replicaRpoTerm(replicas: readonly Replica[]): RecoveryTerm {
  const bounds = replicas.map((r) => {
    const { template } = r.stack;
    const identifier = JSON.stringify(props(r.resource).DBInstanceIdentifier ?? null);
    const alarms = resourcesOfType(template, 'AWS::CloudWatch::Alarm')
      .filter(([, a]) => props(a).MetricName === 'ReplicaLag')
      .filter(([, a]) => {
        const dims = Array.isArray(props(a).Dimensions) ? (props(a).Dimensions as unknown[]) : [];
        return dims.some((d) => get(d, 'Name') === 'DBInstanceIdentifier' && (refTarget(get(d, 'Value')) === r.id || JSON.stringify(get(d, 'Value')) === identifier));
      })
      .map(([id, a]) => ({ id, threshold: num(props(a).Threshold, template), heard: alarmActions({ logicalId: id, resource: a, template }).status === 'compliant' }))
      .filter((a): a is { id: string; threshold: number; heard: boolean } => typeof a.threshold === 'number')
      .sort((a, b) => a.threshold - b.threshold);
    if (alarms.length > 0) {
      const a = alarms[0];
      return { seconds: a.threshold, text: `${file(r.stack)}: ${a.id} (ReplicaLag Threshold ${a.threshold} s${a.heard ? '' : ', notifies nobody'})`, assumption: false };
    }
    return { seconds: R.replicaRpoSeconds, text: `${file(r.stack)}: ${r.id} has no ReplicaLag alarm; assumption: ${R.replicaRpoUrl}`, assumption: true };
  });
  const worst = Math.max(...bounds.map((b) => b.seconds));
  return {
    term: 'data',
    seconds: worst,
    basis: bounds.every((b) => !b.assumption)
      ? `the replica's lag, bounded by its lag alarm: a lag above ${worst} s pages before a promotion would lose more`
      : `the replica's lag: asynchronous and unwatched where no lag alarm exists (~${R.replicaRpoSeconds} s assumed)`,
    source: bounds.map((b) => b.text).join('; '),
    assumption: bounds.some((b) => b.assumption),
  };
}

/** Backup and restore: the worst interval between copies that leave the region, over the databases. */
function backupRpoTerm(databases: readonly RegionalDatabase[]): RecoveryTerm {
  if (databases.length === 0) {
    return { term: 'data', seconds: 0, basis: 'no database: no data at risk', source: 'no AWS::RDS or AWS::DynamoDB resource in the templates', assumption: false };
  }
  const terms = databases.map((d) => {
    if (d.global) return { seconds: R.globalReplicationRpoSeconds as number | null, text: `${d.stack}/${d.id}: global replication (assumption: ${R.globalReplicationUrl})`, assumption: true };
    if (d.replicatedBackups) return { seconds: R.replicatedBackupRpoSeconds as number | null, text: `${d.stack}/${d.id}: AutomaticBackupReplicationRegion, transaction logs every 5 min (assumption: ${R.replicatedBackupUrl})`, assumption: true };
    if (d.copyIntervalSeconds !== undefined) return { seconds: d.copyIntervalSeconds as number | null, text: `${d.stack}/${d.id}: AWS Backup copy every ${Math.round(d.copyIntervalSeconds / 3600)} h${d.copySource ? ` (${d.copySource})` : ''}`, assumption: false };
    return { seconds: null, text: `${d.stack}/${d.id}: no copy outside the region, data lost`, assumption: false };
  });
  const lost = terms.some((t) => t.seconds === null);
  const worst = lost ? null : Math.max(...terms.map((t) => t.seconds as number));
  return {
    term: 'data',
    seconds: worst,
    basis: lost ? 'a database has no copy outside the region: its data is lost with the region' : `the interval between copies that leave the region: up to ${worst} s of writes`,
    source: terms.map((t) => t.text).join('; '),
    assumption: !lost && terms.some((t) => t.assumption),
  };
}
