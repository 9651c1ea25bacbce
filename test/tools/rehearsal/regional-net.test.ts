import { createServer as createHttp, type Server as HttpServer } from 'node:http';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../../tools/local-servers';
import { DnsStandIn, LinkProxy } from '../../../tools/rehearsal/regional-net';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

async function echoServer(): Promise<number> {
  const port = await freePort();
  const server: Server = createServer((s) => s.pipe(s));
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
  closers.push(() => new Promise<void>((r) => server.close(() => r())));
  return port;
}

function client(port: number): Promise<Socket> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1', () => resolve(s));
    closers.push(() => void s.destroy());
  });
}

const roundTrip = (s: Socket, payload: string) =>
  new Promise<number>((resolve) => {
    const t0 = performance.now();
    s.once('data', () => resolve(performance.now() - t0));
    s.write(payload);
  });

describe('LinkProxy (the cross-region link)', () => {
  it('adds its round trip to every exchange, in order', async () => {
    const link = new LinkProxy({ host: '127.0.0.1', port: await echoServer() }, 70);
    await link.listen(await freePort());
    closers.push(() => link.close());
    const s = await client(link.port);
    const rtts = [await roundTrip(s, 'a'), await roundTrip(s, 'b'), await roundTrip(s, 'c')];
    for (const rtt of rtts) {
      expect(rtt).toBeGreaterThanOrEqual(69);
      expect(rtt).toBeLessThan(400);
    }
  });

  it('partitioned, passes nothing and answers nothing; healed, delivers what was sent meanwhile', async () => {
    const link = new LinkProxy({ host: '127.0.0.1', port: await echoServer() }, 20);
    await link.listen(await freePort());
    closers.push(() => link.close());
    const s = await client(link.port);
    await roundTrip(s, 'warm');
    const received: string[] = [];
    s.on('data', (d) => received.push(d.toString()));
    link.partition();
    s.write('during');
    await sleep(300);
    expect(received).toEqual([]);
    expect(s.destroyed).toBe(false);
    link.heal();
    await sleep(200);
    expect(received.join('')).toBe('during');
  });

  it('holds a connection opened during a partition until it heals', async () => {
    const link = new LinkProxy({ host: '127.0.0.1', port: await echoServer() }, 0);
    await link.listen(await freePort());
    closers.push(() => link.close());
    link.partition();
    const s = await client(link.port);
    const got: string[] = [];
    s.on('data', (d) => got.push(d.toString()));
    s.write('hello');
    await sleep(200);
    expect(got).toEqual([]);
    link.heal();
    await sleep(200);
    expect(got.join('')).toBe('hello');
  });
});

/** A region: an HTTP server that says which region it is and whose /health/ready can be failed. */
async function region(name: string): Promise<{ port: number; healthy: { value: boolean } }> {
  const healthy = { value: true };
  const port = await freePort();
  const server: HttpServer = createHttp((req, res) => {
    if (req.url === '/health/ready') res.writeHead(healthy.value ? 200 : 503).end();
    else res.writeHead(200, { connection: 'close' }).end(name);
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
  closers.push(() => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }));
  return { port, healthy };
}

async function ask(port: number): Promise<string> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/`, { headers: { connection: 'close' }, signal: AbortSignal.timeout(2000) });
    return await res.text();
  } catch {
    return 'failed';
  }
}

describe('DnsStandIn (Route 53 failover records, health check, caching resolver)', () => {
  it('moves clients to the secondary only after failureThreshold failed probes (then within the TTL), and back the same way', async () => {
    const primary = await region('primary');
    const secondary = await region('secondary');
    const dns = new DnsStandIn(
      { primary: { host: '127.0.0.1', port: primary.port }, secondary: { host: '127.0.0.1', port: secondary.port } },
      `http://127.0.0.1:${primary.port}/health/ready`,
      { intervalMs: 100, failureThreshold: 3, ttlMs: 600, timeoutMs: 80 },
    );
    await dns.start(await freePort());
    closers.push(() => dns.stop());
    expect(await ask(dns.port)).toBe('primary');
    primary.healthy.value = false;
    const failedAt = Date.now();
    // Within one interval × threshold the record still answers the primary.
    await sleep(150);
    expect(dns.primaryHealthy).toBe(true);
    await waitUntil(() => !dns.primaryHealthy, 2000);
    const detected = Date.now() - failedAt;
    expect(detected).toBeGreaterThanOrEqual(250);
    expect(detected).toBeLessThan(1000);
    await waitUntil(() => dns.resolve() === 'secondary', 2000);
    expect(await ask(dns.port)).toBe('secondary');
    expect(dns.events.map((e) => e.what).join(' | ')).toMatch(/unhealthy.*answers secondary \| clients' cached answer expired: they now reach the secondary/);
    primary.healthy.value = true;
    await waitUntil(() => dns.resolve() === 'primary', 3000);
    expect(await ask(dns.port)).toBe('primary');
  });

  it('inverted (the planned switchover), answers the secondary while the primary is healthy', async () => {
    const primary = await region('primary');
    const secondary = await region('secondary');
    const dns = new DnsStandIn(
      { primary: { host: '127.0.0.1', port: primary.port }, secondary: { host: '127.0.0.1', port: secondary.port } },
      `http://127.0.0.1:${primary.port}/health/ready`,
      { intervalMs: 50, failureThreshold: 2, ttlMs: 200, timeoutMs: 40 },
    );
    await dns.start(await freePort());
    closers.push(() => dns.stop());
    dns.inverted = true;
    await waitUntil(() => dns.resolve() === 'secondary', 2000);
    expect(await ask(dns.port)).toBe('secondary');
  });
});

async function waitUntil(cond: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(10);
  }
}

describe('LinkProxy.cut (the region dies with its network)', () => {
  it('drops what is still on the wire and resets the connection', async () => {
    const link = new LinkProxy({ host: '127.0.0.1', port: await echoServer() }, 200);
    await link.listen(await freePort());
    closers.push(() => link.close());
    const s = await client(link.port);
    const got: string[] = [];
    s.on('data', (d) => got.push(d.toString()));
    const closed = new Promise<void>((r) => s.once('close', () => r()));
    s.on('error', () => undefined);
    s.write('in flight');
    await sleep(50);
    link.cut();
    await closed;
    await sleep(400);
    expect(got).toEqual([]);
  });
});
