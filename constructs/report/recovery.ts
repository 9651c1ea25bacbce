/**
 * The recovery model: for each failure mode, how long until the failure is detected, how long until the
 * system is back to its designed state, and how much data is at risk, read from the templates.
 *
 * detectSeconds: from the failure until the system notices and stops sending work to the broken part.
 * recoverSeconds: from the failure until the designed state is back (capacity or data service restored).
 * rpoSeconds: the writes that may be lost. null means "not automatic": a person must act, or it is lost.
 */
import {
  autoscalingMinimum,
  backupCoverage,
  bool,
  CfnResource,
  CfnTemplate,
  clusterInstances,
  crossRegionCopies,
  deploymentShape,
  DeploymentShape,
  deregistrationDelaySeconds,
  get,
  healthCheckTiming,
  HealthCheckTiming,
  isMultiAzDbCluster,
  isPrimaryDbInstance,
  list,
  loadBalancerZones,
  natGatewayPerZone,
  num,
  props,
  refTarget,
  resourcesOfType,
  str,
  Unresolved,
  zoneCount,
  zoneEvacuation,
  zoneSpread,
} from '../pure';
import type { LoadedStack } from './load';
import { LostRegionRecovery, lostRegionRecovery, RegionalDatabase } from './region';

export interface RecoveryRow {
  readonly failure: string;
  readonly stack?: string;
  readonly resource?: string;
  readonly detectSeconds: number | null;
  readonly recoverSeconds: number | null;
  readonly rpoSeconds: number | null;
  readonly notes: string;
}

/** Figures the model uses, each with where it comes from (the lost-region figures are REGION_FIGURES, region.ts). */
export const RECOVERY_FIGURES = {
  /** Assumption: placing a Fargate task, pulling its image and starting the app. Measure yours. */
  taskStartSeconds: 60,
  /** Amazon RDS User Guide, Multi-AZ DB instance deployments: failover typically completes in 60-120 s. */
  rdsMultiAzFailoverSeconds: 120,
  /** Amazon RDS User Guide, Multi-AZ DB cluster deployments: failover typically under 35 s. */
  rdsMultiAzClusterFailoverSeconds: 35,
  /** Amazon Aurora FAQ: with a replica, failover typically completes within 30 s. */
  auroraReplicaFailoverSeconds: 30,
  /** Amazon Aurora FAQ: without a replica, Aurora recreates the writer, typically in under 10 minutes. */
  auroraRecreateSeconds: 600,
  /** Assumption for health monitoring to declare a database host failed (part of the failover time above). */
  databaseDetectSeconds: 30,
  /** Amazon RDS User Guide, point-in-time restore: transaction logs are uploaded to S3 every 5 minutes. */
  rdsPointInTimeRpoSeconds: 300,
  /** Assumption: point-in-time restore of a small database; grows with size. The restore testing plan measures it. */
  restoreSeconds: 1800,
  /** ECS Developer Guide, deployment circuit breaker: failed-task threshold 50 % of desired count, at least 3, at most 200. */
  circuitBreakerMinFailures: 3,
  /** ECS container health check defaults (AWS::ECS::TaskDefinition HealthCheck): interval 30 s, 3 retries. */
  containerHealthIntervalSeconds: 30,
  containerHealthRetries: 3,
} as const;

const F = RECOVERY_FIGURES;

interface ServiceFacts {
  readonly stack: string;
  readonly id: string;
  readonly tasks: number;
  readonly zones: number;
  readonly health?: HealthCheckTiming;
  readonly deregistrationSeconds: number;
  readonly containerDetectSeconds?: number;
  readonly minimumHealthy: number;
  readonly maximumPercent: number;
  readonly circuitBreakerRollback: boolean;
  readonly alarmRollbackSeconds?: number;
  /** How the new version reaches traffic (strategy, first share, bake times); undefined until deployment. */
  readonly rollout?: DeploymentShape;
}

