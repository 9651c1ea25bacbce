// Configuration from the environment, parsed once by a pure function so it can be unit tested.
// Every value has a default that suits `npm start` on a laptop; production values come from the
// ECS task definition (see lib/ and constructs/service/).
import { DB_POOL_MAX, DRAIN_SECONDS, REQUEST_TIMEOUT_SECONDS, SERVICE_PORT, STOP_TIMEOUT_SECONDS } from './contract';

/** Where the database lives: embedded PGlite (no configuration) or a PostgreSQL server via `pg`. */
export type DatabaseConfig =
  | { readonly kind: 'pglite'; readonly dataDir?: string }
  | {
      readonly kind: 'postgres';
      /** Options handed to `pg.Pool` (connection string or discrete fields; PG* variables fill the gaps). */
      readonly connection: PgConnection;
      /** 'verify-full': TLS with the server certificate checked against the RDS CAs (db/rds-ca.ts), or caFile. */
      readonly tls: 'disable' | 'verify-full';
      /** DB_CA_FILE: trust this PEM bundle instead of the RDS certificate authorities shipped with the service. */
      readonly caFile?: string;
      /** DB_SECRET_ARN: read the password from this Secrets Manager secret (and re-read it after a
       *  rotation) instead of trusting the value injected at task start. See db/credentials.ts. */
      readonly secretArn?: string;
    };

export interface PgConnection {
  readonly connectionString?: string;
  readonly host?: string;
  readonly port?: number;
  readonly database?: string;
  readonly user?: string;
  readonly password?: string;
}

export interface PolicyConfig {
  /** Per-attempt deadline for one database call (also pg's query/connect/statement timeouts). @default 1000 */
  readonly dbTimeoutMs: number;
  /** Attempts for calls that are safe to retry (reads, keyed writes). @default 3 */
  readonly dbMaxAttempts: number;
  /** First backoff delay; later ones double, each drawn with full jitter from [0, delay). @default 50 */
  readonly dbRetryBaseMs: number;
  /** Cap on one backoff delay. @default 1000 */
  readonly dbRetryMaxMs: number;
  /** Consecutive dependency failures that open the circuit. @default 5 */
  readonly breakerThreshold: number;
  /** How long the circuit stays open before one probe call is let through. @default 5000 */
  readonly breakerHalfOpenAfterMs: number;
  /** Concurrent database calls (the pool size; the bulkhead limit). @default 10 */
  readonly poolMax: number;
  /** Calls allowed to wait for a connection at once, a bound on memory: with the defaults every request the front
   *  door admits may wait (64 - 10), and the wait bound below is what acts. @default 54 */
  readonly queueMax: number;
  /**
   * Longest a call waits for one of the poolMax connections before it is refused (503 `overloaded`, or the cached
   * copy for a read). A fast database serves even 50 waiting calls within a few milliseconds, so a bound on the count
   * would refuse work a healthy database can do; a bound on the time caps what a slow database costs each request:
   * under the 300 ms latency SLO threshold, so a request that waited this long and was then refused has not also
   * spent the SLO. @default 250
   */
  readonly queueWaitMs: number;
  /**
   * Requests the process handles at once before shedding with 503. Small on purpose: queueing more than a task
   * can finish within the latency SLO only turns a 503 now into a timeout later (the failure rehearsal's
   * overload scenario measured accepted p99 around 570 ms at 1000 and 240 ms at 64, at twice capacity).
   * @default 64
   */
  readonly maxInFlight: number;
  /** Entries in the read-through fallback cache for GET /messages/:id. @default 1000 */
  readonly cacheEntries: number;
}

