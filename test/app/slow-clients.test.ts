// Clients that are slow on purpose or by accident: a body that trickles in, a connection that never sends
// a byte. Their slowness is their own problem: it must not take capacity meant for work, and it ends in a
// timeout at the configured value. Raw TCP, because fetch() cannot be this slow.
import { connect, type Socket } from 'node:net';
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
const sockets: Socket[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
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

/** Open TCP connections on the server right now. */
function openConnections(app: App): Promise<number> {
  return new Promise((resolve, reject) => app.server.getConnections((err, n) => (err ? reject(err) : resolve(n))));
}

/** A client that never closes its side (allowHalfOpen), as a hostile one would not: only the server can end it. */
function stubbornClient(url: string, send: string): { received: () => string } {
  const { hostname, port } = new URL(url);
  let data = '';
  const socket = connect({ port: Number(port), host: hostname, allowHalfOpen: true }, () => {
    if (send !== '') socket.write(send);
  });
  socket.on('data', (d) => (data += d.toString()));
  socket.on('error', () => undefined);
  sockets.push(socket);
  return { received: () => data };
}

describe('header timeout', () => {
  it('closes a connection that never sends a byte at the configured header timeout', async () => {
    app = await startTestApp(db, testConfig({ headersTimeoutMs: 500 }));
    stubbornClient(app.url, '');
    await new Promise((r) => setTimeout(r, 200));
    expect(await openConnections(app)).toBe(1);
    await new Promise((r) => setTimeout(r, 1300)); // 500 ms and the server's checking interval (at most 250 ms here)
    expect(await openConnections(app)).toBe(0);
  });

  it('answers headers that stop halfway 408 with a JSON error and closes the connection', async () => {
    app = await startTestApp(db, testConfig({ headersTimeoutMs: 500 }));
    const client = stubbornClient(app.url, 'GET / HTTP/1.1\r\nhost: x\r\n');
    await new Promise((r) => setTimeout(r, 1500));
    expect(statusLines(client.received())).toEqual(['HTTP/1.1 408 Request Timeout']);
    expect(JSON.parse(client.received().split('\r\n\r\n')[1])).toEqual({ error: { code: 'request_timeout', message: expect.any(String) } });
    expect(await openConnections(app)).toBe(0);
  });

  it('keeps an idle keep-alive connection open past the header timeout (the keep-alive timeout applies)', async () => {
    app = await startTestApp(db, testConfig({ headersTimeoutMs: 500 }));
    const client = stubbornClient(app.url, 'GET / HTTP/1.1\r\nhost: x\r\n\r\n');
    await new Promise((r) => setTimeout(r, 1500));
    expect(statusLines(client.received())).toEqual(['HTTP/1.1 200 OK']);
    expect(await openConnections(app)).toBe(1);
  });
});
