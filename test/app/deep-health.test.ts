// /health/deep over HTTP: a dependency report for monitoring that no caller can turn into load on the
// database or into shed API traffic, and that never publishes internal error text.
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type App } from '../../app/src/app';
import type { Database } from '../../app/src/db/types';
import { FaultyDatabase, json, pglite, startTestApp, testConfig } from './helpers';

let inner: Database;
beforeAll(async () => {
  inner = await pglite();
}, 30_000);
afterAll(async () => {
  await inner?.close();
});

let app: (App & { url: string }) | undefined;
afterEach(async () => {
  await app?.shutdown({ drainMs: 0 });
  app = undefined;
});

describe('/health/deep', () => {
  it('runs at most one database probe for a flood of concurrent checks, and sheds no API traffic', async () => {
    const db = new FaultyDatabase(inner);
    app = await startTestApp(db, testConfig({ policies: { maxInFlight: 4, dbTimeoutMs: 2000 } }));
    db.delayMs = 300;
    db.calls = 0;
    const flood = Array.from({ length: 50 }, () => fetch(`${app!.url}/health/deep`));
    await new Promise((r) => setTimeout(r, 50));
    const api = await Promise.all(Array.from({ length: 4 }, () => fetch(`${app!.url}/`)));
    expect(api.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    const deep = await Promise.all(flood);
    expect(deep.map((r) => r.status)).toEqual(Array(50).fill(200));
    expect(db.calls).toBe(1);
  });

  it('answers from a short-lived cached result, then probes again', async () => {
    const db = new FaultyDatabase(inner);
    app = await startTestApp(db);
    db.calls = 0;
    const first = await json(await fetch(`${app.url}/health/deep`));
    const second = await json(await fetch(`${app.url}/health/deep`));
    expect(db.calls).toBe(1);
    expect(second.dependencies.database.checkedAt).toBe(first.dependencies.database.checkedAt);
    await new Promise((r) => setTimeout(r, 1100));
    await fetch(`${app.url}/health/deep`);
    expect(db.calls).toBe(2);
  });

  it('reports a generic reason and logs the internal error instead of publishing it', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) }));
    const db = new FaultyDatabase(inner);
    app = await startServer({ config: testConfig(), database: db, logger, metricsSink: () => undefined, taskInfo: {} });
    await app.ready;
    db.mode = 'refuse';
    const res = await fetch(`${app.url}/health/deep`);
    expect(res.status).toBe(503);
    const text = await res.text();
    expect(text).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|5432/);
    expect(JSON.parse(text).dependencies.database).toMatchObject({ status: 'down', reason: expect.any(String) });
    expect(lines.join('')).toMatch(/ECONNREFUSED 127\.0\.0\.1:5432/);
  });
});
