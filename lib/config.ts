/**
 * The one typed configuration of the app, with its defaults and its validation.
 *
 * It is read from the `ha` context key (cdk.json), and can be replaced on the command line:
 *   npx cdk synth -c ha='{"primaryRegion":"eu-west-1","drRegion":"eu-central-1"}'
 * Keys left out take the defaults below. Pure functions only: no CDK constructs here.
 */

import {
  blockedWindowProblem,
  cronProblem,
  DEFAULT_CRON,
  DEFAULT_TIME_ZONE,
  DEFAULT_ZONE_OUTAGE_MINUTES,
  durationProblem,
  EXPERIMENT_NAMES,
  ExperimentName,
  isKnownTimeZone,
  POSTGRES_RESERVED_CONNECTIONS,
  postgresMaxConnections,
  ResolvedSloConfig,
  resolveSloConfig,
  SloConfigError,
} from '@ha-reference/constructs/pure';
import { DB_POOL_MAX } from '../app/src/contract';

/** Context key that holds the configuration. */
export const CONFIG_CONTEXT_KEY = 'ha';

export interface ServiceConfig {
  /** Fargate task CPU units. @default 512 */
  readonly cpu: number;
  /** Fargate task memory in MiB; must be a valid pairing with `cpu`. @default 1024 */
  readonly memoryMiB: number;
  /** Tasks running at all times; never fewer than the number of Availability Zones. @default 3 */
  readonly desiredCount: number;
  /** Autoscaling ceiling. @default 12 */
  readonly maxCount: number;
}

/** How the database survives the loss of an instance or an Availability Zone. */
export type DatabaseDeployment = 'instance' | 'cluster';

export interface DatabaseConfig {
  /**
   * `instance`: a Multi-AZ DB instance (one synchronous standby, failover 60-120 s, cross-region automated backups).
   * `cluster`: a Multi-AZ DB cluster (two readable standbys, failover typically under 35 s; RDS does not replicate
   * its automated backups to another region, so the DR region holds only the AWS Backup copies).
   * @default 'instance'
   */
  readonly deployment: DatabaseDeployment;
  /** PostgreSQL version, `16.x` or `17.x`. @default '17.6' */
  readonly engineVersion: string;
  /**
   * DB instance class. Graviton by default; a `cluster` needs a class that supports Multi-AZ DB clusters.
   * @default - 'db.m7g.large' for an instance, 'db.m6gd.large' for a cluster
   */
  readonly instanceClass: string;
  /** Initial storage in GiB (gp3). @default 100 */
  readonly allocatedStorageGiB: number;
  /** Ceiling for storage autoscaling in GiB (instance only; Multi-AZ DB clusters do not autoscale storage). @default 500 */
  readonly maxAllocatedStorageGiB: number;
  /** Listener port; not the engine default 5432. @default 5433 */
  readonly port: number;
  /** Name of the database created for the service. @default 'app' */
  readonly databaseName: string;
  /** Days of automated backups (point-in-time restore) kept in the primary region. @default 14 */
  readonly backupRetentionDays: number;
}

export interface BackupConfig {
  /** When the daily AWS Backup job starts (EventBridge cron, UTC). @default 'cron(0 5 * * ? *)' */
  readonly scheduleExpression: string;
  /** Days a daily recovery point is kept in the primary region. @default 35 */
  readonly retentionDays: number;
  /** Days the copy is kept in the DR vault. @default 35 */
  readonly copyRetentionDays: number;
  /** When the restore test runs (EventBridge cron, UTC). @default 'cron(0 7 ? * SUN *)' (weekly) */
  readonly restoreTestScheduleExpression: string;
  /** Hours the restored database is kept for validation before AWS Backup deletes it (1-168). @default 2 */
  readonly restoreTestValidationWindowHours: number;
}

export interface VaultLockConfig {
  /** Shortest retention a recovery point in the DR vault may have. */
  readonly minRetentionDays: number;
  /** Longest retention a recovery point in the DR vault may have. @default - no maximum */
  readonly maxRetentionDays?: number;
  /**
   * Days the lock can still be removed; after them it is in compliance mode and can never be removed.
   * @default - governance mode: removable by principals allowed to call backup:DeleteBackupVaultLockConfiguration
   */
  readonly changeableForDays?: number;
}

/**
 * What the DR region runs before a disaster (docs/disaster-recovery.md, README "Disaster-recovery strategies").
 * `backup-restore`: key, vault and replicated backups only. `pilot-light`: also the network and a cross-region read
 * replica. `warm-standby`: also the service (one task per zone) behind its own load balancer, pointed at the replica.
 */
export type DrStrategy = 'backup-restore' | 'pilot-light' | 'warm-standby';
export const DR_STRATEGIES: readonly DrStrategy[] = ['backup-restore', 'pilot-light', 'warm-standby'];

/** A Route 53 public hosted zone, imported by ID and name (no lookup, so synthesis stays offline). */
export interface DnsConfig {
  /** Hosted zone ID, such as `Z0123456789ABCDEFGHIJ`. */
  readonly hostedZoneId: string;
  /** The zone's domain name, such as `example.com`. */
  readonly zoneName: string;
  /** The name users call, inside the zone, such as `api.example.com`. */
  readonly recordName: string;
}

