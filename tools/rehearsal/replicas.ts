/**
 * The sample service's replicas: separate processes, like ECS tasks, each in a load balancer slot.
 *
 * The service is compiled once per run with the app's own tsconfig into a temporary directory (app/ is
 * never written to) and started with `node`, which starts in a fraction of the time tsx needs. When the
 * compiler emits nothing, the replicas run the TypeScript sources through tsx instead.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, openSync } from 'node:fs';
import * as path from 'node:path';
import type { Slot } from './haproxy-config';
import type { Managed, Processes } from './processes';

const ROOT = path.resolve(__dirname, '..', '..');

export interface ServiceCommand {
  readonly command: string;
  readonly args: readonly string[];
  readonly env: Record<string, string>;
  /** For the report. */
  readonly description: string;
}

export function buildService(outDir: string, log: (msg: string) => void): ServiceCommand {
  const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', path.join(ROOT, 'app', 'tsconfig.build.json'), '--outDir', outDir, '--sourceMap', 'false', '--incremental', 'false'], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 120_000,
  });
  const entry = path.join(outDir, 'server.js');
  if (existsSync(entry)) {
    if (r.status !== 0) log(`tsc reported type errors in app/ (emitted anyway): ${(r.stdout || r.stderr).split('\n')[0]}`);
    // NODE_PATH lets the compiled files, outside the repository, resolve the app's hoisted dependencies.
    return { command: process.execPath, args: [entry], env: { NODE_PATH: path.join(ROOT, 'node_modules') }, description: 'app/src compiled with tsc, run with node' };
  }
  log(`could not compile app/ (${(r.stdout || r.stderr || r.error?.message || '').split('\n')[0]}); running it with tsx`);
  return { command: process.execPath, args: ['--import', 'tsx', path.join(ROOT, 'app', 'src', 'server.ts')], env: {}, description: 'app/src/server.ts run with tsx' };
}

export interface Replica {
  readonly id: string;
  readonly slot: Slot;
  readonly process: Managed;
  readonly startedAt: number;
  readonly url: string;
  readonly logFile: string;
}

let sequence = 0;

/** Starts one replica; with `cpus` (taskset list) it runs on those CPUs only. */
export function startReplica(procs: Processes, cmd: ServiceCommand, slot: Slot, env: Record<string, string>, logDir: string, cpus?: string): Replica {
  const id = `task-${++sequence}`;
  const logFile = path.join(logDir, `${id}-${slot.name}.log`);
  const fd = openSync(logFile, 'a');
  // taskset execs node in place, so the pid (and its process group) is still the replica's.
  const [command, args] = cpus === undefined ? [cmd.command, cmd.args] : ['taskset', ['-c', cpus, cmd.command, ...cmd.args]];
  const process_ = procs.spawn(id, command, args, {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env, ...cmd.env, PORT: String(slot.port), HOST: '127.0.0.1' },
    stdio: ['ignore', fd, fd],
  });
  return { id, slot, process: process_, startedAt: Date.now(), url: `http://127.0.0.1:${slot.port}`, logFile };
}

/** GET /health/ready straight at the replica (not through the load balancer). */
export async function isReady(replica: Replica, healthPath: string): Promise<boolean> {
  try {
    const res = await fetch(`${replica.url}${healthPath}`, { signal: AbortSignal.timeout(2000) });
    await res.arrayBuffer();
    return res.status === 200;
  } catch {
    return false;
  }
}
