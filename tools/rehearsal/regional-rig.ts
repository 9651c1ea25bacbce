/**
 * Two regions on loopback, brought up and torn down as one:
 *
 *                          ┌── primary region ─────────────────────────────────────────────────────────────┐
 *   load generator ──► DNS │ HAProxy ──► N service replicas ──► endpoint proxy ──► PostgreSQL node0 ──sync──► node1
 *   (users)        stand-in└──────────────────────────────────────────────────────────────│ WAL over the link ───┘
 *                    │     ┌── DR region ────────────────────────────────────────── link proxy (+RTT, partition)
 *                    └───► │ HAProxy ──► M service replicas ──► endpoint proxy ──► PostgreSQL dr (async replica)
 *                          └───────────────────────────────────────────────────────────────────────────────┘
 *
 * node1 is the Multi-AZ synchronous standby; dr streams asynchronously through a LinkProxy that adds the cross-region
 * round trip. After a planned switchover the roles reverse: node0 streams from dr through a second link.
 */
import { execFile, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, openSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import { DbProxy } from './db-proxy';
import { Haproxy } from './haproxy';
import { isInRotation, type Slot } from './haproxy-config';
import { LoadGenerator } from './load/generator';
import { freePort, postgresBinDir, postgresServerUser } from '../local-servers';
import { Abort, freePorts, Processes, sleep, tail, waitFor, type Managed } from './processes';
import { buildService, isReady, startReplica, type Replica, type ServiceCommand } from './replicas';
import { DnsStandIn, LinkProxy, ProbeAlarm, type Region } from './regional-net';
import { probeAlarmFromTemplate, runbookFromTemplate, type ProbeAlarmSettings, type RunbookSettings } from './regional-runbook';
import { dnsFailoverFromTemplate, lagAlarmFromTemplate, loadRegionalTemplates, serviceDesiredCount, type DnsFailoverSettings, type LagAlarmSettings, type Strategy } from './regional-template';
import { containerEnvironment, healthCheckFromTemplate, type HealthCheckSettings } from './template';

export const DATABASE = 'app';
export const APP_USER = 'app';
/** application_name of the in-region synchronous standby, and of the cross-region replica. */
const SYNC_NAME = 'standby';
const DR_NAME = 'dr';

export interface PgNode {
  readonly name: string;
  readonly dataDir: string;
  readonly port: number;
  process: Managed;
}

/** The three PostgreSQL servers and the operations the runbook performs on them. */
export class RegionalPostgres {
  private readonly bin = postgresBinDir();
  private readonly user = postgresServerUser();
  readonly nodes = new Map<string, PgNode>();

  constructor(
    private readonly procs: Processes,
    private readonly dir: string,
  ) {
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    if (this.user.uid !== undefined) chownSync(dir, this.user.uid, this.user.gid!);
  }

  /**
   * Runs a PostgreSQL program without blocking the event loop: the link proxies and the DNS stand-in run in this
   * process, and a pg_basebackup or a clean shutdown through the link needs them to keep forwarding.
   */
  private run(cmd: string, args: string[]): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile(path.join(this.bin, cmd), args, { ...this.user, cwd: this.dir, encoding: 'utf8', timeout: 90_000 }, (err, stdout, stderr) => {
        if (err) reject(new Error(`${cmd} ${args.join(' ')} failed: ${(stderr || stdout || err.message).trim()}`));
        else resolve(stdout);
      });
    });
  }

  /** One query as the superuser on a fresh connection (nodes restart and change roles; no pool to go stale). */
  async psql(node: PgNode, sql: string, database = DATABASE): Promise<string> {
    const client = new Client({ host: '127.0.0.1', port: node.port, user: 'postgres', database, connectionTimeoutMillis: 5000 });
    client.on('error', () => undefined);
    await client.connect();
    try {
      const r = await client.query({ text: sql, rowMode: 'array' });
      const last = Array.isArray(r) ? r[r.length - 1] : r;
      return (last.rows as unknown[][]).map((row) => row.map((v) => (v === true ? 't' : v === false ? 'f' : v === null ? '' : String(v))).join('\t')).join('\n');
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  private static readonly COMMON: Record<string, string> = {
    max_connections: '200',
    wal_level: 'replica',
    max_wal_senders: '8',
    hot_standby: 'on',
    wal_keep_size: '256MB',
  };

  private start(name: string, dataDir: string, port: number, settings: Record<string, string>): Managed {
    const args = ['-D', dataDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=${this.dir}`];
    for (const [k, v] of Object.entries({ ...RegionalPostgres.COMMON, ...settings })) args.push('-c', `${k}=${v}`);
    const logFd = openSync(path.join(this.dir, `${name}.log`), 'a');
    return this.procs.spawn(name, path.join(this.bin, 'postgres'), args, { ...this.user, cwd: this.dir, stdio: ['ignore', logFd, logFd] });
  }

  async waitAccepting(node: PgNode): Promise<void> {
    await waitFor(`${node.name} to accept connections on ${node.port}`, () => {
      if (!node.process.alive()) throw new Abort(`${node.name} exited: ${tail(path.join(this.dir, `${node.name}.log`))}`);
      return spawnSync(path.join(this.bin, 'pg_isready'), ['-h', '127.0.0.1', '-p', String(node.port), '-t', '1'], { timeout: 5000 }).status === 0 ? true : undefined;
    }, 60_000, 100);
  }

  private mkdir(name: string): string {
    const d = path.join(this.dir, name);
    mkdirSync(d, { recursive: true, mode: 0o700 });
    if (this.user.uid !== undefined) chownSync(d, this.user.uid, this.user.gid!);
    return d;
  }

  /** initdb and start the first primary (node0) with the app's role and database. */
  async createPrimary(name: string): Promise<PgNode> {
    const dataDir = this.mkdir(name);
    await this.run('initdb', ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-instructions']);
    const port = await freePort();
    const node: PgNode = { name, dataDir, port, process: this.start(name, dataDir, port, {}) };
    this.nodes.set(name, node);
    await this.waitAccepting(node);
    await this.psql(node, `CREATE ROLE ${APP_USER} LOGIN`, 'postgres');
    await this.psql(node, `CREATE DATABASE ${DATABASE} OWNER ${APP_USER}`, 'postgres');
    return node;
  }

  private standbyArgs(upstreamPort: number, applicationName: string, extra: Record<string, string>): Record<string, string> {
    return { primary_conninfo: `host=127.0.0.1 port=${upstreamPort} user=postgres application_name=${applicationName} connect_timeout=2`, ...extra };
  }

  private writeSignal(dataDir: string): void {
    const signal = path.join(dataDir, 'standby.signal');
    writeFileSync(signal, '');
    if (this.user.uid !== undefined) chownSync(signal, this.user.uid, this.user.gid!);
  }

  /** pg_basebackup through `viaPort` and start streaming from it as `applicationName`. */
  async cloneStandby(name: string, viaPort: number, applicationName: string, extra: Record<string, string> = {}): Promise<PgNode> {
    const dataDir = this.mkdir(name);
    await this.run('pg_basebackup', ['-h', '127.0.0.1', '-p', String(viaPort), '-U', 'postgres', '-D', dataDir, '-X', 'stream', '-c', 'fast', '--no-sync']);
    this.writeSignal(dataDir);
    const port = await freePort();
    const node: PgNode = { name, dataDir, port, process: this.start(name, dataDir, port, this.standbyArgs(viaPort, applicationName, extra)) };
    this.nodes.set(name, node);
    await this.waitAccepting(node);
    return node;
  }

  /** Restarts a cleanly stopped former primary as a standby of whatever `viaPort` leads to (a planned switchover). */
  async restartAsStandby(node: PgNode, viaPort: number, applicationName: string, extra: Record<string, string> = {}): Promise<void> {
    this.writeSignal(node.dataDir);
    node.process = this.start(node.name, node.dataDir, node.port, this.standbyArgs(viaPort, applicationName, extra));
    await this.waitAccepting(node);
  }

  async waitStreaming(from: PgNode, applicationName: string, state: 'streaming' | 'sync' = 'streaming', timeoutMs = 30_000): Promise<void> {
    const column = state === 'sync' ? 'sync_state' : 'state';
    await waitFor(`${applicationName} to be ${state} from ${from.name}`, async () => ((await this.psql(from, `SELECT ${column} FROM pg_stat_replication WHERE application_name = '${applicationName}'`)) === state ? true : undefined), timeoutMs, 100);
  }

  async makeSynchronous(primary: PgNode): Promise<void> {
    await this.psql(primary, `ALTER SYSTEM SET synchronous_standby_names = '${SYNC_NAME}'`);
    await this.psql(primary, 'SELECT pg_reload_conf()');
  }

  /** The runbook's promote step: pg_promote (waits until the node accepts writes). */
  async promote(node: PgNode): Promise<void> {
    const r = await this.psql(node, 'SELECT pg_promote(true, 60)');
    if (r !== 't') throw new Error(`pg_promote on ${node.name} returned ${r}`);
  }

  /** Drain: every new transaction is read-only (the service answers writes 503 read_only); persisted for this run only. */
  async setReadOnly(node: PgNode, readOnly: boolean): Promise<void> {
    await this.psql(node, readOnly ? 'ALTER SYSTEM SET default_transaction_read_only = on' : 'ALTER SYSTEM RESET default_transaction_read_only');
    await this.psql(node, 'SELECT pg_reload_conf()');
  }

  /** Takes the drain back out of postgresql.auto.conf for the next start, without a reload (this run stays read-only). */
  async clearReadOnlyOnRestart(node: PgNode): Promise<void> {
    await this.psql(node, 'ALTER SYSTEM RESET default_transaction_read_only');
  }

  /** pg_ctl stop -m fast: the walsenders send every record up to the shutdown checkpoint before the server exits. */
  async stopClean(node: PgNode): Promise<string> {
    await this.run('pg_ctl', ['stop', '-D', node.dataDir, '-m', 'fast', '-w', '-t', '60']);
    await node.process.exited;
    const control = spawnSync(path.join(this.bin, 'pg_controldata'), [node.dataDir], { ...this.user, encoding: 'utf8' }).stdout;
    const m = /Latest checkpoint location:\s+(\S+)/.exec(control);
    if (!m) throw new Error(`pg_controldata ${node.dataDir}: no checkpoint location`);
    return m[1];
  }

  kill(node: PgNode): void {
    this.procs.signal(node.process, 'SIGKILL');
  }

  /** Whether `node` has received WAL up to `lsn` (hex "X/Y"). */
  async received(node: PgNode, lsn: string): Promise<boolean> {
    return (await this.psql(node, `SELECT pg_last_wal_receive_lsn() >= '${lsn}'::pg_lsn`, 'postgres')) === 't';
  }

  async lsnDiff(primary: PgNode, standby: PgNode): Promise<number> {
    const at = await this.psql(primary, 'SELECT pg_current_wal_lsn()', 'postgres');
    return Number(await this.psql(standby, `SELECT pg_wal_lsn_diff('${at}', pg_last_wal_replay_lsn())`, 'postgres'));
  }

  /** Ids of every message on a node. */
  async messageIds(node: PgNode): Promise<Set<string>> {
    return new Set((await this.psql(node, 'SELECT id FROM messages')).split('\n').filter(Boolean));
  }

  async isInRecovery(node: PgNode): Promise<boolean> {
    return (await this.psql(node, 'SELECT pg_is_in_recovery()', 'postgres')) === 't';
  }

  static readonly SYNC_NAME = SYNC_NAME;
  static readonly DR_NAME = DR_NAME;
}

/** One region's load balancer and service tasks. */
export class RegionStack {
  readonly tasks = new Map<string, Replica>();
  haproxy!: Haproxy;
  db!: DbProxy;
  constructor(
    readonly name: Region,
    readonly slots: readonly Slot[],
    readonly healthCheck: HealthCheckSettings,
    readonly env: Record<string, string>,
  ) {}

  async inService(): Promise<string[]> {
    return (await this.haproxy.servers()).filter((s) => isInRotation(s.status)).map((s) => s.name);
  }
}

export interface RegionalOptions {
  readonly log: (msg: string) => void;
  readonly strategy: Strategy;
  readonly rps: number;
  readonly writeRatio: number;
  readonly clientTimeoutMs: number;
  /** Cross-region round trip, milliseconds. */
  readonly roundTripMs: number;
  /** Every duration read from the template is multiplied by this (stated in the report). */
  readonly timeScale: number;
}

export interface RegionalFacts {
  readonly templateSource: string;
  readonly dns: DnsFailoverSettings;
  readonly lagAlarm: LagAlarmSettings;
  readonly primaryTasks: number;
  readonly standbyTasks: number;
  readonly primaryHealthCheck: HealthCheckSettings;
  readonly standbyHealthCheck: HealthCheckSettings;
  readonly stacks: readonly { name: string; template: import('../../constructs/checks/template').CfnTemplate; region?: string }[];
  /** The failover runbook (SSM Automation document) and the alarm its guard asserts. */
  readonly runbook: RunbookSettings;
  readonly probeAlarm: ProbeAlarmSettings;
}

/** One sample of the replica's lag as RDS's ReplicaLag measures it on the replica: now() − last replayed commit. */
export interface LagSample {
  readonly at: number;
  readonly lagSeconds: number | null;
}

export class RegionalRig {
  readonly procs = new Processes();
  readonly dir: string;
  pg!: RegionalPostgres;
  /** The node clients' writes end up on in the primary region, its synchronous standby, and the DR replica. */
  node0!: PgNode;
  node1!: PgNode;
  dr!: PgNode;
  /** dr streams from node0 through linkToPrimary; node0 from dr through linkToDr (after a switchover). */
  linkToPrimary!: LinkProxy;
  linkToDr!: LinkProxy;
  regions!: Record<Region, RegionStack>;
  dns!: DnsStandIn;
  probe!: ProbeAlarm;
  load!: LoadGenerator;
  facts!: RegionalFacts;
  readonly lag: LagSample[] = [];
  private service!: ServiceCommand;
  private lagClient: Client | undefined;
  private lagTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(readonly options: RegionalOptions) {
    this.dir = this.procs.trackDir(mkdtempSync(path.join(tmpdir(), 'ha-regional-')));
    chmodSync(this.dir, 0o755);
  }

  get log(): (msg: string) => void {
    return this.options.log;
  }

  scaled(seconds: number): number {
    return Math.round(seconds * this.options.timeScale * 1000);
  }

  async start(): Promise<void> {
    const t0 = Date.now();
    this.log(`synthesising the primary and DR site stacks (dr.strategy ${this.options.strategy}, DNS failover)`);
    const t = loadRegionalTemplates(this.options.strategy);
    const dns = dnsFailoverFromTemplate(t.drSite, 'HaDrSite');
    const lagAlarm = lagAlarmFromTemplate(t.drSite, 'HaDrSite');
    const runbook = runbookFromTemplate(t.drSite, 'HaDrSite');
    this.facts = {
      templateSource: t.source,
      dns,
      lagAlarm,
      primaryTasks: serviceDesiredCount(t.primary, 'HaPrimary'),
      standbyTasks: serviceDesiredCount(t.drSite, 'HaDrSite'),
      primaryHealthCheck: healthCheckFromTemplate(t.primary),
      standbyHealthCheck: healthCheckFromTemplate(t.drSite),
      stacks: t.stacks,
      runbook,
      probeAlarm: probeAlarmFromTemplate(t.drSite, runbook.primaryDownAlarm),
    };
    this.log(
      `from the template: ${dns.healthCheck} ${dns.type} ${dns.resourcePath} every ${dns.intervalSeconds} s, failure threshold ${dns.failureThreshold}, ` +
        `TTL ${dns.ttlSeconds} s; ${lagAlarm.alarm} > ${lagAlarm.thresholdSeconds} s for ${lagAlarm.datapointsToAlarm} of ${lagAlarm.evaluationPeriods} × ${lagAlarm.periodSeconds} s; ` +
        `${this.facts.primaryTasks} primary tasks, ${this.facts.standbyTasks} standby tasks; runbook ${runbook.document}: ${runbook.steps.map((x) => x.name).join(' → ')}; ` +
        `guard alarm ${this.facts.probeAlarm.alarm}: probe every ${this.facts.probeAlarm.rateSeconds} s, ${this.facts.probeAlarm.datapointsToAlarm} failed runs; time scale ${this.options.timeScale}`,
    );
    this.service = buildService(path.join(this.dir, 'service'), this.log);

    this.log('starting PostgreSQL: node0 (primary), node1 (synchronous standby), dr (asynchronous, across the link)');
    this.pg = new RegionalPostgres(this.procs, path.join(this.dir, 'pg'));
    this.node0 = await this.pg.createPrimary('node0');
    this.node1 = await this.pg.cloneStandby('node1', this.node0.port, SYNC_NAME);
    await this.pg.waitStreaming(this.node0, SYNC_NAME);
    await this.pg.makeSynchronous(this.node0);
    await this.pg.waitStreaming(this.node0, SYNC_NAME, 'sync');
    const [linkA, linkB] = await freePorts(2);
    this.linkToPrimary = new LinkProxy({ host: '127.0.0.1', port: this.node0.port }, this.options.roundTripMs);
    await this.linkToPrimary.listen(linkA);
    // The cross-region replica commits alone: synchronous_standby_names on its command line overrides the copy of
    // node0's setting that pg_basebackup brought along, so a promoted dr never waits for a standby it does not have.
    this.dr = await this.pg.cloneStandby('dr', linkA, DR_NAME, { synchronous_standby_names: '' });
    await this.pg.waitStreaming(this.node0, DR_NAME);
    this.linkToDr = new LinkProxy({ host: '127.0.0.1', port: this.dr.port }, this.options.roundTripMs);
    await this.linkToDr.listen(linkB);

    const ports = await freePorts(this.facts.primaryTasks + Math.max(this.facts.primaryTasks, this.facts.standbyTasks) + 5);
    const take = () => ports.pop()!;
    const slots = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => ({ name: `${prefix}${i + 1}`, port: take() }));
    const taskCount = Math.max(this.facts.primaryTasks, this.facts.standbyTasks);
    const envFor = (template: typeof t.primary, dbPort: number) => ({
      ...containerEnvironment(template),
      DB_HOST: '127.0.0.1',
      DB_PORT: String(dbPort),
      DB_NAME: DATABASE,
      DB_TLS: 'disable',
      DB_SECRET: JSON.stringify({ engine: 'postgres', username: APP_USER, password: 'unused-with-trust-auth', host: '127.0.0.1', port: dbPort, dbname: DATABASE }),
    });
    const primaryDbPort = take();
    const drDbPort = take();
    this.regions = {
      primary: new RegionStack('primary', slots('p', this.facts.primaryTasks), this.facts.primaryHealthCheck, envFor(t.primary, primaryDbPort)),
      secondary: new RegionStack('secondary', slots('s', taskCount), this.facts.standbyHealthCheck, envFor(t.drSite, drDbPort)),
    };
    this.regions.primary.db = new DbProxy({ host: '127.0.0.1', port: this.node0.port });
    await this.regions.primary.db.listen(primaryDbPort);
    this.regions.secondary.db = new DbProxy({ host: '127.0.0.1', port: this.dr.port });
    await this.regions.secondary.db.listen(drDbPort);

    for (const region of Object.values(this.regions)) {
      const dir = path.join(this.dir, region.name);
      mkdirSync(dir);
      region.haproxy = new Haproxy(this.procs, dir, { frontendPort: take(), slots: region.slots, healthCheck: region.healthCheck });
    }
    this.log(`starting ${this.facts.primaryTasks} primary tasks, then ${this.facts.standbyTasks} standby tasks (the schema replicates first)`);
    await Promise.all(this.regions.primary.slots.map((s) => this.launch(this.regions.primary, s)));
    this.regions.primary.haproxy.start();
    await waitFor('the schema on dr', async () => ((await this.pg.psql(this.dr, "SELECT to_regclass('messages') IS NOT NULL")) === 't' ? true : undefined), 30_000, 200);
    await Promise.all(this.regions.secondary.slots.slice(0, this.facts.standbyTasks).map((s) => this.launch(this.regions.secondary, s)));
    this.regions.secondary.haproxy.start();
    await Promise.all(this.regions.primary.slots.map((s) => this.waitInRotation(this.regions.primary, s.name)));
    await Promise.all(this.regions.secondary.slots.slice(0, this.facts.standbyTasks).map((s) => this.waitInRotation(this.regions.secondary, s.name)));

    const haUrl = (r: RegionStack) => new URL(r.haproxy.url);
    const endpoint = (r: RegionStack) => ({ host: '127.0.0.1', port: Number(haUrl(r).port) });
    this.dns = new DnsStandIn(
      { primary: endpoint(this.regions.primary), secondary: endpoint(this.regions.secondary) },
      `${this.regions.primary.haproxy.url}${dns.resourcePath}`,
      {
        intervalMs: this.scaled(dns.intervalSeconds),
        failureThreshold: dns.failureThreshold,
        ttlMs: this.scaled(dns.ttlSeconds),
        // Route 53 waits 4 s for the connection and 2 s for the response (4 s + 2 s, scaled with everything else).
        timeoutMs: Math.max(100, Math.round(Math.min(this.scaled(dns.intervalSeconds) * 0.9, this.scaled(6)))),
      },
    );
    this.dns.onEvent = (e) => this.log(`DNS: ${e.what}`);
    await this.dns.start(take());

    // The external probe in the DR region watches the primary load balancer's readiness path (lib/dr-site-stack.ts);
    // its 10 s answer deadline is scaled with everything else.
    const pa = this.facts.probeAlarm;
    this.probe = new ProbeAlarm(`${this.regions.primary.haproxy.url}${dns.resourcePath}`, { rateMs: this.scaled(pa.rateSeconds), timeoutMs: Math.max(100, this.scaled(10)), datapointsToAlarm: pa.datapointsToAlarm });
    this.probe.onEvent = (e) => this.log(`guard alarm: ${e.what}`);
    this.probe.start();
    this.sampleLag();

    this.load = new LoadGenerator({ baseUrl: `http://127.0.0.1:${this.dns.port}`, runId: `g${Date.now().toString(36)}`, timeoutMs: this.options.clientTimeoutMs, writeRatio: this.options.writeRatio });
    this.log(`up in ${((Date.now() - t0) / 1000).toFixed(1)} s: DNS stand-in :${this.dns.port} → primary ${this.regions.primary.haproxy.url}, DR ${this.regions.secondary.haproxy.url}; link RTT ${this.options.roundTripMs} ms`);
  }

  /**
   * Every 100 ms: the replica's lag as RDS defines ReplicaLag on the replica (null once it is promoted). Connects
   * directly to dr (the measurement is out of band, like CloudWatch's); reconnects after dr restarts.
   */
  private sampleLag(): void {
    const tick = async () => {
      if (this.stopped) return;
      try {
        if (!this.lagClient) {
          const c = new Client({ host: '127.0.0.1', port: this.dr.port, user: 'postgres', database: DATABASE, connectionTimeoutMillis: 2000 });
          c.on('error', () => undefined);
          this.lagClient = c;
          await c.connect();
        }
        const r = await this.lagClient.query<{ lag: string | null }>(
          'SELECT CASE WHEN pg_is_in_recovery() THEN EXTRACT(EPOCH FROM clock_timestamp() - pg_last_xact_replay_timestamp()) END AS lag',
        );
        const v = r.rows[0]?.lag;
        this.lag.push({ at: Date.now(), lagSeconds: v === null || v === undefined ? null : Number(v) });
      } catch {
        // dr restarting: no sample; connect afresh next time
        const c = this.lagClient;
        this.lagClient = undefined;
        void c?.end().catch(() => undefined);
      }
      if (!this.stopped) this.lagTimer = setTimeout(() => void tick(), 100);
    };
    void tick();
  }

  async launch(region: RegionStack, slot: Slot): Promise<Replica> {
    const replica = startReplica(this.procs, this.service, slot, region.env, this.dir);
    region.tasks.set(slot.name, replica);
    await waitFor(`${replica.id} in ${region.name}/${slot.name} to become ready (log: ${replica.logFile})`, async () => {
      if (!replica.process.alive()) throw new Abort(`${replica.id} exited before it was ready: ${tail(replica.logFile)}`);
      return (await isReady(replica, region.healthCheck.path)) ? true : undefined;
    }, 60_000, 100);
    void replica.process.exited.then(() => {
      if (region.tasks.get(slot.name) === replica) region.tasks.delete(slot.name);
    });
    return replica;
  }

  waitInRotation(region: RegionStack, slotName: string): Promise<number> {
    const hc = region.healthCheck;
    return waitFor(`${region.name}/${slotName} in service`, async () => {
      const s = (await region.haproxy.servers()).find((x) => x.name === slotName);
      return s && isInRotation(s.status) ? Date.now() : undefined;
    }, (hc.healthyThreshold + 1) * hc.intervalSeconds * 1000 + 20_000, 100);
  }

  /** Everything in a region dies at once: its tasks, its load balancer and (for the primary) its databases. */
  killRegion(name: Region): void {
    const region = this.regions[name];
    for (const task of region.tasks.values()) this.procs.signal(task.process, 'SIGKILL');
    // Haproxy keeps its Managed process in a private field.
    const lb = (region.haproxy as unknown as { process?: Managed }).process;
    if (lb) this.procs.signal(lb, 'SIGKILL');
    if (name === 'primary') {
      this.pg.kill(this.node0);
      this.pg.kill(this.node1);
      // WAL still on its way to dr is lost with the region: that is the data a promotion loses.
      this.linkToPrimary.cut();
    } else this.pg.kill(this.dr);
    void region.db.close();
  }

  lagAt(at: number): LagSample | undefined {
    let best: LagSample | undefined;
    for (const s of this.lag) if (s.at <= at && s.lagSeconds !== null) best = s;
    return best;
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.lagTimer);
    try {
      this.load?.kill();
    } catch {
      // ignore
    }
    void this.lagClient?.end().catch(() => undefined);
    void this.dns?.stop();
    this.probe?.stop();
    void this.linkToPrimary?.close();
    void this.linkToDr?.close();
    for (const r of Object.values(this.regions ?? {})) void r.db?.close();
    this.procs.cleanupSync();
  }
}

export { sleep };
