/**
 * The network between the two regions and in front of them, on loopback:
 *
 *   LinkProxy     a TCP proxy that delays every byte by half the round trip in each direction (the cross-region
 *                 link PostgreSQL streams WAL over) and can be partitioned: nothing passes, nothing is answered
 *                 (no RST, no FIN), and what was sent meanwhile arrives after the partition heals, as TCP
 *                 retransmission would deliver it.
 *   DnsStandIn    Route 53 failover records as clients see them: one name (a TCP listener) that leads to the
 *                 PRIMARY region while its health check passes and to the SECONDARY once the check has failed
 *                 `failureThreshold` times in a row; a resolver caches the answer for the record's TTL, so clients
 *                 move only when their cached answer expires. Connections already open to a region stay there
 *                 until that region closes them (a dead region resets them; a drained one closes them when idle).
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

export interface Endpoint {
  readonly host: string;
  readonly port: number;
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
}

function closeServer(server: Server | undefined): Promise<void> {
  if (!server) return Promise.resolve();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** One direction of a delayed link: chunks leave `delayMs` after they arrived, in order; held while partitioned. */
class DelayedPipe {
  private readonly queue: { due: number; chunk: Buffer }[] = [];
  private timer: NodeJS.Timeout | undefined;
  private ended = false;

  constructor(
    private readonly to: Socket,
    private readonly delayMs: () => number,
    private readonly blocked: () => boolean,
  ) {}

  push(chunk: Buffer): void {
    this.queue.push({ due: Date.now() + this.delayMs(), chunk });
    this.schedule();
  }

  /** The sender closed: deliver what is on the wire, then close the other side. */
  end(): void {
    this.ended = true;
    this.schedule();
  }

  schedule(): void {
    if (this.timer || this.blocked()) return;
    const next = this.queue[0];
    if (!next) {
      if (this.ended) this.to.end();
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const now = Date.now();
      while (!this.blocked() && this.queue.length > 0 && this.queue[0].due <= now) {
        if (!this.to.destroyed) this.to.write(this.queue.shift()!.chunk);
        else this.queue.shift();
      }
      this.schedule();
    }, Math.max(0, next.due - Date.now()));
  }

  destroy(): void {
    clearTimeout(this.timer);
    this.queue.length = 0;
  }
}

export class LinkProxy {
  private server: Server | undefined;
  private partitioned = false;
  private readonly pipes = new Set<DelayedPipe>();
  private readonly sockets = new Set<Socket>();
  private readonly waiting: (() => void)[] = [];
  port = 0;

  constructor(
    private target: Endpoint,
    /** Round trip added by the link, milliseconds (half each way). */
    readonly roundTripMs: number,
  ) {}

  async listen(port: number): Promise<void> {
    this.server = createServer({ noDelay: true }, (client) => this.accept(client));
    await listen(this.server, port);
    this.port = port;
  }

  private accept(client: Socket): void {
    client.on('error', () => undefined);
    this.sockets.add(client);
    client.once('close', () => this.sockets.delete(client));
    if (this.partitioned) {
      // The SYN of a new connection is lost too: connect once the partition heals (if the client still waits).
      client.pause();
      this.waiting.push(() => {
        if (!client.destroyed) this.forward(client);
      });
      return;
    }
    this.forward(client);
  }

  private forward(client: Socket): void {
    client.resume();
    const upstream = connect({ ...this.target, noDelay: true });
    upstream.on('error', () => undefined);
    this.sockets.add(upstream);
    upstream.once('close', () => this.sockets.delete(upstream));
    const oneWay = () => this.roundTripMs / 2;
    const blocked = () => this.partitioned;
    const up = new DelayedPipe(upstream, oneWay, blocked);
    const down = new DelayedPipe(client, oneWay, blocked);
    this.pipes.add(up);
    this.pipes.add(down);
    client.on('data', (d: Buffer) => up.push(d));
    upstream.on('data', (d: Buffer) => down.push(d));
    client.once('end', () => up.end());
    upstream.once('end', () => down.end());
    const gone = () => {
      // A reset travels no faster than data: after the delay, the other side is reset too.
      setTimeout(() => {
        client.destroy();
        upstream.destroy();
        up.destroy();
        down.destroy();
        this.pipes.delete(up);
        this.pipes.delete(down);
      }, oneWay());
    };
    client.once('close', gone);
    upstream.once('close', gone);
  }

