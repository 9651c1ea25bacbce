// Clients that are slow on purpose or by accident: a body that trickles in, a connection that never sends
// a byte. Their slowness is their own problem: it must not take capacity meant for work, and it ends in a
// timeout at the configured value. Raw TCP, because fetch() cannot be this slow.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../app/src/app';
import type { Database } from '../../app/src/db/types';
import { json, pglite, post, rawExchange, startTestApp, statusLines, testConfig } from './helpers';

let db: Database;
beforeAll(async () => {
  db = await pglite();
}, 30_000);
afterAll(async () => {
  await db?.close();
});

let app: (App & { url: string }) | undefined;
afterEach(async () => {
  await app?.shutdown({ drainMs: 0 });
  app = undefined;
});

const slowPost = 'POST /messages HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 40\r\n\r\n{"te';

describe('slow request bodies', () => {
  it('hold no in-flight slot while the body is arriving: other requests are served meanwhile', async () => {
    app = await startTestApp(db, testConfig({ bodyTimeoutMs: 1000, policies: { maxInFlight: 2 } }));
    const slow = Array.from({ length: 4 }, () => rawExchange(app!.url, slowPost, 5000));
    await new Promise((r) => setTimeout(r, 200));
    expect(app.inFlight).toBe(0);
    expect((await fetch(`${app.url}/`)).status).toBe(200);
    expect((await post(`${app.url}/messages`, { text: 'not starved' })).status).toBe(201);
    await Promise.all(slow);
  });

  it('answer 408 with a JSON error once the body timeout passes, close the connection, and send nothing else', async () => {
    app = await startTestApp(db, testConfig({ bodyTimeoutMs: 300 }));
    const { data, closed, elapsedMs } = await rawExchange(app.url, slowPost, 4000);
    expect(statusLines(data)).toEqual(['HTTP/1.1 408 Request Timeout']);
    expect(data.toLowerCase()).toContain('connection: close');
    expect(JSON.parse(data.split('\r\n\r\n')[1])).toEqual({ error: { code: 'request_timeout', message: expect.any(String) } });
    expect(closed).toBe(true);
    expect(elapsedMs).toBeGreaterThanOrEqual(250);
    expect(elapsedMs).toBeLessThan(2000);
  });

  it('a body that arrives in pieces within the timeout is served', async () => {
    app = await startTestApp(db, testConfig({ bodyTimeoutMs: 2000 }));
    const body = JSON.stringify({ text: 'in pieces' });
    const { hostname, port } = new URL(app.url);
    const { connect } = await import('node:net');
    const data = await new Promise<string>((resolve, reject) => {
      let received = '';
      const socket = connect(Number(port), hostname, () => {
        socket.write(`POST /messages HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n`);
        setTimeout(() => socket.write(body.slice(0, 5)), 100);
        setTimeout(() => socket.write(body.slice(5)), 300);
      });
      socket.on('data', (d) => (received += d.toString()));
      socket.on('close', () => resolve(received));
      socket.on('error', reject);
    });
    expect(statusLines(data)).toEqual(['HTTP/1.1 201 Created']);
    expect(JSON.parse(data.split('\r\n\r\n')[1])).toMatchObject({ text: 'in pieces' });
    expect(await json(await fetch(`${app.url}/messages?limit=1`))).toMatchObject({ messages: [{ text: 'in pieces' }] });
  });
});
