// Unit tests of each policy in ResilientDatabase, with a scripted fake database.
import { BrokenCircuitError, BulkheadRejectedError, TaskCancelledError } from 'cockatiel';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ResilientDatabase, type PolicySettings } from '../../../app/src/db/policies';
import type { Queryable } from '../../../app/src/db/types';

const settings: PolicySettings = {
  dbTimeoutMs: 1000,
  dbMaxAttempts: 3,
  dbRetryBaseMs: 1,
  dbRetryMaxMs: 5,
  breakerThreshold: 3,
  breakerHalfOpenAfterMs: 100,
  poolMax: 2,
  queueMax: 1,
  queueWaitMs: 10_000,
};
const refused = () => Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
const noDb = {} as Queryable;

afterEach(() => {
  vi.restoreAllMocks();
});

describe('timeout', () => {
  it('bounds each attempt and gives up with TaskCancelledError', async () => {
    const db = new ResilientDatabase(noDb, { ...settings, dbTimeoutMs: 20, dbMaxAttempts: 2 });
    const fn = vi.fn(() => new Promise<never>(() => undefined));
    await expect(db.run(fn, { idempotent: true })).rejects.toBeInstanceOf(TaskCancelledError);
    expect(fn).toHaveBeenCalledTimes(2);
  });
});

