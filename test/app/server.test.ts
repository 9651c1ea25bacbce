// The entry point (app/src/server.ts) as ECS runs it: a real process, real signals, real exit codes.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(__dirname, '..', '..');

interface Run {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stderr: string;
}

/** Starts server.ts with exactly `env` (plus PATH) and waits for it to exit. */
function runServer(env: Record<string, string>, timeoutMs = 20_000): Promise<Run> {
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
  });
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
