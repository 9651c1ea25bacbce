/**
 * The container contract, proven (issue 12, "Build" 3): the built sample service, run the way the synthesised
 * ECS task definition says (its user, its read-only root filesystem with only the task's writable mounts, its
 * environment and injected secret, its port, its health check, its stop timeout) under bubblewrap, starts,
 * serves, writes only where it may and stops cleanly. How the sandbox is built, and why: ./sandbox.ts; what this
 * shows and what it cannot: docs/container.md.
 *
 * A slow integration test (30-45 s: synthesis, a tsc build of app/, PostgreSQL, and the service's 20 s drain).
 * Needs Debian's `bubblewrap` and `postgresql`. Without bwrap it is skipped, visibly, on a developer's machine;
 * with CI set it fails, as it does wherever user namespaces are unavailable.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../lib/app';
import { startPostgres, type LocalPostgres } from '../../tools/local-servers';
import { newApp, Template } from '../support/synth';
import {
  checkSandboxWorks,
  findExecutable,
  listeningSockets,
  readContract,
  readImage,
  snapshotTree,
  startSandbox,
  type CfnValue,
  type ContainerContract,
  type ImageConfig,
  type Sandbox,
} from './sandbox';

const ROOT = path.resolve(__dirname, '..', '..');

const skipReason =
  findExecutable('bwrap') === undefined && !process.env.CI
    ? 'bubblewrap is not installed here (apt-get install -y bubblewrap); with CI set, a missing bwrap fails this test'
    : undefined;
if (skipReason) console.warn(`container contract: SKIPPED: ${skipReason}`);

/** The values a deployment would resolve, and what the proof puts in their place. */
const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:111111111111:secret:rds!db-container-contract-AbCdEf';
const STAND_INS: Record<string, string> = {
  // The database endpoint: inside the task's network namespace, the forwarder to the throwaway server.
  DB_HOST: '127.0.0.1',
  // The RDS-managed secret, for the rotation re-read; no AWS endpoint is reachable from the sandbox.
  DB_SECRET_ARN: SECRET_ARN,
};
/** Literal values the proof changes, and why. */
const OVERRIDES: Record<string, string> = {
  // The throwaway server has no certificate signed by the RDS certificate authorities.
  DB_TLS: 'disable',
};

/** What the ECS agent adds to every Fargate container (its metadata and credential endpoints: unreachable here). */
function ecsAgentEnvironment(region: string): Record<string, string> {
  const id = 'container-contract';
  return {
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    AWS_EXECUTION_ENV: 'AWS_ECS_FARGATE',
    ECS_CONTAINER_METADATA_URI: `http://169.254.170.2/v3/${id}`,
    ECS_CONTAINER_METADATA_URI_V4: `http://169.254.170.2/v4/${id}`,
    AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: `/v2/credentials/${id}`,
  };
}

/** tsc with the app's own tsconfig.build.json (what `npm run build --workspace app` runs), into `outDir`. */
function compileApp(outDir: string): Promise<void> {
  const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [tsc, '-p', path.join(ROOT, 'app', 'tsconfig.build.json'), '--outDir', outDir], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`tsc -p app/tsconfig.build.json failed (${code}):\n${output}`))));
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Thrown by a probe to stop waiting at once. */
class GiveUp extends Error {}

/** Polls `probe` until it returns a value; errors count as "not yet", except GiveUp. */
async function until<T>(what: string, deadlineMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const end = performance.now() + deadlineMs;
  let last: unknown;
  while (performance.now() < end) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      if (err instanceof GiveUp) throw err;
      last = err;
    }
    await sleep(100);
  }
  throw new Error(`${what}: not within ${deadlineMs} ms${last ? ` (last error: ${(last as Error).message})` : ''}`);
}

const isJson = (line: string) => {
  try {
    JSON.parse(line);
    return true;
  } catch {
    return false;
  }
};
const isIntrinsic = (v: CfnValue): v is Record<string, unknown> => typeof v === 'object' && v !== null;
const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;

