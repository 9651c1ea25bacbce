import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { drainAndClose } from '../../app/src/shutdown';

describe('drainAndClose', () => {
  it('serves through the drain, stops accepting, lets in-flight requests finish, then closes resources', async () => {
    const events: string[] = [];
    const server = createServer((_req, res) => setTimeout(() => res.end('done'), 150));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;

    const inFlight = fetch(url).then((r) => r.text());
    await new Promise((r) => setTimeout(r, 20));
    const done = drainAndClose({
      server,
      drainMs: 50,
      inFlightGraceMs: 2000,
      closeResources: async () => void events.push('resources closed'),
      log: (msg) => events.push(msg.split(':')[0]),
    });
    expect(await (await fetch(url, { headers: { connection: 'close' } })).text()).toBe('done'); // still serving while draining
    expect(await inFlight).toBe('done');
    await done;
    expect(events).toEqual(['draining', 'closing', 'resources closed', 'stopped']);
    await expect(fetch(url)).rejects.toThrow();
  });

  it('cuts connections whose requests outlive the grace period', async () => {
    const server = createServer(() => undefined); // never answers
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    const hanging = fetch(url).catch((err: Error) => err);
    await new Promise((r) => setTimeout(r, 20));
    await drainAndClose({ server, drainMs: 0, inFlightGraceMs: 50, closeResources: async () => undefined });
    expect(await hanging).toBeInstanceOf(Error);
  });
});