export interface DrConfig {
  /**
   * What the DR region runs before a disaster. `backup-restore` stays the default: it costs a few dollars a month
   * and its RTO (hours) is what a team gets without a decision; `pilot-light` and `warm-standby` are opt-in because
   * they roughly add a second database (and, for warm standby, a second service) to the bill.
   * @default 'backup-restore'
   */
  readonly strategy: DrStrategy;
  /**
   * DB instance class of the cross-region read replica (pilot light, warm standby). Promoted, it becomes the writer:
   * smaller than the primary's class only if the DR region may run degraded.
   * @default - the primary's database.instanceClass
   */
  readonly replicaInstanceClass: string;
  /**
   * ACM certificate in drRegion for the DR load balancer's HTTPS listener (a load balancer uses certificates of its
   * own region). Required when certificateArn is set and the strategy runs the service in the DR region.
   * @default - none
   */
  readonly certificateArn?: string;
  /**
   * Availability Zones of the DR site (pilot light, warm standby), given explicitly so synthesis needs no lookup.
   * @default - `a`, `b` and `c` of drRegion
   */
  readonly availabilityZones: readonly string[];
  /** Days RDS keeps the automated backups it replicates into the DR region (point-in-time restore there). @default 7 */
  readonly replicatedBackupRetentionDays: number;
  /** AWS Backup Vault Lock on the DR vault (WORM copies). @default - no lock */
  readonly vaultLock?: VaultLockConfig;
}

export interface HaConfig {
  /** Region that serves traffic. @default us-east-1 */
  readonly primaryRegion: string;
  /** Region that holds the replicated backups; must differ from the primary. @default us-west-2 */
  readonly drRegion: string;
  /**
   * Availability Zones of the primary region, given explicitly so synthesis needs no lookup.
   * @default - `a`, `b` and `c` of the primary region
   */
  readonly availabilityZones: readonly string[];
  /**
   * NAT gateways. One per AZ keeps egress alive in the surviving AZs when one is lost.
   * @default - one per Availability Zone
   */
  readonly natGateways: number;
  readonly service: ServiceConfig;
  readonly database: DatabaseConfig;
  readonly backup: BackupConfig;
  readonly dr: DrConfig;
  /** Route 53 failover records (PRIMARY / SECONDARY) for the service. @default - no DNS records, with a synth warning */
  readonly dns?: DnsConfig;
  /** ACM certificate for the HTTPS listener; without it the load balancer serves HTTP only. @default - none */
  readonly certificateArn?: string;
  /** Address subscribed to the paging topic. @default - no subscription */
  readonly alarmEmail?: string;
  /** Service level objectives. @default - availability 99.9 %, latency 99 % within 300 ms, both over 30 days */
  readonly slo: SloSettings;
  readonly chaos: ChaosConfig;
  readonly deployment: DeploymentConfig;
  readonly zonalShift: ZonalShiftConfig;
}

/** How the service deploys (see docs/slo.md, "Deployments"). */
export interface DeploymentConfig {
  /** ECS deployment strategy. @default canary */
  readonly strategy: 'canary' | 'linear' | 'blueGreen' | 'rolling';
  /** Share of traffic, in percent, the new revision takes first (canary) or per step (linear). @default 10 (canary), 25 (linear) */
  readonly trafficStepPercent?: number;
  /** Minutes the canary share (or each linear step) is held. @default 5 */
  readonly stepBakeMinutes: number;
  /** Minutes both revisions keep running after all traffic moved, alarms still rolling back. @default 10 */
  readonly bakeMinutes: number;
  /**
   * The error-budget gate among the deployment alarms. false is the explicit override for the one deployment that
   * ships the fix restoring reliability (a synth warning says so). @default true
   */
  readonly budgetGate: boolean;
}

/** ARC zonal autoshift and gray-failure alarms (see docs/zonal-shift.md). */
export interface ZonalShiftConfig {
  /** Let ARC shift traffic out of a zone AWS finds impaired; practice runs happen weekly either way. @default true */
  readonly autoshift: boolean;
  /** UTC windows with no practice run, on top of the ones computed around the chaos schedule. @default - none */
  readonly blockedWindows: string[];
  /** UTC dates (YYYY-MM-DD) with no practice run. @default - none */
  readonly blockedDates: string[];
  /** Where gray-failure (zone outlier) alarms go. @default ticket */
  readonly outlierAlarms: 'ticket' | 'page';
}

export interface SloSettings extends ResolvedSloConfig {
  /** Also create the SLOs in CloudWatch Application Signals, for the console's attainment view. @default false */
  readonly applicationSignals: boolean;
}

/** The weekly chaos experiments (see docs/chaos.md). */
export interface ChaosConfig {
  /** Start the experiments on their weekly schedule; off, they are templates started by hand. @default true */
  readonly schedule: boolean;
  /** Experiments the schedule starts. @default - all three */
  readonly scheduledExperiments: ExperimentName[];
  /** IANA time zone of the cron expressions. @default America/New_York */
  readonly timeZone: string;
  /** EventBridge Scheduler cron per experiment. @default - taskLoss Tue, databaseFailover Wed, azLoss Thu, 10:00 */
  readonly cron: Record<ExperimentName, string>;
  /** Minutes the AZ-loss experiment cuts the zone off (1-720). @default 5 */
  readonly zoneOutageMinutes: number;
  /** Zone the AZ-loss experiment cuts off. @default - the first configured zone */
  readonly zone: string;
}

