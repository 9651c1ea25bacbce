// Password rotation against a real PostgreSQL server: the role's password changes mid-run (as RDS does
// every 7 days) and the service keeps working without a restart, reading the new password through a
// fake Secrets Manager fetcher (no AWS).
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Client } from 'pg';
import { startServer, type App } from '../../../app/src/app';
import { loadConfig } from '../../../app/src/config';
import type { SecretFetcher } from '../../../app/src/db/credentials';
import { silentLogger } from '../../../app/src/logger';
import { json, post } from '../helpers';
import { startPostgres, type LocalPostgres } from '../../../tools/local-servers';

const ROLE = 'rotating_app';
const ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-test';

let pg: LocalPostgres;
let admin: Client;
beforeAll(async () => {
  pg = await startPostgres({ passwordAuthFor: [ROLE] });
  admin = new Client({ connectionString: pg.url }); // the superuser still logs in with `trust`
  await admin.connect();
  await admin.query(`CREATE ROLE ${ROLE} LOGIN PASSWORD 'password-v1'`);
  await admin.query(`CREATE DATABASE rotation OWNER ${ROLE}`);
}, 90_000);
afterAll(async () => {
  await admin?.end();
  pg?.destroy();
});

const apps: App[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.shutdown({ drainMs: 0 })));
});

const secretJson = (password: string) => JSON.stringify({ username: ROLE, password, host: '127.0.0.1', port: pg.port, dbname: 'rotation' });

/** What ECS sets: the secret injected at start (DB_SECRET) and, for rotation, its ARN. */
async function startApp(injectedPassword: string, extra: { secretFetcher?: SecretFetcher; env?: Record<string, string> }) {
  const config = loadConfig({
    DB_SECRET: secretJson(injectedPassword),
    PORT: '0',
    HOST: '127.0.0.1',
    METRICS_INTERVAL_MS: '0',
    ...extra.env,
  });
  const app = await startServer({ config, logger: silentLogger(), metricsSink: () => undefined, taskInfo: {}, secretFetcher: extra.secretFetcher });
  apps.push(app);
  await app.ready;
  return app;
}

/** Changes the role's password, then ends the service's sessions: what maxLifetimeSeconds does within 5 minutes. */
async function rotate(password: string) {
  await admin.query(`ALTER ROLE ${ROLE} PASSWORD '${password}'`);
  await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1', [ROLE]);
  await new Promise((r) => setTimeout(r, 200)); // the pools notice their idle connections died
}

describe('database password rotation', () => {
  it('keeps serving after ALTER ROLE ... PASSWORD, with one Secrets Manager read and no restart', async () => {
    const sm = { value: secretJson('password-v1'), calls: 0 };
    const secretFetcher: SecretFetcher = async () => {
      sm.calls++;
      return sm.value;
    };
    const app = await startApp('password-v1', { secretFetcher, env: { DB_SECRET_ARN: ARN } });
    const created = await json(await post(`${app.url}/messages`, { text: 'before rotation' }));
    expect(created.id).toBeDefined();
    const callsBefore = sm.calls; // the background read of the starting value
    expect(callsBefore).toBe(1);

    sm.value = secretJson('password-v2'); // Secrets Manager and the role change together
    await rotate('password-v2');

    // The first new connection still uses the cached v1 and is refused (28P01); that triggers one
    // read, and the retry policy repeats the read on a new connection with v2. The client never sees it.
    const read = await fetch(`${app.url}/messages/${created.id}`);
    expect(read.status).toBe(200);
    expect(read.headers.get('x-served-from')).toBeNull(); // from the database, not the fallback cache
    expect(sm.calls - callsBefore).toBe(1);

    const writes = await Promise.all(Array.from({ length: 10 }, (_, i) => post(`${app.url}/messages`, { text: `after rotation ${i}` })));
    expect(writes.map((r) => r.status)).toEqual(Array(10).fill(201));
    expect((await fetch(`${app.url}/health/deep`)).status).toBe(200);
    expect(sm.calls - callsBefore).toBe(1);
    expect(app.resilient.circuitState).toBe('closed');
  }, 60_000);

  it('without DB_SECRET_ARN (the password injected at start only) new connections fail after a rotation', async () => {
    await rotate('password-v3');
    const app = await startApp('password-v3', {});
    expect((await post(`${app.url}/messages`, { text: 'before' })).status).toBe(201);
    await rotate('password-v4');
    const res = await fetch(`${app.url}/messages?limit=1`);
    expect(res.status).toBeGreaterThanOrEqual(500);
    expect((await fetch(`${app.url}/health/deep`)).status).toBe(503);
  }, 60_000);
});
