import { TaskCancelledError, BrokenCircuitError } from 'cockatiel';
import { describe, expect, it } from 'vitest';
import { BulkheadRejectedError } from 'cockatiel';
import { isDependencyFailure, isReadOnly, isTransient, mayHaveTakenEffect } from '../../../app/src/db/errors';
import { HttpError } from '../../../app/src/http/errors';
import { IdempotencyConflictError } from '../../../app/src/messages/repository';

const withCode = (code: string, message = 'x') => Object.assign(new Error(message), { code });

describe('isTransient', () => {
  it.each([
    ['refused connection', withCode('ECONNREFUSED'), true],
    ['reset connection', withCode('ECONNRESET'), true],
    ['admin shutdown (failover)', withCode('57P01'), true],
    ['cannot connect now (recovery)', withCode('57P03'), true],
    ['connection exception class 08', withCode('08006'), true],
    ['serialization failure', withCode('40001'), true],
    ['statement timeout', withCode('57014'), true],
    ['our per-attempt timeout', new TaskCancelledError('timed out'), true],
    ['pg connect timeout', new Error('timeout exceeded when trying to connect'), true],
    ['connection terminated', new Error('Connection terminated unexpectedly'), true],
    ['unique violation', withCode('23505'), false],
    ['syntax error', withCode('42601'), false],
    ['bad password', withCode('28P01'), false],
    ['open circuit', new BrokenCircuitError(), false],
    ['not an error', 'boom', false],
  ])('%s → %s', (_name, err, expected) => {
    expect(isTransient(err)).toBe(expected);
  });
});

describe('isDependencyFailure', () => {
  it('counts connection problems and server-side failures, not errors caused by one request', () => {
    expect(isDependencyFailure(withCode('ECONNREFUSED'))).toBe(true);
    expect(isDependencyFailure(withCode('28P01'))).toBe(true); // credentials rotated: the dependency is unusable
    expect(isDependencyFailure(withCode('23505'))).toBe(false);
    expect(isDependencyFailure(withCode('22P02'))).toBe(false);
  });

  it('treats a write refused by a read replica (25006) as neither a failure nor worth an immediate retry, and as not done', () => {
    const refused = withCode('25006');
    expect({ readOnly: isReadOnly(refused), dependencyFailure: isDependencyFailure(refused), transient: isTransient(refused), mayHaveTakenEffect: mayHaveTakenEffect(refused) })
      .toEqual({ readOnly: true, dependencyFailure: false, transient: false, mayHaveTakenEffect: false });
  });

  it('never counts a client error (any 4xx), such as a reused Idempotency-Key', () => {
    expect(isDependencyFailure(new IdempotencyConflictError())).toBe(false);
    expect(isDependencyFailure(new HttpError(409, 'conflict', 'x'))).toBe(false);
    expect(isDependencyFailure(new HttpError(500, 'internal', 'x'))).toBe(true);
  });
});

describe('mayHaveTakenEffect', () => {
  it.each([
    ['our timeout (the statement may be running or committed)', new TaskCancelledError('timed out'), true],
    ['connection reset mid-call', withCode('ECONNRESET'), true],
    ['session terminated by a failover', withCode('57P01'), true],
    ['connection terminated', new Error('Connection terminated unexpectedly'), true],
    ['pg read timeout', new Error('Query read timeout'), true],
    ['unknown error', new Error('something else'), true],
    ['open circuit', new BrokenCircuitError(), false],
    ['bulkhead full', new BulkheadRejectedError(1, 1), false],
    ['connection refused', withCode('ECONNREFUSED'), false],
    ['pg connect timeout', new Error('timeout exceeded when trying to connect'), false],
    ['could not connect', withCode('08001'), false],
    ['statement timeout (cancelled by the server)', withCode('57014'), false],
    ['serialization failure (rolled back)', withCode('40001'), false],
    ['unique violation', withCode('23505'), false],
    ['client error', new IdempotencyConflictError(), false],
  ])('%s → %s', (_name, err, expected) => {
    expect(mayHaveTakenEffect(err)).toBe(expected);
  });
});
