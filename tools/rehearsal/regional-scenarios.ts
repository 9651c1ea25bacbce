/**
 * The regional scenarios and the runbook steps they execute, in the order the failover plan / SSM Automation runbook
 * does them: guard (the primary really is down: the health check failed `failureThreshold` times), promote
 * (pg_promote on the cross-region replica), scale (start standby tasks up to the primary's count: pilot light), switch
 * (the DNS failover record answers the standby; clients follow when their cached answer's TTL runs out).
 * Judging happens in regional-evaluate.ts.
 */
import type { RegionalObservation } from './regional-evaluate';
import { RegionalPostgres, type PgNode, type RegionalRig } from './regional-rig';
import type { Region } from './regional-net';
import { sleep, waitFor } from './processes';
import { executeRunbook, type StepActions, type StepRecord } from './regional-runbook';

/**
 * The runbook's steps against the local stand-ins. `promoted` is told when the replica accepts writes.
 */
function runbookActions(rig: RegionalRig, onPromoted: (at: number) => void): StepActions {
  const standby = rig.regions.secondary;
  const want = rig.facts.runbook.desiredCount;
  return {
    AssertPrimaryDown: async () => {
      if (rig.probe.state !== 'ALARM') throw new Error(`${rig.facts.probeAlarm.alarm} is ${rig.probe.state}, not ALARM: the probe still reaches the primary`);
      return `${rig.facts.probeAlarm.alarm} is in ALARM`;
    },
    ReadPrimaryHealthCheck: async () => `Route 53 health check: primary ${rig.dns.primaryHealthy ? 'healthy' : 'unhealthy'}${rig.dns.inverted ? ' (inverted)' : ''}`,
    AssertPrimaryUnhealthy: async () => {
      if (rig.dns.primaryHealthy) throw new Error('the Route 53 health check calls the primary healthy');
      return 'the health check calls the primary unhealthy';
    },
    PromoteReplica: async () => {
      await rig.pg.promote(rig.dr);
      return 'pg_promote on dr';
    },
    WaitForPromotion: async () => {
      await waitFor('dr to accept writes', async () => (!(await rig.pg.isInRecovery(rig.dr)) ? true : undefined), 60_000, 50);
      onPromoted(Date.now());
      return 'dr accepts writes';
    },
    RaiseMinimumCapacity: async () => `minimum capacity ${want} (no autoscaling stand-in: the slots below are the capacity)`,
    ScaleService: async () => {
      const missing = standby.slots.slice(0, want).filter((x) => !standby.tasks.has(x.name));
      await Promise.all(missing.map((x) => rig.launch(standby, x)));
      return missing.length === 0 ? `desiredCount ${want}: ${standby.tasks.size} tasks already run (warm standby)` : `desiredCount ${want}: started ${missing.length} tasks (pilot light)`;
    },
    WaitForTasks: async () => {
      await Promise.all(standby.slots.slice(0, want).map((x) => rig.waitInRotation(standby, x.name)));
      return `${want} tasks in service`;
    },
    ReadDnsHealthCheck: async () => `the failover record answers ${rig.dns.authoritative()}`,
    AssertDnsFailedOver: async () => {
      if (rig.dns.authoritative() !== 'secondary') throw new Error('the failover record still answers the primary');
      return 'the failover record answers the standby';
    },
    OutputStandbyEndpoint: async () => `standby endpoint ${standby.haproxy.url}`,
  };
}

async function runRunbook(rig: RegionalRig, force: boolean, step: (name: string, detail: string) => void): Promise<{ completed: boolean; promotedAt?: number; stoppedAt?: string }> {
  let promotedAt: number | undefined;
  let stoppedAt: string | undefined;
  const completed = await executeRunbook(rig.facts.runbook, runbookActions(rig, (at) => (promotedAt = at)), force, (r: StepRecord) => {
    if (!r.ok) stoppedAt = r.step;
    step(`runbook ${r.step}`, r.detail);
  });
  return { completed, promotedAt, stoppedAt };
}

export interface Step {
  readonly step: string;
  readonly at: number;
  readonly detail: string;
}

