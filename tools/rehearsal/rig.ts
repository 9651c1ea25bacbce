/**
 * The whole local stand-in, brought up and torn down as one:
 *
 *   load generator ──► HAProxy (ALB) ──► 3 service replicas (tasks in 3 AZs) ──► TCP proxy (RDS endpoint)
 *                                                                                  │
 *                                              PostgreSQL primary ──sync──► hot standby (Multi-AZ)
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DbProxy } from './db-proxy';
import { Haproxy, haproxyBinary } from './haproxy';
import { isInRotation, type Slot } from './haproxy-config';
import { LoadGenerator } from './load/generator';
import { APP_USER, DATABASE, PostgresCluster } from './postgres';
import { freePort, postgresBinDir } from '../local-servers';
import { Abort, freePorts, Processes, tail, waitFor } from './processes';
import { buildService, isReady, startReplica, type Replica, type ServiceCommand } from './replicas';
import { containerEnvironment, healthCheckFromTemplate, loadPrimaryTemplate, type HealthCheckSettings } from './template';

export const AZS = ['az1', 'az2', 'az3'] as const;

export interface CpuPartition {
  /** CPU list (taskset syntax) for the system under test: the service replicas and PostgreSQL. */
  readonly service: string;
  /** CPU list for the harness: load generator, HAProxy, the database proxy (this process). */
  readonly rest: string;
}

/**
 * On AWS the clients and the load balancer do not share the tasks' (or the database's) CPUs. Here they
 * would, and at twice the capacity the load generator and HAProxy would take CPU from the service they
 * measure, so the overload would measure the harness. So the system under test (service replicas and
 * PostgreSQL) gets one half of the CPUs (taskset) and the harness the other. Undefined (no partition) on
 * one CPU or without taskset.
 */
export function partitionCpus(log: (msg: string) => void): CpuPartition | undefined {
  const n = availableParallelism();
  if (n < 2) {
    log('one CPU: the service shares it with the load generator');
    return undefined;
  }
  const half = Math.floor(n / 2);
  const range = (from: number, to: number) => (from === to ? String(from) : `${from}-${to}`);
  const partition = { rest: range(0, half - 1), service: range(half, n - 1) };
  const r = spawnSync('taskset', ['-a', '-p', '-c', partition.rest, String(process.pid)], { encoding: 'utf8' });
  if (r.status !== 0) {
    log(`taskset unavailable (${(r.stderr || r.error?.message || '').trim()}): the service shares the CPUs with the load generator`);
    return undefined;
  }
  log(`CPUs ${partition.service} for the service replicas and PostgreSQL, ${partition.rest} for the load generator, HAProxy and the database proxy`);
  return partition;
}

export interface RigOptions {
  readonly log: (msg: string) => void;
  /** Steady background load, requests per second. */
  readonly rps: number;
  readonly writeRatio: number;
  /** A request unanswered after this long counts as hung. */
  readonly clientTimeoutMs: number;
  /** Added to the task definition's environment (experiments). @default - none */
  readonly serviceEnv?: Readonly<Record<string, string>>;
}

export interface RigFacts {
  readonly templateSource: string;
  readonly healthCheck: HealthCheckSettings;
  readonly service: string;
  readonly serviceEnvironment: Readonly<Record<string, string>>;
  readonly latencySloMs?: number;
  /** How the CPUs were split, for the report. */
  readonly cpus: string;
}

export class Rig {
  readonly procs = new Processes();
  readonly dir: string;
  cluster!: PostgresCluster;
  proxy!: DbProxy;
  haproxy!: Haproxy;
  load!: LoadGenerator;
  facts!: RigFacts;
  /** Replica serving each slot now (a slot is empty while no task is in it). */
  readonly tasks = new Map<string, Replica>();
  readonly slots: Slot[] = [];
  private service!: ServiceCommand;
  private cpus: CpuPartition | undefined;
  private env: Record<string, string> = {};

  constructor(readonly options: RigOptions) {
    this.dir = this.procs.trackDir(mkdtempSync(path.join(tmpdir(), 'ha-rehearsal-')));
    chmodSync(this.dir, 0o755); // the postgres user needs to reach its data directories inside
  }

  get log(): (msg: string) => void {
    return this.options.log;
  }

  /** Fails fast (PrerequisiteError) when postgres or haproxy is missing, before anything starts. */
  static checkPrerequisites(): void {
    postgresBinDir();
    haproxyBinary();
  }

