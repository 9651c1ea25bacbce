// Embedded PostgreSQL (PGlite, PostgreSQL compiled to WebAssembly) so `npm start` needs nothing installed.
// It is a single connection in this process: fine for a laptop, not for production (no failover, no sharing
// between tasks), so loadConfig refuses it when NODE_ENV=production (config.ts).
import { PGlite } from '@electric-sql/pglite';
import type { Database, Queryable } from './types';

export async function createPgliteDatabase(dataDir?: string): Promise<Database> {
  const db = await PGlite.create(dataDir ? { dataDir } : {});
  return {
    kind: 'pglite',
    query: (sql, params) => db.query(sql, params) as never,
    transaction: <T>(fn: (tx: Queryable) => Promise<T>) =>
      db.transaction((tx) => fn({ query: (sql, params) => tx.query(sql, params) as never })),
    close: () => db.close(),
  };
}