/** Error raised for a configuration value that cannot work; the message names the key, the value and what is allowed. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Fargate's valid CPU units and the memory (MiB) each allows. */
const FARGATE_MEMORY: Record<number, { min: number; max: number; step: number; extra?: number[] }> = {
  256: { min: 1024, max: 2048, step: 1024, extra: [512] },
  512: { min: 1024, max: 4096, step: 1024 },
  1024: { min: 2048, max: 8192, step: 1024 },
  2048: { min: 4096, max: 16384, step: 1024 },
  4096: { min: 8192, max: 30720, step: 1024 },
  8192: { min: 16384, max: 61440, step: 4096 },
  16384: { min: 32768, max: 122880, step: 8192 },
};

/** Memory sizes Fargate accepts for a CPU value (empty when the CPU value is invalid). */
export function fargateMemoryOptions(cpu: number): number[] {
  const spec = FARGATE_MEMORY[cpu];
  if (!spec) return [];
  const sizes = new Set(spec.extra ?? []);
  for (let m = spec.min; m <= spec.max; m += spec.step) sizes.add(m);
  return [...sizes].sort((a, b) => a - b);
}

const REGION_PATTERN = /^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$/;
const EMAIL_PATTERN = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
const ACM_ARN_PATTERN = /^arn:aws[a-z-]*:acm:([a-z0-9-]+):\d{12}:certificate\/[A-Za-z0-9-]+$/;

type Raw = Record<string, unknown>;