/** Keyed writes sent straight to one region's load balancer (a client with a stale DNS answer), counted by status. */
export class DirectWriter {
  readonly statuses: { at: number; status: number }[] = [];
  private running = true;
  private done: Promise<void> | undefined;
  constructor(
    private readonly url: string,
    private readonly everyMs: number,
  ) {}

  start(): this {
    const runId = Date.now().toString(36);
    let n = 0;
    this.done = (async () => {
      while (this.running) {
        const at = Date.now();
        let status = 0;
        try {
          const res = await fetch(`${this.url}/messages`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'idempotency-key': `direct-${runId}-${++n}` },
            body: JSON.stringify({ text: `direct write ${n}` }),
            signal: AbortSignal.timeout(5000),
          });
          await res.arrayBuffer();
          status = res.status;
        } catch {
          status = 0;
        }
        this.statuses.push({ at, status });
        await sleep(this.everyMs);
      }
    })();
    return this;
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.done;
  }

  accepted(from = 0, to = Number.POSITIVE_INFINITY): number {
    return this.statuses.filter((s) => s.at >= from && s.at < to && s.status >= 200 && s.status < 300).length;
  }
}

/** Reads of one message straight from a region's load balancer until stopped; counts 2xx answers. */
export class DirectReader {
  ok = 0;
  sent = 0;
  private running = true;
  private done: Promise<void> | undefined;
  constructor(
    private readonly url: string,
    private readonly id: string,
    private readonly everyMs: number,
  ) {}

  start(): this {
    this.done = (async () => {
      while (this.running) {
        this.sent++;
        try {
          const res = await fetch(`${this.url}/messages/${this.id}`, { signal: AbortSignal.timeout(2000) });
          await res.arrayBuffer();
          if (res.status >= 200 && res.status < 300) this.ok++;
        } catch {
          // counted as not ok
        }
        await sleep(this.everyMs);
      }
    })();
    return this;
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.done;
  }
}

/** Waits until the clients' resolver answers `region` (TTL included); returns when it did. */
async function waitClientsIn(rig: RegionalRig, region: Region, timeoutMs: number): Promise<number> {
  return waitFor(`clients to reach the ${region} region`, () => (rig.dns.resolve() === region ? Date.now() : undefined), timeoutMs, 20);
}

/** Bound for waiting on the DNS stand-in: detection + TTL, scaled, plus room. */
function dnsWaitMs(rig: RegionalRig): number {
  const d = rig.facts.dns;
  return rig.scaled(d.intervalSeconds * (d.failureThreshold + 1) + d.ttlSeconds) + 15_000;
}

/** Acknowledged writes (all so far) that `node` does not hold, with when each was acknowledged. */
async function missingOn(rig: RegionalRig, node: PgNode, before = Number.POSITIVE_INFINITY): Promise<{ id: string; at: number }[]> {
  const ids = await rig.pg.messageIds(node);
  return rig.load.acks.filter((a) => a.at < before && !ids.has(a.id)).map((a) => ({ id: a.id, at: a.at }));
}

/**
 * Partition between the regions: the link carrying WAL black-holes in both directions. The primary keeps serving
 * (asynchronous replication does not wait); the replica's lag grows until the lag alarm's condition holds; the runbook
 * is asked to fail over then and its guard refuses (the health check, outside both regions, still sees the primary
 * healthy); clients that reach the DR region directly get their writes refused (read-only). Then the link heals and
 * the replica catches up with every acknowledged write.
 */