export interface Config {
  readonly port: number;
  readonly host: string;
  readonly serviceName: string;
  readonly version: string;
  readonly production: boolean;
  readonly logLevel: string;
  readonly drainMs: number;
  readonly requestTimeoutMs: number;
  /**
   * How long a request body may take to arrive once the headers are in (BODY_TIMEOUT_MS); then 408 and the
   * connection is closed. The body is read before the request takes an in-flight slot, so this bounds what a
   * slow client costs (a socket and at most MAX_BODY_BYTES), not the service's capacity. @default 5000
   */
  readonly bodyTimeoutMs: number;
  /**
   * How long a connection may take to send a request's headers, counted from the connection (or from the
   * previous response on a keep-alive connection) (HEADERS_TIMEOUT_MS); then 408 and the connection is
   * closed, also when it never sent a byte. @default 10000
   */
  readonly headersTimeoutMs: number;
  readonly metricsNamespace: string;
  /** Interval between aggregated EMF metric records; 0 turns metrics off. @default 60000 */
  readonly metricsIntervalMs: number;
  readonly db: DatabaseConfig;
  readonly policies: PolicyConfig;
}

/** server.ts exits 1 this long after SIGTERM if the shutdown has not finished: 1 s before ECS's SIGKILL. */
export const SHUTDOWN_BACKSTOP_MS = (STOP_TIMEOUT_SECONDS - 1) * 1000;

/** Seconds allowed to close the pool and flush the logs after the in-flight grace period. */
const CLOSE_SECONDS = 1;

/**
 * The longest drain the backstop can honour: after the drain, in-flight requests get up to
 * REQUEST_TIMEOUT_SECONDS and closing takes up to CLOSE_SECONDS, all before SHUTDOWN_BACKSTOP_MS
 * (23 s with the contract's 30 s stop timeout and 5 s request timeout).
 */
export const MAX_DRAIN_SECONDS = SHUTDOWN_BACKSTOP_MS / 1000 - REQUEST_TIMEOUT_SECONDS - CLOSE_SECONDS;

type Env = Readonly<Record<string, string | undefined>>;

export class ConfigError extends Error {}

function int(env: Env, name: string, fallback: number, min: number, max: number, why = ''): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer between ${min} and ${max}${why ? ` (${why})` : ''}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

const drainWhy =
  `the ${STOP_TIMEOUT_SECONDS} s stop timeout less 1 s of margin, the ${REQUEST_TIMEOUT_SECONDS} s in-flight grace ` +
  `and ${CLOSE_SECONDS} s to close; a longer drain would be cut short by the shutdown backstop (exit 1)`;

function isLoopback(host: string | undefined): boolean {
  return host === undefined || host === 'localhost' || host.startsWith('127.') || host === '::1' || host.startsWith('/');
}

function hostOfUrl(url: string): string | undefined {
  try {
    return new URL(url).hostname.replace(/^\[|\]$/g, '') || undefined;
  } catch {
    throw new ConfigError('DATABASE_URL is not a valid URL');
  }
}

/** The JSON document ECS injects from the RDS-managed secret (keys: username, password, host, port, dbname). */
function parseSecret(raw: string | undefined): Record<string, unknown> {
  if (raw === undefined || raw === '') return {};
  try {
    const parsed: unknown = JSON.parse(raw);
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // fall through: never echo the secret itself in the message
  }
  throw new ConfigError('DB_SECRET must be a JSON object with username, password, host, port and dbname');
}

function str(value: unknown): string | undefined {
  if (typeof value === 'string' && value !== '') return value;
  if (typeof value === 'number') return String(value);
  return undefined;
}