describe('retry', () => {
  it('retries transient errors for idempotent calls, up to dbMaxAttempts in total', async () => {
    const db = new ResilientDatabase(noDb, { ...settings, breakerThreshold: 100 });
    const fn = vi.fn().mockRejectedValueOnce(refused()).mockRejectedValueOnce(refused()).mockResolvedValue('ok');
    await expect(db.run(fn, { idempotent: true })).resolves.toBe('ok');
    expect(fn).toHaveBeenCalledTimes(3);
  });

  it('does not retry a call that is not idempotent', async () => {
    const db = new ResilientDatabase(noDb, settings);
    const fn = vi.fn().mockRejectedValue(refused());
    await expect(db.run(fn, { idempotent: false })).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it('does not retry an error that another attempt cannot fix', async () => {
    const db = new ResilientDatabase(noDb, settings);
    const fn = vi.fn().mockRejectedValue(Object.assign(new Error('dup'), { code: '23505' }));
    await expect(db.run(fn, { idempotent: true })).rejects.toMatchObject({ code: '23505' });
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it('waits an exponential backoff with full jitter: a random delay in [0, base·2^n), capped', async () => {
    const delays: number[] = [];
    const db = new ResilientDatabase(noDb, { ...settings, dbMaxAttempts: 5, dbRetryBaseMs: 8, dbRetryMaxMs: 20, breakerThreshold: 100 }, {
      onRetry: (_attempt, delay) => delays.push(delay),
    });
    vi.spyOn(Math, 'random').mockReturnValue(0.999);
    await expect(db.run(() => Promise.reject(refused()), { idempotent: true })).rejects.toBeDefined();
    expect(delays).toHaveLength(4);
    // with the random draw near 1 the delays approach the exponential ceiling, which the cap clips
    expect(delays[0]).toBeLessThanOrEqual(8);
    expect(delays[1]).toBeGreaterThan(delays[0]);
    expect(Math.max(...delays)).toBeLessThanOrEqual(20);
    vi.spyOn(Math, 'random').mockReturnValue(0);
    delays.length = 0;
    await expect(db.run(() => Promise.reject(refused()), { idempotent: true })).rejects.toBeDefined();
    expect(delays.every((d) => d === 0)).toBe(true); // full jitter reaches down to zero
  });
});

describe('circuit breaker', () => {
  it('opens after breakerThreshold consecutive failures and then fails fast without calling the database', async () => {
    const states: string[] = [];
    const db = new ResilientDatabase(noDb, { ...settings, dbMaxAttempts: 1 }, { onCircuitStateChange: (s) => states.push(s) });
    const fn = vi.fn().mockRejectedValue(refused());
    for (let i = 0; i < 3; i++) await expect(db.run(fn, { idempotent: true })).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(db.circuitState).toBe('open');
    await expect(db.run(fn, { idempotent: true })).rejects.toBeInstanceOf(BrokenCircuitError);
    expect(fn).toHaveBeenCalledTimes(3);
    expect(states).toEqual(['open']);
    expect(db.retryAfterSeconds()).toBe(1);
  });

  it('is not retried while open (an open circuit is not a transient error)', async () => {
    const db = new ResilientDatabase(noDb, { ...settings, breakerThreshold: 1, breakerHalfOpenAfterMs: 60_000 });
    await expect(db.run(() => Promise.reject(refused()), { idempotent: true })).rejects.toBeInstanceOf(BrokenCircuitError);
    expect(db.retryAfterSeconds()).toBe(60);
  });

  it('lets one probe through when half-open; success closes it', async () => {
    const states: string[] = [];
    const db = new ResilientDatabase(noDb, { ...settings, dbMaxAttempts: 1, breakerThreshold: 1, breakerHalfOpenAfterMs: 30 }, {
      onCircuitStateChange: (s) => states.push(s),
    });
    await expect(db.run(() => Promise.reject(refused()), { idempotent: true })).rejects.toBeDefined();
    await new Promise((r) => setTimeout(r, 40));
    await expect(db.run(async () => 'probe', { idempotent: true })).resolves.toBe('probe');
    expect(states).toEqual(['open', 'half-open', 'closed']);
  });

  it('fails every other call fast while the probe runs, instead of making it wait for the probe', async () => {
    const db = new ResilientDatabase(noDb, { ...settings, breakerThreshold: 1, breakerHalfOpenAfterMs: 30 });
    await expect(db.run(() => Promise.reject(refused()), { idempotent: true })).rejects.toBeDefined();
    await new Promise((r) => setTimeout(r, 40));
    let finishProbe: (value: string) => void = () => undefined;
    const probe = db.run(() => new Promise<string>((resolve) => (finishProbe = resolve)), { idempotent: true });
    expect(db.circuitState).toBe('half-open');
    const other = vi.fn(async () => 'other');
    const started = Date.now();
    await expect(db.run(other, { idempotent: true })).rejects.toBeInstanceOf(BrokenCircuitError);
    await expect(db.run(other, { idempotent: false })).rejects.toBeInstanceOf(BrokenCircuitError);
    expect(Date.now() - started).toBeLessThan(settings.dbTimeoutMs / 4);
    expect(other).not.toHaveBeenCalled();
    finishProbe('probe');
    await expect(probe).resolves.toBe('probe');
    await expect(db.run(other, { idempotent: true })).resolves.toBe('other');
  });

  it('a failed probe opens it again', async () => {
    const db = new ResilientDatabase(noDb, { ...settings, dbMaxAttempts: 1, breakerThreshold: 1, breakerHalfOpenAfterMs: 30 });
    await expect(db.run(() => Promise.reject(refused()), { idempotent: true })).rejects.toBeDefined();
    await new Promise((r) => setTimeout(r, 40));
    await expect(db.run(() => Promise.reject(refused()), { idempotent: true })).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(db.circuitState).toBe('open');
  });

  it('ignores errors caused by the request data (a unique violation does not open it)', async () => {
    const db = new ResilientDatabase(noDb, { ...settings, breakerThreshold: 1 });
    await expect(db.run(() => Promise.reject(Object.assign(new Error('dup'), { code: '23505' })), { idempotent: true })).rejects.toBeDefined();
    expect(db.circuitState).toBe('closed');
  });
});

describe('bulkhead', () => {
  it('runs poolMax calls, queues queueMax, and rejects the rest at once', async () => {
    let shed = 0;
    const db = new ResilientDatabase(noDb, settings, { onShed: () => shed++ });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const calls = Array.from({ length: 5 }, () => db.run(() => gate.then(() => 'done'), { idempotent: true }));
    const results = await Promise.allSettled([...calls.slice(3), ...(release(), calls.slice(0, 3))]);
    const rejected = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
    expect(rejected).toHaveLength(2);
    for (const r of rejected) expect(r.reason).toBeInstanceOf(BulkheadRejectedError);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(3);
    expect(shed).toBe(2);
  });

  it('refuses a call that waited queueWaitMs for a slot, and never runs it later', async () => {
    let shed = 0;
    const db = new ResilientDatabase(noDb, { ...settings, poolMax: 1, queueMax: 5, queueWaitMs: 50 }, { onShed: () => shed++ });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let ranLate = false;
    const holder = db.run(() => gate.then(() => 'first'), { idempotent: true });
    const waiter = db.run(async () => {
      ranLate = true;
      return 'second';
    }, { idempotent: false });
    await expect(waiter).rejects.toBeInstanceOf(BulkheadRejectedError);
    expect(shed).toBe(1);
    release();
    expect(await holder).toBe('first');
    await new Promise((r) => setTimeout(r, 20));
    expect(ranLate).toBe(false); // a refused write was surely not done: it must not run when its turn comes
    expect(await db.run(async () => 'after', { idempotent: true })).toBe('after');
  });
});
