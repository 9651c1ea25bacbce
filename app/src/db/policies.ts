// The reliability policies around every database call, built from cockatiel rather than rewritten.
//
//   bulkhead ─► retry (only when safe) ─► circuit breaker ─► timeout ─► the call
//
// - bulkhead: at most poolMax calls run; the others wait, but at most queueWaitMs: a call that has not got a
//   connection by then is refused (BulkheadRejectedError → 503 + Retry-After, or the cached copy for a read),
//   as is any call beyond queueMax waiting. The bound is on time, not on the count: with a fast database even
//   50 waiting calls wait a few milliseconds, and refusing them would shed work a healthy database can do;
//   with a slow one no request waits longer than queueWaitMs for its turn (docs/service.md, "Limits").
// - retry: exponential backoff with full jitter (a random delay in [0, base·2^n), capped), and only for
//   transient errors and only for calls that are safe to repeat (reads, writes under an idempotency key).
// - circuit breaker: after `breakerThreshold` consecutive dependency failures calls fail fast
//   (BrokenCircuitError → 503) for breakerHalfOpenAfterMs, then one probe call decides: success closes it.
//   It sits inside the retry so every attempt counts, and an open circuit is never retried. While the probe
//   runs, every other call fails fast too: cockatiel would make them wait for the probe (up to a whole
//   database timeout) and then try again, and the failure rehearsal measured that as a 1 s stall every cycle.
// - timeout: each attempt has a deadline. cockatiel's aggressive strategy returns at the deadline; pg's own
//   query/connect/statement timeouts (db/pg.ts) use the same value so the connection work stops too.
import {
  BrokenCircuitError,
  BulkheadPolicy,
  BulkheadRejectedError,
  CircuitBreakerPolicy,
  CircuitState,
  ConsecutiveBreaker,
  ExponentialBackoff,
  TimeoutStrategy,
  bulkhead,
  circuitBreaker,
  fullJitterGenerator,
  handleWhen,
  retry,
  timeout,
  type IPolicy,
} from 'cockatiel';
import type { PolicyConfig } from '../config';
import { OutcomeUnknownError, isDependencyFailure, isTransient, mayHaveTakenEffect } from './errors';
import type { Queryable } from './types';

export type CircuitStateName = 'closed' | 'open' | 'half-open' | 'isolated';

const STATE_NAMES: Record<CircuitState, CircuitStateName> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'half-open',
  [CircuitState.Isolated]: 'isolated',
};

export interface CallOptions {
  /** True when repeating the call cannot do harm (a read, or a write guarded by an idempotency key). */
  readonly idempotent: boolean;
}

export interface PolicyHooks {
  readonly onCircuitStateChange?: (state: CircuitStateName) => void;
  readonly onRetry?: (attempt: number, delayMs: number, err: unknown) => void;
  readonly onShed?: () => void;
}

export type PolicySettings = Pick<
  PolicyConfig,
  'dbTimeoutMs' | 'dbMaxAttempts' | 'dbRetryBaseMs' | 'dbRetryMaxMs' | 'breakerThreshold' | 'breakerHalfOpenAfterMs' | 'poolMax' | 'queueMax' | 'queueWaitMs'
>;

/** A database wrapped in the policies above. Callers pass a function so a retry re-runs the whole unit of work. */
export class ResilientDatabase {
  readonly breaker: CircuitBreakerPolicy;
  readonly bulkhead: BulkheadPolicy;
  private readonly safe: IPolicy;
  private readonly attemptTimeout: IPolicy;
  private openedAt = 0;

  constructor(
    private readonly db: Queryable,
    private readonly settings: PolicySettings,
    private readonly hooks: PolicyHooks = {},
  ) {
    this.bulkhead = bulkhead(settings.poolMax, settings.queueMax);
    this.bulkhead.onReject(() => hooks.onShed?.());
    const attemptTimeout = timeout(settings.dbTimeoutMs, TimeoutStrategy.Aggressive);
    this.breaker = circuitBreaker(handleWhen(isDependencyFailure), {
      halfOpenAfter: settings.breakerHalfOpenAfterMs,
      breaker: new ConsecutiveBreaker(settings.breakerThreshold),
    });
    this.breaker.onBreak(() => (this.openedAt = Date.now()));
    this.breaker.onStateChange((s) => hooks.onCircuitStateChange?.(STATE_NAMES[s]));
    const retryPolicy = retry(handleWhen(isTransient), {
      maxAttempts: settings.dbMaxAttempts - 1, // cockatiel counts retries, the setting counts attempts
      backoff: new ExponentialBackoff({
        generator: fullJitterGenerator,
        initialDelay: settings.dbRetryBaseMs,
        maxDelay: settings.dbRetryMaxMs,
      }),
    });
    retryPolicy.onRetry((e) => hooks.onRetry?.(e.attempt, e.delay, 'error' in e ? e.error : undefined));
    this.safe = retryPolicy;
    this.attemptTimeout = attemptTimeout;
  }

  /** Runs `fn` against the database under the policies. A call that is not idempotent and failed in a way
   *  that may have taken effect rejects with OutcomeUnknownError (its cause is the original error). */
  run<T>(fn: (db: Queryable) => Promise<T>, options: CallOptions): Promise<T> {
    const attempt = () => this.attempt(() => fn(this.db));
    if (options.idempotent) return this.admit(() => this.safe.execute(attempt) as Promise<T>);
    return this.admit(attempt).catch((err: unknown) => {
      throw mayHaveTakenEffect(err) ? new OutcomeUnknownError(err) : err;
    });
  }

  /** Through the bulkhead, waiting at most queueWaitMs for a free slot. */
  private admit<T>(fn: () => Promise<T>): Promise<T> {
    if (this.bulkhead.executionSlots > 0) return this.bulkhead.execute(fn);
    let started = false;
    const gaveUp = new AbortController();
    const queued = this.bulkhead.execute(() => {
      started = true;
      return fn();
    }, gaveUp.signal);
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        if (started) return;
        // cockatiel leaves the entry queued; aborted, it is skipped (TaskCancelledError, ignored) when its turn comes.
        gaveUp.abort();
        this.hooks.onShed?.();
        reject(new BulkheadRejectedError(this.settings.poolMax, this.settings.queueMax));
      }, this.settings.queueWaitMs);
      queued.then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (err: unknown) => {
          clearTimeout(timer);
          reject(err);
        },
      );
    });
  }

  /** One attempt: through the breaker (failing fast while it is open or probing), under the deadline. */
  private attempt<T>(call: () => Promise<T>): Promise<T> {
    if (this.breaker.state === CircuitState.HalfOpen) return Promise.reject(new BrokenCircuitError());
    return this.breaker.execute(() => this.attemptTimeout.execute(call)) as Promise<T>;
  }

  get circuitState(): CircuitStateName {
    return STATE_NAMES[this.breaker.state];
  }

  /** Seconds until the open circuit lets a probe through (at least 1): the Retry-After to send. */
  retryAfterSeconds(now = Date.now()): number {
    if (this.breaker.state !== CircuitState.Open) return 1;
    return Math.max(1, Math.ceil((this.openedAt + this.settings.breakerHalfOpenAfterMs - now) / 1000));
  }
}

export { BrokenCircuitError };
