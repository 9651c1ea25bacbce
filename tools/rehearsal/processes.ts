/**
 * Every process and temporary directory the rehearsal creates is registered here, so that one call
 * (also from a signal handler or a crash) stops them all and removes the files. Each child runs in its
 * own process group (`detached`), so killing the group also stops its children (PostgreSQL backends).
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { freePort } from '../local-servers';

export interface Managed {
  readonly name: string;
  readonly child: ChildProcess;
  /** Resolves with the exit code (or the signal name) when the process ends. */
  readonly exited: Promise<number | string>;
  readonly alive: () => boolean;
}

export class Processes {
  private readonly running = new Set<Managed>();
  private readonly dirs = new Set<string>();

  spawn(name: string, command: string, args: readonly string[], options: SpawnOptions = {}): Managed {
    const child = spawn(command, args, { stdio: 'ignore', ...options, detached: true });
    let done = false;
    const exited = new Promise<number | string>((resolve) => {
      child.once('exit', (code, signal) => {
        done = true;
        this.running.delete(managed);
        resolve(code ?? signal ?? 'unknown');
      });
      child.once('error', (err) => {
        done = true;
        this.running.delete(managed);
        resolve(`spawn error: ${err.message}`);
      });
    });
    const managed: Managed = { name, child, exited, alive: () => !done };
    this.running.add(managed);
    return managed;
  }

  /** Sends a signal to the process group of a managed process (no-op when it is gone). */
  signal(p: Managed, signal: NodeJS.Signals): void {
    if (!p.alive() || p.child.pid === undefined) return;
    try {
      process.kill(-p.child.pid, signal);
    } catch {
      // already gone
    }
  }

  trackDir(dir: string): string {
    this.dirs.add(dir);
    return dir;
  }

  /** Synchronous so it can run from 'exit' and signal handlers: SIGKILL every group, delete every directory. */
  cleanupSync(): void {
    for (const p of this.running) {
      if (p.child.pid !== undefined) {
        try {
          process.kill(-p.child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
    this.running.clear();
    for (const dir of this.dirs) rmSync(dir, { recursive: true, force: true });
    this.dirs.clear();
  }
}

/** `count` distinct free ports. */
export async function freePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  for (let i = 0; ports.size < count && i < count * 20; i++) ports.add(await freePort());
  if (ports.size < count) throw new Error(`could not find ${count} free ports`);
  return [...ports];
}

/** Thrown from a waitFor check to stop waiting at once (the thing waited for can no longer happen). */
export class Abort extends Error {}

/** The last lines of a log file, for error messages. */
export function tail(file: string, lines = 5): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join(' | ');
  } catch {
    return `(no log at ${file})`;
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Polls `check` every `everyMs` until it returns a value (not undefined) or `timeoutMs` passes;
 * throws `what` on timeout. Always bounded.
 */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs: number, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      if (err instanceof Abort) throw err;
      lastError = err;
    }
    await sleep(everyMs);
  }
  const reason = lastError instanceof Error ? `: ${lastError.message}` : '';
  throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}${reason}`);
}
