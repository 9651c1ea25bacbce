/** The rehearsal's side of the load generator: forks worker.ts and collects what it records. */
import { fork, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import type { RequestRecord } from '../stats';
import type { AcknowledgedWrite, FromGenerator, LoadSettings, ToGenerator } from './protocol';

const ROOT = path.resolve(__dirname, '..', '..', '..');

export class LoadGenerator {
  readonly records: RequestRecord[] = [];
  readonly acks: AcknowledgedWrite[] = [];
  private readonly child: ChildProcess;
  private waiting: ((m: { sent: number; lateMs: number }) => void) | undefined;
  private exitedEarly: Error | undefined;

  constructor(settings: LoadSettings) {
    // tsx is the runner for the worker too (worker threads do not inherit tsx's loader on Node 20).
    this.child = fork(path.join(__dirname, 'worker.ts'), [], { cwd: ROOT, execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    this.child.on('message', (m: FromGenerator) => {
      if (m.type === 'records') {
        for (const r of m.records) this.records.push(r);
        for (const a of m.acks) this.acks.push(a);
      } else {
        const w = this.waiting;
        this.waiting = undefined;
        w?.(m);
      }
    });
    this.child.once('exit', (code) => {
      this.exitedEarly = new Error(`the load generator exited (code ${code})`);
    });
    this.send({ type: 'configure', settings });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  private send(msg: ToGenerator): void {
    if (this.exitedEarly) throw this.exitedEarly;
    this.child.send(msg);
  }

  private finished(timeoutMs: number): Promise<{ sent: number; lateMs: number }> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the load generator did not finish within ${timeoutMs} ms`)), timeoutMs);
      this.waiting = (m) => {
        clearTimeout(timer);
        resolve(m);
      };
    });
  }

  startSteady(rps: number): void {
    this.send({ type: 'steady', rps });
  }

  /** Stops the steady load; resolves when every request sent has been answered or has timed out. */
  async stop(timeoutMs: number): Promise<void> {
    const done = this.finished(timeoutMs);
    this.send({ type: 'stop' });
    await done;
  }

  async open(rps: number, durationMs: number, settleMs: number): Promise<{ sent: number; lateMs: number }> {
    const done = this.finished(durationMs + settleMs);
    this.send({ type: 'open', rps, durationMs });
    return done;
  }

  async closed(concurrency: number, durationMs: number, settleMs: number): Promise<void> {
    const done = this.finished(durationMs + settleMs);
    this.send({ type: 'closed', concurrency, durationMs });
    await done;
  }

  /** Records that arrived since `since` (epoch ms, by send time). */
  recent(sinceMs: number): RequestRecord[] {
    return this.records.filter((r) => r.start >= sinceMs);
  }

  kill(): void {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}