function isObject(value: unknown): value is Raw {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function show(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}

function str(raw: Raw, key: string, path: string, fallback: string): string {
  const value = raw[key] ?? fallback;
  if (typeof value !== 'string' || value.length === 0) {
    throw new ConfigError(`${path} must be a non-empty string, got ${show(value)}`);
  }
  return value;
}

function optionalStr(raw: Raw, key: string, path: string): string | undefined {
  const value = raw[key];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw new ConfigError(`${path} must be a string, got ${show(value)}`);
  return value;
}

function int(raw: Raw, key: string, path: string, fallback: number, min: number, max: number): number {
  const value = raw[key] ?? fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${path} must be an integer between ${min} and ${max}, got ${show(value)}`);
  }
  return value;
}

function region(raw: Raw, key: string, path: string, fallback: string): string {
  const value = str(raw, key, path, fallback);
  if (!REGION_PATTERN.test(value)) {
    throw new ConfigError(`${path} must be an AWS region name such as "us-east-1", got ${show(value)}`);
  }
  return value;
}

/**
 * Turns the raw context value (an object from cdk.json, or a JSON string from `-c ha=...`)
 * into a complete, validated configuration.
 */
export function parseConfig(input: unknown): HaConfig {
  let raw: unknown = input ?? {};
  if (typeof raw === 'string') {
    try {
      raw = JSON.parse(raw);
    } catch (err) {
      throw new ConfigError(`context "${CONFIG_CONTEXT_KEY}" must be a JSON object, got unparseable text: ${(err as Error).message}`);
    }
  }
  if (!isObject(raw)) throw new ConfigError(`context "${CONFIG_CONTEXT_KEY}" must be an object, got ${show(raw)}`);
  checkKnownKeys(raw, KNOWN_KEYS, '');

  const primaryRegion = region(raw, 'primaryRegion', 'primaryRegion', 'us-east-1');
  const drRegion = region(raw, 'drRegion', 'drRegion', 'us-west-2');
  if (drRegion === primaryRegion) {
    throw new ConfigError(
      `drRegion must differ from primaryRegion (both are "${primaryRegion}"): backups replicated into the same region do not survive a regional outage`,
    );
  }

  const availabilityZones = parseAvailabilityZones(raw.availabilityZones, primaryRegion);
  const natGateways = int(raw, 'natGateways', 'natGateways', availabilityZones.length, 1, availabilityZones.length);

  const rawService = raw.service ?? {};
  if (!isObject(rawService)) throw new ConfigError(`service must be an object, got ${show(rawService)}`);
  const service = parseService(rawService, availabilityZones.length);

  const certificateArn = optionalStr(raw, 'certificateArn', 'certificateArn');
  if (certificateArn !== undefined) {
    const match = ACM_ARN_PATTERN.exec(certificateArn);
    if (!match) {
      throw new ConfigError(`certificateArn must be an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<id>), got ${show(certificateArn)}`);
    }
    if (match[1] !== primaryRegion) {
      throw new ConfigError(`certificateArn must be in primaryRegion "${primaryRegion}" (a load balancer uses certificates of its own region), got one in "${match[1]}"`);
    }
  }

  const alarmEmail = optionalStr(raw, 'alarmEmail', 'alarmEmail');
  if (alarmEmail !== undefined && !EMAIL_PATTERN.test(alarmEmail)) {
    throw new ConfigError(`alarmEmail must be an e-mail address, got ${show(alarmEmail)}`);
  }

  const database = parseDatabase(section(raw, 'database'), availabilityZones.length);
  const backup = parseBackup(section(raw, 'backup'));
  const dr = parseDr(section(raw, 'dr'), backup, database, primaryRegion, drRegion, certificateArn);
  const dns = parseDns(raw.dns);
  if (certificateArn !== undefined && dr.strategy !== 'backup-restore' && !dns) {
    throw new ConfigError(`dns is required when certificateArn is set and dr.strategy is "${dr.strategy}": the DR region's canary calls the primary by the name its certificate is for (dns.recordName), not by the load balancer's DNS name`);
  }
  if (dns && dr.strategy === 'backup-restore') {
    throw new ConfigError('dns needs dr.strategy "pilot-light" or "warm-standby": the SECONDARY failover record points at the DR load balancer, which backup-restore does not run');
  }

  const slo = parseSlo(section(raw, 'slo'));
  const chaos = parseChaos(section(raw, 'chaos'), availabilityZones);

  const deployment = parseDeployment(section(raw, 'deployment'));
  const zonalShift = parseZonalShift(section(raw, 'zonalShift'));

  checkConnectionsFit(service, database);
  return {
    primaryRegion, drRegion, availabilityZones, natGateways, service, database, backup, dr, dns, certificateArn, alarmEmail, slo, chaos, deployment, zonalShift,
  };
}

function parseSlo(raw: Raw): SloSettings {
  const { applicationSignals = false, ...slo } = raw;
  if (typeof applicationSignals !== 'boolean') {
    throw new ConfigError(`slo.applicationSignals must be true or false, got ${show(applicationSignals)}`);
  }
  const unknown = Object.keys(slo).filter((key) => key !== 'availability' && key !== 'latency' && key !== 'minimumRequests');
  if (unknown.length > 0) {
    throw new ConfigError(
      `slo accepts only "availability", "latency", "minimumRequests" and "applicationSignals" (burn-rate tiers are set in code), got ${show(unknown)}`,
    );
  }
  for (const key of ['availability', 'latency']) {
    if (slo[key] !== undefined && !isObject(slo[key])) throw new ConfigError(`slo.${key} must be an object, got ${show(slo[key])}`);
  }
  try {
    return { ...resolveSloConfig(slo, 'slo'), applicationSignals };
  } catch (err) {
    if (err instanceof SloConfigError) throw new ConfigError(err.message);
    throw err;
  }
}

const DEPLOYMENT_STRATEGIES = ['canary', 'linear', 'blueGreen', 'rolling'] as const;

function bool(raw: Raw, key: string, path: string, fallback: boolean): boolean {
  const value = raw[key] ?? fallback;
  if (typeof value !== 'boolean') throw new ConfigError(`${path} must be true or false, got ${show(value)}`);
  return value;
}

function parseDeployment(raw: Raw): DeploymentConfig {
  const strategy = raw.strategy ?? 'canary';
  if (!DEPLOYMENT_STRATEGIES.includes(strategy as DeploymentConfig['strategy'])) {
    throw new ConfigError(`deployment.strategy must be one of ${DEPLOYMENT_STRATEGIES.join(', ')}, got ${show(strategy)}`);
  }
  let trafficStepPercent: number | undefined;
  if (raw.trafficStepPercent !== undefined) {
    const min = strategy === 'linear' ? 3 : 0.1;
    const value = raw.trafficStepPercent;
    if (strategy !== 'canary' && strategy !== 'linear') {
      throw new ConfigError(`deployment.trafficStepPercent applies to the canary and linear strategies only, got it with ${show(strategy)}`);
    }
    if (typeof value !== 'number' || value < min || value > 100 || Math.abs(Math.round(value * 10) - value * 10) > 1e-9) {
      throw new ConfigError(`deployment.trafficStepPercent must be a multiple of 0.1 from ${min} to 100 for a ${strategy} deployment, got ${show(value)}`);
    }
    trafficStepPercent = value;
  }
  const stepBakeMinutes = int(raw, 'stepBakeMinutes', 'deployment.stepBakeMinutes', 5, 0, 1440);
  if (strategy === 'rolling' && raw.bakeMinutes !== undefined) {
    throw new ConfigError('deployment.bakeMinutes needs the canary, linear or blueGreen strategy (ECS bakes only while both revisions run), got it with "rolling"');
  }
  const bakeMinutes = int(raw, 'bakeMinutes', 'deployment.bakeMinutes', 10, 0, 1440);
  const budgetGate = bool(raw, 'budgetGate', 'deployment.budgetGate', true);
  return { strategy: strategy as DeploymentConfig['strategy'], trafficStepPercent, stepBakeMinutes, bakeMinutes, budgetGate };
}

function stringList(raw: Raw, key: string, path: string, check: (item: string) => string | undefined): string[] {
  const value = raw[key] ?? [];
  if (!Array.isArray(value)) throw new ConfigError(`${path} must be a list of strings, got ${show(value)}`);
  return value.map((item, i) => {
    const problem = typeof item === 'string' ? check(item) : 'must be a string';
    if (problem) throw new ConfigError(`${path}[${i}] ${problem}, got ${show(item)}`);
    return item as string;
  });
}

function parseZonalShift(raw: Raw): ZonalShiftConfig {
  const autoshift = bool(raw, 'autoshift', 'zonalShift.autoshift', true);
  const blockedWindows = stringList(raw, 'blockedWindows', 'zonalShift.blockedWindows', blockedWindowProblem);
  const blockedDates = stringList(raw, 'blockedDates', 'zonalShift.blockedDates', (d) =>
    /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/.test(d) ? undefined : 'must be a UTC date YYYY-MM-DD',
  );
  const outlierAlarms = raw.outlierAlarms ?? 'ticket';
  if (outlierAlarms !== 'ticket' && outlierAlarms !== 'page') {
    throw new ConfigError(`zonalShift.outlierAlarms must be "ticket" or "page", got ${show(outlierAlarms)}`);
  }
  return { autoshift, blockedWindows, blockedDates, outlierAlarms };
}

function parseChaos(raw: Raw, zones: readonly string[]): ChaosConfig {
  const schedule = raw.schedule ?? true;
  if (typeof schedule !== 'boolean') throw new ConfigError(`chaos.schedule must be true or false, got ${show(schedule)}`);

  const scheduled = raw.scheduledExperiments ?? [...EXPERIMENT_NAMES];
  if (!Array.isArray(scheduled) || scheduled.some((name) => !EXPERIMENT_NAMES.includes(name as ExperimentName))) {
    throw new ConfigError(`chaos.scheduledExperiments must list some of ${EXPERIMENT_NAMES.join(', ')}, got ${show(scheduled)}`);
  }

  const timeZone = str(raw, 'timeZone', 'chaos.timeZone', DEFAULT_TIME_ZONE);
  if (!isKnownTimeZone(timeZone)) {
    throw new ConfigError(`chaos.timeZone must be an IANA time zone name such as "America/New_York" or "Europe/Berlin", got ${show(timeZone)}`);
  }

  const rawCron = raw.cron ?? {};
  if (!isObject(rawCron)) throw new ConfigError(`chaos.cron must be an object of experiment name to cron expression, got ${show(rawCron)}`);
  const cron = { ...DEFAULT_CRON };
  for (const [name, expression] of Object.entries(rawCron)) {
    if (!EXPERIMENT_NAMES.includes(name as ExperimentName)) {
      throw new ConfigError(`chaos.cron has no experiment "${name}"; experiments are ${EXPERIMENT_NAMES.join(', ')}`);
    }
    const problem = typeof expression === 'string' ? cronProblem(expression) : 'must be a string';
    if (problem) throw new ConfigError(`chaos.cron.${name} ${problem}, got ${show(expression)}`);
    cron[name as ExperimentName] = expression as string;
  }

  const zoneOutageMinutes = raw.zoneOutageMinutes ?? DEFAULT_ZONE_OUTAGE_MINUTES;
  const durationIssue = typeof zoneOutageMinutes === 'number' ? durationProblem(zoneOutageMinutes) : 'must be a number';
  if (durationIssue) throw new ConfigError(`chaos.zoneOutageMinutes ${durationIssue}, got ${show(zoneOutageMinutes)}`);

  const zone = str(raw, 'zone', 'chaos.zone', zones[0]);
  if (!zones.includes(zone)) throw new ConfigError(`chaos.zone must be one of availabilityZones (${zones.join(', ')}), got ${show(zone)}`);

  return { schedule, scheduledExperiments: scheduled as ExperimentName[], timeZone, cron, zoneOutageMinutes: zoneOutageMinutes as number, zone };
}

/** A key the `ha` context accepts: `true` for a value its parser checks whole, or the keys of a nested object. */
type KeyTree = { readonly [key: string]: true | KeyTree };

/** Every key of the `ha` context, so a misspelt one fails instead of silently taking the default. */
const KNOWN_KEYS: KeyTree = {
  primaryRegion: true,
  drRegion: true,
  availabilityZones: true,
  natGateways: true,
  service: { cpu: true, memoryMiB: true, desiredCount: true, maxCount: true },
  certificateArn: true,
  alarmEmail: true,
  database: {
    deployment: true, engineVersion: true, instanceClass: true, allocatedStorageGiB: true, maxAllocatedStorageGiB: true,
    port: true, databaseName: true, backupRetentionDays: true,
  },
  backup: { scheduleExpression: true, retentionDays: true, copyRetentionDays: true, restoreTestScheduleExpression: true, restoreTestValidationWindowHours: true },
  dns: { hostedZoneId: true, zoneName: true, recordName: true },
  dr: { strategy: true, replicaInstanceClass: true, certificateArn: true, availabilityZones: true, replicatedBackupRetentionDays: true, vaultLock: { minRetentionDays: true, maxRetentionDays: true, changeableForDays: true } },
  // parseSlo and parseChaos check their own keys (the SLO and experiment names), with messages of their own.
  slo: true,
  chaos: { schedule: true, scheduledExperiments: true, timeZone: true, cron: true, zoneOutageMinutes: true, zone: true },
  deployment: { strategy: true, trafficStepPercent: true, stepBakeMinutes: true, bakeMinutes: true, budgetGate: true },
  zonalShift: { autoshift: true, blockedWindows: true, blockedDates: true, outlierAlarms: true },
};

function checkKnownKeys(raw: Raw, known: KeyTree, prefix: string): void {
  for (const [key, value] of Object.entries(raw)) {
    const path = `${prefix}${key}`;
    const entry = known[key];
    if (entry === undefined) {
      const candidates = Object.keys(known);
      const closest = closestKey(key, candidates);
      const where = prefix === '' ? `context "${CONFIG_CONTEXT_KEY}"` : prefix.slice(0, -1);
      throw new ConfigError(
        `${path} is not a key of ${where}${closest ? `: did you mean ${prefix}${closest}?` : ''} (known keys: ${candidates.join(', ')})`,
      );
    }
    if (entry !== true && isObject(value)) checkKnownKeys(value, entry, `${path}.`);
  }
}

/** The candidate nearest to `key` by edit distance, when it is near enough to be a misspelling. */
export function closestKey(key: string, candidates: readonly string[]): string | undefined {
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (best === undefined || distance < best.distance) best = { candidate, distance };
  }
  return best !== undefined && best.distance <= Math.max(2, Math.floor(key.length / 3)) ? best.candidate : undefined;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}

function section(raw: Raw, key: string): Raw {
  const value = raw[key] ?? {};
  if (!isObject(value)) throw new ConfigError(`${key} must be an object, got ${show(value)}`);
  return value;
}

/**
 * PostgreSQL versions RDS offers (and aws-cdk-lib 2.276 names), newest minor per major.
 * A newer minor needs a line here: the check exists so a typo fails at synth, not half-way through a deployment.
 */
export const POSTGRES_LATEST_MINOR: Readonly<Record<number, number>> = { 16: 13, 17: 9 };

/**
 * Instance class families that support Multi-AZ DB clusters (RDS User Guide, "Instance class availability for
 * Multi-AZ DB clusters"): mostly classes with local NVMe storage, which holds the transaction log.
 */
export const MULTI_AZ_CLUSTER_FAMILIES: readonly string[] = [
  'c6gd', 'm5d', 'm6gd', 'm6id', 'm6idn', 'm7g', 'r5d', 'r6gd', 'r6id', 'r6idn', 'r7g', 'x2iedn',
];

const INSTANCE_CLASS_PATTERN = /^db\.([a-z0-9-]+)\.([a-z0-9]+)$/;
const DATABASE_NAME_PATTERN = /^[a-z][a-z0-9_]{0,62}$/;
const CRON_PATTERN = /^cron\(\S+( \S+){5}\)$/;

/** Accepts `16`, `17`, `16.4`, `17.6`...; the error lists what is known. */
export function checkPostgresVersion(version: string, path = 'database.engineVersion'): void {
  const match = /^(\d+)(?:\.(\d+))?$/.exec(version);
  const latest = match ? POSTGRES_LATEST_MINOR[Number(match[1])] : undefined;
  if (!match || latest === undefined || (match[2] !== undefined && (Number(match[2]) < 1 || Number(match[2]) > latest))) {
    const known = Object.entries(POSTGRES_LATEST_MINOR).map(([major, minor]) => `${major}.1-${major}.${minor}`).join(' or ');
    throw new ConfigError(`${path} must be a known PostgreSQL version (${known}), got ${show(version)}`);
  }
}

/** The family of a DB instance class (`db.m6gd.large` → `m6gd`), or undefined when the name is malformed. */
export function instanceClassFamily(instanceClass: string): string | undefined {
  return INSTANCE_CLASS_PATTERN.exec(instanceClass)?.[1];
}

function parseDatabase(raw: Raw, zoneCount: number): DatabaseConfig {
  const deployment = str(raw, 'deployment', 'database.deployment', 'instance');
  if (deployment !== 'instance' && deployment !== 'cluster') {
    throw new ConfigError(`database.deployment must be "instance" (Multi-AZ DB instance) or "cluster" (Multi-AZ DB cluster), got ${show(deployment)}`);
  }
  if (deployment === 'cluster' && zoneCount < 3) {
    throw new ConfigError(`database.deployment "cluster" needs at least 3 availabilityZones (a writer and two readers in separate zones), got ${zoneCount}`);
  }
  const engineVersion = str(raw, 'engineVersion', 'database.engineVersion', '17.6');
  checkPostgresVersion(engineVersion);

  const instanceClass = str(raw, 'instanceClass', 'database.instanceClass', deployment === 'cluster' ? 'db.m6gd.large' : 'db.m7g.large');
  const family = instanceClassFamily(instanceClass);
  if (family === undefined) {
    throw new ConfigError(`database.instanceClass must be an RDS instance class such as "db.m7g.large", got ${show(instanceClass)}`);
  }
  if (deployment === 'cluster' && !MULTI_AZ_CLUSTER_FAMILIES.includes(family)) {
    throw new ConfigError(
      `database.instanceClass must support Multi-AZ DB clusters when database.deployment is "cluster" (families ${MULTI_AZ_CLUSTER_FAMILIES.join(', ')}), got ${show(instanceClass)}`,
    );
  }

  const allocatedStorageGiB = int(raw, 'allocatedStorageGiB', 'database.allocatedStorageGiB', 100, 20, 65536);
  const maxAllocatedStorageGiB = int(raw, 'maxAllocatedStorageGiB', 'database.maxAllocatedStorageGiB', Math.max(500, allocatedStorageGiB), 20, 65536);
  if (maxAllocatedStorageGiB < allocatedStorageGiB) {
    throw new ConfigError(`database.maxAllocatedStorageGiB must be at least database.allocatedStorageGiB (${allocatedStorageGiB}), got ${maxAllocatedStorageGiB}`);
  }
  const port = int(raw, 'port', 'database.port', 5433, 1150, 65535);
  if (port === 5432) {
    throw new ConfigError('database.port must not be the PostgreSQL default 5432 (a non-default port turns away untargeted scans), got 5432');
  }
  const databaseName = str(raw, 'databaseName', 'database.databaseName', 'app');
  if (!DATABASE_NAME_PATTERN.test(databaseName) || databaseName === 'postgres' || databaseName === 'rdsadmin') {
    throw new ConfigError(
      `database.databaseName must be 1-63 lower-case letters, digits or underscores starting with a letter, and not "postgres" or "rdsadmin", got ${show(databaseName)}`,
    );
  }
  const backupRetentionDays = int(raw, 'backupRetentionDays', 'database.backupRetentionDays', 14, 7, 35);
  return { deployment, engineVersion, instanceClass, allocatedStorageGiB, maxAllocatedStorageGiB, port, databaseName, backupRetentionDays };
}

function cron(raw: Raw, key: string, path: string, fallback: string): string {
  const value = str(raw, key, path, fallback);
  if (!CRON_PATTERN.test(value)) {
    throw new ConfigError(`${path} must be a cron expression with six fields such as "cron(0 5 * * ? *)", got ${show(value)}`);
  }
  return value;
}

function parseBackup(raw: Raw): BackupConfig {
  const scheduleExpression = cron(raw, 'scheduleExpression', 'backup.scheduleExpression', 'cron(0 5 * * ? *)');
  const retentionDays = int(raw, 'retentionDays', 'backup.retentionDays', 35, 7, 36500);
  const copyRetentionDays = int(raw, 'copyRetentionDays', 'backup.copyRetentionDays', 35, 7, 36500);
  const restoreTestScheduleExpression = cron(raw, 'restoreTestScheduleExpression', 'backup.restoreTestScheduleExpression', 'cron(0 7 ? * SUN *)');
  const restoreTestValidationWindowHours = int(raw, 'restoreTestValidationWindowHours', 'backup.restoreTestValidationWindowHours', 2, 1, 168);
  return { scheduleExpression, retentionDays, copyRetentionDays, restoreTestScheduleExpression, restoreTestValidationWindowHours };
}

const HOSTED_ZONE_ID_PATTERN = /^Z[A-Z0-9]{1,31}$/;
const DOMAIN_PATTERN = /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

function parseDns(value: unknown): DnsConfig | undefined {
  // Fields checked first, so a later build of the failover records keeps these messages.
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) throw new ConfigError(`dns must be an object { hostedZoneId, zoneName, recordName }, got ${show(value)}`);
  for (const key of ['hostedZoneId', 'zoneName', 'recordName']) {
    if (value[key] === undefined) throw new ConfigError(`dns.${key} is required when dns is set (dns needs hostedZoneId, zoneName and recordName), got ${show(value)}`);
  }
  const hostedZoneId = str(value, 'hostedZoneId', 'dns.hostedZoneId', '');
  if (!HOSTED_ZONE_ID_PATTERN.test(hostedZoneId)) {
    throw new ConfigError(`dns.hostedZoneId must be a Route 53 hosted zone ID such as "Z0123456789ABCDEFGHIJ", got ${show(hostedZoneId)}`);
  }
  const zoneName = str(value, 'zoneName', 'dns.zoneName', '').replace(/\.$/, '');
  if (!DOMAIN_PATTERN.test(zoneName)) throw new ConfigError(`dns.zoneName must be a lower-case domain name such as "example.com", got ${show(zoneName)}`);
  const recordName = str(value, 'recordName', 'dns.recordName', '').replace(/\.$/, '');
  if (!DOMAIN_PATTERN.test(recordName) || !(recordName === zoneName || recordName.endsWith(`.${zoneName}`))) {
    throw new ConfigError(`dns.recordName must be a domain name inside dns.zoneName "${zoneName}" such as "api.${zoneName}", got ${show(recordName)}`);
  }
  if (recordName === zoneName) {
    throw new ConfigError(`dns.recordName must be a name below the zone apex "${zoneName}" such as "api.${zoneName}" (the failover records are CNAMEs, which the apex cannot hold), got ${show(recordName)}`);
  }
  return { hostedZoneId, zoneName, recordName };
}

function parseDr(
  raw: Raw,
  backup: BackupConfig,
  database: DatabaseConfig,
  primaryRegion: string,
  drRegion: string,
  primaryCertificateArn: string | undefined,
): DrConfig {
  const replicatedBackupRetentionDays = int(raw, 'replicatedBackupRetentionDays', 'dr.replicatedBackupRetentionDays', 7, 1, 35);
  const strategy = str(raw, 'strategy', 'dr.strategy', 'backup-restore');
  if (!DR_STRATEGIES.includes(strategy as DrStrategy)) {
    const closest = closestKey(strategy, DR_STRATEGIES);
    throw new ConfigError(`dr.strategy must be one of ${DR_STRATEGIES.map((s) => `"${s}"`).join(', ')}, got ${show(strategy)}${closest ? ` (did you mean "${closest}"?)` : ''}`);
  }
  const replicaInstanceClass = str(raw, 'replicaInstanceClass', 'dr.replicaInstanceClass', database.instanceClass);
  if (instanceClassFamily(replicaInstanceClass) === undefined) {
    throw new ConfigError(`dr.replicaInstanceClass must be an RDS instance class such as "db.m7g.large", got ${show(replicaInstanceClass)}`);
  }
  if (strategy !== 'backup-restore' && database.deployment === 'cluster') {
    // The cross-region read replica built here is a DB instance replica of a DB instance; a Multi-AZ DB cluster
    // source is not wired (partial: see docs/disaster-recovery.md).
    throw new ConfigError(`dr.strategy "${strategy}" needs database.deployment "instance" (the cross-region read replica of a Multi-AZ DB cluster is not built yet), got "cluster"`);
  }
  const certificateArn = optionalStr(raw, 'certificateArn', 'dr.certificateArn');
  if (certificateArn !== undefined) {
    const match = ACM_ARN_PATTERN.exec(certificateArn);
    if (!match) throw new ConfigError(`dr.certificateArn must be an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<id>), got ${show(certificateArn)}`);
    if (match[1] !== drRegion) {
      throw new ConfigError(`dr.certificateArn must be in drRegion "${drRegion}" (a load balancer uses certificates of its own region), got one in "${match[1]}"`);
    }
  }
  if (primaryCertificateArn !== undefined && certificateArn === undefined && strategy !== 'backup-restore') {
    throw new ConfigError(`dr.certificateArn is required when certificateArn is set and dr.strategy is "${strategy}": the DR load balancer needs a certificate in drRegion "${drRegion}" (the one in "${primaryRegion}" cannot be used there)`);
  }
  if (primaryCertificateArn === undefined && certificateArn !== undefined) {
    throw new ConfigError('dr.certificateArn needs certificateArn too: the DR load balancer serves what the primary serves (HTTPS with both, HTTP with neither)');
  }
  const availabilityZones = parseAvailabilityZones(raw.availabilityZones, drRegion, 'dr.availabilityZones', 'drRegion');
  const base = { strategy: strategy as DrStrategy, replicaInstanceClass, certificateArn, replicatedBackupRetentionDays, availabilityZones };
  if (raw.vaultLock === undefined || raw.vaultLock === null) return base;
  if (!isObject(raw.vaultLock)) throw new ConfigError(`dr.vaultLock must be an object, got ${show(raw.vaultLock)}`);
  const lock = raw.vaultLock;
  if (lock.minRetentionDays === undefined) {
    throw new ConfigError(`dr.vaultLock.minRetentionDays is required when dr.vaultLock is set, got ${show(lock)}`);
  }
  const minRetentionDays = int(lock, 'minRetentionDays', 'dr.vaultLock.minRetentionDays', 7, 1, 36500);
  const maxRetentionDays = lock.maxRetentionDays === undefined ? undefined : int(lock, 'maxRetentionDays', 'dr.vaultLock.maxRetentionDays', 0, minRetentionDays, 36500);
  const changeableForDays = lock.changeableForDays === undefined ? undefined : int(lock, 'changeableForDays', 'dr.vaultLock.changeableForDays', 0, 3, 36500);
  // A locked vault rejects a copy whose retention is outside the lock's range: every copy job would fail.
  if (backup.copyRetentionDays < minRetentionDays || (maxRetentionDays !== undefined && backup.copyRetentionDays > maxRetentionDays)) {
    throw new ConfigError(
      `backup.copyRetentionDays must lie within dr.vaultLock (${minRetentionDays}-${maxRetentionDays ?? 'unbounded'} days) or the locked DR vault rejects every copy, got ${backup.copyRetentionDays}`,
    );
  }
  return { ...base, vaultLock: { minRetentionDays, maxRetentionDays, changeableForDays } };
}

function parseAvailabilityZones(value: unknown, region: string, key = 'availabilityZones', regionKey = 'primaryRegion'): string[] {
  const zones = value ?? ['a', 'b', 'c'].map((suffix) => `${region}${suffix}`);
  if (!Array.isArray(zones) || zones.some((z) => typeof z !== 'string')) {
    throw new ConfigError(`${key} must be a list of zone names, got ${show(zones)}`);
  }
  if (zones.length < 2) {
    throw new ConfigError(`${key} must list at least 2 zones (3 recommended) to survive the loss of one, got ${zones.length}: ${show(zones)}`);
  }
  const seen = new Set<string>();
  for (const zone of zones as string[]) {
    if (seen.has(zone)) throw new ConfigError(`${key} must not repeat a zone, got "${zone}" twice in ${show(zones)}`);
    seen.add(zone);
    if (!new RegExp(`^${region}[a-z]$`).test(zone)) {
      throw new ConfigError(`${key} must be zones of ${regionKey} "${region}" (such as "${region}a"), got "${zone}"`);
    }
  }
  return zones as string[];
}

function parseService(raw: Raw, zoneCount: number): ServiceConfig {
  const cpu = int(raw, 'cpu', 'service.cpu', 512, 256, 16384);
  const memoryOptions = fargateMemoryOptions(cpu);
  if (memoryOptions.length === 0) {
    throw new ConfigError(`service.cpu must be one of ${Object.keys(FARGATE_MEMORY).join(', ')} (Fargate CPU units), got ${cpu}`);
  }
  const memoryMiB = int(raw, 'memoryMiB', 'service.memoryMiB', Math.max(1024, memoryOptions[0]), 512, 122880);
  if (!memoryOptions.includes(memoryMiB)) {
    throw new ConfigError(
      `service.memoryMiB must be a Fargate size for ${cpu} CPU units (${memoryOptions[0]}-${memoryOptions[memoryOptions.length - 1]} MiB in steps), got ${memoryMiB}`,
    );
  }
  const desiredCount = int(raw, 'desiredCount', 'service.desiredCount', Math.max(3, zoneCount), 1, 1000);
  if (desiredCount < zoneCount) {
    throw new ConfigError(
      `service.desiredCount must be at least the number of Availability Zones (${zoneCount}) so every zone runs a task, got ${desiredCount}`,
    );
  }
  const maxCount = int(raw, 'maxCount', 'service.maxCount', Math.max(12, desiredCount), 1, 1000);
  if (maxCount < desiredCount) {
    throw new ConfigError(`service.maxCount must be at least service.desiredCount (${desiredCount}), got ${maxCount}`);
  }
  return { cpu, memoryMiB, desiredCount, maxCount };
}

/**
 * At the peak of a deployment (maximum 200 %) every task's pool may be open at once; it must fit the
 * connections the instance class allows, less those PostgreSQL and RDS reserve for superusers.
 */
function checkConnectionsFit(service: ServiceConfig, database: DatabaseConfig): void {
  const limit = postgresMaxConnections(database.instanceClass);
  if (limit === undefined) return;
  const available = limit - POSTGRES_RESERVED_CONNECTIONS;
  const peak = service.maxCount * 2 * DB_POOL_MAX;
  if (peak > available) {
    throw new ConfigError(
      `service.maxCount × 2 (deployments run up to 200 %) × ${DB_POOL_MAX} connections per task = ${peak} exceeds the ${available} connections ` +
        `database.instanceClass ${show(database.instanceClass)} allows: lower service.maxCount to at most ${Math.floor(available / (2 * DB_POOL_MAX))} or choose a larger class`,
    );
  }
}
