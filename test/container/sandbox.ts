/**
 * The container the ECS task definition describes, reproduced on one Linux machine with bubblewrap, for
 * test/container/container-contract.test.ts.
 *
 * What is read from where:
 * - the synthesised task definition (readContract): user, read-only root filesystem, mount points and task
 *   volumes, environment, secrets, port mapping, health check, stop timeout;
 * - the final stage of app/Dockerfile (readImage): WORKDIR, CMD and ENV, which the task definition does not
 *   repeat (no Command, EntryPoint or WorkingDirectory: ECS takes the image's).
 *
 * The sandbox (startSandbox): `bwrap` with a new user namespace in which the process is the task's uid:gid with
 * no capabilities, its own PID namespace with the service as PID 1 (Fargate runs no init unless the task
 * definition asks for one), its own network namespace with only a loopback interface (awsvpc gives every task
 * its own network stack), the host's root bound read-only, a fresh /dev and /proc, the build bound read-only at
 * the image's WORKDIR, and a host directory bound writable at each writable mount point, nothing else.
 *
 * The network namespace is reached through a small forwarder that joins it (nsenter --net) but stays in the
 * host's mount namespace: it connects a Unix socket on the host to the container port (the load balancer's side)
 * and the database port of the task's environment to the throwaway PostgreSQL server's Unix socket (the VPC's
 * side). Commands "inside the container" (the health check, the write probes) join all of the service's
 * namespaces with nsenter, as `docker exec` and ECS health checks do.
 *
 * /dev is built by hand (a tmpfs with the usual device nodes) rather than with `--dev`: without root, bwrap's
 * --dev maps the caller to uid 0 to mount devpts and then nests a second user namespace for the sandbox uid,
 * which leaves the other namespaces owned by a user namespace no process is in, and nsenter (util-linux 2.38)
 * cannot join them.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, constants, existsSync, lstatSync, readdirSync, statSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import * as path from 'node:path';

// ---------------------------------------------------------------------------------------------------------
// The contract, from the template and the Dockerfile
// ---------------------------------------------------------------------------------------------------------

/** A CloudFormation value: a literal, or an intrinsic (Ref, Fn::GetAtt, ...) that only a deployment resolves. */
export type CfnValue = string | number | boolean | Record<string, unknown>;

export interface ContainerContract {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
  readonly readonlyRootFilesystem: boolean;
  /** Container paths the task may write (its MountPoints that are not ReadOnly), with their volume. */
  readonly writableMounts: readonly { readonly containerPath: string; readonly volume: Record<string, unknown> }[];
  readonly readOnlyMounts: readonly string[];
  readonly environment: readonly { readonly name: string; readonly value: CfnValue }[];
  readonly secrets: readonly { readonly name: string; readonly valueFrom: CfnValue }[];
  readonly portMappings: readonly { readonly containerPort: number; readonly protocol: string }[];
  /** The health check as ECS runs it: exec form (`CMD`) or through /bin/sh -c (`CMD-SHELL`). */
  readonly healthCheck: { readonly raw: readonly string[]; readonly argv: readonly string[]; readonly timeoutSeconds: number; readonly startPeriodSeconds: number };
  readonly stopTimeoutSeconds: number;
  /** Set in the task definition; the contract proof expects none (the image's are used). */
  readonly command?: unknown;
  readonly entryPoint?: unknown;
  readonly workingDirectory?: unknown;
}

interface CfnContainer {
  Name: string;
  User?: string;
  ReadonlyRootFilesystem?: boolean;
  MountPoints?: { ContainerPath: string; SourceVolume: string; ReadOnly?: boolean }[];
  Environment?: { Name: string; Value: CfnValue }[];
  Secrets?: { Name: string; ValueFrom: CfnValue }[];
  PortMappings?: { ContainerPort: number; Protocol?: string }[];
  HealthCheck?: { Command: string[]; Timeout?: number; StartPeriod?: number };
  StopTimeout?: number;
  Command?: unknown;
  EntryPoint?: unknown;
  WorkingDirectory?: unknown;
}

