/**
 * The failure scenarios, each driving the rig the way the cloud would and returning what it observed.
 * Judging happens later (evaluate.ts), once every request record has arrived.
 */
import type { Observation } from './evaluate';
import { isInRotation } from './haproxy-config';
import { sleep, waitFor } from './processes';
import { AZS, type Rig } from './rig';
import { isFailure, round } from './stats';

const seconds = (from: number, to: number) => round((to - from) / 1000, 1);

/** Every acknowledged write so far that the current primary does not hold (or holds with other text). */
export function lostWrites(rig: Rig): string[] {
  const rows = rig.cluster.messages();
  return rig.load.acks.filter((a) => rows.get(a.id) !== a.text).map((a) => a.id);
}

/** Counts writes lost since the last call, so each scenario is charged with its own losses. */
export class WriteAudit {
  private readonly lost = new Set<string>();

  constructor(private readonly rig: Rig) {}

  newlyLost(): number {
    let added = 0;
    for (const id of lostWrites(this.rig)) {
      if (!this.lost.has(id)) {
        this.lost.add(id);
        added++;
      }
    }
    return added;
  }

  get total(): number {
    return this.lost.size;
  }
}

/**
 * Waits (bounded) until requests sent after `since` have all succeeded for `stableMs`, judging only requests
 * old enough to have been answered. Returns false when `timeoutMs` passes first.
 */
export async function waitStable(rig: Rig, since: number, stableMs: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    await sleep(250);
    const settledBefore = Date.now() - 1000;
    const recent = rig.load.recent(since).filter((r) => r.start <= settledBefore);
    const lastFailure = Math.max(since, ...recent.filter(isFailure).map((r) => r.start));
    const okAfter = recent.filter((r) => r.start > lastFailure);
    if (okAfter.length > 0 && settledBefore - lastFailure >= stableMs) return true;
  }
  return false;
}

/**
 * An ECS canary deployment (the stack's default strategy): a full set of new tasks starts beside the old one, takes a
 * share of the traffic (HAProxy weights: 1 per new task against 9 per old, 10 %, the stack's default canary share),
 * bakes, then takes all of it (old weights 0) and bakes again with both sets running; only then do the old tasks get
 * SIGTERM and drain. The bakes are seconds here, minutes in AWS: the shape is rehearsed, not the timing.
 */
export async function rollingRestart(rig: Rig, audit: WriteAudit, bakeMs = 5000): Promise<Observation> {
  const from = Date.now();
  await sleep(1000);
  const exits: Promise<number | string>[] = [];
  const steps: string[] = [];
  const olds = AZS.map((az) => {
    const old = [...rig.tasks.values()].find((t) => t.slot.name.startsWith(`${az}-`));
    if (!old) throw new Error(`no task in ${az}`);
    return old;
  });
  const fresh = olds.map((old) => rig.sibling(old.slot));
  const weight = (slot: string, w: number) => rig.haproxy.command(`set weight targets/${slot} ${w}`);
  const sessions = async () => new Map((await rig.haproxy.servers()).map((s) => [s.name, s.totalSessions]));
  const share = (before: Map<string, number>, after: Map<string, number>) => {
    const delta = (names: string[]) => names.reduce((n, name) => n + (after.get(name) ?? 0) - (before.get(name) ?? 0), 0);
    const toNew = delta(fresh.map((s) => s.name));
    const toOld = delta(olds.map((o) => o.slot.name));
    return toNew + toOld > 0 ? toNew / (toNew + toOld) : 0;
  };
  try {
    await Promise.all([...olds.map((o) => weight(o.slot.name, 9)), ...fresh.map((s) => weight(s.name, 1))]);
    const t0 = Date.now();
    await Promise.all(fresh.map((slot) => rig.launch(slot)));
    await Promise.all(fresh.map((slot) => rig.waitInRotation(slot.name)));
    steps.push(`new tasks in service after ${seconds(t0, Date.now())} s`);
    const canaryStart = await sessions();
    await sleep(bakeMs);
    const canaryShare = share(canaryStart, await sessions());
    steps.push(`canary bake ${bakeMs / 1000} s: ${(canaryShare * 100).toFixed(1)} % of requests to the new tasks`);
    await Promise.all([...olds.map((o) => weight(o.slot.name, 0)), ...fresh.map((s) => weight(s.name, 1))]);
    const allStart = await sessions();
    await sleep(bakeMs);
    const allShare = share(allStart, await sessions());
    steps.push(`bake with both running ${bakeMs / 1000} s: ${(allShare * 100).toFixed(1)} % to the new tasks`);
    for (const old of olds) {
      rig.procs.signal(old.process, 'SIGTERM');
      exits.push(old.process.exited);
    }
    const termAt = Date.now();
    await Promise.all(olds.map((old) => rig.waitOutOfRotation(old.slot.name)));
    steps.push(`old tasks out ${seconds(termAt, Date.now())} s after SIGTERM`);
    rig.log(`canary deployment: ${steps.join('; ')}`);
    // STOP_TIMEOUT_SECONDS (30 s) is when ECS would SIGKILL; the tasks must be gone well before.
    const codes = await Promise.race([Promise.all(exits), sleep(40_000).then(() => ['still running'])]);
    await sleep(1000);
    return {
      name: 'rolling-restart',
      from,
      to: Date.now(),
      lostAcknowledgedWrites: audit.newlyLost(),
      measured: { oldTaskExitCodes: codes.join(','), canaryShare: Number(canaryShare.toFixed(3)), fullShare: Number(allShare.toFixed(3)), steps: steps.join('; ') },
    };
  } finally {
    // Later scenarios expect every slot at the default weight.
    await Promise.all([...olds.map((o) => weight(o.slot.name, 1)), ...fresh.map((s) => weight(s.name, 1))]).catch(() => undefined);
  }
}