interface DatabaseFacts {
  readonly stack: string;
  readonly id: string;
  readonly kind: 'rds-multi-az' | 'rds-single-az' | 'rds-multi-az-cluster' | 'aurora-replicated' | 'aurora-single' | 'dynamodb';
  readonly crossRegion: string[];
  readonly copyIntervalSeconds?: number;
  /** The backup plan whose copy action takes the database out of its region. */
  readonly copySource?: string;
  readonly replicatedBackups: boolean;
  readonly global: boolean;
}

export function recoveryModel(stacks: readonly LoadedStack[], region: LostRegionRecovery = lostRegionRecovery(stacks, regionalDatabases(stacks))): RecoveryRow[] {
  const services = stacks.flatMap(serviceFacts);
  const databases = stacks.flatMap(databaseFacts);
  const rows: RecoveryRow[] = [];
  for (const s of services) rows.push(crashedTask(s));
  rows.push(lostZone(stacks, services, databases));
  for (const d of databases) {
    const row = failedDatabase(d);
    if (row) rows.push(row);
  }
  rows.push(lostRegion(region));
  for (const s of services) rows.push(badDeployment(s));
  return rows;
}

// ── Facts read from the templates ────────────────────────────────────────────────────────────────

function serviceFacts(stack: LoadedStack): ServiceFacts[] {
  const { template } = stack;
  return resourcesOfType(template, 'AWS::ECS::Service')
    .filter(([, s]) => str(props(s).SchedulingStrategy, template) !== 'DAEMON')
    .map(([id, service]) => {
      const p = props(service);
      const known = (v: number | undefined | Unresolved) => (typeof v === 'number' ? v : undefined);
      const minimum = known(autoscalingMinimum(id, template));
      const tasks = Math.min(known(num(p.DesiredCount, template)) ?? minimum ?? 1, minimum ?? Number.POSITIVE_INFINITY);
      const spread = zoneSpread(get(p, 'NetworkConfiguration', 'AwsvpcConfiguration', 'Subnets'), template);
      const zones = Math.min(tasks, spread instanceof Unresolved ? 2 : spread.subnets === 0 ? 1 : zoneCount(spread));

      const targetGroups = (Array.isArray(p.LoadBalancers) ? p.LoadBalancers : [])
        .map((lb) => template.Resources?.[refTarget(get(lb, 'TargetGroupArn')) ?? ''])
        .filter((tg): tg is CfnResource => tg?.Type === 'AWS::ElasticLoadBalancingV2::TargetGroup');
      const timings = targetGroups.map((tg) => healthCheckTiming(tg, template)).filter((t): t is HealthCheckTiming => !(t instanceof Unresolved));
      const health = timings.sort((a, b) => a.detectionSeconds - b.detectionSeconds)[0];
      const delays = targetGroups.map((tg) => deregistrationDelaySeconds(tg, template)).filter((d): d is number => typeof d === 'number');

      const deployment = get(p, 'DeploymentConfiguration');
      const breaker = bool(get(deployment, 'DeploymentCircuitBreaker', 'Enable'), template) === true && bool(get(deployment, 'DeploymentCircuitBreaker', 'Rollback'), template) === true;
      const alarmRollback = bool(get(deployment, 'Alarms', 'Enable'), template) === true && bool(get(deployment, 'Alarms', 'Rollback'), template) === true;
      const alarmNames = list(get(deployment, 'Alarms', 'AlarmNames'), template);
      const alarmWindows = (Array.isArray(alarmNames) ? alarmNames : [])
        .map((name) => template.Resources?.[refTarget(name) ?? ''])
        .map((alarm) => (alarm ? alarmWindowSeconds(alarm, template) : undefined))
        .filter((w): w is number => w !== undefined);
      const minimumHealthy = num(get(deployment, 'MinimumHealthyPercent'), template);
      const maximumPercent = num(get(deployment, 'MaximumPercent'), template);

      return {
        stack: stack.name,
        id,
        tasks,
        zones,
        health,
        deregistrationSeconds: delays.length > 0 ? Math.max(...delays) : 0,
        containerDetectSeconds: containerDetection(p.TaskDefinition, template),
        minimumHealthy: typeof minimumHealthy === 'number' ? minimumHealthy : 100,
        maximumPercent: typeof maximumPercent === 'number' ? maximumPercent : 200,
        circuitBreakerRollback: breaker,
        alarmRollbackSeconds: alarmRollback && alarmWindows.length > 0 ? Math.min(...alarmWindows) : undefined,
        rollout: ((shape) => (shape instanceof Unresolved ? undefined : shape))(deploymentShape(service, template)),
      };
    });
}

