// Starts a throwaway PostgreSQL server (Debian's `postgresql` package) for integration tests:
// initdb into a temporary directory, listen on a free loopback port, stop and delete it afterwards.
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestPostgres {
  readonly port: number;
  readonly url: string;
  start(): void;
  /** pg_ctl stop -m fast: sessions are terminated (57P01), like a failover. */
  stop(): void;
  destroy(): void;
}

function binDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb'))) : [];
  if (versions.length === 0) throw new Error('PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin (apt-get install postgresql)');
  versions.sort((a, b) => Number(a) - Number(b));
  return join(root, versions[versions.length - 1], 'bin');
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

/** initdb refuses to run as root: when we are root, run the server binaries as the `postgres` user. */
function runAs(): { uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return {};
  const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
  return { uid, gid };
}

export interface StartOptions {
  /** Roles that must log in with their password over TCP (scram-sha-256); all others stay `trust`. */
  readonly passwordAuthFor?: readonly string[];
}

export async function startPostgres(startOptions: StartOptions = {}): Promise<TestPostgres> {
  const bin = binDir();
  const dir = mkdtempSync(join(tmpdir(), 'pg-it-'));
  const data = join(dir, 'data');
  const user = runAs();
  if (user.uid !== undefined) chownSync(dir, user.uid, user.gid!);
  const run = (cmd: string, args: string[]) => {
    const result = spawnSync(join(bin, cmd), args, { ...user, cwd: dir, encoding: 'utf8', timeout: 60_000 });
    if (result.status !== 0) throw new Error(`${cmd} failed: ${result.stderr || result.stdout}`);
  };
  run('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync', '--no-instructions']);
  if (startOptions.passwordAuthFor?.length) {
    // pg_hba.conf: the first matching line wins, so these go above initdb's `trust` lines.
    const hba = join(data, 'pg_hba.conf');
    const lines = startOptions.passwordAuthFor.map((role) => `host all ${role} 127.0.0.1/32 scram-sha-256\n`).join('');
    writeFileSync(hba, lines + readFileSync(hba, 'utf8'));
  }
  const port = await freePort();
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`;
  const pg: TestPostgres = {
    port,
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    start: () => run('pg_ctl', ['start', '-D', data, '-w', '-t', '60', '-l', join(dir, 'server.log'), '-o', options]),
    stop: () => run('pg_ctl', ['stop', '-D', data, '-m', 'fast', '-w']),
    destroy: () => {
      spawnSync(join(bin, 'pg_ctl'), ['stop', '-D', data, '-m', 'immediate', '-w'], { ...user, cwd: dir });
      rmSync(dir, { recursive: true, force: true });
    },
  };
  pg.start();
  return pg;
}