/** The one container of the one task definition in a synthesised template (`Template.toJSON()`). */
export function readContract(template: { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> }): ContainerContract {
  const tasks = Object.values(template.Resources).filter((r) => r.Type === 'AWS::ECS::TaskDefinition');
  if (tasks.length !== 1) throw new Error(`expected one AWS::ECS::TaskDefinition, found ${tasks.length}`);
  const props = tasks[0]!.Properties;
  const containers = props.ContainerDefinitions as CfnContainer[];
  if (containers.length !== 1) throw new Error(`the proof runs one container; the task definition has ${containers.length}`);
  const c = containers[0]!;
  const user = /^(\d+):(\d+)$/.exec(c.User ?? '');
  if (!user) throw new Error(`the container's User must be numeric uid:gid (a name needs the image's /etc/passwd), got ${JSON.stringify(c.User)}`);
  const volumes = new Map(((props.Volumes ?? []) as { Name: string }[]).map((v) => [v.Name, v as Record<string, unknown>]));
  const mounts = (c.MountPoints ?? []).map((m) => {
    const volume = volumes.get(m.SourceVolume);
    if (!volume) throw new Error(`mount point ${m.ContainerPath} names volume ${m.SourceVolume}, which the task does not define`);
    return { containerPath: m.ContainerPath, volume, readOnly: m.ReadOnly === true };
  });
  const hc = c.HealthCheck;
  if (!hc) throw new Error('the container has no health check');
  const [kind, ...rest] = hc.Command;
  const argv = kind === 'CMD' ? rest : kind === 'CMD-SHELL' ? ['/bin/sh', '-c', rest.join(' ')] : undefined;
  if (!argv || argv.length === 0) throw new Error(`health check command must start with CMD or CMD-SHELL, got ${JSON.stringify(hc.Command)}`);
  return {
    name: c.Name,
    uid: Number(user[1]),
    gid: Number(user[2]),
    readonlyRootFilesystem: c.ReadonlyRootFilesystem === true,
    writableMounts: mounts.filter((m) => !m.readOnly).map(({ containerPath, volume }) => ({ containerPath, volume })),
    readOnlyMounts: mounts.filter((m) => m.readOnly).map((m) => m.containerPath),
    environment: (c.Environment ?? []).map((e) => ({ name: e.Name, value: e.Value })),
    secrets: (c.Secrets ?? []).map((s) => ({ name: s.Name, valueFrom: s.ValueFrom })),
    portMappings: (c.PortMappings ?? []).map((p) => ({ containerPort: p.ContainerPort, protocol: p.Protocol ?? 'tcp' })),
    // ECS defaults: Timeout 5 s, StartPeriod off (0).
    healthCheck: { raw: hc.Command, argv, timeoutSeconds: hc.Timeout ?? 5, startPeriodSeconds: hc.StartPeriod ?? 0 },
    // ECS's default stop timeout on Fargate is 30 s.
    stopTimeoutSeconds: c.StopTimeout ?? 30,
    command: c.Command,
    entryPoint: c.EntryPoint,
    workingDirectory: c.WorkingDirectory,
  };
}

export interface ImageConfig {
  readonly workdir: string;
  readonly cmd: readonly string[];
  readonly env: Readonly<Record<string, string>>;
}

/** WORKDIR, CMD (exec form) and ENV (key=value form) of the Dockerfile's final stage. */
export function readImage(dockerfile: string): ImageConfig {
  const lines = (dockerfile.split(/^FROM /m).at(-1) ?? '').split('\n');
  let workdir: string | undefined;
  let cmd: string[] | undefined;
  const env: Record<string, string> = {};
  for (const line of lines) {
    const m = /^(WORKDIR|CMD|ENV)\s+(.+)$/.exec(line.trim());
    if (!m) continue;
    const [, op, arg] = m;
    if (op === 'WORKDIR') workdir = arg!.trim();
    if (op === 'CMD') {
      if (!arg!.trim().startsWith('[')) throw new Error(`CMD must use the exec form (the service is PID 1 and must get SIGTERM): ${line}`);
      cmd = JSON.parse(arg!) as string[];
    }
    if (op === 'ENV') {
      for (const pair of arg!.trim().split(/\s+/)) {
        const eq = pair.indexOf('=');
        if (eq <= 0) throw new Error(`ENV in key=value form expected: ${line}`);
        env[pair.slice(0, eq)] = pair.slice(eq + 1);
      }
    }
  }
  if (!workdir || !path.isAbsolute(workdir)) throw new Error('the final stage of the Dockerfile has no absolute WORKDIR');
  if (!cmd?.length) throw new Error('the final stage of the Dockerfile has no CMD');
  return { workdir, cmd, env };
}