function containerDetection(taskDefinition: unknown, template: CfnTemplate): number | undefined {
  const definition = template.Resources?.[refTarget(taskDefinition) ?? ''];
  const containers = definition ? props(definition).ContainerDefinitions : undefined;
  const times = (Array.isArray(containers) ? containers : [])
    .map((c) => get(c, 'HealthCheck'))
    .filter((h) => h !== undefined)
    .map((h) => {
      const interval = num(get(h, 'Interval'), template);
      const retries = num(get(h, 'Retries'), template);
      return (typeof interval === 'number' ? interval : F.containerHealthIntervalSeconds) * (typeof retries === 'number' ? retries : F.containerHealthRetries);
    });
  return times.length > 0 ? Math.min(...times) : undefined;
}

/** How long a metric alarm needs to go off: period × datapoints to alarm. */
export function alarmWindowSeconds(alarm: CfnResource, template: CfnTemplate): number | undefined {
  if (alarm.Type !== 'AWS::CloudWatch::Alarm') return undefined;
  const p = props(alarm);
  let period = num(p.Period, template);
  if (period === undefined && Array.isArray(p.Metrics)) {
    const periods = p.Metrics.map((m) => num(get(m, 'MetricStat', 'Period') ?? get(m, 'Period'), template)).filter((x): x is number => typeof x === 'number');
    period = periods.length > 0 ? Math.max(...periods) : undefined;
  }
  const points = num(p.DatapointsToAlarm, template) ?? num(p.EvaluationPeriods, template);
  return typeof period === 'number' && typeof points === 'number' ? period * points : undefined;
}

/** The primary databases as the lost-region model reads them. */
export function regionalDatabases(stacks: readonly LoadedStack[]): RegionalDatabase[] {
  return stacks.flatMap(databaseFacts);
}

function databaseFacts(stack: LoadedStack): DatabaseFacts[] {
  const { template } = stack;
  const result: DatabaseFacts[] = [];
  const add = (id: string, resource: CfnResource, kind: DatabaseFacts['kind']) => {
    const subject = { logicalId: id, resource, template };
    const coverage = backupCoverage(id, resource, template).filter((c) => c.copyDestinations.length > 0);
    const intervals = coverage.map((c) => scheduleIntervalSeconds(c.schedule)).filter((s): s is number => s !== undefined);
    result.push({
      stack: stack.name,
      id,
      kind,
      crossRegion: crossRegionCopies(subject),
      copyIntervalSeconds: intervals.length > 0 ? Math.min(...intervals) : coverage.length > 0 ? 86_400 : undefined,
      copySource: coverage.length > 0 ? `${stack.templateFile}: ${coverage.map((c) => `${c.planId} rule ${c.ruleName}${c.schedule ? ` (${c.schedule})` : ''}`).join(', ')}` : undefined,
      replicatedBackups: props(resource).AutomaticBackupReplicationRegion !== undefined,
      global:
        props(resource).GlobalClusterIdentifier !== undefined ||
        resourcesOfType(template, 'AWS::RDS::GlobalCluster').some(([, g]) => refTarget(props(g).SourceDBClusterIdentifier) === id) ||
        (resource.Type === 'AWS::DynamoDB::GlobalTable' && Array.isArray(props(resource).Replicas) && (props(resource).Replicas as unknown[]).length >= 2),
    });
  };
  for (const [id, db] of resourcesOfType(template, 'AWS::RDS::DBInstance')) {
    if (isPrimaryDbInstance(db)) add(id, db, bool(props(db).MultiAZ, template) === true ? 'rds-multi-az' : 'rds-single-az');
  }
  for (const [id, cluster] of resourcesOfType(template, 'AWS::RDS::DBCluster')) {
    if (props(cluster).SourceDBClusterIdentifier !== undefined) continue;
    add(id, cluster, isMultiAzDbCluster(cluster) ? 'rds-multi-az-cluster' : clusterInstances(id, template).length >= 2 ? 'aurora-replicated' : 'aurora-single');
  }
  for (const [id, table] of resourcesOfType(template, 'AWS::DynamoDB::Table', 'AWS::DynamoDB::GlobalTable')) add(id, table, 'dynamodb');
  return result;
}

