/**
 * The one typed configuration of the app, with its defaults and its validation.
 *
 * It is read from the `ha` context key (cdk.json), and can be replaced on the command line:
 *   npx cdk synth -c ha='{"primaryRegion":"eu-west-1","drRegion":"eu-central-1"}'
 * Keys left out take the defaults below. Pure functions only: no CDK constructs here.
 */

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
  /** ACM certificate for the HTTPS listener; without it the load balancer serves HTTP only. @default - none */
  readonly certificateArn?: string;
  /** Address subscribed to the paging topic. @default - no subscription */
  readonly alarmEmail?: string;
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

  return { primaryRegion, drRegion, availabilityZones, natGateways, service, certificateArn, alarmEmail };
}

function parseAvailabilityZones(value: unknown, primaryRegion: string): string[] {
  const zones = value ?? ['a', 'b', 'c'].map((suffix) => `${primaryRegion}${suffix}`);
  if (!Array.isArray(zones) || zones.some((z) => typeof z !== 'string')) {
    throw new ConfigError(`availabilityZones must be a list of zone names, got ${show(zones)}`);
  }
  if (zones.length < 2) {
    throw new ConfigError(`availabilityZones must list at least 2 zones (3 recommended) to survive the loss of one, got ${zones.length}: ${show(zones)}`);
  }
  const seen = new Set<string>();
  for (const zone of zones as string[]) {
    if (seen.has(zone)) throw new ConfigError(`availabilityZones must not repeat a zone, got "${zone}" twice in ${show(zones)}`);
    seen.add(zone);
    if (!new RegExp(`^${primaryRegion}[a-z]$`).test(zone)) {
      throw new ConfigError(`availabilityZones must be zones of primaryRegion "${primaryRegion}" (such as "${primaryRegion}a"), got "${zone}"`);
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
