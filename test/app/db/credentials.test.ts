// Rotation-aware database credentials (app/src/db/credentials.ts): pure units with a fake fetcher and a
// fake clock, then the whole chain (password function → 28P01 → refresh → retry) against a fake server.
import { describe, expect, it } from 'vitest';
import { RotatingCredentials, parseCredentials, type SecretFetcher } from '../../../app/src/db/credentials';
import { isAuthFailure, isTransient, markCredentialsRefreshed } from '../../../app/src/db/errors';
import { authFailureHandler, poolConfig } from '../../../app/src/db/pg';
import { ResilientDatabase } from '../../../app/src/db/policies';
import type { Queryable } from '../../../app/src/db/types';

const secret = (password: string) => JSON.stringify({ username: 'app', password, host: 'db', port: 5432, dbname: 'messages' });
const authError = () => Object.assign(new Error('password authentication failed for user "app"'), { code: '28P01' });

/** A fake Secrets Manager: counts calls; `value` is what it returns; `fail` makes it throw. */
interface FakeSecretsManager {
  value: string;
  calls: number;
  fail: boolean;
  hold: boolean;
  release: (() => void) | undefined;
  fetch: SecretFetcher;
}

function fakeSecretsManager(initial: string): FakeSecretsManager {
  const sm: FakeSecretsManager = {
    value: secret(initial),
    calls: 0,
    fail: false,
    release: undefined,
    /** When true, calls wait until release() (to observe concurrency). */
    hold: false,
    fetch: async () => {
      sm.calls++;
      if (sm.hold) await new Promise<void>((r) => (sm.release = r));
      if (sm.fail) throw new Error('getaddrinfo EAI_AGAIN secretsmanager.eu-west-1.amazonaws.com');
      return sm.value;
    },
  };
  return sm;
}

function clock(start = 1_000_000) {
  const c = { t: start, now: () => c.t };
  return c;
}

const flush = () => new Promise((r) => setImmediate(r));

describe('parseCredentials', () => {
  it('reads username and password from the RDS secret JSON', () => {
    expect(parseCredentials(secret('pw'))).toEqual({ username: 'app', password: 'pw' });
  });

  it('rejects a secret without a password, without echoing it', () => {
    expect(() => parseCredentials('hunter2')).toThrow(/non-empty "password"/);
    expect(() => parseCredentials('hunter2')).not.toThrow(/hunter2/);
    expect(() => parseCredentials(JSON.stringify({ username: 'app' }))).toThrow(/password/);
  });
});

describe('RotatingCredentials', () => {
  it('serves the starting value at once, re-reads it in the background, then uses the cached secret', async () => {
    const sm = fakeSecretsManager('from-sm');
    const c = clock();
    const creds = new RotatingCredentials({ fetch: sm.fetch, initial: { username: 'app', password: 'from-env' }, now: c.now });
    expect(await creds.password()).toBe('from-env'); // no AWS call on the connection path
    await flush();
    expect(sm.calls).toBe(1); // the background re-read
    for (let i = 0; i < 20; i++) {
      c.t += 10_000; // 200 s in all: within the 5 min TTL
      expect(await creds.password()).toBe('from-sm');
    }
    expect(sm.calls).toBe(1); // every connection used the cache
  });

  it('waits for the first read when there is no starting value, and learns the username', async () => {
    const sm = fakeSecretsManager('pw');
    const creds = new RotatingCredentials({ fetch: sm.fetch });
    expect(await creds.password()).toBe('pw');
    expect(creds.username).toBe('app');
    expect(sm.calls).toBe(1);
  });

  it('re-reads after the TTL without making connections wait, and keeps the cached value if the read fails', async () => {
    const sm = fakeSecretsManager('v1');
    const c = clock();
    const errors: string[] = [];
    const creds = new RotatingCredentials({ fetch: sm.fetch, now: c.now, ttlMs: 300_000, onError: (e) => errors.push(e.message) });
    expect(await creds.password()).toBe('v1');
    c.t += 300_000;
    sm.fail = true;
    expect(await creds.password()).toBe('v1');
    await flush();
    expect(sm.calls).toBe(2);
    expect(errors).toEqual([expect.stringContaining('EAI_AGAIN')]);
    expect(await creds.password()).toBe('v1'); // still served; the next attempt waits for minRefreshInterval
    expect(sm.calls).toBe(2);
    c.t += 5_000;
    sm.fail = false;
    sm.value = secret('v2');
    expect(await creds.password()).toBe('v1'); // stale-while-revalidate
    await flush();
    expect(await creds.password()).toBe('v2');
    expect(sm.calls).toBe(3);
  });

  it('a 28P01 triggers exactly one re-read (single-flight), and the next connection uses the new password', async () => {
    const sm = fakeSecretsManager('old');
    const c = clock();
    const refreshes: Array<{ reason: string; changed: boolean }> = [];
    const creds = new RotatingCredentials({ fetch: sm.fetch, initial: { password: 'old' }, now: c.now, onRefresh: (e) => refreshes.push(e) });
    await creds.password();
    await flush(); // the background read of the starting value
    expect(sm.calls).toBe(1);

    c.t += 60_000; // rotation, well within the TTL: the cache still says "old"
    sm.value = secret('new');
    expect(await creds.password()).toBe('old');

    sm.hold = true;
    // Five connections fail at about the same time: one read, and all five are told to retry.
    const failures = Array.from({ length: 5 }, () => creds.onAuthFailure());
    const waiting = creds.password(); // a connection opened meanwhile waits for the read
    sm.release!();
    expect(await Promise.all(failures)).toEqual([true, true, true, true, true]);
    expect(await waiting).toBe('new');
    expect(sm.calls).toBe(2);
    expect(refreshes.at(-1)).toEqual({ reason: 'auth-failure', changed: true });

    // A straggler that used the old password fails a moment later: no new read, still retryable.
    c.t += 1_000;
    expect(await creds.onAuthFailure()).toBe(true);
    expect(sm.calls).toBe(2);
    expect(await creds.password()).toBe('new');
  });

  it('does not call a 28P01 retryable when the secret did not change, and reads at most once per interval', async () => {
    const sm = fakeSecretsManager('pw');
    const c = clock();
    const creds = new RotatingCredentials({ fetch: sm.fetch, now: c.now, minRefreshIntervalMs: 5_000 });
    await creds.password();
    c.t += 10_000;
    expect(await creds.onAuthFailure()).toBe(false); // the password really is wrong: retrying will not help
    expect(sm.calls).toBe(2);
    c.t += 1_000;
    expect(await creds.onAuthFailure()).toBe(false);
    expect(sm.calls).toBe(2); // throttled
    c.t += 5_000;
    await creds.onAuthFailure();
    expect(sm.calls).toBe(3);
  });

  it('fails the connection with a clear message when the secret cannot be read at all', async () => {
    const sm = fakeSecretsManager('pw');
    sm.fail = true;
    const creds = new RotatingCredentials({ fetch: sm.fetch });
    await expect(creds.password()).rejects.toThrow(/could not be read from Secrets Manager/);
  });
});