/** Seconds between runs of an AWS Backup schedule: `rate(N unit)`, or a cron that runs hourly or daily. */
export function scheduleIntervalSeconds(schedule: string | undefined): number | undefined {
  if (!schedule) return undefined;
  const rate = /^rate\((\d+)\s+(minute|hour|day)s?\)$/i.exec(schedule.trim());
  if (rate) return Number(rate[1]) * { minute: 60, hour: 3600, day: 86_400 }[rate[2].toLowerCase() as 'minute' | 'hour' | 'day'];
  const cron = /^cron\((\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)(\s+\S+)?\)$/i.exec(schedule.trim());
  if (!cron) return undefined;
  const [, , hours, dayOfMonth, , dayOfWeek] = cron;
  const everyHours = /^\*\/(\d+)$/.exec(hours);
  if (everyHours) return Number(everyHours[1]) * 3600;
  if (hours === '*') return 3600;
  if (dayOfMonth === '*' || dayOfMonth === '?') return dayOfWeek === '*' || dayOfWeek === '?' ? 86_400 / Math.max(1, hours.split(',').length) : 7 * 86_400;
  return 30 * 86_400;
}

// ── The failure modes ────────────────────────────────────────────────────────────────────────────

function crashedTask(s: ServiceFacts): RecoveryRow {
  const detections = [s.health?.detectionSeconds, s.containerDetectSeconds].filter((d): d is number => d !== undefined);
  const detect = detections.length > 0 ? Math.min(...detections) : null;
  const healthy = s.health ? s.health.intervalSeconds * s.health.healthyThreshold : 0;
  const recover = detect === null ? null : detect + F.taskStartSeconds + healthy;
  const how = s.health
    ? `load balancer health check ${s.health.intervalSeconds} s × ${s.health.unhealthyThreshold}`
    : s.containerDetectSeconds !== undefined
      ? 'container health check'
      : 'no health check: a hung task is never replaced';
  const survivors = s.tasks - 1;
  const impact = survivors > 0 ? `${survivors} other task${survivors === 1 ? '' : 's'} keep serving` : 'no other task: the service is down until the replacement is healthy';
  return {
    failure: 'crashed task',
    stack: s.stack,
    resource: s.id,
    detectSeconds: detect,
    recoverSeconds: recover,
    rpoSeconds: 0,
    notes: `Detected by the ${how} (a process that exits is seen by ECS at once); ECS starts a replacement (~${F.taskStartSeconds} s, assumed) that must pass ${s.health ? `${s.health.healthyThreshold} checks` : 'its checks'}; ${impact}. Stateless: no data at risk.`,
  };
}