export async function partition(rig: RegionalRig): Promise<RegionalObservation> {
  const steps: Step[] = [];
  const step = (name: string, detail: string) => {
    steps.push({ step: name, at: Date.now(), detail });
    rig.log(`partition: ${name}: ${detail}`);
  };
  const alarm = rig.facts.lagAlarm;
  const periodMs = rig.scaled(alarm.periodSeconds);
  const thresholdSeconds = (alarm.thresholdSeconds * rig.options.timeScale);
  const from = Date.now();
  await sleep(2000);
  const direct = new DirectWriter(rig.regions.secondary.haproxy.url, 200).start();
  const faultAt = Date.now();
  rig.linkToPrimary.partition();
  rig.linkToDr.partition();
  step('partition', `the link between the regions drops everything (${rig.options.roundTripMs} ms RTT before)`);
  // The alarm's condition: the last `datapointsToAlarm` per-period maxima above the (scaled) threshold. Bounded wait.
  const maxima: number[] = [];
  let alarmAt: number | undefined;
  const deadline = faultAt + rig.scaled(alarm.thresholdSeconds + alarm.periodSeconds * (alarm.evaluationPeriods + 2)) + 5000;
  let periodStart = faultAt;
  while (Date.now() < deadline && alarmAt === undefined) {
    await sleep(periodMs);
    const samples = rig.lag.filter((s) => s.at >= periodStart && s.lagSeconds !== null).map((s) => s.lagSeconds!);
    periodStart = Date.now();
    maxima.push(samples.length === 0 ? Number.POSITIVE_INFINITY : Math.max(...samples)); // missing data breaches (TreatMissingData)
    const window = maxima.slice(-alarm.evaluationPeriods);
    if (window.length >= alarm.evaluationPeriods && window.filter((v) => v > thresholdSeconds).length >= alarm.datapointsToAlarm) alarmAt = Date.now();
  }
  const lagAtAlarm = rig.lagAt(Date.now())?.lagSeconds ?? null;
  step('lag alarm', alarmAt === undefined ? 'condition NOT met before the deadline' : `condition met: lag ${lagAtAlarm?.toFixed(1)} s > ${thresholdSeconds} s in ${alarm.datapointsToAlarm} of ${alarm.evaluationPeriods} periods of ${periodMs / 1000} s`);
  // The lag alarm pages; the on-call starts the failover runbook without Force, and its guard decides.
  const healthy = rig.dns.primaryHealthy;
  const run = await runRunbook(rig, false, step);
  const promoted = !(await rig.pg.isInRecovery(rig.dr));
  step('guard', run.completed ? 'the runbook ran to the end: it promoted' : `the runbook stopped at ${run.stoppedAt}: no promotion`);
  await sleep(1000);
  await direct.stop();
  rig.linkToPrimary.heal();
  rig.linkToDr.heal();
  const faultEndAt = Date.now();
  step('heal', 'the link carries traffic again');
  let caughtUpAt: number | undefined;
  try {
    caughtUpAt = await waitFor('dr to catch up', async () => ((await rig.pg.lsnDiff(rig.node0, rig.dr)) <= 0 ? Date.now() : undefined), 60_000, 100);
  } catch {
    caughtUpAt = undefined;
  }
  step('caught up', caughtUpAt === undefined ? 'NOT within 60 s' : `replica replayed everything ${((caughtUpAt - faultEndAt) / 1000).toFixed(1)} s after the heal`);
  await sleep(2000);
  const missing = await missingOn(rig, rig.dr, faultEndAt);
  const lostOnPrimary = await missingOn(rig, rig.node0);
  const to = Date.now();
  return {
    name: 'region-partition',
    from,
    to,
    faultAt,
    faultEndAt,
    recoveredAt: caughtUpAt,
    steps,
    lostAcknowledgedWrites: lostOnPrimary.length,
    lost: lostOnPrimary,
    splitBrainWrites: direct.accepted(faultAt, faultEndAt),
    measured: {
      lagAlarmConditionMet: alarmAt !== undefined,
      lagAlarmAfterSeconds: alarmAt === undefined ? null : round1((alarmAt - faultAt) / 1000),
      lagAtAlarmSeconds: lagAtAlarm === null ? null : round1(lagAtAlarm),
      scaledLagThresholdSeconds: thresholdSeconds,
      guardSawPrimaryHealthy: healthy,
      runbookStoppedAt: run.stoppedAt ?? null,
      drPromoted: promoted || !(await rig.pg.isInRecovery(rig.dr)),
      directWritesToDr: direct.statuses.filter((s) => s.at >= faultAt && s.at < faultEndAt).length,
      directWritesRefused503: direct.statuses.filter((s) => s.at >= faultAt && s.at < faultEndAt && s.status === 503).length,
      catchUpSeconds: caughtUpAt === undefined ? null : round1((caughtUpAt - faultEndAt) / 1000),
      acknowledgedWritesMissingOnDrAfterCatchUp: missing.length,
      partitionSeconds: round1((faultEndAt - faultAt) / 1000),
    },
  };
}

