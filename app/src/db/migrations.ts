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

/** Applies the pending migrations; returns the versions it applied (empty when the schema was current). */
export async function migrate(db: Database, migrations: readonly Migration[] = MIGRATIONS): Promise<number[]> {
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