function lostZone(stacks: readonly LoadedStack[], services: ServiceFacts[], databases: DatabaseFacts[]): RecoveryRow {
  const notes: string[] = [];
  let manual = false;
  let detect = 0;
  let recover = 0;
  let rpo = 0;

  for (const stack of stacks) {
    for (const [id, lb] of resourcesOfType(stack.template, 'AWS::ElasticLoadBalancingV2::LoadBalancer', 'AWS::ElasticLoadBalancing::LoadBalancer')) {
      const spread = loadBalancerZones(lb, stack.template);
      if (!(spread instanceof Unresolved) && zoneCount(spread) < 2) {
        manual = true;
        notes.push(`load balancer ${id} is in one zone`);
      }
      if (lb.Type === 'AWS::ElasticLoadBalancingV2::LoadBalancer') {
        const evacuation = zoneEvacuation(id, lb, stack.template);
        // A gray failure (the zone impaired, its targets still passing checks) is not caught by health checks.
        if (evacuation === 'autoshift') notes.push(`${id} has zonal autoshift: AWS moves its traffic out of an impaired zone even when the targets there still pass health checks (a gray failure), rehearsed weekly`);
        else if (evacuation === 'zonal-shift') notes.push(`${id} has zonal shift without autoshift: a gray failure keeps getting traffic until a person starts a shift`);
        else if (evacuation === 'none') notes.push(`${id} has neither zonal shift nor autoshift: a gray failure keeps getting traffic`);
      }
    }
    for (const [id, nat] of resourcesOfType(stack.template, 'AWS::EC2::NatGateway')) {
      if (natGatewayPerZone({ logicalId: id, resource: nat, template: stack.template }).status === 'non-compliant') {
        notes.push(`NAT gateway ${id} serves other zones: losing its zone cuts their egress`);
      }
    }
  }
  for (const s of services) {
    const d = s.health?.detectionSeconds ?? s.containerDetectSeconds ?? 0;
    detect = Math.max(detect, d);
    if (s.zones < 2) {
      manual = true;
      notes.push(`service ${s.id} runs in ${s.zones} zone`);
    } else {
      recover = Math.max(recover, d + F.taskStartSeconds + (s.health ? s.health.intervalSeconds * s.health.healthyThreshold : 0));
    }
  }
  if (services.length > 0 && !manual) notes.push(`tasks in the other zones keep serving once health checks fail (${detect} s); ECS replaces the lost tasks in the surviving zones`);
  for (const d of databases) {
    const failover = databaseFailover(d);
    if (!failover) continue;
    detect = Math.max(detect, Math.min(F.databaseDetectSeconds, failover.recover));
    recover = Math.max(recover, failover.recover);
    rpo = Math.max(rpo, failover.rpo);
    notes.push(`${d.id}: ${failover.how}`);
  }
  return {
    failure: 'lost Availability Zone',
    detectSeconds: detect,
    recoverSeconds: manual ? null : recover,
    rpoSeconds: rpo,
    notes: capitalise(notes.join('; ') || 'no zonal resources found') + (manual ? '. Recovery needs a person: a tier runs in one zone.' : '.'),
  };
}

function databaseFailover(d: DatabaseFacts): { recover: number; rpo: number; how: string } | undefined {
  switch (d.kind) {
    case 'rds-multi-az':
      return { recover: F.rdsMultiAzFailoverSeconds, rpo: 0, how: `Multi-AZ failover to the synchronous standby, typically 60-${F.rdsMultiAzFailoverSeconds} s` };
    case 'rds-multi-az-cluster':
      return { recover: F.rdsMultiAzClusterFailoverSeconds, rpo: 0, how: `Multi-AZ DB cluster failover, typically under ${F.rdsMultiAzClusterFailoverSeconds} s` };
    case 'aurora-replicated':
      return { recover: F.auroraReplicaFailoverSeconds, rpo: 0, how: `Aurora promotes a replica, typically within ${F.auroraReplicaFailoverSeconds} s` };
    case 'aurora-single':
      return { recover: F.auroraRecreateSeconds, rpo: 0, how: 'Aurora recreates the writer (no replica), typically under 10 minutes; storage is replicated across 3 zones' };
    case 'rds-single-az':
      return {
        recover: F.restoreSeconds,
        rpo: F.rdsPointInTimeRpoSeconds,
        how: `single-AZ: point-in-time restore into another zone (~${F.restoreSeconds / 60} min assumed), losing up to ${F.rdsPointInTimeRpoSeconds / 60} min of writes`,
      };
    case 'dynamodb':
      return undefined;
  }
}

function failedDatabase(d: DatabaseFacts): RecoveryRow | undefined {
  const failover = databaseFailover(d);
  if (!failover) return undefined;
  return {
    failure: 'failed database instance',
    stack: d.stack,
    resource: d.id,
    detectSeconds: Math.min(F.databaseDetectSeconds, failover.recover),
    recoverSeconds: failover.recover,
    rpoSeconds: failover.rpo,
    notes: `${capitalise(failover.how)}. The service must retry through it (connections drop; DNS moves to the new primary).`,
  };
}