/** SIGKILL one task (no drain, no goodbye); the load balancer finds out through its health checks; ECS replaces it. */
export async function crash(rig: Rig, audit: WriteAudit): Promise<Observation> {
  const from = Date.now();
  await sleep(1000);
  const victim = [...rig.tasks.values()].find((t) => t.slot.name.startsWith('az2-'));
  if (!victim) throw new Error('no task in az2');
  const faultAt = Date.now();
  rig.procs.signal(victim.process, 'SIGKILL');
  await victim.process.exited;
  const detectedAt = await rig.waitOutOfRotation(victim.slot.name);
  rig.log(`crash: ${victim.id} killed; out of service after ${seconds(faultAt, detectedAt)} s`);
  // ECS starts a replacement once it sees the task stopped; it lands in the AZ's other slot.
  const replacement = rig.sibling(victim.slot);
  await rig.launch(replacement);
  const inService = await rig.waitInRotation(replacement.name).catch(() => undefined);
  await waitStable(rig, faultAt, 3000, 30_000);
  await sleep(1000);
  return {
    name: 'crash',
    from,
    to: Date.now(),
    faultAt,
    lostAcknowledgedWrites: audit.newlyLost(),
    measured: {
      detectionSeconds: seconds(faultAt, detectedAt),
      replacementInServiceSeconds: inService === undefined ? null : seconds(faultAt, inService),
    },
  };
}

/**
 * Multi-AZ failover: the primary dies hard (SIGKILL to every PostgreSQL process); after `detectionMs` (RDS
 * needs 60–120 s in all) the synchronous standby is promoted and the endpoint flips to it. The tasks must ride through without a restart, and every write they
 * acknowledged must be on the new primary. Afterwards a new standby is built, as RDS does.
 */
export async function databaseFailover(rig: Rig, audit: WriteAudit, detectionMs: number): Promise<Observation> {
  const pids = new Map([...rig.tasks.values()].map((t) => [t.slot.name, t.process.child.pid]));
  const from = Date.now();
  await sleep(2000);
  const faultAt = Date.now();
  await rig.cluster.killPrimary();
  // RDS needs time to notice, promote and update DNS; meanwhile the endpoint leads to a dead host.
  await sleep(detectionMs);
  const promoted = await rig.cluster.promoteStandby();
  const promotedAt = Date.now();
  rig.proxy.flip({ host: '127.0.0.1', port: promoted.port });
  const flippedAt = Date.now();
  rig.log(`database failover: primary killed, ${promoted.name} promoted after ${seconds(faultAt, promotedAt)} s, endpoint flipped`);
  const stable = await waitStable(rig, faultAt, 3000, 60_000);
  await sleep(1000);
  const to = Date.now();
  const lost = audit.newlyLost();
  const restarted = [...pids].filter(([slot, pid]) => rig.tasks.get(slot)?.process.child.pid !== pid || !rig.tasks.get(slot)?.process.alive()).length;
  const t0 = Date.now();
  await rig.cluster.restoreRedundancy();
  rig.log(`database failover: ${stable ? 'service stable again' : 'service NOT stable'}; new synchronous standby in ${seconds(t0, Date.now())} s`);
  return {
    name: 'database-failover',
    from,
    to,
    faultAt,
    lostAcknowledgedWrites: lost,
    measured: {
      promotionSeconds: seconds(faultAt, promotedAt),
      endpointFlippedAt: flippedAt,
      tasksRestarted: restarted,
      acknowledgedWritesChecked: rig.load.acks.length,
    },
  };
}

/** 30 s database outage: a network partition between the tasks and the database (nothing answers). */
export async function databaseOutage(rig: Rig, audit: WriteAudit, outageMs: number): Promise<Observation> {
  const from = Date.now();
  await sleep(2000);
  const faultAt = Date.now();
  rig.proxy.partition();
  rig.log(`database outage: partitioned for ${outageMs / 1000} s`);
  await sleep(outageMs);
  rig.proxy.heal();
  const faultEndAt = Date.now();
  const stable = await waitStable(rig, faultEndAt, 3000, 45_000);
  await sleep(1000);
  rig.log(`database outage: healed; ${stable ? 'service stable again' : 'service NOT stable'}`);
  return { name: 'database-outage', from, to: Date.now(), faultAt, faultEndAt, lostAcknowledgedWrites: audit.newlyLost() };
}

