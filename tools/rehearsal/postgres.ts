/**
 * PostgreSQL primary + hot standby with synchronous streaming replication: the local stand-in for
 * RDS Multi-AZ (an instance deployment also commits synchronously to its standby, so an acknowledged
 * write survives the loss of the primary). Debian's `postgresql` package, temporary data directories,
 * loopback ports, `trust` authentication on 127.0.0.1 only.
 */
import { spawnSync } from 'node:child_process';
import { chownSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { freePort, postgresBinDir, postgresServerUser } from '../local-servers';
import { Abort, tail, type Managed, type Processes, waitFor } from './processes';



export interface Node {
  readonly name: string;
  readonly dataDir: string;
  readonly port: number;
  process: Managed;
}

export const DATABASE = 'app';
export const APP_USER = 'app';
const STANDBY_NAME = 'standby';

export class PostgresCluster {
  private readonly bin = postgresBinDir();
  private readonly user = postgresServerUser();
  primary!: Node;
  standby: Node | undefined;
  private generation = 0;

  constructor(
    private readonly procs: Processes,
    private readonly dir: string,
    private readonly log: (msg: string) => void,
    /** taskset CPU list for the servers. @default - no pinning */
    private readonly cpus?: string,
  ) {
    // The servers (as the postgres user) write their sockets here; the data directories live inside.
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    if (this.user.uid !== undefined) chownSync(dir, this.user.uid, this.user.gid!);
  }

  private mkdir(name: string): string {
    const d = path.join(this.dir, name);
    mkdirSync(d, { recursive: true, mode: 0o700 });
    if (this.user.uid !== undefined) chownSync(d, this.user.uid, this.user.gid!);
    return d;
  }

  private run(cmd: string, args: string[]): string {
    const r = spawnSync(path.join(this.bin, cmd), args, { ...this.user, cwd: this.dir, encoding: 'utf8', timeout: 60_000 });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${(r.stderr || r.stdout || r.error?.message || '').trim()}`);
    return r.stdout;
  }

  /** psql against a node as the superuser; returns unaligned, tab-separated rows. */
  psql(node: Node, sql: string, database = DATABASE): string {
    return this.run('psql', ['-h', '127.0.0.1', '-p', String(node.port), '-U', 'postgres', '-d', database, '-X', '-q', '-A', '-t', '-F', '\t', '-v', 'ON_ERROR_STOP=1', '-c', sql]);
  }

  private start(name: string, dataDir: string, port: number, settings: Record<string, string>): Managed {
    const args = ['-D', dataDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=${this.dir}`];
    for (const [k, v] of Object.entries(settings)) args.push('-c', `${k}=${v}`);
    const logFd = openSync(path.join(this.dir, `${name}.log`), 'a');
    const bin = path.join(this.bin, 'postgres');
    const [command, argv] = this.cpus === undefined ? [bin, args] : ['taskset', ['-c', this.cpus, bin, ...args]];
    return this.procs.spawn(name, command, argv, { ...this.user, cwd: this.dir, stdio: ['ignore', logFd, logFd] });
  }

  private async waitAccepting(node: Node): Promise<void> {
    await waitFor(`${node.name} to accept connections on ${node.port}`, () => {
      if (!node.process.alive()) throw new Abort(`${node.name} exited: ${tail(path.join(this.dir, `${node.name}.log`))}`);
      const r = spawnSync(path.join(this.bin, 'pg_isready'), ['-h', '127.0.0.1', '-p', String(node.port), '-t', '1'], { timeout: 5000 });
      return r.status === 0 ? true : undefined;
    }, 60_000, 200);
  }

  /** Settings common to every node; a primary adds the synchronous standby name. */
  private static readonly COMMON = {
    max_connections: '200',
    wal_level: 'replica',
    max_wal_senders: '5',
    hot_standby: 'on',
    wal_keep_size: '256MB',
    // Keep the default fsync=on and synchronous_commit=on: durability is what is being rehearsed.
  };

  /** initdb, start the primary, create the app role and database, then clone a standby and make it synchronous. */
  async create(): Promise<void> {
    const dataDir = this.mkdir('node0');
    this.run('initdb', ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-instructions']);
    const port = await freePort();
    const proc = this.start('node0', dataDir, port, PostgresCluster.COMMON);
    this.primary = { name: 'node0', dataDir, port, process: proc };
    await this.waitAccepting(this.primary);
    this.psql(this.primary, `CREATE ROLE ${APP_USER} LOGIN`, 'postgres');
    this.psql(this.primary, `CREATE DATABASE ${DATABASE} OWNER ${APP_USER}`, 'postgres');
    await this.restoreRedundancy();
  }

  /** pg_basebackup from the current primary into a new directory, start it as a streaming standby. */
  async addStandby(): Promise<Node> {
    const name = `node${++this.generation}`;
    const dataDir = this.mkdir(name);
    const from = this.primary;
    this.run('pg_basebackup', ['-h', '127.0.0.1', '-p', String(from.port), '-U', 'postgres', '-D', dataDir, '-X', 'stream', '-c', 'fast', '--no-sync']);
    const port = await freePort();
    // standby.signal marks the node as a standby; primary_conninfo names it for synchronous_standby_names.
    const signal = path.join(dataDir, 'standby.signal');
    writeFileSync(signal, '');
    if (this.user.uid !== undefined) chownSync(signal, this.user.uid, this.user.gid!);
    const proc = this.start(name, dataDir, port, {
      ...PostgresCluster.COMMON,
      // Set on the command line only for the standby's connection; synchronous_standby_names is set with
      // ALTER SYSTEM on whichever node is primary (command-line settings would survive a promotion).
      primary_conninfo: `host=127.0.0.1 port=${from.port} user=postgres application_name=${STANDBY_NAME}`,
    });
    const node: Node = { name, dataDir, port, process: proc };
    this.standby = node;
    await this.waitAccepting(node);
    await waitFor(`${name} to stream from ${from.name}`, () => {
      const s = this.psql(from, `SELECT state FROM pg_stat_replication WHERE application_name = '${STANDBY_NAME}'`).trim();
      return s === 'streaming' ? true : undefined;
    }, 30_000, 200);
    return node;
  }

  /**
   * Hard stop of the primary, like losing its host or AZ: SIGKILL to the postmaster and every backend at
   * once (no shutdown checkpoint, no goodbye to clients).
   */
  async killPrimary(): Promise<void> {
    this.procs.signal(this.primary.process, 'SIGKILL');
    await this.primary.process.exited;
  }

  /** Promotes the standby and makes it the primary; returns when it accepts writes. */
  async promoteStandby(): Promise<Node> {
    const node = this.standby;
    if (!node) throw new Error('no standby to promote');
    this.run('pg_ctl', ['promote', '-D', node.dataDir, '-w', '-t', '60']);
    await waitFor(`${node.name} to leave recovery`, () => (this.psql(node, 'SELECT pg_is_in_recovery()').trim() === 'f' ? true : undefined), 30_000, 100);
    this.log(`${node.name} promoted: it is the primary now`);
    this.primary = node;
    this.standby = undefined;
    return node;
  }

  /**
   * Builds a synchronous standby for the primary (at creation, and after a failover as RDS does):
   * clone, stream, then make the primary wait for it on every commit. Until then the primary commits
   * alone (a primary configured for a standby that does not exist yet would block every commit).
   */
  async restoreRedundancy(): Promise<void> {
    await this.addStandby();
    this.psql(this.primary, `ALTER SYSTEM SET synchronous_standby_names = '${STANDBY_NAME}'`);
    this.psql(this.primary, 'SELECT pg_reload_conf()');
    await waitFor('the new standby to become synchronous', () => {
      const s = this.psql(this.primary, `SELECT sync_state FROM pg_stat_replication WHERE application_name = '${STANDBY_NAME}'`).trim();
      return s === 'sync' ? true : undefined;
    }, 30_000, 200);
  }

  /** Every stored message (id → text), read from the current primary. */
  messages(): Map<string, string> {
    const out = this.psql(this.primary, 'SELECT id, text FROM messages');
    const rows = new Map<string, string>();
    for (const line of out.split('\n')) {
      if (line === '') continue;
      const tab = line.indexOf('\t');
      rows.set(line.slice(0, tab), line.slice(tab + 1));
    }
    return rows;
  }
}