/** The lost-region row: the strategy's RTO and RPO from region.ts, its terms summarised in the notes. */
function lostRegion(region: LostRegionRecovery): RecoveryRow {
  const detection = region.rto.find((t) => t.term === 'detection');
  const terms = region.rto.map((t) => `${t.term} ${t.seconds === null ? 'manual' : `${t.seconds} s`}${t.assumption ? ' (assumed)' : ''}`);
  const manual = region.rto.filter((t) => t.seconds === null).map((t) => t.term);
  return {
    failure: 'lost region',
    detectSeconds: detection?.seconds ?? null,
    recoverSeconds: region.rtoSeconds,
    rpoSeconds: region.rpoSeconds,
    notes:
      `${region.strategy === 'none' ? 'No disaster-recovery strategy' : `Strategy ${region.strategy}`} (${region.strategyEvidence}). ` +
      `RTO = ${terms.join(' + ')}` +
      (manual.length > 0 ? `: manual, at least ${region.rtoKnownSeconds} s plus the manual ${manual.join(' and ')}` : ` = ${region.rtoSeconds} s`) +
      `. RPO: ${region.rpo.basis}. Sources: the "Lost region" table.`,
  };
}

function badDeployment(s: ServiceFacts): RecoveryRow {
  const detection = s.health?.detectionSeconds ?? s.containerDetectSeconds ?? 0;
  const candidates: Array<{ seconds: number; how: string }> = [];
  if (s.circuitBreakerRollback) {
    const threshold = Math.min(200, Math.max(F.circuitBreakerMinFailures, Math.ceil(s.tasks / 2)));
    // New tasks start in batches: the room above the desired count, plus what may be stopped below it.
    const batch = Math.max(1, Math.floor((s.tasks * (s.maximumPercent - 100)) / 100) + Math.floor((s.tasks * (100 - Math.min(100, s.minimumHealthy))) / 100));
    const rounds = Math.ceil(threshold / batch);
    candidates.push({
      seconds: rounds * (F.taskStartSeconds + detection),
      how: `circuit breaker after ${threshold} failed tasks, started ${batch} at a time (~${F.taskStartSeconds + detection} s per attempt)`,
    });
  }
  if (s.alarmRollbackSeconds !== undefined) candidates.push({ seconds: s.alarmRollbackSeconds, how: `deployment alarm after ${s.alarmRollbackSeconds} s` });
  const best = candidates.sort((a, b) => a.seconds - b.seconds)[0];
  const rollback = F.taskStartSeconds + (s.health ? s.health.intervalSeconds * s.health.healthyThreshold : 0) + s.deregistrationSeconds;
  const capacity =
    s.minimumHealthy >= 100 ? 'old tasks keep serving until new ones are healthy' : `old tasks may drop to ${s.minimumHealthy} % during the deployment`;
  const exposure = rolloutExposure(s.rollout);
  if (!best) {
    return {
      failure: 'bad deployment',
      stack: s.stack,
      resource: s.id,
      detectSeconds: null,
      recoverSeconds: null,
      rpoSeconds: 0,
      notes: `No automatic rollback: a person must notice and redeploy the previous version; ${capacity}; ${exposure}.`,
    };
  }
  return {
    failure: 'bad deployment',
    stack: s.stack,
    resource: s.id,
    detectSeconds: best.seconds,
    recoverSeconds: best.seconds + rollback,
    rpoSeconds: 0,
    notes: `Detected by the ${best.how}; rollback starts the previous task definition and drains the new tasks (${s.deregistrationSeconds} s deregistration delay); ${capacity}; ${exposure}.`,
  };
}

/** Which share of the traffic a bad version gets while it is being judged, from the deployment strategy. */
function rolloutExposure(rollout: DeploymentShape | undefined): string {
  if (!rollout) return 'the deployment strategy is not known until deployment';
  const bake = rollout.bakeMinutes > 0 ? `, then ${rollout.bakeMinutes} min with the old version kept for an instant rollback` : ', with no bake time';
  if (rollout.firstSharePercent < 100) {
    return `${rollout.strategy.toLowerCase()}: a bad version first serves ${rollout.firstSharePercent} % of requests for ${rollout.firstShareBakeMinutes} min${bake}`;
  }
  return `${rollout.strategy.toLowerCase()}: a bad version serves all requests as soon as its tasks are healthy${bake}`;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