function databaseConfig(env: Env, production: boolean): DatabaseConfig {
  const secret = parseSecret(env.DB_SECRET);
  const wantsServer = Boolean(env.DATABASE_URL || env.DB_SECRET || env.DB_SECRET_ARN || env.DB_HOST || env.PGHOST);
  if (!wantsServer) {
    // A task that lost its database settings must not come up on an empty, private, in-memory database and
    // report ready: it would acknowledge writes that no other task sees and that vanish on restart.
    if (production) {
      throw new ConfigError(
        'NODE_ENV=production needs a database server: set DB_HOST (with DB_SECRET or DB_SECRET_ARN), DATABASE_URL or PGHOST; ' +
          'embedded PGlite is for local development only (unset NODE_ENV to use it)',
      );
    }
    return { kind: 'pglite', dataDir: env.PGLITE_DATA_DIR || undefined };
  }

  let connection: PgConnection;
  let host: string | undefined;
  if (env.DATABASE_URL) {
    connection = { connectionString: env.DATABASE_URL };
    host = hostOfUrl(env.DATABASE_URL);
  } else {
    // Discrete variables win over the secret, so a task can point at a proxy while reusing the credentials.
    // Anything left undefined is filled in by pg from the standard PG* variables.
    host = env.DB_HOST || str(secret.host);
    const portRaw = env.DB_PORT || str(secret.port);
    const port = portRaw === undefined ? undefined : int({ DB_PORT: portRaw }, 'DB_PORT', 5432, 1, 65535);
    connection = {
      host,
      port,
      database: env.DB_NAME || str(secret.dbname),
      user: env.DB_USER || str(secret.username),
      password: env.DB_PASSWORD || str(secret.password),
    };
    host = host ?? env.PGHOST;
  }
  const tlsRaw = env.DB_TLS || (production && !isLoopback(host) ? 'verify-full' : 'disable');
  if (tlsRaw !== 'disable' && tlsRaw !== 'verify-full') {
    throw new ConfigError(`DB_TLS must be "disable" or "verify-full", got ${JSON.stringify(tlsRaw)}`);
  }
  const secretArn = env.DB_SECRET_ARN || undefined;
  if (secretArn && env.DATABASE_URL) {
    // pg lets a connection string override the password function, so rotation would silently not work.
    throw new ConfigError('DB_SECRET_ARN cannot be combined with DATABASE_URL; use DB_HOST, DB_PORT, DB_NAME (and DB_SECRET)');
  }
  const caFile = env.DB_CA_FILE || undefined;
  return { kind: 'postgres', connection, tls: tlsRaw, ...(caFile ? { caFile } : {}), ...(secretArn ? { secretArn } : {}) };
}

/** Reads the configuration from `env` (normally `process.env`). Throws ConfigError with a useful message. */
export function loadConfig(env: Env = process.env): Config {
  const production = env.NODE_ENV === 'production';
  return {
    port: int(env, 'PORT', SERVICE_PORT, 0, 65535),
    host: env.HOST || '0.0.0.0',
    serviceName: env.SERVICE_NAME || 'ha-sample-service',
    version: env.APP_VERSION || '0.1.0',
    production,
    logLevel: env.LOG_LEVEL || 'info',
    drainMs: int(env, 'DRAIN_SECONDS', DRAIN_SECONDS, 0, MAX_DRAIN_SECONDS, drainWhy) * 1000,
    requestTimeoutMs: REQUEST_TIMEOUT_SECONDS * 1000,
    bodyTimeoutMs: int(env, 'BODY_TIMEOUT_MS', 5000, 100, 60_000),
    headersTimeoutMs: int(env, 'HEADERS_TIMEOUT_MS', 10_000, 100, 60_000),
    metricsNamespace: env.METRICS_NAMESPACE || 'HaSampleService',
    metricsIntervalMs: int(env, 'METRICS_INTERVAL_MS', 60_000, 0, 3_600_000),
    db: databaseConfig(env, production),
    policies: {
      dbTimeoutMs: int(env, 'DB_TIMEOUT_MS', 1000, 10, 60_000),
      dbMaxAttempts: int(env, 'DB_MAX_ATTEMPTS', 3, 1, 10),
      dbRetryBaseMs: int(env, 'DB_RETRY_BASE_MS', 50, 1, 10_000),
      dbRetryMaxMs: int(env, 'DB_RETRY_MAX_MS', 1000, 1, 60_000),
      breakerThreshold: int(env, 'DB_BREAKER_THRESHOLD', 5, 1, 1000),
      breakerHalfOpenAfterMs: int(env, 'DB_BREAKER_HALF_OPEN_MS', 5000, 10, 600_000),
      poolMax: int(env, 'DB_POOL_MAX', DB_POOL_MAX, 1, 1000),
      queueMax: int(env, 'DB_QUEUE_MAX', 54, 0, 100_000),
      queueWaitMs: int(env, 'DB_QUEUE_WAIT_MS', 250, 1, 60_000),
      maxInFlight: int(env, 'MAX_IN_FLIGHT', 64, 1, 1_000_000),
      cacheEntries: int(env, 'CACHE_ENTRIES', 1000, 0, 1_000_000),
    },
  };
}
