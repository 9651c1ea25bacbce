// Schema migrations: an ordered list, applied on start inside one transaction that first takes a
// transaction-level advisory lock. When several tasks start at once, one applies the migrations and the
// others wait on the lock, then find nothing left to do. Re-running is a no-op (idempotent).
import type { Database } from './types';

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'create messages',
    // The UNIQUE constraint on idempotency_key is what makes concurrent retries produce one row
    // (INSERT ... ON CONFLICT in messages/repository.ts); NULLs (no key) never conflict.
    sql: `
      CREATE TABLE messages (
        id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        text            text NOT NULL CHECK (char_length(text) BETWEEN 1 AND 1000),
        idempotency_key text UNIQUE CHECK (char_length(idempotency_key) BETWEEN 1 AND 200),
        created_at      timestamptz NOT NULL DEFAULT now()
      )`,
  },
];

/** Arbitrary constant that identifies this service's migration lock (pg_advisory_xact_lock takes a bigint). */
export const MIGRATION_LOCK_ID = 4_242_001;

/** A read-only database (a replica) whose schema is behind this service's: wait for replication or promotion. */
export class SchemaNotCurrentError extends Error {}

/**
 * Applies the pending migrations; returns the versions it applied (empty when the schema was current).
 * On a read-only database (a read replica: the DR region's standby) nothing can be applied and the schema
 * arrives by replication, so it only checks that every migration is there: it returns [] when they are,
 * and throws SchemaNotCurrentError when they are not (the caller retries, and applies them after promotion).
 */
export async function migrate(db: Database, migrations: readonly Migration[] = MIGRATIONS): Promise<number[]> {
  if (await isReadOnlyDatabase(db)) {
    const present = await db.query<{ version: number }>('SELECT version FROM schema_migrations').catch((err: { code?: string }) => {
      if (err.code === '42P01') return { rows: [] }; // undefined_table: nothing replicated yet
      throw err;
    });
    const done = new Set(present.rows.map((r) => Number(r.version)));
    const missing = migrations.filter((m) => !done.has(m.version)).map((m) => m.version);
    if (missing.length > 0) {
      throw new SchemaNotCurrentError(`the database is read-only and lacks migrations ${missing.join(', ')}: waiting for replication or promotion`);
    }
    return [];
  }
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_ID]);
    await tx.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version    integer PRIMARY KEY,
      name       text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    const { rows } = await tx.query<{ version: number }>('SELECT version FROM schema_migrations');
    const done = new Set(rows.map((r) => Number(r.version)));
    const applied: number[] = [];
    for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
      if (done.has(m.version)) continue;
      await tx.query(m.sql);
      await tx.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
      applied.push(m.version);
    }
    return applied;
  });
}

/** True on a read replica (or with default_transaction_read_only on): a write would fail with 25006. */
export async function isReadOnlyDatabase(db: Database): Promise<boolean> {
  const { rows } = await db.query<{ read_only: string }>("SELECT current_setting('transaction_read_only') AS read_only");
  return rows[0]?.read_only === 'on';
}
