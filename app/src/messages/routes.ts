// The messages API: POST /messages, GET /messages/:id, GET /messages.
import { isBrokenCircuitError, isBulkheadRejectedError } from 'cockatiel';
import { isTransient } from '../db/errors';
import { notFound } from '../http/errors';
import type { Router } from '../http/router';
import type { LruCache } from './cache';
import type { Message, MessagesRepository } from './repository';
import { parseCreateBody, parseId, parseIdempotencyKey, parseListQuery } from './validation';

/** The header that says a response came from the fallback cache, not the database. */
export const SERVED_FROM_HEADER = 'x-served-from';

export interface MessagesDeps {
  readonly repository: MessagesRepository;
  readonly cache: LruCache<Message>;
}

/** True when the database could not be asked (circuit open, load shed, timeout, connection lost). */
export function isUnavailable(err: unknown): boolean {
  return isBrokenCircuitError(err) || isBulkheadRejectedError(err) || isTransient(err);
}

export function registerMessageRoutes(router: Router, { repository, cache }: MessagesDeps): void {
  // The front door reads and parses the JSON body (415, 413, 408, 400) before the request takes a slot.
  router.post('/messages', async ({ req, body }) => {
    const key = parseIdempotencyKey(req.headers['idempotency-key']);
    const { text } = parseCreateBody(body);
    // A reused key with a different body throws IdempotencyConflictError, an HttpError 422.
    const { message, created } = await repository.create(text, key);
    cache.set(message.id, message);
    return { status: created ? 201 : 200, body: message, headers: { location: `/messages/${message.id}` } };
  }, { body: 'json' });

  router.get('/messages/:id', async ({ params }) => {
    const id = parseId(params.id);
    let message: Message | undefined;
    try {
      message = await repository.get(id);
    } catch (err) {
      // Graceful degradation: serve what we have seen before while the database cannot be asked.
      const cached = isUnavailable(err) ? cache.get(id) : undefined;
      if (!cached) throw err;
      return { status: 200, body: cached, headers: { [SERVED_FROM_HEADER]: 'cache' } };
    }
    if (!message) throw notFound(`message ${id} does not exist`);
    cache.set(id, message);
    return { status: 200, body: message };
  });

  router.get('/messages', async ({ query }) => {
    const { limit, before } = parseListQuery(query);
    const page = await repository.list(limit, before);
    for (const m of page.messages) cache.set(m.id, m);
    return { status: 200, body: page };
  });
}