describe.skipIf(skipReason !== undefined)(`the container contract${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  let template: { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> };
  let region: string;
  let contract: ContainerContract;
  let image: ImageConfig;
  let env: Record<string, string>;
  let secretUser: string;
  let work: string;
  let imageDir: string;
  let volumeDirs: Map<string, string>;
  let imageBefore: string[];
  let pg: LocalPostgres | undefined;
  let admin: Client | undefined;
  let sandbox: Sandbox | undefined;
  // A failed setup (no bwrap on CI, no user namespaces, ...) fails every test with its message: counted as
  // failures, never as skipped tests.
  let setupError: unknown;
  let built: Promise<void> | undefined;

  beforeAll(async () => {
    try {
      await setup();
    } catch (err) {
      setupError = err;
    }
  }, 180_000);

  /** An `it` that fails with the setup's error when the container could not be started. */
  const proof = (name: string, fn: () => void | Promise<void>, timeoutMs?: number) =>
    it(name, async () => {
      if (setupError) throw setupError;
      await fn();
    }, timeoutMs);

  async function setup(): Promise<void> {
    work = mkdtempSync(path.join(tmpdir(), 'container-contract-'));
    imageDir = path.join(work, 'image');
    // The build runs while the stack synthesises.
    built = compileApp(path.join(imageDir, 'dist'));
    built.catch(() => undefined);

    const app = newApp();
    const stacks = buildApp(app);
    template = Template.fromStack(stacks.primary).toJSON() as typeof template;
    region = stacks.primary.region;
    contract = readContract(template);
    image = readImage(readFileSync(path.join(ROOT, 'app', 'Dockerfile'), 'utf8'));

    // Before the database and the sandbox: can this machine make the sandbox at all?
    const tools = checkSandboxWorks(contract.uid, contract.gid);
    if (!statSync(image.workdir, { throwIfNoEntry: false })?.isDirectory()) {
      throw new Error(`the sandbox mounts the build at the image's WORKDIR ${image.workdir}, which must exist on this machine (Debian's base-files creates /srv)`);
    }

    // The secret as ECS injects it: the whole SecretString of the RDS-managed master user secret, {username, password}.
    const secrets: Record<string, string> = {};
    for (const secret of contract.secrets) {
      const ref = (secret.valueFrom as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt'];
      if (!ref || ref[1] !== 'MasterUserSecret.SecretArn') throw new Error(`no stand-in for secret ${secret.name}: ${JSON.stringify(secret.valueFrom)}`);
      const username = template.Resources[ref[0]]?.Properties.MasterUsername;
      if (typeof username !== 'string' || !/^\w+$/.test(username)) throw new Error(`${ref[0]} has no plain MasterUsername`);
      secretUser = username;
      secrets[secret.name] = JSON.stringify({ username, password: randomBytes(18).toString('base64url') });
    }
    const password = JSON.parse(secrets.DB_SECRET ?? '{}').password as string | undefined;
    if (!password) throw new Error('the task definition injects no DB_SECRET');

    const taskEnv: Record<string, string> = {};
    for (const { name, value } of contract.environment) {
      if (name in OVERRIDES) taskEnv[name] = OVERRIDES[name]!;
      else if (isIntrinsic(value)) {
        const standIn = STAND_INS[name];
        if (standIn === undefined) throw new Error(`the task definition's ${name} is resolved at deployment (${JSON.stringify(value)}): give it a stand-in in STAND_INS`);
        taskEnv[name] = standIn;
      } else taskEnv[name] = String(value);
    }
    // Precedence as in ECS: the image's ENV, then what the agent adds, then the task definition's, then its secrets.
    env = {
      PATH: `${path.dirname(process.execPath)}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`,
      HOME: '/home/node', // Docker's HOME for uid 1000 of the node image (its /etc/passwd); absent here, as unwritable as there
      ...image.env,
      ...ecsAgentEnvironment(region),
      ...taskEnv,
      ...secrets,
    };

    // The database the environment names (DB_NAME), its owner the secret's user, who must log in with its password.
    pg = await startPostgres();
    admin = new Client({ connectionString: pg.url });
    await admin.connect();
    await admin.query(`CREATE ROLE ${quoteIdent(secretUser)} LOGIN PASSWORD '${password}'`);
    await admin.query(`CREATE DATABASE ${quoteIdent(env.DB_NAME!)} OWNER ${quoteIdent(secretUser)}`);
    const hbaFile = (await admin.query<{ hba_file: string }>('SHOW hba_file')).rows[0]!.hba_file;
    // The forwarder reaches the server on its Unix socket: `local` connections; the first matching line wins.
    writeFileSync(hbaFile, `local all ${secretUser} scram-sha-256\n` + readFileSync(hbaFile, 'utf8'));
    await admin.query('SELECT pg_reload_conf()');
    const socketDir = (await admin.query<{ unix_socket_directories: string }>('SHOW unix_socket_directories')).rows[0]!.unix_socket_directories.split(',')[0]!.trim();

    // The image's files, as app/Dockerfile lays them out under WORKDIR: dist/, package.json, node_modules/.
    await built;
    copyFileSync(path.join(ROOT, 'app', 'package.json'), path.join(imageDir, 'package.json'));
    mkdirSync(path.join(imageDir, 'node_modules'));
    // Each writable mount: an empty directory, as the image declares it (app/Dockerfile: install -m 1777, VOLUME).
    volumeDirs = new Map();
    for (const [i, mount] of contract.writableMounts.entries()) {
      const dir = path.join(work, 'volumes', String(i));
      mkdirSync(dir, { recursive: true });
      chmodSync(dir, 0o1777);
      volumeDirs.set(mount.containerPath, dir);
    }
    imageBefore = snapshotTree(imageDir);

    sandbox = await startSandbox({
      ...tools,
      uid: contract.uid,
      gid: contract.gid,
      imageDir,
      workdir: image.workdir,
      // The dependencies (the image has the production ones only; these are the workspace's).
      readOnlyBinds: [[path.join(ROOT, 'node_modules'), path.join(image.workdir, 'node_modules')]],
      writableBinds: [...volumeDirs].map(([containerPath, dir]) => [dir, containerPath] as const),
      command: image.cmd,
      env,
      containerPort: contract.portMappings[0]!.containerPort,
      appSocket: path.join(work, 'app.sock'),
      outbound: [{ port: Number(env.DB_PORT), socket: path.join(socketDir, `.s.PGSQL.${pg.port}`) }],
    });
  }

  afterAll(async () => {
    await sandbox?.destroy();
    await admin?.end().catch(() => undefined);
    pg?.destroy();
    await built?.catch(() => undefined); // tsc may still be writing into `work` when the setup failed early
    if (work) rmSync(work, { recursive: true, force: true });
  });

  const logs = () => [...(sandbox?.stdout ?? []), ...(sandbox?.stderr ?? [])].join('\n');
  const records = () =>
    (sandbox?.stdout ?? []).filter(isJson).map((line) => JSON.parse(line) as Record<string, unknown>);

  proof('reads the contract from the synthesised task definition', () => {
    expect(contract.uid, 'a non-root user').toBeGreaterThan(0);
    expect(contract.readonlyRootFilesystem, 'the proof runs a read-only root filesystem').toBe(true);
    expect(contract.writableMounts.length, 'at least one writable mount (the service needs /tmp)').toBeGreaterThan(0);
    for (const { containerPath, volume } of contract.writableMounts) {
      // A task-scoped bind volume (no host path, no EFS, no Docker volume): empty at start, gone with the task.
      expect(Object.keys(volume), containerPath).toEqual(['Name']);
    }
    expect(contract.readOnlyMounts).toEqual([]);
    // The image's CMD and WORKDIR apply, so the proof runs app/Dockerfile's.
    expect({ command: contract.command, entryPoint: contract.entryPoint, workingDirectory: contract.workingDirectory }).toEqual({});
    expect(contract.portMappings).toHaveLength(1);
    expect(contract.portMappings[0]!.protocol).toBe('tcp');
    expect(Number(env.PORT), 'PORT in the environment is the mapped container port').toBe(contract.portMappings[0]!.containerPort);
    expect(contract.healthCheck.startPeriodSeconds).toBeGreaterThan(0);
    expect(contract.stopTimeoutSeconds).toBeGreaterThan(0);
    expect(Object.keys(env)).toEqual(expect.arrayContaining([...contract.environment.map((e) => e.name), ...contract.secrets.map((s) => s.name)]));
  });

  proof("starts as the task's user, PID 1 without capabilities, and becomes ready within the health check's start period", async () => {
    const ready = await until('GET /health/ready answers 200', contract.healthCheck.startPeriodSeconds * 1000, async () => {
      if (!sandbox!.running) throw new GiveUp(`the service exited:\n${logs()}`);
      const res = await sandbox!.request('GET', '/health/ready');
      return res.status === 200 ? res : undefined;
    });
    expect(ready.status).toBe(200);

    const status = await sandbox!.exec(['cat', '/proc/1/status']);
    const field = (name: string) => new RegExp(`^${name}:\\s*(.*)$`, 'm').exec(status.stdout)?.[1]?.trim().split(/\s+/);
    const { uid, gid } = contract;
    expect(field('Uid'), 'real, effective, saved and filesystem uid').toEqual([uid, uid, uid, uid].map(String));
    expect(field('Gid')).toEqual([gid, gid, gid, gid].map(String));
    expect(field('CapEff')).toEqual(['0000000000000000']);
    expect(field('CapPrm')).toEqual(['0000000000000000']);
    const cmdline = await sandbox!.exec(['cat', '/proc/1/cmdline']);
    expect(cmdline.stdout.split('\0').filter(Boolean), "PID 1 is the image's CMD").toEqual(image.cmd);

    // Bound to every interface, as the load balancer reaches it through the task's network interface, not loopback.
    const tcp = await sandbox!.exec(['cat', '/proc/net/tcp', '/proc/net/tcp6']);
    const listening = listeningSockets(tcp.stdout).filter((s) => s.port === contract.portMappings[0]!.containerPort);
    expect(listening.length, `something listens on ${contract.portMappings[0]!.containerPort}`).toBeGreaterThan(0);
    expect(listening.every((s) => /^0+$/.test(s.address)), `the container port is bound to every address: ${JSON.stringify(listening)}`).toBe(true);
  }, 60_000);

  proof("serves: a message POSTed is read back from the environment's database, as the injected secret's user", async () => {
    const text = `container contract ${randomBytes(4).toString('hex')}`;
    const created = await sandbox!.request('POST', '/messages', { body: { text } });
    expect(created.status, created.text).toBe(201);
    const read = await sandbox!.request('GET', `/messages/${created.json.id}`);
    expect(read.status, read.text).toBe(200);
    expect(read.json.text).toBe(text);
    expect(read.headers['x-served-from'], 'from the database, not the fallback cache').toBeUndefined();

    const sessions = await admin!.query<{ usename: string; datname: string }>(
      "SELECT DISTINCT usename, datname FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()",
    );
    expect(sessions.rows).toEqual([{ usename: secretUser, datname: env.DB_NAME }]);
    expect((await sandbox!.request('GET', '/health/deep')).status).toBe(200);
  }, 30_000);

  proof("passes its own health check command, run inside the container (the template's command, in WORKDIR, within its timeout)", async () => {
    const timeoutMs = contract.healthCheck.timeoutSeconds * 1000;
    const result = await sandbox!.exec(contract.healthCheck.argv, { timeoutMs: timeoutMs + 5000 });
    expect(result.status, `${contract.healthCheck.raw.join(' ')}: ${result.stderr}`).toBe(0);
    expect(result.ms, 'within the health check timeout').toBeLessThan(timeoutMs);
  }, 30_000);

  proof("can write to the task's writable mounts and nowhere else", async () => {
    const id = await sandbox!.exec(['id', '-u']);
    expect(id.stdout.trim()).toBe(String(contract.uid));

    // Every read-write mount in the container's mount table is a writable mount of the task, or /dev or /proc
    // (a container runtime mounts those read-write too: /dev is a tmpfs with device nodes, /dev/shm is a tmpfs).
    const mountinfo = await sandbox!.exec(['cat', '/proc/self/mountinfo']);
    const writableMountPoints = mountinfo.stdout
      .split('\n')
      .map((l) => l.split(' '))
      .filter((f) => f.length > 5 && f[5]!.split(',').includes('rw'))
      .map((f) => f[4]!)
      .filter((p) => !/^\/(dev|proc)(\/|$)/.test(p));
    expect([...new Set(writableMountPoints)].sort()).toEqual(contract.writableMounts.map((m) => m.containerPath).sort());

    const probe = `.container-contract-${randomBytes(4).toString('hex')}`;
    const denied = ['/', image.workdir, path.join(image.workdir, 'dist'), path.join(image.workdir, 'node_modules'), env.HOME!, '/etc', '/var/tmp', '/run'];
    for (const dir of denied) {
      const touch = await sandbox!.exec(['touch', path.join(dir, probe)]);
      expect(touch.status, `touch in ${dir} must fail`).not.toBe(0);
      // Refused by the read-only root filesystem (or, for a missing HOME, by there being no such directory).
      expect(touch.stderr, dir).toMatch(dir === env.HOME ? /Read-only file system|No such file or directory/ : /Read-only file system/);
    }
    for (const [containerPath, hostDir] of volumeDirs) {
      const file = path.join(containerPath, probe);
      const touch = await sandbox!.exec(['touch', file]);
      expect(touch.status, `touch ${file}: ${touch.stderr}`).toBe(0);
      expect(readdirSync(hostDir), 'the write landed in the task volume').toContain(probe);
      expect((await sandbox!.exec(['rm', file])).status).toBe(0);
    }
  }, 60_000);

  proof('on SIGTERM fails readiness at once, keeps serving and passing its health check through the drain, and exits 0 within the stop timeout', async () => {
    const stopTimeoutMs = contract.stopTimeoutSeconds * 1000;
    const signalled = performance.now();
    sandbox!.kill('SIGTERM');

    // At once: within one probe interval of the load balancer (5 s), however busy this machine is.
    const notReady = await until('readiness fails after SIGTERM', 5000, async () => {
      const res = await sandbox!.request('GET', '/health/ready');
      return res.status === 503 ? res : undefined;
    });
    expect(notReady.status).toBe(503);
    const during = await sandbox!.request('POST', '/messages', { body: { text: 'while draining' } });
    expect(during.status, during.text).toBe(201);
    const health = await sandbox!.exec(contract.healthCheck.argv, { timeoutMs: contract.healthCheck.timeoutSeconds * 1000 });
    expect(health.status, 'liveness holds while draining, so ECS does not replace a task that is stopping').toBe(0);

    const exit = await Promise.race([sandbox!.exited, sleep(stopTimeoutMs + 5000).then(() => undefined)]);
    expect(exit, `exited within the stop timeout; log:\n${logs()}`).toBeDefined();
    expect(exit!.code, logs()).toBe(0);
    expect(exit!.at - signalled, `exited before ECS's SIGKILL (StopTimeout ${contract.stopTimeoutSeconds} s)`).toBeLessThan(stopTimeoutMs);
    expect(records().map((r) => r.msg)).toContain('shutdown requested');
  }, 90_000);

  proof('wrote nothing outside its writable mounts; its log (flushed at exit) is JSON and shows no write error', () => {
    expect(snapshotTree(imageDir), 'the image files are unchanged').toEqual(imageBefore);
    const written = [...volumeDirs].map(([containerPath, dir]) => `${containerPath}: ${JSON.stringify(snapshotTree(dir))}`);
    console.info(`container contract: the service left in its writable mounts ${written.join('; ')}`);

    expect(logs()).not.toMatch(/EROFS|EACCES|read-only file system|permission denied/i);
    expect(sandbox!.stderr.filter(Boolean), 'nothing on stderr').toEqual([]);
    expect(sandbox!.stdout.filter((l) => l && !isJson(l)), 'every stdout line is a JSON record').toEqual([]);
    // DB_SECRET_ARN makes it re-read the secret in the background: the AWS SDK loaded from the read-only tree
    // and failed for want of credentials (no AWS here), and the service kept the injected password.
    const reread = records().find((r) => r.msg === 'could not read the database secret; keeping the cached password');
    expect(reread, 'the background re-read of the secret is logged').toBeDefined();
    expect(String(reread!.err)).not.toMatch(/cannot find module|EROFS|EACCES|read-only|permission denied/i);
  });
});