const round1 = (v: number) => Math.round(v * 10) / 10;

/**
 * One planned move of the writer from `fromNode` to `toNode`: drain (read-only), let the replica catch up, switch
 * DNS (Route 53's Inverted flag on the health check, or clearing it) and wait until the clients' answer moved, stop
 * the old writer cleanly, wait until the new one has its last record, promote, and reattach the old one as a replica.
 */
async function move(
  rig: RegionalRig,
  label: string,
  fromNode: PgNode,
  toNode: PgNode,
  toRegion: Region,
  reattach: () => Promise<void>,
  step: (name: string, detail: string) => void,
  /** Promote with the runbook (Force=true), or by hand (the document only fails over towards the DR region). */
  viaRunbook: boolean,
): Promise<{ promotedAt: number; lagBytesAtPromotion: number }> {
  await rig.pg.setReadOnly(fromNode, true);
  step(`${label}: drain`, `${fromNode.name} read-only: writes answered 503 read_only, reads served`);
  await waitFor(`${toNode.name} to catch up`, async () => ((await rig.pg.lsnDiff(fromNode, toNode)) <= 0 ? true : undefined), 30_000, 50);
  step(`${label}: caught up`, `${toNode.name} replayed everything ${fromNode.name} wrote`);
  rig.dns.inverted = toRegion === 'secondary';
  const movedAt = await waitClientsIn(rig, toRegion, dnsWaitMs(rig));
  step(`${label}: switch`, `health check ${rig.dns.inverted ? 'inverted' : 'no longer inverted'}; clients reach the ${toRegion} region (TTL included)`);
  void movedAt;
  await rig.pg.clearReadOnlyOnRestart(fromNode);
  const lsn = await rig.pg.stopClean(fromNode);
  await waitFor(`${toNode.name} to receive ${lsn}`, async () => ((await rig.pg.received(toNode, lsn)) ? true : undefined), 30_000, 50);
  const lagBytes = 0;
  step(`${label}: stopped`, `${fromNode.name} stopped cleanly at ${lsn}; ${toNode.name} has received it`);
  let promotedAt: number;
  if (viaRunbook) {
    const run = await runRunbook(rig, true, step);
    if (!run.completed || run.promotedAt === undefined) throw new Error(`the runbook (Force=true) stopped at ${run.stoppedAt}`);
    promotedAt = run.promotedAt;
  } else {
    await rig.pg.promote(toNode);
    promotedAt = Date.now();
    step(`${label}: promote`, `pg_promote on ${toNode.name} (the runbook document fails over one way only; failback is by hand)`);
  }
  await reattach();
  step(`${label}: reattach`, `${fromNode.name} streams from ${toNode.name}`);
  return { promotedAt, lagBytesAtPromotion: lagBytes };
}

