// The service's stdout as CloudWatch Logs receives it: one JSON document per line, request logs and EMF
// metric records mixed, read by a collector that is slower than the service writes. A real process, a
// real pipe, real load.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../tools/local-servers';

const root = join(__dirname, '..', '..');
// autocannon ships no types; the shape of the result this file reads.
const autocannon = createRequire(__filename)('autocannon') as (opts: Record<string, unknown>) => Promise<{
  requests: { total: number };
  non2xx: number;
  errors: number;
  timeouts: number;
}>;

interface Started {
  /** The shell running `server | collector`, leader of their process group. */
  readonly pipeline: ChildProcess;
  readonly url: string;
  /** Everything the collector has read from the service's stdout so far. */
  output(): string;
}

// The collector: reads its stdin `chunk` bytes per read(2), then sleeps, and appends what it read to a file.
// Small reads free the pipe a little at a time, so a large write from the service goes through in pieces.
// It ignores SIGINT (sent to the whole group to stop the service) and reads on to the end.
const SLOW_READER = `
const fs = require('node:fs');
process.on('SIGINT', () => undefined);
const [file, chunk, sleepMs, startAfterMs] = process.argv.slice(1);
const buf = Buffer.alloc(Number(chunk));
const pause = new Int32Array(new SharedArrayBuffer(4));
const out = fs.openSync(file, 'a');
Atomics.wait(pause, 0, 0, Number(startAfterMs));
for (;;) {
  const n = fs.readSync(0, buf, 0, buf.length, null);
  if (n === 0) break;
  fs.writeSync(out, buf, 0, n);
  Atomics.wait(pause, 0, 0, Number(sleepMs));
}`;

/**
 * Starts server.ts with its stdout on a pipe (pipe(2), as a shell or a container runtime makes it; node's own
 * 'pipe' stdio is a socket pair, which behaves differently) to the slow collector above.
 */
async function startWithSlowReader(env: Record<string, string>, chunkBytes: number, sleepMs: number, startAfterMs = 0): Promise<Started> {
  const port = await freePort();
  const file = join(mkdtempSync(join(tmpdir(), 'log-output-')), 'stdout.log');
  writeFileSync(file, '');
  const pipeline = spawn('/bin/sh', ['-c', '"$NODE" --import tsx app/src/server.ts | "$NODE" -e "$SLOW_READER" "$OUT" "$CHUNK" "$SLEEP_MS" "$START_AFTER_MS"'], {
    cwd: root,
    detached: true, // its own process group, so one signal reaches the service however the shell forks
    env: {
      PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: String(port), NODE_ENV: 'test', ...env,
      NODE: process.execPath, SLOW_READER, OUT: file, CHUNK: String(chunkBytes), SLEEP_MS: String(sleepMs), START_AFTER_MS: String(startAfterMs),
    },
    stdio: 'ignore',
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (await fetch(`${url}/health/ready`).then((r) => r.status === 200, () => false)) break;
    if (i > 200) throw new Error('server.ts never became ready');
    await new Promise((r) => setTimeout(r, 100));
  }
  return { pipeline, url, output: () => readFileSync(file, 'utf8') };
}

/** Stops the service with SIGINT (no drain) and returns all of its stdout once the collector has read to the end. */
async function stop(started: Started): Promise<string> {
  const finished = new Promise((resolve) => started.pipeline.once('exit', resolve));
  process.kill(-started.pipeline.pid!, 'SIGINT');
  await finished;
  return started.output();
}

function parseLines(text: string): { valid: Record<string, unknown>[]; invalid: string[] } {
  const valid: Record<string, unknown>[] = [];
  const invalid: string[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    try {
      valid.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      invalid.push(line);
    }
  }
  return { valid, invalid };
}

let running: Started | undefined;
afterEach(() => {
  if (running) process.kill(-running.pipeline.pid!, 'SIGKILL');
  running = undefined;
});

describe('stdout under a slow log collector', () => {
  it('never tears a line: request logs and metric records arrive as whole JSON documents', async () => {
    // A metric record every 2 ms while requests are logged: many chances for the two kinds of line to meet.
    running = await startWithSlowReader({ METRICS_INTERVAL_MS: '2' }, 512, 0.5);
    await autocannon({ url: `${running.url}/`, connections: 50, duration: 2 });
    const { valid, invalid } = parseLines(await stop(running));
    running = undefined;
    const metrics = valid.filter((d) => d._aws !== undefined);
    const requests = valid.filter((d) => d.msg === 'request');
    // Enough of both kinds that a torn line would have had every chance to happen (before the fix: dozens).
    expect({ requests: requests.length > 1000, metrics: metrics.length > 10 }, `${requests.length} request lines, ${metrics.length} metric records`).toEqual({ requests: true, metrics: true });
    expect(invalid.slice(0, 3), `${invalid.length} torn lines`).toEqual([]);
  });

  it('writes a quiet service\'s last lines within a second, not when 4 KiB have piled up', async () => {
    running = await startWithSlowReader({ METRICS_INTERVAL_MS: '0' }, 65_536, 1);
    const before = parseLines(running.output()).valid.length;
    await fetch(`${running.url}/?marker=quiet`);
    await new Promise((r) => setTimeout(r, 1_500));
    const logged = parseLines(running.output()).valid.filter((d) => d.msg === 'request' && d.path === '/');
    expect(before).toBeGreaterThan(0); // the start-up lines
    expect(logged.length).toBeGreaterThan(0);
  });

  it('keeps serving while the collector reads nothing at all (logs never block the event loop)', async () => {
    // The collector starts reading only after 8 s: the 64 KiB pipe is full within a fraction of a second. A metric
    // record is due every 100 ms; a blocking write of one would stop the process until the collector reads.
    running = await startWithSlowReader({ METRICS_INTERVAL_MS: '100' }, 65_536, 0, 8_000);
    const result = await autocannon({ url: `${running.url}/`, connections: 10, duration: 3 });
    expect({ answered: result.requests.total > 1000, non2xx: result.non2xx, errors: result.errors, timeouts: result.timeouts }).toEqual({ answered: true, non2xx: 0, errors: 0, timeouts: 0 });
  });
});
