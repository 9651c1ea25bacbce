// Pure validation of everything a client sends to the messages API. Each function either returns a
// clean value or throws a 400 HttpError naming the field, so bad input can never reach the database
// (where it could cause a 500: NUL bytes, out-of-range ids).
import { badRequest } from '../http/errors';

export const TEXT_MAX_CHARS = 1000;
export const IDEMPOTENCY_KEY_MAX_CHARS = 200;
export const LIST_DEFAULT_LIMIT = 20;
export const LIST_MAX_LIMIT = 100;
const MAX_BIGINT = 9_223_372_036_854_775_807n;

/** Characters as PostgreSQL's char_length counts them (code points, not UTF-16 units). */
export function charLength(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

export function parseCreateBody(body: unknown): { text: string } {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw badRequest('invalid_body', 'the body must be a JSON object like {"text": "hello"}');
  }
  const text = (body as Record<string, unknown>).text;
  if (typeof text !== 'string') throw badRequest('invalid_field', '"text" is required and must be a string');
  const length = charLength(text);
  if (length < 1 || length > TEXT_MAX_CHARS) {
    throw badRequest('invalid_field', `"text" must be 1 to ${TEXT_MAX_CHARS} characters, got ${length}`);
  }
  // PostgreSQL text cannot hold NUL, and a lone surrogate would be stored as U+FFFD (so a retry with
  // the same key would look like a different body). Refuse both here.
  if (text.includes('\u0000')) throw badRequest('invalid_field', '"text" must not contain NUL characters');
  if (/[\uD800-\uDFFF]/u.test(text)) throw badRequest('invalid_field', '"text" must be valid Unicode (no lone surrogates)');
  return { text };
}

/** The Idempotency-Key header: absent, or 1-200 visible ASCII characters. */
export function parseIdempotencyKey(header: string | string[] | undefined): string | undefined {
  if (header === undefined) return undefined;
  if (Array.isArray(header)) throw badRequest('invalid_idempotency_key', 'send one Idempotency-Key header');
  if (header.length < 1 || header.length > IDEMPOTENCY_KEY_MAX_CHARS || !/^[\x21-\x7e]+$/.test(header)) {
    throw badRequest(
      'invalid_idempotency_key',
      `Idempotency-Key must be 1 to ${IDEMPOTENCY_KEY_MAX_CHARS} visible ASCII characters`,
    );
  }
  return header;
}

/** A message id: a positive decimal integer that fits PostgreSQL's bigint. Returned in canonical form. */
export function parseId(raw: string, what = 'id'): string {
  if (!/^[0-9]{1,19}$/.test(raw) || BigInt(raw) < 1n || BigInt(raw) > MAX_BIGINT) {
    throw badRequest(`invalid_${what}`, `${what} must be a positive integer, got ${JSON.stringify(raw.slice(0, 40))}`);
  }
  return BigInt(raw).toString();
}

export function parseListQuery(query: URLSearchParams): { limit: number; before?: string } {
  const rawLimit = query.get('limit');
  let limit = LIST_DEFAULT_LIMIT;
  if (rawLimit !== null) {
    if (!/^[0-9]{1,3}$/.test(rawLimit) || Number(rawLimit) < 1 || Number(rawLimit) > LIST_MAX_LIMIT) {
      throw badRequest('invalid_limit', `limit must be an integer from 1 to ${LIST_MAX_LIMIT}`);
    }
    limit = Number(rawLimit);
  }
  const rawBefore = query.get('before');
  return rawBefore === null ? { limit } : { limit, before: parseId(rawBefore, 'cursor') };
}
