/**
 * How many connections RDS for PostgreSQL accepts on an instance class by default.
 *
 * The default `max_connections` parameter is `LEAST({DBInstanceClassMemory/9531392}, 5000)` (Amazon RDS
 * user guide, "Maximum number of database connections"). DBInstanceClassMemory is the class's memory less
 * what the operating system and RDS reserve, so the figure computed here from the class's nominal memory is
 * an upper bound, a few per cent above the real one.
 */
export const POSTGRES_CONNECTION_MEMORY_BYTES = 9_531_392;
export const POSTGRES_MAX_CONNECTIONS_CAP = 5_000;
/** superuser_reserved_connections (3) plus rds.rds_superuser_reserved_connections (2): never for the application. */
export const POSTGRES_RESERVED_CONNECTIONS = 5;

const VCPUS_BY_SIZE: Readonly<Record<string, number>> = {
  large: 2, xlarge: 4, '2xlarge': 8, '4xlarge': 16, '8xlarge': 32, '12xlarge': 48, '16xlarge': 64, '24xlarge': 96, '32xlarge': 128, '48xlarge': 192,
};
/** GiB of memory per vCPU by family prefix (EC2 instance type families RDS offers). */
const GIB_PER_VCPU: readonly [RegExp, number][] = [
  [/^x2i/, 32],
  [/^x1e/, 32],
  [/^x1/, 16],
  [/^z1d/, 8],
  [/^r\d/, 8],
  [/^m\d/, 4],
  [/^c\d/, 2],
];
/** Burstable classes do not follow a per-vCPU ratio. */
const BURSTABLE_GIB: Readonly<Record<string, number>> = { micro: 1, small: 2, medium: 4, large: 8, xlarge: 16, '2xlarge': 32 };

/** Memory of an RDS instance class in GiB (`db.m7g.large` → 8), or undefined when this table does not know it. */
export function instanceClassMemoryGiB(instanceClass: string): number | undefined {
  const match = /^db\.([a-z0-9-]+)\.([a-z0-9]+)$/.exec(instanceClass);
  if (!match) return undefined;
  const [, family, size] = match as unknown as [string, string, string];
  if (/^t\d/.test(family)) return BURSTABLE_GIB[size];
  const vcpus = VCPUS_BY_SIZE[size];
  const ratio = GIB_PER_VCPU.find(([pattern]) => pattern.test(family))?.[1];
  return vcpus !== undefined && ratio !== undefined ? vcpus * ratio : undefined;
}

/** The default max_connections of RDS for PostgreSQL on an instance class, or undefined for an unknown class. */
export function postgresMaxConnections(instanceClass: string): number | undefined {
  const gib = instanceClassMemoryGiB(instanceClass);
  if (gib === undefined) return undefined;
  return Math.min(Math.floor((gib * 1024 ** 3) / POSTGRES_CONNECTION_MEMORY_BYTES), POSTGRES_MAX_CONNECTIONS_CAP);
}