// ---------------------------------------------------------------------------------------------------------
// Prerequisites
// ---------------------------------------------------------------------------------------------------------

/** The absolute path of an executable on PATH, or undefined. */
export function findExecutable(name: string, searchPath = process.env.PATH ?? ''): string | undefined {
  for (const dir of searchPath.split(':').filter(Boolean)) {
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * Checks that bubblewrap can make a user namespace here and run a command as uid:gid; throws a message that
 * says what to do otherwise. Returns the paths of bwrap and nsenter.
 */
export function checkSandboxWorks(uid: number, gid: number): { bwrap: string; nsenter: string } {
  const bwrap = findExecutable('bwrap');
  if (!bwrap) throw new Error('bubblewrap is not installed (no `bwrap` on PATH): apt-get install -y bubblewrap');
  const nsenter = findExecutable('nsenter');
  if (!nsenter) throw new Error('nsenter is not installed (util-linux): apt-get install -y util-linux');
  const args = ['--unshare-user', '--uid', String(uid), '--gid', String(gid), '--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', '--tmpfs', '/tmp', 'id', '-u'];
  const r = spawnSync(bwrap, args, { encoding: 'utf8', timeout: 20_000 });
  if (r.status !== 0 || r.stdout.trim() !== String(uid)) {
    throw new Error(
      `bubblewrap cannot run a process as ${uid}:${gid} in a new user namespace on this machine ` +
        `(\`bwrap ${args.join(' ')}\` exited ${r.status ?? r.signal}: ${(r.stderr || r.error?.message || r.stdout).trim()}). ` +
        'Unprivileged user namespaces are probably off: check `sysctl user.max_user_namespaces` (must be > 0), ' +
        '`kernel.unprivileged_userns_clone` (Debian, must be 1) and `kernel.apparmor_restrict_unprivileged_userns` (Ubuntu 23.10+, must be 0), ' +
        'or a container runtime whose seccomp profile blocks unshare/clone with CLONE_NEWUSER.',
    );
  }
  return { bwrap, nsenter };
}

// ---------------------------------------------------------------------------------------------------------
// The sandbox
// ---------------------------------------------------------------------------------------------------------

export interface SandboxOptions {
  readonly bwrap: string;
  readonly nsenter: string;
  readonly uid: number;
  readonly gid: number;
  /** Host directory bound read-only at `workdir` (the image's files). */
  readonly imageDir: string;
  readonly workdir: string;
  /** Extra read-only binds inside the image directory (host path, container path): the dependencies. */
  readonly readOnlyBinds: readonly (readonly [string, string])[];
  /** Host directory bound writable at each container path: the task's writable mounts, nothing else. */
  readonly writableBinds: readonly (readonly [string, string])[];
  readonly command: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  /** The container port, reached from the host through `appSocket`. */
  readonly containerPort: number;
  /** Host Unix socket the forwarder listens on for the container port. */
  readonly appSocket: string;
  /** Loopback ports inside the container forwarded to host Unix sockets (the database). */
  readonly outbound: readonly { readonly port: number; readonly socket: string }[];
}

export interface ExecResult {
  readonly status: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

export interface HttpAnswer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
  readonly json: any;
}

export interface Sandbox {
  /** The host PID of the container's PID 1 (the service). */
  readonly pid: number;
  /** The service's stdout and stderr lines (stdout: its JSON log records). */
  readonly stdout: string[];
  readonly stderr: string[];
  /** Resolves when the sandbox (PID 1) has exited, with when. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  readonly running: boolean;
  /** Runs a command in all of the service's namespaces (as `docker exec`), as the task's user, in WORKDIR. */
  exec(argv: readonly string[], options?: { env?: Readonly<Record<string, string>>; timeoutMs?: number }): Promise<ExecResult>;
  /** An HTTP request to the container port, through the forwarder. */
  request(method: string, urlPath: string, options?: { body?: unknown; headers?: Record<string, string>; timeoutMs?: number }): Promise<HttpAnswer>;
  kill(signal: NodeJS.Signals): void;
  /** Ends the forwarder and, if still running, the sandbox (SIGKILL). */
  destroy(): Promise<void>;
}

/** The forwarder: runs in the sandbox's network namespace and the host's mount namespace. */
const FORWARDER = `
const net = require('node:net');
const [appSocket, appPort, ...routes] = process.argv.slice(1); // node -e SCRIPT -- args: argv is [node, ...args]
const join = (a, b) => {
  a.pipe(b); b.pipe(a);
  for (const [x, y] of [[a, b], [b, a]]) { x.on('error', () => y.destroy()); x.on('close', () => y.destroy()); }
};
const servers = [net.createServer((c) => join(c, net.connect(Number(appPort), '127.0.0.1'))).listen(appSocket)];
for (const route of routes) {
  const [port, socket] = route.split('=');
  servers.push(net.createServer((c) => join(c, net.connect(socket))).listen(Number(port), '127.0.0.1'));
}
Promise.all(servers.map((s) => new Promise((resolve, reject) => { s.once('listening', resolve); s.once('error', reject); }))).then(
  () => process.stdout.write('ready\\n'),
  (err) => { process.stderr.write(err.message + '\\n'); process.exit(1); },
);
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
`;

function lines(target: string[], stream: NodeJS.ReadableStream): void {
  let rest = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    const parts = (rest + chunk).split('\n');
    rest = parts.pop() ?? '';
    target.push(...parts);
  });
  stream.on('end', () => rest && target.push(rest));
}