/** Planned switchover to the DR region and failback: zero lost writes, the old side refuses writes once the new one writes. */
export async function switchover(rig: RegionalRig): Promise<RegionalObservation> {
  const steps: Step[] = [];
  const step = (name: string, detail: string) => {
    steps.push({ step: name, at: Date.now(), detail });
    rig.log(`switchover: ${name}: ${detail}`);
  };
  const from = Date.now();
  await sleep(2000);
  const faultAt = Date.now();
  const primaryProbe = new DirectWriter(rig.regions.primary.haproxy.url, 250);
  const out = await move(rig, 'to DR', rig.node0, rig.dr, 'secondary', async () => {
    rig.regions.primary.db.flip({ host: '127.0.0.1', port: rig.node1.port });
    await rig.pg.restartAsStandby(rig.node0, rig.linkToDr.port, 'node0');
    await rig.pg.waitStreaming(rig.dr, 'node0');
  }, step, true);
  // The DR region writes now: a client that still reaches the primary region must be refused.
  primaryProbe.start();
  const drWriteAt = await waitFor('a write acknowledged in the DR region', () => rig.load.acks.find((a) => a.at >= out.promotedAt)?.at, 30_000, 50);
  step('writes in DR', `first acknowledged ${((drWriteAt - out.promotedAt) / 1000).toFixed(1)} s after the promotion`);
  await sleep(3000);
  await primaryProbe.stop();
  const drProbe = new DirectWriter(rig.regions.secondary.haproxy.url, 250);
  const back = await move(rig, 'failback', rig.dr, rig.node0, 'primary', async () => {
    rig.regions.primary.db.flip({ host: '127.0.0.1', port: rig.node0.port });
    await rig.pg.restartAsStandby(rig.dr, rig.linkToPrimary.port, RegionalPostgres.DR_NAME, { synchronous_standby_names: '' });
    await rig.pg.waitStreaming(rig.node0, RegionalPostgres.DR_NAME);
  }, step, false);
  drProbe.start();
  const backWriteAt = await waitFor('a write acknowledged in the primary region', () => rig.load.acks.find((a) => a.at >= back.promotedAt)?.at, 30_000, 50);
  step('writes in primary', `first acknowledged ${((backWriteAt - back.promotedAt) / 1000).toFixed(1)} s after the promotion`);
  await rig.pg.waitStreaming(rig.node0, RegionalPostgres.SYNC_NAME, 'sync', 30_000).then(
    () => step('redundancy', 'node1 is node0\'s synchronous standby again'),
    () => step('redundancy', 'node1 did NOT become synchronous again within 30 s'),
  );
  // Back to the standby's designed size (the template's DesiredCount): a pilot light runs no task until the next failover.
  const standby = rig.regions.secondary;
  const extra = [...standby.tasks.values()].filter((t) => !standby.slots.slice(0, rig.facts.standbyTasks).some((x) => x.name === t.slot.name));
  for (const t of extra) rig.procs.signal(t.process, 'SIGTERM');
  await Promise.all(extra.map((t) => t.process.exited));
  if (extra.length > 0) step('scale back', `${extra.length} standby tasks stopped: the DR service is back at DesiredCount ${rig.facts.standbyTasks}`);
  await sleep(3000);
  await drProbe.stop();
  const to = Date.now();
  const lost = await missingOn(rig, rig.node0);
  return {
    name: 'region-switchover',
    from,
    to,
    faultAt,
    faultEndAt: back.promotedAt,
    recoveredAt: backWriteAt,
    steps,
    lostAcknowledgedWrites: lost.length,
    lost,
    splitBrainWrites: primaryProbe.accepted() + drProbe.accepted(),
    measured: {
      firstDrWriteAfterPromotionSeconds: round1((drWriteAt - out.promotedAt) / 1000),
      firstPrimaryWriteAfterFailbackSeconds: round1((backWriteAt - back.promotedAt) / 1000),
      writesToOldSideRefused: primaryProbe.statuses.filter((s) => s.status === 503).length + drProbe.statuses.filter((s) => s.status === 503).length,
      writesToOldSide: primaryProbe.statuses.length + drProbe.statuses.length,
    },
  };
}

/**
 * Region loss: everything in the primary region dies at once (tasks, load balancer, both PostgreSQL servers, the WAL on
 * the wire). The external probe's alarm pages; the on-call starts the runbook, which runs its guard (that alarm in
 * ALARM, the Route 53 health check unhealthy), promotes, scales and checks the DNS switch. Recovery is the first successful write
 * in the DR region; lost writes are those the primary acknowledged but the replica had not received.
 */