  /** Points new connections at another endpoint (the link now leads the other way). */
  retarget(target: Endpoint): void {
    this.target = target;
  }

  partition(): void {
    this.partitioned = true;
  }

  heal(): void {
    this.partitioned = false;
    for (const p of this.pipes) p.schedule();
    for (const w of this.waiting.splice(0)) w();
  }

  /** Resets every connection through the link. */
  resetAll(): void {
    for (const s of [...this.sockets]) s.destroy();
  }

  /**
   * The region at one end dies with its network: what is still on the wire never arrives. Every queued byte is
   * dropped and every connection reset at once.
   */
  cut(): void {
    for (const p of this.pipes) p.destroy();
    this.pipes.clear();
    this.resetAll();
  }

  close(): Promise<void> {
    this.resetAll();
    return closeServer(this.server);
  }
}

export type Region = 'primary' | 'secondary';

export interface DnsSettings {
  readonly intervalMs: number;
  readonly failureThreshold: number;
  readonly ttlMs: number;
  /** Probe timeout, milliseconds. */
  readonly timeoutMs: number;
}

export interface DnsEvent {
  readonly at: number;
  readonly what: string;
}

/**
 * The health checker, the failover records and a caching resolver, all in one. Route 53 runs checkers from many
 * locations and calls the endpoint healthy while more than 18 % of them say so
 * (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/dns-failover-determining-health-of-endpoints.html);
 * here there is one checker, outside both regions (a partition between the regions does not cut it off). The same
 * threshold applies in both directions: `failureThreshold` failures in a row make it unhealthy, as many passes in a
 * row healthy again. `inverted` is Route 53's Inverted flag: the runbook's way to move users for a planned switchover.
 */
export class DnsStandIn {
  private server: Server | undefined;
  private timer: NodeJS.Timeout | undefined;
  private refresher: NodeJS.Timeout | undefined;
  private stopped = false;
  private consecutive = 0;
  private healthy = true;
  private cached: { region: Region; expires: number } | undefined;
  private readonly pairs = new Map<Socket, { region: Region; upstream: Socket; idle: boolean; closeWhenIdle: boolean }>();
  inverted = false;
  readonly events: DnsEvent[] = [];
  /** Probes so far, with their result (for the report). */
  probes = 0;
  port = 0;

  constructor(
    private readonly endpoints: Record<Region, Endpoint>,
    /** Probe URL on the primary, e.g. http://127.0.0.1:port/health/ready */
    private readonly probeUrl: string,
    readonly settings: DnsSettings,
  ) {}

  /** Called with every status change (for the log). */
  onEvent: (e: DnsEvent) => void = () => undefined;
  /** The last failed probe's reason. */
  lastFailure = '';

  private event(what: string): void {
    const e = { at: Date.now(), what };
    this.events.push(e);
    this.onEvent(e);
  }

  async start(port: number): Promise<void> {
    this.server = createServer({ noDelay: true }, (c) => this.accept(c));
    await listen(this.server, port);
    this.port = port;
    const tick = async () => {
      if (this.stopped) return;
      const ok = await this.probe();
      this.probes++;
      const status = this.inverted ? !ok : ok;
      if (status === this.healthy) this.consecutive = 0;
      else if (++this.consecutive >= this.settings.failureThreshold) {
        this.healthy = status;
        this.consecutive = 0;
        this.event(`health check ${status ? 'healthy' : `unhealthy (last probe: ${this.lastFailure}${this.inverted ? ', inverted' : ''})`}: the record answers ${this.authoritative()}`);
      }
      if (!this.stopped) this.timer = setTimeout(() => void tick(), this.settings.intervalMs);
    };
    this.timer = setTimeout(() => void tick(), this.settings.intervalMs);
    // The resolver refreshes on use; this also moves idle keep-alive connections once the cached answer expired.
    this.refresher = setInterval(() => this.resolve(), 50);
  }