  async start(): Promise<void> {
    const t0 = Date.now();
    this.cpus = partitionCpus(this.log);
    this.log('synthesising the primary stack for the target group health check');
    const { template, source, latencySloMs } = loadPrimaryTemplate(this.log);
    const healthCheck = healthCheckFromTemplate(template);
    this.log(
      `health check from ${source}: ${healthCheck.path} every ${healthCheck.intervalSeconds}s, timeout ${healthCheck.timeoutSeconds}s, ` +
        `rise ${healthCheck.healthyThreshold}, fall ${healthCheck.unhealthyThreshold}, deregistration delay ${healthCheck.deregistrationDelaySeconds}s`,
    );

    this.log('compiling the service');
    this.service = buildService(path.join(this.dir, 'service'), this.log);

    this.log('starting PostgreSQL primary + synchronous standby');
    this.cluster = new PostgresCluster(this.procs, path.join(this.dir, 'pg'), this.log, this.cpus?.service);
    await this.cluster.create();

    const proxyPort = await freePort();
    this.proxy = new DbProxy({ host: '127.0.0.1', port: this.cluster.primary.port });
    await this.proxy.listen(proxyPort);

    // The task definition's environment, with the database pointed at the proxy, credentials in DB_SECRET
    // as ECS injects them from the RDS-managed secret (trust authentication ignores the password).
    const taskEnv = containerEnvironment(template);
    this.env = {
      ...taskEnv,
      DB_HOST: '127.0.0.1',
      DB_PORT: String(proxyPort),
      DB_NAME: DATABASE,
      DB_TLS: 'disable',
      DB_SECRET: JSON.stringify({ engine: 'postgres', username: APP_USER, password: 'unused-with-trust-auth', host: '127.0.0.1', port: proxyPort, dbname: DATABASE }),
      ...this.options.serviceEnv,
    };
    if (Object.keys(this.options.serviceEnv ?? {}).length > 0) this.log(`service environment overrides: ${JSON.stringify(this.options.serviceEnv)}`);
    this.facts = {
      templateSource: source,
      healthCheck,
      service: this.service.description,
      serviceEnvironment: { ...taskEnv },
      latencySloMs,
      cpus: this.cpus ? `service + PostgreSQL on CPU ${this.cpus.service}, harness on CPU ${this.cpus.rest}` : 'shared',
    };

    // Two slots per AZ: a rolling deployment starts the new task in the free slot of the same AZ.
    const ports = await freePorts(AZS.length * 2 + 1);
    for (const [i, az] of AZS.entries()) {
      this.slots.push({ name: `${az}-a`, port: ports[i * 2] }, { name: `${az}-b`, port: ports[i * 2 + 1] });
    }
    this.haproxy = new Haproxy(this.procs, this.dir, { frontendPort: ports[ports.length - 1], slots: this.slots, healthCheck });

    this.log('starting 3 service replicas and HAProxy');
    const first = AZS.map((az) => this.slot(`${az}-a`));
    await Promise.all(first.map((s) => this.launch(s)));
    this.haproxy.start();
    await Promise.all(first.map((s) => this.waitInRotation(s.name)));
    await Promise.all(this.slots.filter((s) => !first.includes(s)).map((s) => this.waitOutOfRotation(s.name)));

    this.load = new LoadGenerator({ baseUrl: this.haproxy.url, runId: `r${Date.now().toString(36)}`, timeoutMs: this.options.clientTimeoutMs, writeRatio: this.options.writeRatio });
    this.log(`up in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${this.haproxy.url} → ${first.map((s) => s.port).join(', ')} → proxy ${proxyPort} → postgres ${this.cluster.primary.port} (+ standby ${this.cluster.standby?.port})`);
  }

  slot(name: string): Slot {
    const s = this.slots.find((x) => x.name === name);
    if (!s) throw new Error(`no slot ${name}`);
    return s;
  }

  /** The other slot of the same AZ. */
  sibling(slot: Slot): Slot {
    const [az, side] = slot.name.split('-');
    return this.slot(`${az}-${side === 'a' ? 'b' : 'a'}`);
  }

  /** Starts a task in a slot and waits until it answers its readiness check directly (not yet the LB's view). */
  async launch(slot: Slot): Promise<Replica> {
    if (this.tasks.has(slot.name)) throw new Error(`slot ${slot.name} is taken`);
    const replica = startReplica(this.procs, this.service, slot, this.env, this.dir, this.cpus?.service);
    this.tasks.set(slot.name, replica);
    await waitFor(`${replica.id} in ${slot.name} to become ready (log: ${replica.logFile})`, async () => {
      if (!replica.process.alive()) throw new Abort(`${replica.id} exited before it was ready: ${tail(replica.logFile)}`);
      return (await isReady(replica, this.facts.healthCheck.path)) ? true : undefined;
    }, 60_000, 100);
    void replica.process.exited.then(() => {
      if (this.tasks.get(slot.name) === replica) this.tasks.delete(slot.name);
    });
    return replica;
  }

  /** The HAProxy status of one server slot. */
  async status(slotName: string): Promise<string> {
    const s = (await this.haproxy.servers()).find((x) => x.name === slotName);
    return s?.status ?? 'unknown';
  }

  /** Waits until the load balancer routes to the slot; returns when it saw that. Bounded by the health check timing. */
  waitInRotation(slotName: string, extraMs = 20_000): Promise<number> {
    const hc = this.facts.healthCheck;
    const bound = (hc.healthyThreshold + 1) * hc.intervalSeconds * 1000 + extraMs;
    return waitFor(`${slotName} to be in service`, async () => ((await this.status(slotName)) === 'UP' ? Date.now() : undefined), bound, 100);
  }

  waitOutOfRotation(slotName: string, extraMs = 20_000): Promise<number> {
    const hc = this.facts.healthCheck;
    const bound = (hc.unhealthyThreshold + 1) * hc.intervalSeconds * 1000 + hc.timeoutSeconds * 1000 + extraMs;
    return waitFor(`${slotName} to be out of service`, async () => (!isInRotation(await this.status(slotName)) ? Date.now() : undefined), bound, 100);
  }

  /** Slots the load balancer routes to right now. */
  async inService(): Promise<string[]> {
    return (await this.haproxy.servers()).filter((s) => isInRotation(s.status)).map((s) => s.name);
  }

  /** Tears everything down; safe to call more than once and from signal handlers (synchronous core). */
  stop(): void {
    try {
      this.load?.kill();
    } catch {
      // ignore
    }
    void this.proxy?.close();
    this.procs.cleanupSync();
  }
}