/**
 * Overload: measure capacity (the best sustained goodput), then offer twice that in an open loop (arrivals do
 * not slow down when answers do, as real users do not). Afterwards the steady load must succeed again on
 * every task.
 */
export async function overload(rig: Rig, audit: WriteAudit, opts: { capacitySteps: readonly number[]; capacityStepMs: number; overloadMs: number; clientTimeoutMs: number }): Promise<Observation> {
  const tasksBefore = (await rig.inService()).length;
  // The load balancer keeps probing every task through every step here (512 closed-loop clients, the open
  // loops at twice the capacity), each probe on a new connection. A busy task must still answer them in
  // time, or it is taken out exactly when its capacity is needed.
  const inRotation = (await rig.haproxy.servers()).filter((sv) => isInRotation(sv.status));
  const failedBefore = new Map(inRotation.map((sv) => [sv.name, sv.failedChecks]));
  const probes = { failed: 0, slowestMs: 0, takenOut: new Set<string>() };
  let overloaded = true;
  const sampling = (async () => {
    while (overloaded) {
      for (const sv of await rig.haproxy.servers()) {
        if (!failedBefore.has(sv.name)) continue;
        probes.slowestMs = Math.max(probes.slowestMs, sv.lastCheckMs);
        if (!isInRotation(sv.status)) probes.takenOut.add(sv.name);
      }
      await sleep(200);
    }
  })();
  // Capacity is the best sustained goodput. Closed loops of growing concurrency find the knee, but on this
  // stack they were seen to under-read it by about a third against an open loop at saturation, so a short open
  // loop at twice the knee is measured too. The first 500 ms of each step (connections opening) are left out.
  let capacityRps = 0;
  let capacityMethod = '';
  const measure = (label: string, stepStart: number, stepEnd: number) => {
    const measuredFrom = stepStart + 500;
    const ok = rig.load.records.filter((r) => r.start >= measuredFrom && r.start < stepEnd && !isFailure(r)).length;
    const rps = round(ok / ((stepEnd - measuredFrom) / 1000), 1);
    rig.log(`overload: ${label}: ${rps} req/s accepted`);
    if (rps > capacityRps) {
      capacityRps = rps;
      capacityMethod = label;
    }
  };
  for (const concurrency of opts.capacitySteps) {
    const stepStart = Date.now();
    await rig.load.closed(concurrency, opts.capacityStepMs, opts.clientTimeoutMs + 5000);
    measure(`closed loop, ${concurrency} clients`, stepStart, Date.now());
  }
  const probeRps = Math.round(capacityRps * 2);
  const probeStart = Date.now();
  await rig.load.open(probeRps, opts.capacityStepMs, opts.clientTimeoutMs + 5000);
  measure(`open loop at ${probeRps} req/s`, probeStart, probeStart + opts.capacityStepMs);
  await sleep(1000);
  const offered = Math.round(capacityRps * 2);
  rig.log(`overload: capacity ${capacityRps} req/s (${capacityMethod}); offering ${offered} req/s for ${opts.overloadMs / 1000} s`);
  const from = Date.now();
  const { lateMs } = await rig.load.open(offered, opts.overloadMs, opts.clientTimeoutMs + 5000);
  const to = from + opts.overloadMs;
  overloaded = false;
  await sampling;
  for (const sv of await rig.haproxy.servers()) {
    const before = failedBefore.get(sv.name);
    if (before !== undefined) probes.failed += sv.failedChecks - before;
  }
  rig.log(`overload: health checks of the ${inRotation.length} tasks in service: ${probes.failed} failed, slowest ${probes.slowestMs} ms, ${probes.takenOut.size} taken out`);
  // Afterwards: the normal load must succeed on every task again.
  await sleep(1000);
  const afterFrom = Date.now();
  await rig.load.open(rig.options.rps, 4000, opts.clientTimeoutMs + 5000);
  const after = rig.load.records.filter((r) => r.start >= afterFrom);
  const inService = (await rig.haproxy.servers()).filter((s) => isInRotation(s.status)).length;
  const alive = [...rig.tasks.values()].filter((t) => t.process.alive()).length;
  return {
    name: 'overload',
    from,
    to,
    faultAt: from,
    lostAcknowledgedWrites: audit.newlyLost(),
    measured: {
      capacityRps,
      capacityMethod,
      offeredRps: offered,
      generatorLagMs: lateMs,
      tasksBefore,
      tasksInServiceAfter: Math.min(inService, alive),
      failuresAfter: after.filter(isFailure).length,
      healthChecksFailed: probes.failed,
      slowestHealthCheckMs: probes.slowestMs,
      tasksTakenOut: probes.takenOut.size,
    },
  };
}

/** Waits until every slot with a task is in service (after scenarios that replace tasks). */
export async function settle(rig: Rig): Promise<void> {
  await waitFor('every task in service', async () => {
    const up = await rig.inService();
    return [...rig.tasks.keys()].every((s) => up.includes(s)) ? true : undefined;
  }, 30_000, 250);
}