export async function regionLoss(rig: RegionalRig): Promise<RegionalObservation> {
  const steps: Step[] = [];
  const step = (name: string, detail: string) => {
    steps.push({ step: name, at: Date.now(), detail });
    rig.log(`region loss: ${name}: ${detail}`);
  };
  const from = Date.now();
  await sleep(3000);
  // A message acknowledged well before the loss (replicated for certain): read straight from the DR region meanwhile.
  const known = [...rig.load.acks].reverse().find((a) => a.at < Date.now() - 2000);
  const faultAt = Date.now();
  rig.killRegion('primary');
  const lag = rig.lagAt(faultAt);
  const reader = known && rig.regions.secondary.tasks.size > 0 ? new DirectReader(rig.regions.secondary.haproxy.url, known.id, 100).start() : undefined;
  step('loss', `primary region killed (SIGKILL to its tasks, its load balancer, node0 and node1; WAL in flight on the link dropped); replica lag then ${lag?.lagSeconds?.toFixed(3) ?? 'unknown'} s`);
  const unhealthyAt = await waitFor('the health check to call the primary unhealthy', () => (!rig.dns.primaryHealthy ? Date.now() : undefined), dnsWaitMs(rig), 20);
  step('health check', `Route 53 stand-in: ${rig.facts.dns.failureThreshold} failures in a row, the record answers the standby`);
  const pa = rig.facts.probeAlarm;
  const pagedAt = await waitFor('the guard alarm (the page)', () => (rig.probe.state === 'ALARM' ? Date.now() : undefined), rig.scaled(pa.rateSeconds * (pa.datapointsToAlarm + 2)) + 10_000, 20);
  step('page', `${pa.alarm} in ALARM: the on-call starts the runbook`);
  // From the promotion on the DR region writes: a client still pointed at the primary region must not get a write accepted.
  let oldSide: DirectWriter | undefined;
  let readerStopped: Promise<void> | undefined;
  const run = await runRunbook(rig, false, (name, detail) => {
    step(name, detail);
    // The last step before PromoteReplica: the standby's database is still read-only.
    if (name === 'runbook AssertPrimaryUnhealthy') readerStopped = reader?.stop();
    if (name === 'runbook WaitForPromotion' && !oldSide) oldSide = new DirectWriter(rig.regions.primary.haproxy.url, 250).start();
  });
  if (!run.completed || run.promotedAt === undefined) throw new Error(`the runbook stopped at ${run.stoppedAt}`);
  const promotedAt = run.promotedAt;
  await (readerStopped ?? reader?.stop());
  oldSide ??= new DirectWriter(rig.regions.primary.haproxy.url, 250).start();
  const tasksStarted = rig.regions.secondary.tasks.size - rig.facts.standbyTasks;
  const scaledAt = steps.find((x) => x.step === 'runbook WaitForTasks')?.at ?? promotedAt;
  await waitClientsIn(rig, 'secondary', dnsWaitMs(rig));
  // When the clients' cached answer expired (the DNS stand-in's event), which may be long before the runbook ended.
  const switchedAt = rig.dns.events.find((e) => e.at >= faultAt && e.what.includes('now reach the secondary'))?.at ?? Date.now();
  steps.push({ step: 'switch', at: switchedAt, detail: 'the record answers the standby; clients\' cached answer expired and they reach it' });
  steps.sort((x, y) => x.at - y.at);
  const firstWriteAt = await waitFor('the first write acknowledged in the DR region', () => rig.load.acks.find((a) => a.at >= faultAt)?.at, 60_000, 20);
  step('first write', `${((firstWriteAt - faultAt) / 1000).toFixed(1)} s after the loss`);
  await sleep(4000);
  await oldSide.stop();
  const to = Date.now();
  const lost = await missingOn(rig, rig.dr);
  return {
    name: 'region-loss',
    from,
    to,
    faultAt,
    recoveredAt: firstWriteAt,
    steps,
    lostAcknowledgedWrites: lost.length,
    lost,
    splitBrainWrites: oldSide.accepted(),
    replicationLagSeconds: lag?.lagSeconds ?? null,
    lagSampleAgeMs: lag === undefined ? null : faultAt - lag.at,
    measured: {
      detectionSeconds: round1((unhealthyAt - faultAt) / 1000),
      guardAlarmSeconds: round1((pagedAt - faultAt) / 1000),
      promotionSeconds: round1((promotedAt - pagedAt) / 1000),
      scaleSeconds: round1((scaledAt - promotedAt) / 1000),
      clientsMovedSeconds: round1((switchedAt - faultAt) / 1000),
      tasksStarted,
      writesToLostRegion: oldSide.statuses.length,
      // Warm standby: reads answered by the DR region while its database was still a read-only replica.
      readOnlyReadsBeforePromotion: reader ? reader.ok : null,
      readOnlyReadsSent: reader ? reader.sent : null,
    },
  };
}
