// The service against a read replica, as the DR region's warm standby runs it (docs/disaster-recovery.md):
// a real PostgreSQL primary streaming to a hot standby, the service pointed at the standby, then the
// standby promoted the way a regional failover promotes the cross-region replica.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type App } from '../../../app/src/app';
import { loadConfig } from '../../../app/src/config';
import { silentLogger } from '../../../app/src/logger';
import { APP_USER, DATABASE, PostgresCluster } from '../../../tools/rehearsal/postgres';
import { Processes, waitFor } from '../../../tools/rehearsal/processes';
import { json, post } from '../helpers';

const procs = new Processes();
let cluster: PostgresCluster;
let app: App & { url: string };
let existingId: number;

async function startApp(port: number): Promise<App & { url: string }> {
  const config = loadConfig({ DATABASE_URL: `postgres://${APP_USER}@127.0.0.1:${port}/${DATABASE}`, PORT: '0', HOST: '127.0.0.1', METRICS_INTERVAL_MS: '0' });
  return startServer({ config, logger: silentLogger(), metricsSink: () => undefined, taskInfo: {} });
}

beforeAll(async () => {
  cluster = new PostgresCluster(procs, procs.trackDir(mkdtempSync(join(tmpdir(), 'read-only-'))), () => undefined);
  await cluster.create();
  // The primary region's service has migrated the schema and stored a message; both reach the standby.
  const primaryApp = await startApp(cluster.primary.port);
  await primaryApp.ready;
  existingId = (await json(await post(`${primaryApp.url}/messages`, { text: 'written in the primary region' }))).id;
  await primaryApp.shutdown({ drainMs: 0 });
  const standby = cluster.standby!;
  await waitFor('the message to reach the standby', () => (cluster.psql(standby, `SELECT count(*) FROM messages WHERE id = ${existingId}`).trim() === '1' ? true : undefined), 10_000);
  app = await startApp(standby.port);
}, 120_000);

afterAll(async () => {
  await app?.shutdown({ drainMs: 0 });
  procs.cleanupSync();
});

describe('against a read replica', () => {
  it('becomes ready without migrating (the schema arrives by replication) and serves reads', async () => {
    await app.ready;
    expect((await fetch(`${app.url}/health/ready`)).status).toBe(200);
    const res = await fetch(`${app.url}/messages/${existingId}`);
    expect(res.status).toBe(200);
    expect((await json(res)).text).toBe('written in the primary region');
    expect((await fetch(`${app.url}/messages?limit=5`)).status).toBe(200);
  });

  it('answers writes 503 read_only with Retry-After, and they never open the circuit for reads', async () => {
    for (let i = 0; i < 20; i++) {
      const res = await post(`${app.url}/messages`, { text: `write ${i}` }, i % 2 === 0 ? { 'idempotency-key': `ro-${i}` } : {});
      const body = await json(res);
      expect({ status: res.status, code: body.error.code, retryAfter: res.headers.get('retry-after') }).toEqual({ status: 503, code: 'read_only', retryAfter: '5' });
    }
    expect(app.resilient.circuitState).toBe('closed');
    expect((await fetch(`${app.url}/messages/${existingId}`)).status).toBe(200);
    expect((await fetch(`${app.url}/health/ready`)).status).toBe(200);
    const deep = await json(await fetch(`${app.url}/health/deep`));
    expect(deep).toMatchObject({ status: 'ok', dependencies: { database: { status: 'up', readOnly: true } } });
  });

  it('accepts writes as soon as the replica is promoted, with no restart', async () => {
    await cluster.killPrimary(); // the primary region is gone
    await cluster.promoteStandby();
    const res = await post(`${app.url}/messages`, { text: 'written in the DR region' }, { 'idempotency-key': 'after-promotion' });
    expect(res.status).toBe(201);
    const stored = cluster.psql(cluster.primary, "SELECT count(*) FROM messages WHERE idempotency_key = 'after-promotion'").trim();
    expect(stored).toBe('1');
    // Nothing written while read-only was stored.
    expect(cluster.psql(cluster.primary, "SELECT count(*) FROM messages WHERE text LIKE 'write %'").trim()).toBe('0');
    await new Promise((r) => setTimeout(r, 1_100)); // the deep check's cached result expires
    expect(await json(await fetch(`${app.url}/health/deep`))).toMatchObject({ dependencies: { database: { readOnly: false } } });
  });
});