describe('authentication failures and the retry policy', () => {
  it('marks a 28P01 transient only after the credentials changed', async () => {
    expect(isAuthFailure(authError())).toBe(true);
    expect(isTransient(authError())).toBe(false);
    const marked = authError();
    markCredentialsRefreshed(marked);
    expect(isTransient(marked)).toBe(true);

    const changed = { password: async () => 'x', onAuthFailure: async () => true };
    const unchanged = { password: async () => 'x', onAuthFailure: async () => false };
    const err1 = await authFailureHandler(changed)(authError()).catch((e: unknown) => e);
    const err2 = await authFailureHandler(unchanged)(authError()).catch((e: unknown) => e);
    const err3 = await authFailureHandler(undefined)(authError()).catch((e: unknown) => e);
    expect([isTransient(err1), isTransient(err2), isTransient(err3)]).toEqual([true, false, false]);
  });

  it('hands pg a password function backed by the credentials', async () => {
    const config = poolConfig({
      db: { kind: 'postgres', connection: { host: 'db', user: 'app', password: 'from-env' }, tls: 'disable', caFile: '/x', secretArn: 'arn' },
      policies: { poolMax: 2, dbTimeoutMs: 500 },
      credentials: { password: async () => 'current', onAuthFailure: async () => false },
    });
    expect(typeof config.password).toBe('function');
    expect(await (config.password as () => Promise<string>)()).toBe('current');
  });

  it('a rotation costs one failed connection attempt, absorbed by the retry; no restart', async () => {
    // A fake server: each call opens a "connection" that authenticates with the password function.
    const server = { password: 'old', attempts: 0, rejected: 0 };
    const sm = fakeSecretsManager('old');
    const creds = new RotatingCredentials({ fetch: sm.fetch, initial: { password: 'old' } });
    const onError = authFailureHandler(creds);
    const db: Queryable = {
      query: async <R,>() => {
        server.attempts++;
        const password = await creds.password();
        if (password !== server.password) {
          server.rejected++;
          return onError(authError());
        }
        return { rows: [{ ok: 1 }] as unknown as R[] };
      },
    };
    const resilient = new ResilientDatabase(db, {
      dbTimeoutMs: 1000, dbMaxAttempts: 3, dbRetryBaseMs: 1, dbRetryMaxMs: 5, breakerThreshold: 5, breakerHalfOpenAfterMs: 1000, poolMax: 10, queueMax: 10, queueWaitMs: 1000,
    });
    await resilient.run((q) => q.query('SELECT 1'), { idempotent: true });
    await flush();
    const callsBefore = sm.calls;

    server.password = 'new'; // RDS rotates: the role and the secret change together
    sm.value = secret('new');
    // The cached secret is fresh (read moments ago), so the next new connection still uses "old".

    // The read is idempotent, so the retry repeats it with the new password.
    await expect(resilient.run((q) => q.query('SELECT 1'), { idempotent: true })).resolves.toEqual({ rows: [{ ok: 1 }] });
    expect(server.rejected).toBe(1);
    expect(sm.calls - callsBefore).toBe(1);
    for (let i = 0; i < 5; i++) await resilient.run((q) => q.query('SELECT 1'), { idempotent: true });
    expect(server.rejected).toBe(1);
    expect(sm.calls - callsBefore).toBe(1);
    expect(resilient.circuitState).toBe('closed');
  });
});
