/**
 * A TCP proxy that stands in for the RDS endpoint's DNS name. The services connect to it; it forwards to
 * whichever node is the primary. node-postgres has no libpq multi-host support, and on AWS the client
 * does not choose either: after a Multi-AZ failover the endpoint's DNS record points at the promoted
 * standby and connections to the old primary are gone.
 *
 *   flip(target)  the failover: existing connections are dropped, new ones go to `target`
 *   partition()   a network outage: nothing is forwarded any more and nothing is answered (no RST, no FIN),
 *                 so clients find out only through their own timeouts — the hardest kind of outage
 *   heal()        the outage ends: connections held during it are reset, new ones are forwarded again
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

export interface Target {
  readonly host: string;
  readonly port: number;
}

export class DbProxy {
  private server: Server | undefined;
  private target: Target;
  private partitioned = false;
  private readonly pairs = new Set<Socket>();
  private readonly held = new Set<Socket>();
  /** Connections accepted so far (for the report). */
  accepted = 0;

  constructor(target: Target) {
    this.target = target;
  }

  listen(port: number, host = '127.0.0.1'): Promise<void> {
    this.server = createServer({ noDelay: true }, (client) => this.accept(client));
    const server = this.server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
  }

  private accept(client: Socket): void {
    this.accepted++;
    client.on('error', () => undefined);
    if (this.partitioned) {
      client.pause();
      this.held.add(client);
      client.once('close', () => this.held.delete(client));
      return;
    }
    const upstream = connect({ host: this.target.host, port: this.target.port, noDelay: true });
    upstream.on('error', () => undefined);
    const close = () => {
      client.destroy();
      upstream.destroy();
      this.pairs.delete(client);
      this.pairs.delete(upstream);
    };
    client.once('close', close);
    upstream.once('close', close);
    this.pairs.add(client);
    this.pairs.add(upstream);
    client.pipe(upstream);
    upstream.pipe(client);
  }

  /** Failover: point at the new primary and drop every connection to the old one. */
  flip(target: Target): void {
    this.target = target;
    for (const s of [...this.pairs]) s.destroy();
  }

  /** Outage: freeze every open connection and black-hole new ones. */
  partition(): void {
    this.partitioned = true;
    for (const s of [...this.pairs]) {
      s.unpipe();
      s.pause();
      s.removeAllListeners('close');
      s.on('close', () => this.held.delete(s));
      this.held.add(s);
    }
    this.pairs.clear();
  }

  /** The outage ends: what was held is reset (the clients gave up on it long ago), new connections flow. */
  heal(): void {
    this.partitioned = false;
    for (const s of [...this.held]) s.resetAndDestroy();
    this.held.clear();
  }

  close(): Promise<void> {
    for (const s of [...this.pairs, ...this.held]) s.destroy();
    const server = this.server;
    if (!server) return Promise.resolve();
    return new Promise((resolve) => server.close(() => resolve()));
  }
}
