import { describe, expect, it } from 'vitest';
import { ResilientDatabase } from '../../app/src/db/policies';
import type { Database } from '../../app/src/db/types';
import { DeepCheck, Lifecycle, live, ready } from '../../app/src/health';
import { testConfig } from './helpers';

const fakeDb = (query: Database['query']): Database => ({ kind: 'fake', query, transaction: async () => undefined as never, close: async () => undefined });

describe('health', () => {
  it('live is always 200', () => {
    expect(live().status).toBe(200);
  });

  it('ready is 503 while starting and draining, 200 only when ready', () => {
    const lifecycle = new Lifecycle();
    expect(ready(lifecycle).status).toBe(503);
    lifecycle.phase = 'ready';
    expect(ready(lifecycle).status).toBe(200);
    lifecycle.phase = 'draining';
    expect(ready(lifecycle)).toMatchObject({ status: 503, body: { status: 'draining' } });
  });

  it('deep is 503 with a generic reason when the database does not answer in time', async () => {
    const db = fakeDb(() => new Promise(() => undefined));
    const result = await new DeepCheck(db, new ResilientDatabase(db, testConfig().policies), { timeoutMs: 20 }).check();
    expect(result.status).toBe(503);
    expect(result.body).toMatchObject({
      status: 'degraded',
      dependencies: { database: { status: 'down', circuit: 'closed', reason: 'no answer within 20 ms' } },
    });
  });

  it('deep is 200 with a latency when the database answers', async () => {
    const db = fakeDb(async () => ({ rows: [] }));
    const result = await new DeepCheck(db, new ResilientDatabase(db, testConfig().policies), { timeoutMs: 100 }).check();
    expect(result).toMatchObject({ status: 200, body: { dependencies: { database: { status: 'up', latencyMs: expect.any(Number) } } } });
  });
});
