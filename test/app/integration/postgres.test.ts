// Integration tests against a real PostgreSQL server: concurrency, an outage mid-run, and SIGTERM under load.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type App } from '../../../app/src/app';
import { loadConfig } from '../../../app/src/config';
import { silentLogger } from '../../../app/src/logger';
import { json, post } from '../helpers';
import { freePort, startPostgres, type LocalPostgres } from '../../../tools/local-servers';

let pg: LocalPostgres;
beforeAll(async () => {
  pg = await startPostgres();
}, 90_000);
afterAll(() => {
  pg?.destroy();
});

const apps: App[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.shutdown({ drainMs: 0 })));
});

async function startApp(env: Record<string, string> = {}) {
  const config = loadConfig({ DATABASE_URL: pg.url, PORT: '0', HOST: '127.0.0.1', METRICS_INTERVAL_MS: '0', ...env });
  const app = await startServer({ config, logger: silentLogger(), metricsSink: () => undefined, taskInfo: {} });
  apps.push(app);
  await app.ready;
  return app;
}

describe('real PostgreSQL', () => {
  it('runs migrations safely when several tasks start at once', async () => {
    const started = await Promise.all([startApp(), startApp(), startApp()]);
    for (const app of started) expect((await fetch(`${app.url}/health/ready`)).status).toBe(200);
    const { rows } = await started[0].database.query('SELECT count(*)::int AS n FROM schema_migrations');
    expect(rows[0].n).toBe(1);
  });

  it('stores one row for concurrent POSTs with one Idempotency-Key', async () => {
    const [a, b] = await Promise.all([startApp(), startApp()]); // two tasks, same database
    const key = `it-${Date.now()}`;
    const responses = await Promise.all(
      Array.from({ length: 40 }, (_, i) => post(`${(i % 2 ? a : b).url}/messages`, { text: 'exactly once' }, { 'idempotency-key': key })),
    );
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 200)).toHaveLength(39);
    const ids = new Set((await Promise.all(responses.map(json))).map((m) => m.id));
    expect(ids.size).toBe(1);
    const { rows } = await a.database.query('SELECT count(*)::int AS n FROM messages WHERE idempotency_key = $1', [key]);
    expect(rows[0].n).toBe(1);
  });

  it('answers fast 503s while the database is stopped, serves cached reads, and recovers without a restart', async () => {
    const app = await startApp({ DB_BREAKER_THRESHOLD: '3', DB_BREAKER_HALF_OPEN_MS: '500', DB_TIMEOUT_MS: '500' });
    const created = await json(await post(`${app.url}/messages`, { text: 'survives the outage' }));
    expect((await fetch(`${app.url}/messages/${created.id}`)).status).toBe(200); // pooled connections now exist

    pg.stop();
    try {
      for (let i = 0; i < 5; i++) {
        const res = await post(`${app.url}/messages`, { text: 'during outage' }, { 'idempotency-key': `outage-${i}` }).then(
          (r) => r,
          () => undefined,
        );
        expect(res?.status).toBe(503);
        expect(res?.headers.get('retry-after')).toMatch(/^\d+$/);
      }
      const bounded = await fetch(`${app.url}/messages?limit=1`, { signal: AbortSignal.timeout(2000) });
      expect(bounded.status).toBe(503); // arrives within 2 s
      expect(app.resilient.circuitState).not.toBe('closed');
      const cached = await fetch(`${app.url}/messages/${created.id}`);
      expect(cached.status).toBe(200);
      expect(cached.headers.get('x-served-from')).toBe('cache');
      expect((await fetch(`${app.url}/health/ready`)).status).toBe(200); // stays in the load balancer
      expect((await fetch(`${app.url}/health/deep`)).status).toBe(503);
    } finally {
      pg.start();
    }

    // Same process, no restart: the broken pooled connections were discarded and new ones are opened.
    let status = 0;
    for (let i = 0; i < 60 && status !== 201; i++) {
      status = (await post(`${app.url}/messages`, { text: 'after recovery' })).status;
      if (status !== 201) await new Promise((r) => setTimeout(r, 250));
    }
    expect(status).toBe(201);
    expect((await fetch(`${app.url}/messages/${created.id}`)).headers.get('x-served-from')).toBeNull();
    // /health/deep may still answer the outage's result for up to its 1 s cache (health.ts DEEP_CACHE_MS)
    await new Promise((r) => setTimeout(r, 1100));
    expect((await fetch(`${app.url}/health/deep`)).status).toBe(200);
  }, 60_000);

  it('fails no in-flight request when the process gets SIGTERM under load, and exits 0', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, ['--import', 'tsx', join('app', 'src', 'server.ts')], {
      cwd: join(__dirname, '..', '..', '..'),
      env: { ...process.env, DATABASE_URL: pg.url, PORT: String(port), HOST: '127.0.0.1', DRAIN_SECONDS: '1', LOG_LEVEL: 'warn', METRICS_INTERVAL_MS: '0', NODE_ENV: 'test' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const url = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 100; i++) {
      const ok = await fetch(`${url}/health/ready`).then((r) => r.status === 200, () => false);
      if (ok) break;
      await new Promise((r) => setTimeout(r, 200));
    }

    // The load models the load balancer: it keeps sending through most of the drain period (the
    // load balancer needs a failed health check or the deregistration to stop routing), then stops.
    // Requests sent after the listener has closed would be refused or reset by the kernel: no server
    // can answer those, which is exactly why the drain period exists.
    const outcomes: Array<{ status: string; afterSigterm: boolean }> = [];
    let sigtermAt = 0;
    let stopLoad = false;
    const worker = async (w: number) => {
      for (let i = 0; !stopLoad; i++) {
        const afterSigterm = sigtermAt > 0;
        try {
          const res =
            i % 2 === 0
              ? await post(`${url}/messages`, { text: `load ${w}/${i}` }, { 'idempotency-key': `sigterm-${w}-${i}` })
              : await fetch(`${url}/messages?limit=5`);
          await res.arrayBuffer();
          outcomes.push({ status: String(res.status), afterSigterm });
        } catch (err) {
          outcomes.push({ status: (err as { cause?: { code?: string } }).cause?.code ?? String(err), afterSigterm });
        }
      }
    };
    const load = Promise.all(Array.from({ length: 8 }, (_, w) => worker(w)));
    await new Promise((r) => setTimeout(r, 500));
    sigtermAt = Date.now();
    child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 700)); // DRAIN_SECONDS is 1
    stopLoad = true;
    await load; // the requests in flight at this moment finish while the server closes
    const code = await exited;

    expect(code, stderr).toBe(0);
    expect(outcomes.filter((o) => !/^2\d\d$/.test(o.status))).toEqual([]);
    expect(outcomes.filter((o) => o.afterSigterm).length).toBeGreaterThan(10); // served during the drain
  }, 60_000);
});
