import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIGRATIONS, migrate } from '../../../app/src/db/migrations';
import { createPgliteDatabase } from '../../../app/src/db/pglite';
import type { Database } from '../../../app/src/db/types';

let db: Database;
beforeAll(async () => {
  db = await createPgliteDatabase();
}, 30_000);
afterAll(async () => {
  await db?.close();
});

describe('migrate', () => {
  it('applies every migration once, and is a no-op when run again (also concurrently)', async () => {
    expect(await migrate(db)).toEqual(MIGRATIONS.map((m) => m.version));
    expect(await Promise.all([migrate(db), migrate(db)])).toEqual([[], []]);
    const { rows } = await db.query('SELECT count(*)::int AS n FROM schema_migrations');
    expect(rows[0].n).toBe(MIGRATIONS.length);
  });

  it('enforces the idempotency key as unique', async () => {
    await db.query("INSERT INTO messages (text, idempotency_key) VALUES ('a', 'k')");
    await expect(db.query("INSERT INTO messages (text, idempotency_key) VALUES ('b', 'k')")).rejects.toMatchObject({ code: '23505' });
  });

  it('rolls back a failing migration as a whole', async () => {
    const broken = [...MIGRATIONS, { version: 99, name: 'broken', sql: 'CREATE TABLE x (); SELECT nope' }];
    await expect(migrate(db, broken)).rejects.toBeDefined();
    const { rows } = await db.query("SELECT to_regclass('x') AS t");
    expect(rows[0].t).toBeNull();
  });
});