function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    stream.setEncoding('utf8');
    stream.on('data', (c: string) => (text += c));
    stream.on('end', () => resolve(text));
    stream.on('error', reject);
  });
}

function run(command: string, args: readonly string[], env: Readonly<Record<string, string>>, timeoutMs: number): Promise<ExecResult> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs, killSignal: 'SIGKILL' });
    const out = readAll(child.stdout);
    const err = readAll(child.stderr);
    child.on('error', reject);
    child.on('close', async (status, signal) => resolve({ status, signal, stdout: await out, stderr: await err, ms: performance.now() - started }));
  });
}

/**
 * Starts the container: bwrap holds the command until the forwarder is listening (--block-fd), so the service's
 * first database connection finds the database.
 */
export async function startSandbox(o: SandboxOptions): Promise<Sandbox> {
  const devices = ['null', 'zero', 'full', 'random', 'urandom', 'tty'].flatMap((d) => ['--dev-bind', `/dev/${d}`, `/dev/${d}`]);
  const args = [
    '--unshare-user', '--uid', String(o.uid), '--gid', String(o.gid),
    '--unshare-pid', '--as-pid-1',
    '--unshare-net', '--unshare-ipc', '--unshare-uts',
    '--die-with-parent', '--new-session',
    '--ro-bind', '/', '/',
    // A fresh /dev (see the file comment for why not --dev), as a container runtime makes one.
    '--tmpfs', '/dev', ...devices,
    '--perms', '1777', '--tmpfs', '/dev/shm',
    '--symlink', '/proc/self/fd', '/dev/fd',
    '--symlink', '/proc/self/fd/0', '/dev/stdin', '--symlink', '/proc/self/fd/1', '/dev/stdout', '--symlink', '/proc/self/fd/2', '/dev/stderr',
    '--proc', '/proc',
    '--ro-bind', o.imageDir, o.workdir,
    ...o.readOnlyBinds.flatMap(([src, dest]) => ['--ro-bind', src, dest]),
    ...o.writableBinds.flatMap(([src, dest]) => ['--bind', src, dest]),
    '--chdir', o.workdir,
    '--info-fd', '3', '--block-fd', '4',
    '--', ...o.command,
  ];
  // bwrap passes its own environment to the command: exactly the container's, nothing from this process.
  const child: ChildProcess = spawn(o.bwrap, args, { env: o.env, stdio: ['ignore', 'pipe', 'pipe', 'pipe', 'pipe'] });
  const stdout: string[] = [];
  const stderr: string[] = [];
  lines(stdout, child.stdout!);
  lines(stderr, child.stderr!);
  let running = true;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) => {
    child.on('exit', (code, signal) => {
      running = false;
      resolve({ code, signal, at: performance.now() });
    });
  });
  const spawnError = new Promise<never>((_, reject) => child.on('error', reject));
  const info = await Promise.race([readAll(child.stdio[3] as NodeJS.ReadableStream), spawnError, exited.then(() => '')]);
  if (!info) throw new Error(`bwrap exited before starting the container: ${stderr.join('\n')}`);
  const pid = Number((JSON.parse(info) as { 'child-pid': number })['child-pid']);

  const root = process.getuid?.() === 0;
  const nsEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
  // As root, joining the network namespace alone keeps root's access to the database's socket directory; without
  // root, nsenter must join the user namespace first to be allowed into the network namespace.
  const forwarderNs = root ? ['--net'] : ['--user', '--net', '--preserve-credentials'];
  const forwarder = spawn(
    o.nsenter,
    ['--target', String(pid), ...forwarderNs, '--', process.execPath, '-e', FORWARDER, '--', o.appSocket, String(o.containerPort), ...o.outbound.map((r) => `${r.port}=${r.socket}`)],
    { env: nsEnv, stdio: ['pipe', 'pipe', 'pipe'] },
  );
  const forwarderErr: string[] = [];
  lines(forwarderErr, forwarder.stderr);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the forwarder did not start: ${forwarderErr.join('\n')}`)), 10_000);
    forwarder.stdout.setEncoding('utf8');
    forwarder.stdout.on('data', (d: string) => d.includes('ready') && (clearTimeout(timer), resolve()));
    forwarder.on('exit', (code) => (clearTimeout(timer), reject(new Error(`the forwarder exited ${code}: ${forwarderErr.join('\n')}`))));
  });
  // Release the command (bwrap reads one byte from the block fd, then execs).
  (child.stdio[4] as NodeJS.WritableStream).end('x');

  const nsAll = ['--target', String(pid), '--user', '--mount', '--net', '--pid', '--ipc', '--uts', '--preserve-credentials', '--root', '--wd'];
  return {
    pid,
    stdout,
    stderr,
    exited,
    get running() {
      return running;
    },
    exec: (argv, options = {}) => run(o.nsenter, [...nsAll, '--', ...argv], options.env ?? o.env, options.timeoutMs ?? 15_000),
    request: (method, urlPath, options = {}) =>
      new Promise<HttpAnswer>((resolve, reject) => {
        const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
        const req = httpRequest(
          {
            socketPath: o.appSocket,
            path: urlPath,
            method,
            headers: { host: `127.0.0.1:${o.containerPort}`, connection: 'close', ...(payload ? { 'content-type': 'application/json' } : {}), ...options.headers },
            timeout: options.timeoutMs ?? 5000,
          },
          (res) => {
            void readAll(res).then((text) => {
              let json: unknown;
              try {
                json = JSON.parse(text);
              } catch {
                json = undefined;
              }
              resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
            }, reject);
          },
        );
        req.on('timeout', () => req.destroy(new Error(`${method} ${urlPath}: no answer in time`)));
        req.on('error', reject);
        req.end(payload);
      }),
    kill: (signal) => {
      // The container's PID 1, as `docker stop` / the ECS agent signals it.
      if (running) process.kill(pid, signal);
    },
    destroy: async () => {
      forwarder.stdin.end();
      forwarder.kill('SIGTERM');
      if (running) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone already
        }
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
}

/** Relative path, size and mtime of every file under `dir` (symlinks not followed), for before/after comparison. */
export function snapshotTree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = path.join(d, name);
      const st = lstatSync(p);
      out.push(`${path.relative(dir, p)} ${st.isDirectory() ? 'dir' : st.size} ${st.mtimeMs}`);
      if (st.isDirectory()) walk(p);
    }
  };
  if (existsSync(dir)) walk(dir);
  return out.sort();
}

/** Listening TCP sockets in /proc/net/tcp{,6} text: `address:port` in hex as the kernel writes them. */
export function listeningSockets(procNetTcp: string): { address: string; port: number }[] {
  return procNetTcp
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length > 3 && f[3] === '0A' && /^[0-9A-F]+:[0-9A-F]{4}$/.test(f[1]!))
    .map((f) => {
      const [address, port] = f[1]!.split(':');
      return { address: address!, port: parseInt(port!, 16) };
    });
}
