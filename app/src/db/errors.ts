// Classifies database errors. Three questions, three answers:
//  - isTransient: is another attempt likely to succeed (connection lost, failover, timeout)? Retry only these.
//  - mayHaveTakenEffect: could the statement have reached the database and committed although we saw an
//    error (a timeout or a lost connection after it was sent)? A write that is not safe to repeat must then
//    be answered "outcome unknown", never "retry".
//  - isDependencyFailure: does this say the database is unhealthy? Only these count towards the circuit
//    breaker. Errors caused by one request (a 4xx of any kind, SQLSTATE classes 22 and 23) say nothing about
//    the database, and counting them would let one client's mistakes open the circuit for everyone; nor does
//    a write refused by a read-only replica (isReadOnly), which still serves reads.
import { TaskCancelledError, isBrokenCircuitError, isBulkheadRejectedError } from 'cockatiel';

/** Our per-attempt timeout fired. (cockatiel 3.2.1's own isTaskCancelledError tests the wrong property.) */
export function isTimeout(err: unknown): boolean {
  return err instanceof TaskCancelledError;
}

/** SQLSTATEs that mean "try again": connection exceptions, shutdown/failover, cancellation, contention. */
const TRANSIENT_SQLSTATES = new Set([
  '40001', // serialization_failure
  '40P01', // deadlock_detected
  '53300', // too_many_connections
  '55P03', // lock_not_available
  '57014', // query_canceled (statement_timeout)
  '57P01', // admin_shutdown (failover, restart)
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up, recovery)
]);

const TRANSIENT_NODE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

const TRANSIENT_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Query read timeout',
  'Client has encountered a connection error',
  'Connection ended unexpectedly',
  'terminating connection',
];

function code(err: unknown): string | undefined {
  const c = (err as { code?: unknown } | null)?.code;
  return typeof c === 'string' ? c : undefined;
}

/**
 * 25006 read_only_sql_transaction: the database is a read replica (the DR region's standby before promotion)
 * or a writer endpoint that still points at a demoted node. Not transient (a replica stays one until it is
 * promoted, minutes, not milliseconds: the client is told to come back, the call is not retried) and not a
 * dependency failure (the database is healthy and serving reads: counting these would open the circuit for
 * the reads too). The statement was refused, so nothing happened. The connection is discarded like after any
 * error (db/pg.ts), so the next one resolves the endpoint again.
 */
export function isReadOnly(err: unknown): boolean {
  return code(err) === '25006';
}

/** 28P01 invalid_password: the password the connection used is not (or no longer) the role's password. */
export function isAuthFailure(err: unknown): boolean {
  return code(err) === '28P01';
}

const CREDENTIALS_REFRESHED = Symbol.for('ha-sample-service.credentialsRefreshed');

/** Marks an authentication failure as retryable: the credentials were re-read since and have changed
 *  (a rotation), so a new connection with the new password should succeed (db/credentials.ts). */
export function markCredentialsRefreshed(err: unknown): void {
  if (err !== null && typeof err === 'object') (err as Record<symbol, unknown>)[CREDENTIALS_REFRESHED] = true;
}

export function isTransient(err: unknown): boolean {
  if (isTimeout(err)) return true;
  if (err !== null && typeof err === 'object' && (err as Record<symbol, unknown>)[CREDENTIALS_REFRESHED] === true) return true;
  const c = code(err);
  if (c !== undefined) {
    if (c.startsWith('08')) return true; // connection_exception class
    if (TRANSIENT_SQLSTATES.has(c) || TRANSIENT_NODE_CODES.has(c)) return true;
  }
  const message = err instanceof Error ? err.message : '';
  return TRANSIENT_MESSAGES.some((m) => message.includes(m));
}

/** The request itself was wrong: an error carrying an HTTP 4xx status (HttpError and its subclasses, such
 *  as an Idempotency-Key reused with a different body), or a data_exception (22) or
 *  integrity_constraint_violation (23) caused by one request's data. */
export function isClientError(err: unknown): boolean {
  const status = (err as { status?: unknown } | null)?.status;
  if (typeof status === 'number' && status >= 400 && status < 500) return true;
  const c = code(err);
  return c !== undefined && /^2[23]/.test(c);
}

export function isDependencyFailure(err: unknown): boolean {
  if (isTransient(err)) return true;
  if (isReadOnly(err)) return false;
  return !isClientError(err);
}

/** Node codes of a connection that failed before anything was sent. */
const NOT_SENT_NODE_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);
/** Node codes of a connection that died with a statement possibly in flight. */
const IN_FLIGHT_NODE_CODES = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT']);
/** pg messages for failures before a statement is written to the connection. */
const NOT_SENT_MESSAGES = ['timeout exceeded when trying to connect', 'Client has encountered a connection error'];
const SQLSTATE = /^[0-9A-Z]{5}$/;

/**
 * Could the call have taken effect although it failed? False only when we know the statement never ran
 * to completion: the breaker or the bulkhead refused the call, the connection was refused, or the server
 * answered the statement itself with an error (the statement, autocommit or not, was then rolled back).
 * True for our timeout and for a connection lost mid-call: the COMMIT may have happened with only its
 * acknowledgement lost. Our timeout also fires while a connection is still being opened, when nothing was
 * sent yet; it cannot tell, so it says "maybe".
 */
export function mayHaveTakenEffect(err: unknown): boolean {
  if (isBrokenCircuitError(err) || isBulkheadRejectedError(err) || isClientError(err)) return false;
  if (isTimeout(err)) return true;
  const c = code(err);
  if (c !== undefined) {
    if (NOT_SENT_NODE_CODES.has(c)) return false;
    if (IN_FLIGHT_NODE_CODES.has(c)) return true;
    if (c === '57P01' || c === '57P02') return true; // session terminated (failover, crash): maybe after the commit
    if (c === '08001' || c === '08004') return false; // could not connect / connection rejected
    if (c.startsWith('08')) return true; // connection failure with the statement in flight
    if (SQLSTATE.test(c)) return false; // the server refused or aborted the statement
  }
  const message = err instanceof Error ? err.message : '';
  return !NOT_SENT_MESSAGES.some((m) => message.includes(m));
}

/** A call that is not safe to repeat failed in a way that may have taken effect (see mayHaveTakenEffect). */
export class OutcomeUnknownError extends Error {
  constructor(readonly cause: unknown) {
    super(`the call may have taken effect: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'OutcomeUnknownError';
  }
}
