/** What the service needs from a database: both the `pg` pool and embedded PGlite provide it. */
export interface Queryable {
  query<R extends Record<string, unknown> = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<{ rows: R[] }>;
}

export interface Database extends Queryable {
  /** 'postgres' or 'pglite', for the deep health report. */
  readonly kind: string;
  /** Runs `fn` inside BEGIN/COMMIT on one connection (ROLLBACK when it throws). */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
