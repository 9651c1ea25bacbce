// The `pg` pool, configured so that broken connections are thrown away and every call is bounded.
import { readFileSync } from 'node:fs';
import { Pool, type PoolConfig } from 'pg';
import type { DatabaseConfig, PolicyConfig } from '../config';
import type { PasswordSource } from './credentials';
import { isAuthFailure, markCredentialsRefreshed } from './errors';
import { RDS_CERTIFICATE_AUTHORITIES } from './rds-ca';
import type { Database, Queryable } from './types';

export interface PgOptions {
  readonly db: Extract<DatabaseConfig, { kind: 'postgres' }>;
  readonly policies: Pick<PolicyConfig, 'poolMax' | 'dbTimeoutMs'>;
  readonly applicationName?: string;
  /** Called when an idle pooled connection dies (for example during a failover); the pool drops it. */
  readonly onIdleError?: (err: Error) => void;
  /** Rotation-aware password (DB_SECRET_ARN, see db/credentials.ts); replaces connection.password. */
  readonly credentials?: PasswordSource;
}

/** Builds the `pg.Pool` options (exported for unit tests: TLS and timeouts are the parts that matter). */
export function poolConfig(options: PgOptions, readFile: (path: string) => string = (p) => readFileSync(p, 'utf8')): PoolConfig {
  const { db, policies } = options;
  const timeout = policies.dbTimeoutMs;
  const config: PoolConfig = {
    ...db.connection,
    max: policies.poolMax,
    // Bound every phase of a call: waiting for/opening a connection, the server-side statement,
    // and the client-side read (a half-open TCP connection after a failover never answers).
    connectionTimeoutMillis: timeout,
    statement_timeout: timeout,
    query_timeout: timeout + 100,
    lock_timeout: timeout,
    idle_in_transaction_session_timeout: 10 * timeout,
    idleTimeoutMillis: 30_000,
    // Recycle connections so that, after a DNS change (RDS failover), every connection soon points at the new primary.
    maxLifetimeSeconds: 300,
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    application_name: options.applicationName ?? 'ha-sample-service',
  };
  if (options.credentials) {
    // pg calls this for every new connection, so each one gets the current password.
    const credentials = options.credentials;
    config.password = () => credentials.password();
  }
  if (db.tls === 'verify-full') {
    // Verify the chain against the RDS certificate authorities only (or DB_CA_FILE), and the host name
    // (node's default checkServerIdentity).
    let ca: string | string[];
    try {
      ca = db.caFile === undefined ? [...RDS_CERTIFICATE_AUTHORITIES] : readFile(db.caFile);
    } catch (err) {
      throw new Error(`DB_TLS=verify-full could not read the CA bundle at DB_CA_FILE=${db.caFile}: ${(err as Error).message}`);
    }
    config.ssl = { ca, rejectUnauthorized: true };
  }
  return config;
}

/**
 * The rejection handler for calls that may open a connection. A connection refused with 28P01 after a
 * rotation re-reads the secret at once and, if the password changed, marks the error retryable so the
 * retry policy repeats the call on a new connection (db/credentials.ts, db/errors.ts). Rethrows always.
 */
export function authFailureHandler(credentials: PasswordSource | undefined): (err: unknown) => Promise<never> {
  return async (err) => {
    if (credentials && isAuthFailure(err) && (await credentials.onAuthFailure())) markCredentialsRefreshed(err);
    throw err;
  };
}

export function createPgDatabase(options: PgOptions): Database {
  const pool = new Pool(poolConfig(options));
  // Without this listener an idle connection that dies would crash the process. pg-pool removes the
  // client itself; pool.query() also releases a client with its error, which destroys it, so a broken
  // connection is never handed out twice.
  pool.on('error', (err) => options.onIdleError?.(err));
  const onError = authFailureHandler(options.credentials);
  return {
    kind: 'postgres',
    query: (sql, params) => pool.query(sql, params).catch(onError) as never,
    async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      const client = await pool.connect().catch(onError);
      let broken: Error | undefined;
      try {
        await client.query('BEGIN');
        const result = await fn({ query: (sql, params) => client.query(sql, params) as never });
        await client.query('COMMIT');
        return result;
      } catch (err) {
        broken = err as Error;
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        client.release(broken); // an error destroys the connection rather than pooling it
      }
    },
    close: () => pool.end(),
  };
}
