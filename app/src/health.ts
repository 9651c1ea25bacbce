// The three health endpoints, each answering a different question for a different caller.
import { TimeoutStrategy, timeout } from 'cockatiel';
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

/**
 * Deep health (monitoring, canaries; never the load balancer): checks each dependency for real, with
 * a deadline, and reports status and latency. It bypasses the circuit breaker on purpose, so it shows
 * the database's true state even while the circuit is open.
 */
export async function deep(db: Database, resilient: ResilientDatabase, timeoutMs: number): Promise<JsonResponse> {
  const started = performance.now();
  let up = true;
  let error: string | undefined;
  try {
    await timeout(timeoutMs, TimeoutStrategy.Aggressive).execute(() => db.query('SELECT 1'));
  } catch (err) {
    up = false;
    error = err instanceof Error ? err.message : String(err);
  }
  const database = {
    status: up ? 'up' : 'down',
    kind: db.kind,
    latencyMs: Math.round((performance.now() - started) * 100) / 100,
    circuit: resilient.circuitState,
    pool: { freeSlots: resilient.bulkhead.executionSlots, freeQueueSlots: resilient.bulkhead.queueSlots },
    ...(error ? { error } : {}),
  };
  return { status: up ? 200 : 503, body: { status: up ? 'ok' : 'degraded', dependencies: { database } } };
}
