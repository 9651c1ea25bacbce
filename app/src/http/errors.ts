// One error type for everything the service answers deliberately, and one mapping from any thrown
// value to a response. Anything unrecognised is a 500 with a generic message (details go to the log),
// so a bug never leaks internals, and client input is always rejected before it can reach that branch.

/** An error with an HTTP status and a stable, machine-readable code: `{"error": {"code", "message"}}`. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export const badRequest = (code: string, message: string) => new HttpError(400, code, message);
export const notFound = (message = 'not found') => new HttpError(404, 'not_found', message);

/** 503 with Retry-After: the client (or the load balancer's retry) should come back shortly. */
export function unavailable(code: string, message: string, retryAfterSeconds: number): HttpError {
  return new HttpError(503, code, message, { 'retry-after': String(Math.max(1, Math.ceil(retryAfterSeconds))) });
}

/**
 * 504 outcome_unknown: a request that is not safe to repeat may or may not have taken effect (the database
 * did not confirm in time). No Retry-After on purpose: retrying blindly could do it twice.
 */
export function outcomeUnknown(): HttpError {
  return new HttpError(
    504,
    'outcome_unknown',
    'the database did not confirm the write in time, so it may or may not have been stored; do not repeat it as is: ' +
      'retry with an Idempotency-Key (the same key on every retry) or check whether it was stored first',
  );
}

export interface ErrorBody {
  readonly error: { readonly code: string; readonly message: string };
}

export function errorBody(code: string, message: string): ErrorBody {
  return { error: { code, message } };
}
