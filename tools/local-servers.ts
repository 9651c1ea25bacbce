/**
 * Primitives for starting real servers on this machine, shared by the integration tests, the failure
 * rehearsal and the benchmark: a free loopback port, Debian's PostgreSQL binaries, and the user that
 * runs them.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

/** A prerequisite is missing (a Debian package, a user): callers report it and stop. */
export class PrerequisiteError extends Error {}

/** A port nothing listens on at the moment, on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** The newest /usr/lib/postgresql/<version>/bin that has initdb (never a hard-coded version). */
export function postgresBinDir(root = '/usr/lib/postgresql'): string {
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(path.join(root, v, 'bin', 'initdb'))) : [];
  if (versions.length === 0) {
    throw new PrerequisiteError(`PostgreSQL server binaries not found under ${root}/*/bin: apt-get install -y postgresql`);
  }
  versions.sort((a, b) => Number(a) - Number(b));
  return path.join(root, versions[versions.length - 1], 'bin');
}

/** initdb and postgres refuse to run as root: as root, run them as the `postgres` user. */
export function postgresServerUser(): { uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return {};
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    return { uid, gid };
  } catch {
    throw new PrerequisiteError('running as root needs a `postgres` user to run the database servers (created by apt-get install postgresql)');
  }
}

/** A throwaway PostgreSQL server: initdb into a temporary directory, a free loopback port, deleted by destroy(). */
export interface LocalPostgres {
  readonly port: number;
  readonly url: string;
  start(): void;
  /** pg_ctl stop -m fast: sessions are terminated (57P01), like a failover. */
  stop(): void;
  destroy(): void;
}


export interface StartOptions {
  /** Roles that must log in with their password over TCP (scram-sha-256); all others stay `trust`. */
  readonly passwordAuthFor?: readonly string[];
}

export async function startPostgres(startOptions: StartOptions = {}): Promise<LocalPostgres> {
  const bin = postgresBinDir();
  const dir = mkdtempSync(path.join(tmpdir(), 'pg-it-'));
  const data = path.join(dir, 'data');
  const user = postgresServerUser();
  if (user.uid !== undefined) chownSync(dir, user.uid, user.gid!);
  const run = (cmd: string, args: string[]) => {
    const result = spawnSync(path.join(bin, cmd), args, { ...user, cwd: dir, encoding: 'utf8', timeout: 60_000 });
    if (result.status !== 0) throw new Error(`${cmd} failed: ${result.stderr || result.stdout}`);
  };
  run('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync', '--no-instructions']);
  if (startOptions.passwordAuthFor?.length) {
    // pg_hba.conf: the first matching line wins, so these go above initdb's `trust` lines.
    const hba = path.join(data, 'pg_hba.conf');
    const lines = startOptions.passwordAuthFor.map((role) => `host all ${role} 127.0.0.1/32 scram-sha-256\n`).join('');
    writeFileSync(hba, lines + readFileSync(hba, 'utf8'));
  }
  const port = await freePort();
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`;
  const pg: LocalPostgres = {
    port,
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    start: () => run('pg_ctl', ['start', '-D', data, '-w', '-t', '60', '-l', path.join(dir, 'server.log'), '-o', options]),
    stop: () => run('pg_ctl', ['stop', '-D', data, '-m', 'fast', '-w']),
    destroy: () => {
      spawnSync(path.join(bin, 'pg_ctl'), ['stop', '-D', data, '-m', 'immediate', '-w'], { ...user, cwd: dir });
      rmSync(dir, { recursive: true, force: true });
    },
  };
  pg.start();
  return pg;
}
