// HTTP tests of every endpoint and error case, against the real service in-process on embedded PGlite.
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../app/src/app';
import type { Database } from '../../app/src/db/types';
import { json, pglite, post, startTestApp } from './helpers';

let db: Database;
let app: App & { url: string };
let base: string;

beforeAll(async () => {
  db = await pglite();
  app = await startTestApp(db);
  base = app.url;
}, 30_000);

afterAll(async () => {
  await app?.shutdown({ drainMs: 0 });
  await db?.close();
});

describe('GET /', () => {
  it('names the service and version, and the AZ/task when known', async () => {
    const res = await fetch(`${base}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await json(res)).toEqual({ service: 'ha-sample-service', version: '0.1.0', availabilityZone: null, taskArn: null });
  });

  it('echoes a well-formed X-Request-Id and invents one otherwise', async () => {
    const given = await fetch(`${base}/`, { headers: { 'x-request-id': 'abc-123' } });
    expect(given.headers.get('x-request-id')).toBe('abc-123');
    const invented = await fetch(`${base}/`, { headers: { 'x-request-id': 'bad id with spaces' } });
    expect(invented.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers HEAD like GET without a body', async () => {
    const res = await fetch(`${base}/`, { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('');
  });
});

describe('health', () => {
  it('live is 200', async () => {
    const res = await fetch(`${base}/health/live`);
    expect(res.status).toBe(200);
    expect(await json(res)).toEqual({ status: 'ok' });
  });

  it('ready is 200 once migrations are done', async () => {
    const res = await fetch(`${base}/health/ready`);
    expect(res.status).toBe(200);
    expect(await json(res)).toEqual({ status: 'ready' });
  });

  it('deep reports the database with its latency', async () => {
    const res = await fetch(`${base}/health/deep`);
    expect(res.status).toBe(200);
    const body = await json(res);
    expect(body.status).toBe('ok');
    expect(body.dependencies.database).toMatchObject({ status: 'up', kind: 'pglite', circuit: 'closed' });
    expect(typeof body.dependencies.database.latencyMs).toBe('number');
  });
});

describe('POST /messages', () => {
  it('creates a message: 201 with id, text, createdAt and a Location', async () => {
    const res = await post(`${base}/messages`, { text: 'hello' });
    expect(res.status).toBe(201);
    const body = await json(res);
    expect(body).toEqual({ id: expect.stringMatching(/^\d+$/), text: 'hello', createdAt: expect.any(String) });
    expect(new Date(body.createdAt).toISOString()).toBe(body.createdAt);
    expect(res.headers.get('location')).toBe(`/messages/${body.id}`);
  });

  it('accepts 1000 characters counted as code points (emoji are one character each)', async () => {
    const res = await post(`${base}/messages`, { text: '😀'.repeat(1000) });
    expect(res.status).toBe(201);
  });

  it('returns the same message (200) for a repeated Idempotency-Key, never a second row', async () => {
    const key = `key-${Date.now()}`;
    const first = await post(`${base}/messages`, { text: 'once' }, { 'idempotency-key': key });
    const second = await post(`${base}/messages`, { text: 'once' }, { 'idempotency-key': key });
    expect(first.status).toBe(201);
    expect(second.status).toBe(200);
    expect(await json(second)).toEqual(await json(first));
    const { rows } = await db.query('SELECT count(*)::int AS n FROM messages WHERE idempotency_key = $1', [key]);
    expect(rows[0].n).toBe(1);
  });

  it('gives one row for concurrent retries with one key', async () => {
    const key = `concurrent-${Date.now()}`;
    const responses = await Promise.all(Array.from({ length: 10 }, () => post(`${base}/messages`, { text: 'race' }, { 'idempotency-key': key })));
    const bodies = await Promise.all(responses.map(json));
    expect(responses.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 200, 201]);
    expect(new Set(bodies.map((b) => b.id)).size).toBe(1);
  });

  it('refuses the same key with a different body: 422', async () => {
    const key = `conflict-${Date.now()}`;
    await post(`${base}/messages`, { text: 'a' }, { 'idempotency-key': key });
    const res = await post(`${base}/messages`, { text: 'b' }, { 'idempotency-key': key });
    expect(res.status).toBe(422);
    expect((await json(res)).error.code).toBe('idempotency_key_reused');
  });
});

describe('GET /messages/:id and GET /messages', () => {
  it('reads a message back, 404 for an id that does not exist', async () => {
    const created = await json(await post(`${base}/messages`, { text: 'read me' }));
    const res = await fetch(`${base}/messages/${created.id}`);
    expect(res.status).toBe(200);
    expect(await json(res)).toEqual(created);
    expect(res.headers.get('x-served-from')).toBeNull();
    const missing = await fetch(`${base}/messages/987654321`);
    expect(missing.status).toBe(404);
    expect((await json(missing)).error.code).toBe('not_found');
  });

  it('lists newest first and pages with the cursor', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await json(await post(`${base}/messages`, { text: `page ${i}` }))).id);
    const page1 = await json(await fetch(`${base}/messages?limit=3`));
    expect(page1.messages.map((m: { id: string }) => m.id)).toEqual([ids[4], ids[3], ids[2]]);
    expect(page1.nextCursor).toBe(ids[2]);
    const page2 = await json(await fetch(`${base}/messages?limit=2&before=${page1.nextCursor}`));
    expect(page2.messages.map((m: { id: string }) => m.id)).toEqual([ids[1], ids[0]]);
  });

  it('ends with nextCursor null', async () => {
    const page = await json(await fetch(`${base}/messages?limit=100&before=1`));
    expect(page).toEqual({ messages: [], nextCursor: null });
  });
});

describe('client input never produces a 500', () => {
  const big = 'x'.repeat(2 * 1024 * 1024);
  const cases: Array<[string, string, RequestInit, number, string]> = [
    ['malformed JSON', '/messages', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"text":' }, 400, 'invalid_json'],
    ['empty body', '/messages', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '' }, 400, 'invalid_json'],
    ['JSON array', '/messages', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '[1]' }, 400, 'invalid_body'],
    ['JSON null', '/messages', { method: 'POST', headers: { 'content-type': 'application/json' }, body: 'null' }, 400, 'invalid_body'],
    ['text missing', '/messages', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }, 400, 'invalid_field'],
    ['text a number', '/messages', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"text":42}' }, 400, 'invalid_field'],
    ['text empty', '/messages', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"text":""}' }, 400, 'invalid_field'],
    ['text too long', '/messages', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'a'.repeat(1001) }) }, 400, 'invalid_field'],
    ['text with NUL', '/messages', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"text":"a\\u0000b"}' }, 400, 'invalid_field'],
    ['lone surrogate', '/messages', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"text":"\\ud800"}' }, 400, 'invalid_field'],
    ['invalid UTF-8 bytes', '/messages', { method: 'POST', headers: { 'content-type': 'application/json' }, body: Buffer.from([0x7b, 0x22, 0x74, 0x65, 0x78, 0x74, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d]) }, 201, ''],
    ['2 MiB body', '/messages', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: big }) }, 413, 'payload_too_large'],
    ['text/plain', '/messages', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{"text":"x"}' }, 415, 'unsupported_media_type'],
    ['no content type', '/messages', { method: 'POST', body: new Uint8Array(Buffer.from('{"text":"x"}')) }, 415, 'unsupported_media_type'],
    ['empty idempotency key', '/messages', { method: 'POST', headers: { 'content-type': 'application/json', 'idempotency-key': '' }, body: '{"text":"x"}' }, 400, 'invalid_idempotency_key'],
    ['201-char idempotency key', '/messages', { method: 'POST', headers: { 'content-type': 'application/json', 'idempotency-key': 'k'.repeat(201) }, body: '{"text":"x"}' }, 400, 'invalid_idempotency_key'],
    ['nonsense id', '/messages/abc', {}, 400, 'invalid_id'],
    ['negative id', '/messages/-1', {}, 400, 'invalid_id'],
    ['zero id', '/messages/0', {}, 400, 'invalid_id'],
    ['id beyond bigint', '/messages/99999999999999999999', {}, 400, 'invalid_id'],
    ['id 2^63', '/messages/9223372036854775808', {}, 400, 'invalid_id'],
    ['malformed percent-encoding', '/messages/%E0%A4%A', {}, 400, 'invalid_path'],
    ['limit 0', '/messages?limit=0', {}, 400, 'invalid_limit'],
    ['limit 101', '/messages?limit=101', {}, 400, 'invalid_limit'],
    ['limit text', '/messages?limit=ten', {}, 400, 'invalid_limit'],
    ['limit fraction', '/messages?limit=1.5', {}, 400, 'invalid_limit'],
    ['bad cursor', '/messages?before=xyz', {}, 400, 'invalid_cursor'],
    ['unknown path', '/nope', {}, 404, 'not_found'],
    ['unknown nested path', '/messages/1/2', {}, 404, 'not_found'],
    ['wrong method', '/messages/1', { method: 'DELETE' }, 405, 'method_not_allowed'],
    ['PUT on collection', '/messages', { method: 'PUT', body: 'x' }, 405, 'method_not_allowed'],
  ];

  const table = cases.map(([name, path, init, status, code]) => ({ name, path, init, status, code }));

  it.each(table)('$name → $status', async ({ path, init, status, code }) => {
    const res = await fetch(`${base}${path}`, init);
    expect(res.status).toBe(status);
    const body = await json(res);
    if (status >= 400) {
      expect(body).toEqual({ error: { code, message: expect.any(String) } });
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    }
  });

  it('a 405 lists the allowed methods', async () => {
    const res = await fetch(`${base}/messages/1`, { method: 'DELETE' });
    expect(res.headers.get('allow')).toBe('GET');
  });

  it('answers a malformed HTTP request with a JSON 400', async () => {
    const { port } = new URL(base);
    const raw = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1', () => socket.write('GARBAGE\r\n\r\n'));
      let data = '';
      socket.on('data', (d) => (data += d.toString()));
      socket.on('end', () => resolve(data));
      socket.on('error', reject);
    });
    expect(raw).toMatch(/^HTTP\/1\.1 400/);
    expect(JSON.parse(raw.split('\r\n\r\n')[1])).toEqual({ error: { code: 'bad_request', message: expect.any(String) } });
  });
});
