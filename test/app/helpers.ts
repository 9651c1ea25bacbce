// Shared test helpers: a quiet configuration, an in-process service on port 0, and a database wrapper
// that injects faults (refused connections, hangs, delays) without touching a real server.
import { connect } from 'node:net';
import { createPgliteDatabase } from '../../app/src/db/pglite';
import type { Database, Queryable } from '../../app/src/db/types';
import { type Config, type PolicyConfig, loadConfig } from '../../app/src/config';
import { startServer, type App } from '../../app/src/app';
import { silentLogger } from '../../app/src/logger';

export function testConfig(overrides: Partial<Omit<Config, 'policies'>> & { policies?: Partial<PolicyConfig> } = {}): Config {
  const base = loadConfig({ PORT: '0', HOST: '127.0.0.1', METRICS_INTERVAL_MS: '0', DRAIN_SECONDS: '0' });
  return { ...base, ...overrides, policies: { ...base.policies, ...overrides.policies } };
}

export type FaultMode = 'ok' | 'refuse' | 'hang';

/** Wraps a database; `mode` decides what each call does. Counts calls so tests can see fail-fast. */
export class FaultyDatabase implements Database {
  mode: FaultMode = 'ok';
  /** Extra latency added to each successful call. */
  delayMs = 0;
  calls = 0;
  readonly kind: string;

  constructor(private readonly inner: Database) {
    this.kind = inner.kind;
  }

  private async gate(): Promise<void> {
    this.calls++;
    if (this.mode === 'refuse') throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    if (this.mode === 'hang') await new Promise(() => undefined);
    if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
  }

  async query<R extends Record<string, unknown>>(sql: string, params?: unknown[]): Promise<{ rows: R[] }> {
    await this.gate();
    return this.inner.query<R>(sql, params);
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    await this.gate();
    return this.inner.transaction(fn);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

export async function pglite(): Promise<Database> {
  return createPgliteDatabase();
}

/** Starts the service in-process on 127.0.0.1:0 and waits until it is ready. */
export async function startTestApp(database: Database, config: Config = testConfig()): Promise<App & { url: string }> {
  const app = await startServer({ config, database, logger: silentLogger(), metricsSink: () => undefined, taskInfo: {} });
  await app.ready;
  return app;
}

export async function json(res: Response): Promise<any> {
  const text = await res.text();
  return text === '' ? undefined : JSON.parse(text);
}

export function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

export interface RawExchange {
  /** Everything the server sent, as text. */
  readonly data: string;
  /** True when the server closed the connection before `waitMs` elapsed. */
  readonly closed: boolean;
  /** Milliseconds from connecting to the server closing the connection (or to giving up). */
  readonly elapsedMs: number;
}

/** Opens a TCP connection, writes `request` (nothing when empty) and collects what the server sends until it
 *  closes the connection or `waitMs` passes. For clients fetch() cannot be: slow bodies, silent connections. */
export function rawExchange(url: string, request: string, waitMs: number): Promise<RawExchange> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const started = performance.now();
    let data = '';
    const socket = connect(Number(port), hostname, () => {
      if (request !== '') socket.write(request);
    });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ data, closed: false, elapsedMs: performance.now() - started });
    }, waitMs);
    socket.on('data', (d) => (data += d.toString()));
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ data, closed: true, elapsedMs: performance.now() - started });
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'ECONNRESET' && err.code !== 'EPIPE') reject(err);
    });
  });
}

/** The status lines in a raw HTTP/1.1 exchange, e.g. ['HTTP/1.1 408 Request Timeout']. */
export function statusLines(data: string): string[] {
  return data.split('\r\n').filter((line) => /^HTTP\/1\.1 \d{3}/.test(line));
}
