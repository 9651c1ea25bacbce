// Data access for messages. Every call goes through the ResilientDatabase, and says whether it is
// safe to retry: reads are; an insert is only with an idempotency key (without one, a retry after a
// lost COMMIT acknowledgement could store the message twice).
import type { ResilientDatabase } from '../db/policies';
import { HttpError } from '../http/errors';
import type { Queryable } from '../db/types';

export interface Message {
  readonly id: string;
  readonly text: string;
  readonly createdAt: string;
}

interface Row extends Record<string, unknown> {
  id: string;
  text: string;
  created_at: Date | string;
}

/** The key was used before with a different body: 422, so a client bug does not silently return stale data.
 *  It is thrown inside the database call, so it is an HttpError (a 4xx): the circuit breaker must not count
 *  it as a database failure (db/errors.ts isDependencyFailure). */
export class IdempotencyConflictError extends HttpError {
  constructor() {
    super(422, 'idempotency_key_reused', 'this Idempotency-Key was already used with a different request body');
  }
}

const COLUMNS = 'id::text AS id, text, created_at';

function toMessage(row: Row): Message {
  return { id: row.id, text: row.text, createdAt: new Date(row.created_at).toISOString() };
}

export class MessagesRepository {
  constructor(private readonly db: ResilientDatabase) {}

  /** Inserts a message; with a key, returns the existing one (created: false) when the key was seen. */
  create(text: string, idempotencyKey?: string): Promise<{ message: Message; created: boolean }> {
    if (idempotencyKey === undefined) {
      return this.db.run(async (q) => {
        const { rows } = await q.query<Row>(`INSERT INTO messages (text) VALUES ($1) RETURNING ${COLUMNS}`, [text]);
        return { message: toMessage(rows[0]), created: true };
      }, { idempotent: false });
    }
    return this.db.run((q) => insertOnce(q, text, idempotencyKey), { idempotent: true });
  }

  get(id: string): Promise<Message | undefined> {
    return this.db.run(async (q) => {
      const { rows } = await q.query<Row>(`SELECT ${COLUMNS} FROM messages WHERE id = $1`, [id]);
      return rows[0] && toMessage(rows[0]);
    }, { idempotent: true });
  }

  /** Newest first; `before` is the id of the last message of the previous page (keyset pagination). */
  list(limit: number, before?: string): Promise<{ messages: Message[]; nextCursor: string | null }> {
    return this.db.run(async (q) => {
      const { rows } = await q.query<Row>(
        `SELECT ${COLUMNS} FROM messages WHERE ($1::bigint IS NULL OR id < $1::bigint) ORDER BY messages.id DESC LIMIT $2`,
        [before ?? null, limit + 1],
      );
      const messages = rows.slice(0, limit).map(toMessage);
      return { messages, nextCursor: rows.length > limit ? messages[messages.length - 1].id : null };
    }, { idempotent: true });
  }
}

/**
 * Two statements, not one: when a concurrent request holds the same key, ON CONFLICT DO NOTHING waits
 * for it to commit and then inserts nothing; the SELECT, a new statement with a new snapshot under
 * READ COMMITTED, then sees the winner's row. One CTE would run on the old snapshot and see nothing.
 */
async function insertOnce(q: Queryable, text: string, key: string): Promise<{ message: Message; created: boolean }> {
  const inserted = await q.query<Row>(
    `INSERT INTO messages (text, idempotency_key) VALUES ($1, $2)
     ON CONFLICT (idempotency_key) DO NOTHING RETURNING ${COLUMNS}`,
    [text, key],
  );
  if (inserted.rows.length > 0) return { message: toMessage(inserted.rows[0]), created: true };
  const existing = await q.query<Row>(`SELECT ${COLUMNS} FROM messages WHERE idempotency_key = $1`, [key]);
  if (existing.rows.length === 0) throw Object.assign(new Error('idempotent row vanished'), { code: '40001' }); // retry
  const message = toMessage(existing.rows[0]);
  if (message.text !== text) throw new IdempotencyConflictError();
  return { message, created: false };
}
