// The three health endpoints, each answering a different question for a different caller.
import { TimeoutStrategy, timeout } from 'cockatiel';
import { isTimeout, isTransient } from './db/errors';
import type { ResilientDatabase } from './db/policies';
import type { Database } from './db/types';
import type { JsonResponse } from './http/router';

export type Phase = 'starting' | 'ready' | 'draining' | 'stopped';

/** The task's lifecycle, as readiness reports it. */
export class Lifecycle {
  phase: Phase = 'starting';

  get draining(): boolean {
    return this.phase === 'draining' || this.phase === 'stopped';
  }
}

/** Liveness (ECS container health check): the event loop turns and can answer. Checks no dependency,
 *  so a database outage never makes ECS kill and replace every task at once. */
export function live(): JsonResponse {
  return { status: 200, body: { status: 'ok' } };
}

/**
 * Readiness (load balancer health check): should this task receive traffic? Starting (migrations not
 * done) and draining (SIGTERM received) say no. It deliberately does NOT check the database: the
 * database is shared by every task, so a brief outage or a failover would fail every task's check at
 * the same moment and the load balancer would have no healthy target left. While the database is
 * away, the tasks stay in service and answer quickly themselves (circuit breaker → 503, cached reads),
 * which is better than the load balancer's own 503 for "no healthy targets".
 */
export function ready(lifecycle: Lifecycle): JsonResponse {
  if (lifecycle.phase === 'ready') return { status: 200, body: { status: 'ready' } };
  return { status: 503, body: { status: lifecycle.phase }, headers: { 'retry-after': '5' } };
}

/** How long one deep probe's result is served to every caller. */
export const DEEP_CACHE_MS = 1000;

export interface DeepCheckOptions {
  /** Deadline for the probe query. */
  readonly timeoutMs: number;
  /** How long a result is reused. @default DEEP_CACHE_MS */
  readonly cacheMs?: number;
  /** Where the probe's real error goes (the response carries only a generic reason). @default - nowhere */
  readonly onProbeError?: (err: unknown) => void;
}

interface Probe {
  readonly up: boolean;
  /** The database refuses writes (a read replica); undefined when the probe failed. */
  readonly readOnly?: boolean;
  readonly reason?: string;
  readonly latencyMs: number;
  /** Date.now() when the probe finished. */
  readonly at: number;
}

/**
 * Deep health (monitoring, canaries; never the load balancer): checks the database for real, with a
 * deadline, and reports status and latency. It bypasses the circuit breaker on purpose, so it shows the
 * database's true state even while the circuit is open.
 *
 * It is reachable by anyone who can reach the service, so it must cost nearly nothing however often it is
 * called: at most one probe runs at a time (concurrent callers share it), a result is reused for
 * `cacheMs`, so the database sees at most one probe query per second per task whatever the request rate;
 * and the response says only why in general terms (the error itself, which can name hosts and ports,
 * goes to the log).
 */
export class DeepCheck {
  private cached?: Probe;
  private running?: Promise<Probe>;
  private readonly cacheMs: number;

  constructor(
    private readonly db: Database,
    private readonly resilient: ResilientDatabase,
    private readonly options: DeepCheckOptions,
  ) {
    this.cacheMs = options.cacheMs ?? DEEP_CACHE_MS;
  }

  async check(): Promise<JsonResponse> {
    const probe = this.cached && Date.now() - this.cached.at < this.cacheMs ? this.cached : await this.probeOnce();
    const database = {
      status: probe.up ? 'up' : 'down',
      kind: this.db.kind,
      latencyMs: probe.latencyMs,
      checkedAt: new Date(probe.at).toISOString(),
      circuit: this.resilient.circuitState,
      pool: { freeSlots: this.resilient.bulkhead.executionSlots, freeQueueSlots: this.resilient.bulkhead.queueSlots },
      ...(probe.readOnly === undefined ? {} : { readOnly: probe.readOnly }),
      ...(probe.reason ? { reason: probe.reason } : {}),
    };
    return { status: probe.up ? 200 : 503, body: { status: probe.up ? 'ok' : 'degraded', dependencies: { database } } };
  }

  private probeOnce(): Promise<Probe> {
    this.running ??= this.probe().then((p) => {
      this.cached = p;
      this.running = undefined;
      return p;
    });
    return this.running;
  }

  private async probe(): Promise<Probe> {
    const started = performance.now();
    let reason: string | undefined;
    let readOnly: boolean | undefined;
    try {
      const { rows } = await timeout(this.options.timeoutMs, TimeoutStrategy.Aggressive).execute(() =>
        this.db.query<{ read_only: string }>("SELECT current_setting('transaction_read_only') AS read_only"),
      );
      readOnly = rows[0]?.read_only === 'on';
    } catch (err) {
      this.options.onProbeError?.(err);
      reason = isTimeout(err)
        ? `no answer within ${this.options.timeoutMs} ms`
        : isTransient(err)
          ? 'could not reach the database'
          : 'the probe query failed';
    }
    const latencyMs = Math.round((performance.now() - started) * 100) / 100;
    return { up: reason === undefined, readOnly, reason, latencyMs, at: Date.now() };
  }
}