  private async probe(): Promise<boolean> {
    try {
      const res = await fetch(this.probeUrl, { signal: AbortSignal.timeout(this.settings.timeoutMs) });
      await res.arrayBuffer();
      // Route 53: a 2xx or 3xx status passes.
      if (res.status >= 200 && res.status < 400) return true;
      this.lastFailure = `status ${res.status}`;
      return false;
    } catch (err) {
      this.lastFailure = (err as Error).message;
      return false;
    }
  }

  /** Whether the health check calls the primary healthy now. */
  get primaryHealthy(): boolean {
    return this.healthy;
  }

  /** What the authoritative servers answer now: PRIMARY while healthy, else SECONDARY. */
  authoritative(): Region {
    return this.healthy ? 'primary' : 'secondary';
  }

  /** What the clients' resolver answers: its cached answer until the TTL runs out. */
  resolve(): Region {
    const now = Date.now();
    if (!this.cached || now >= this.cached.expires) {
      const region = this.authoritative();
      if (this.cached && this.cached.region !== region) {
        this.event(`clients' cached answer expired: they now reach the ${region} region`);
        for (const pair of this.pairs.values()) if (pair.region !== region) pair.closeWhenIdle = true;
        for (const [client, pair] of this.pairs) if (pair.closeWhenIdle && pair.idle) this.closePair(client);
      }
      this.cached = { region, expires: now + this.settings.ttlMs };
    }
    return this.cached.region;
  }

  private closePair(client: Socket): void {
    const pair = this.pairs.get(client);
    if (!pair) return;
    this.pairs.delete(client);
    client.end();
    pair.upstream.end();
  }

  private accept(client: Socket): void {
    client.on('error', () => undefined);
    const region = this.resolve();
    const upstream = connect({ ...this.endpoints[region], noDelay: true });
    upstream.on('error', () => undefined);
    const pair = { region, upstream, idle: true, closeWhenIdle: false };
    this.pairs.set(client, pair);
    // Idle = the last bytes went to the client (a response), so closing now cuts no request.
    client.on('data', (d) => {
      pair.idle = false;
      upstream.write(d);
    });
    upstream.on('data', (d) => {
      client.write(d);
      pair.idle = true;
      if (pair.closeWhenIdle) setImmediate(() => pair.idle && this.closePair(client));
    });
    const close = () => {
      this.pairs.delete(client);
      client.destroy();
      upstream.destroy();
    };
    client.once('close', close);
    upstream.once('close', close);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    clearInterval(this.refresher);
    for (const [c, p] of this.pairs) {
      c.destroy();
      p.upstream.destroy();
    }
    this.pairs.clear();
    await closeServer(this.server);
  }
}

/**
 * The DR region's external probe (a Synthetics canary) and its alarm, the runbook's guard: a run every `rateMs` asks
 * the primary's endpoint for a 200 within `timeoutMs`; a failed run is a breaching datapoint (SuccessPercent below the
 * threshold), and the alarm is in ALARM while the last `datapointsToAlarm` runs failed.
 */
export class ProbeAlarm {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly runs: boolean[] = [];
  state: 'OK' | 'ALARM' = 'OK';
  readonly events: DnsEvent[] = [];
  onEvent: (e: DnsEvent) => void = () => undefined;

  constructor(
    private readonly url: string,
    readonly settings: { readonly rateMs: number; readonly timeoutMs: number; readonly datapointsToAlarm: number },
  ) {}

  start(): void {
    const run = async () => {
      if (this.stopped) return;
      let ok = false;
      try {
        const res = await fetch(this.url, { signal: AbortSignal.timeout(this.settings.timeoutMs) });
        await res.arrayBuffer();
        ok = res.status === 200;
      } catch {
        ok = false;
      }
      this.runs.push(ok);
      const last = this.runs.slice(-this.settings.datapointsToAlarm);
      const next = last.length === this.settings.datapointsToAlarm && last.every((r) => !r) ? 'ALARM' : 'OK';
      if (next !== this.state) {
        this.state = next;
        const e = { at: Date.now(), what: `probe alarm ${next} (${this.settings.datapointsToAlarm} runs ${next === 'ALARM' ? 'failed' : 'not all failed'})` };
        this.events.push(e);
        this.onEvent(e);
      }
      if (!this.stopped) this.timer = setTimeout(() => void run(), this.settings.rateMs);
    };
    this.timer = setTimeout(() => void run(), this.settings.rateMs);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }
}
