// The entry point (app/src/server.ts) as ECS runs it: a real process, real signals, real exit codes.
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort } from '../../tools/local-servers';
import { statusLines } from './helpers';

const root = join(__dirname, '..', '..');

interface Run {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stderr: string;
}

/** Starts server.ts with exactly `env` (plus PATH) and waits for it to exit; `during` runs meanwhile. */
function runServer(env: Record<string, string>, timeoutMs = 20_000, during?: (pid: number) => Promise<void>): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join('app', 'src', 'server.ts')], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: '0', METRICS_INTERVAL_MS: '0', ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server.ts did not exit within ${timeoutMs} ms; stderr: ${stderr}`));
    }, timeoutMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stderr });
    });
    during?.(child.pid!).catch(reject);
  });
}

async function waitReady(url: string): Promise<void> {
  for (let i = 0; i < 150; i++) {
    if (await fetch(`${url}/health/ready`).then((r) => r.status === 200, () => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} never became ready`);
}

describe('server.ts start-up', () => {
  it('exits 1 with a fatal message when a production task has no database configured', async () => {
    const run = await runServer({ NODE_ENV: 'production' });
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stderr.trim().split('\n').pop()!)).toMatchObject({ level: 'fatal', msg: expect.stringMatching(/needs a database server/) });
  });

  it('exits 1 at start-up, not mid-drain, when DRAIN_SECONDS is longer than the stop timeout allows', async () => {
    const run = await runServer({ NODE_ENV: 'test', DRAIN_SECONDS: '28' });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/DRAIN_SECONDS must be an integer between 0 and 23/);
  });
});

describe('server.ts shutdown', () => {
  it('finishes a request in flight when a second SIGTERM arrives during the drain, and exits 0', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    let response = '';
    const run = await runServer({ NODE_ENV: 'test', PORT: String(port), DRAIN_SECONDS: '1', LOG_LEVEL: 'warn' }, 30_000, async (pid) => {
      await waitReady(url);
      const body = JSON.stringify({ text: 'across two SIGTERMs' });
      const socket = connect(port, '127.0.0.1');
      socket.on('data', (d) => (response += d.toString()));
      socket.on('error', () => undefined);
      await new Promise((r) => socket.once('connect', r));
      socket.write(`POST /messages HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body.slice(0, 5)}`);
      await new Promise((r) => setTimeout(r, 100));
      process.kill(pid, 'SIGTERM');
      await new Promise((r) => setTimeout(r, 100));
      process.kill(pid, 'SIGTERM'); // ECS, an operator or a supervisor repeating itself
      await new Promise((r) => setTimeout(r, 200));
      socket.write(body.slice(5));
    });
    expect(run.signal).toBeNull();
    expect(run.code, run.stderr).toBe(0);
    expect(statusLines(response)).toEqual(['HTTP/1.1 201 Created']);
  });
});
