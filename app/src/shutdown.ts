// Graceful shutdown after SIGTERM, in the order the load balancer needs:
//  1. readiness turns 503 at once (the caller sets the lifecycle before calling drain);
//  2. keep serving for drainMs, shorter than the deregistration delay, so the load balancer sees the
//     failing check and stops routing here before we stop accepting (contract.ts: DRAIN_SECONDS);
//  3. stop accepting, close idle keep-alive connections, let in-flight requests finish (bounded);
//  4. close the database pool. The caller then exits 0, well before the container's stop timeout.
import type { Server } from 'node:http';

export interface ShutdownSteps {
  readonly server: Server;
  readonly drainMs: number;
  /** How long in-flight requests get after we stop accepting (then connections are cut). */
  readonly inFlightGraceMs: number;
  readonly closeResources: () => Promise<void>;
  readonly log?: (msg: string, fields?: Record<string, unknown>) => void;
  readonly sleep?: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function drainAndClose(steps: ShutdownSteps): Promise<void> {
  const log = steps.log ?? (() => undefined);
  const sleep = steps.sleep ?? defaultSleep;
  log('draining: readiness is failing, still serving', { drainMs: steps.drainMs });
  await sleep(steps.drainMs);

  log('closing: no new connections, finishing in-flight requests');
  const closed = new Promise<void>((resolve) => steps.server.close(() => resolve()));
  // server.close() closes the connections idle right now; a keep-alive connection whose request is
  // still running becomes idle later, so keep sweeping until everything is closed.
  steps.server.closeIdleConnections();
  const sweeper = setInterval(() => steps.server.closeIdleConnections(), 50);
  let timer: NodeJS.Timeout | undefined;
  const graceOver = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), steps.inFlightGraceMs);
  });
  const outcome = await Promise.race([closed, graceOver]);
  clearTimeout(timer);
  clearInterval(sweeper);
  if (outcome === 'timeout') {
    log('in-flight requests did not finish in time; closing their connections');
    steps.server.closeAllConnections();
  }
  await steps.closeResources();
  log('stopped');
}
