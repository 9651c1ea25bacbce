/**
 * Pass/fail for the regional scenarios: pure functions from what was observed to a result. Every bound comes from the
 * template (health check interval × failure threshold, TTL, the lag alarm) or from the resilience report's stated
 * figures (replica promotion), scaled by the run's stated time scale, plus a stated margin; none from a run.
 */
import type { Check } from './evaluate';
import { inWindow, isFailure, summarize, type RequestRecord, type Summary } from './stats';

export type RegionalScenarioName = 'region-partition' | 'region-switchover' | 'region-loss';
export const REGIONAL_SCENARIOS: readonly RegionalScenarioName[] = ['region-partition', 'region-switchover', 'region-loss'];

export interface LostWrite {
  readonly id: string;
  /** When the client got the acknowledgement (epoch ms). */
  readonly at: number;
}

export interface RegionalObservation {
  readonly name: RegionalScenarioName;
  readonly from: number;
  readonly to: number;
  readonly faultAt: number;
  readonly faultEndAt?: number;
  /** Loss: the first write acknowledged in the DR region. Partition: the replica caught up. Switchover: first write after failback. */
  readonly recoveredAt?: number;
  readonly steps: readonly { step: string; at: number; detail: string }[];
  readonly lostAcknowledgedWrites: number;
  readonly lost: readonly LostWrite[];
  /** Writes accepted by the side that was not the writer while the writer accepted writes. */
  readonly splitBrainWrites: number;
  /** Replica lag (now − last replayed commit, on the replica) in the last sample before the loss. */
  readonly replicationLagSeconds?: number | null;
  /** How old that sample was at the loss. */
  readonly lagSampleAgeMs?: number | null;
  readonly measured: Readonly<Record<string, number | string | boolean | null>>;
}

export interface RegionalLimits {
  readonly intervalSeconds: number;
  readonly failureThreshold: number;
  /**
   * The runbook's guard also waits for its alarm (the external probe's: rate × failed runs to alarm); detection is the
   * later of the two. @default - the health check alone
   */
  readonly guardAlarmSeconds?: number;
  readonly ttlSeconds: number;
  /** The resilience report's figure for promoting a cross-region replica (REGION_FIGURES.replicaPromotionSeconds). */
  readonly promotionSeconds: number;
  /** Every template duration is multiplied by this in the run. */
  readonly timeScale: number;
  /** Stated allowance on top (process start-up, the service noticing the promotion), seconds, not scaled. */
  readonly marginSeconds: number;
}

export const RECOVERY_MARGIN_SECONDS = 5;

export interface RegionalResult extends Summary {
  readonly name: RegionalScenarioName;
  readonly status: 'pass' | 'fail';
  readonly checks: readonly Check[];
  readonly warnings: readonly string[];
  readonly recoverySeconds: number | null;
  readonly recoveryBoundSeconds: number | null;
  readonly lostAcknowledgedWrites: number;
  /** Every lost write, with how long before the loss it was acknowledged. */
  readonly lostWrites: readonly { id: string; acknowledgedSecondsBeforeLoss: number }[];
  readonly replicationLagSeconds: number | null;
  readonly splitBrainWrites: number;
  /** Reads answered 2xx between the fault and the recovery. */
  readonly readsServedDuringFailover: number;
  readonly steps: readonly { step: string; atSeconds: number; detail: string }[];
  readonly measured: Readonly<Record<string, number | string | boolean | null>>;
}

const check = (name: string, pass: boolean, detail: string): Check => ({ name, pass, detail });
const r1 = (v: number) => Math.round(v * 10) / 10;
const r3 = (v: number) => Math.round(v * 1000) / 1000;

/** The guard's detection: the later of the health check (interval × threshold) and the guard's alarm. */
export function detectionSeconds(l: RegionalLimits): number {
  return Math.max(l.intervalSeconds * l.failureThreshold, l.guardAlarmSeconds ?? 0);
}

/** detection + promotion + TTL, scaled, + margin. */
export function recoveryBoundSeconds(l: RegionalLimits): number {
  return r1((detectionSeconds(l) + l.promotionSeconds + l.ttlSeconds) * l.timeScale + l.marginSeconds);
}

/** The window before the loss in which an acknowledged write may be lost: the measured lag plus the sample's age. */
export function lossWindowSeconds(obs: Pick<RegionalObservation, 'replicationLagSeconds' | 'lagSampleAgeMs'>): number | null {
  if (obs.replicationLagSeconds === null || obs.replicationLagSeconds === undefined) return null;
  return obs.replicationLagSeconds + (obs.lagSampleAgeMs ?? 0) / 1000;
}

function base(obs: RegionalObservation, records: readonly RequestRecord[], checks: Check[], extra: Partial<RegionalResult> = {}, warnings: string[] = []): RegionalResult {
  const window = inWindow(records, obs.from, obs.to);
  const recoveryEnd = obs.recoveredAt ?? obs.to;
  const reads = inWindow(records, obs.faultAt, recoveryEnd).filter((r) => r.op === 'read' && !isFailure(r)).length;
  return {
    name: obs.name,
    ...summarize(window),
    status: checks.every((c) => c.pass) ? 'pass' : 'fail',
    checks,
    warnings,
    recoverySeconds: obs.recoveredAt === undefined ? null : r1((obs.recoveredAt - obs.faultAt) / 1000),
    recoveryBoundSeconds: null,
    lostAcknowledgedWrites: obs.lostAcknowledgedWrites,
    lostWrites: obs.lost.map((w) => ({ id: w.id, acknowledgedSecondsBeforeLoss: r3((obs.faultAt - w.at) / 1000) })),
    replicationLagSeconds: obs.replicationLagSeconds === undefined || obs.replicationLagSeconds === null ? null : r3(obs.replicationLagSeconds),
    splitBrainWrites: obs.splitBrainWrites,
    readsServedDuringFailover: reads,
    steps: obs.steps.map((s) => ({ step: s.step, atSeconds: r1((s.at - obs.faultAt) / 1000), detail: s.detail })),
    measured: obs.measured,
    ...extra,
  };
}

function unexpected(records: readonly RequestRecord[]): number {
  return records.filter((r) => (r.status >= 500 && r.status !== 503) || r.status === 0).length;
}

export function evaluateRegionLoss(obs: RegionalObservation, records: readonly RequestRecord[], limits: RegionalLimits): RegionalResult {
  const bound = recoveryBoundSeconds(limits);
  const recovery = obs.recoveredAt === undefined ? null : (obs.recoveredAt - obs.faultAt) / 1000;
  const window = lossWindowSeconds(obs);
  const outside = window === null ? obs.lost : obs.lost.filter((w) => obs.faultAt - w.at > window * 1000);
  const reads = inWindow(records, obs.faultAt, obs.recoveredAt ?? obs.to).filter((r) => r.op === 'read' && !isFailure(r)).length;
  const after = obs.recoveredAt === undefined ? [] : inWindow(records, obs.recoveredAt + 1000, obs.to).filter((r) => r.op === 'write');
  const failedWritesAfter = after.filter(isFailure).length;
  return base(obs, records, [
    check(
      `first write in the DR region within detection (max of the health check ${limits.intervalSeconds} s × ${limits.failureThreshold} and the guard alarm ${limits.guardAlarmSeconds ?? 0} s) + promotion (${limits.promotionSeconds} s) + TTL (${limits.ttlSeconds} s), × ${limits.timeScale}, + ${limits.marginSeconds} s = ${bound} s`,
      recovery !== null && recovery <= bound,
      recovery === null ? 'no write succeeded' : `${r1(recovery)} s`,
    ),
    ...(obs.measured.readOnlyReadsBeforePromotion === null
      ? []
      : [
          check(
            'the standby region serves reads while its database is read-only (before the promotion)',
            Number(obs.measured.readOnlyReadsBeforePromotion) > 0,
            `${obs.measured.readOnlyReadsBeforePromotion} of ${obs.measured.readOnlyReadsSent} reads answered 2xx; users' reads served between the loss and the first write: ${reads}`,
          ),
        ]),
    check(
      'every lost write was acknowledged within the measured replication lag before the loss',
      window !== null && outside.length === 0,
      window === null ? 'no lag sample before the loss' : `${obs.lost.length} lost, ${outside.length} acknowledged earlier than ${r3(window)} s before the loss`,
    ),
    check(
      'no split brain: no write accepted by the lost region once the DR region writes',
      obs.splitBrainWrites === 0,
      `${obs.splitBrainWrites} accepted of ${obs.measured.writesToLostRegion ?? '—'} sent to the lost region after the promotion`,
    ),
    check('writes keep succeeding in the DR region', after.length > 0 && failedWritesAfter === 0, `${failedWritesAfter} of ${after.length} writes failed from 1 s after recovery`),
  ], { recoveryBoundSeconds: bound, readsServedDuringFailover: reads });
}

export function evaluateSwitchover(obs: RegionalObservation, records: readonly RequestRecord[]): RegionalResult {
  const window = inWindow(records, obs.from, obs.to);
  const bad = unexpected(window);
  const m = obs.measured;
  return base(obs, records, [
    check('0 lost acknowledged writes', obs.lostAcknowledgedWrites === 0, `${obs.lostAcknowledgedWrites} lost`),
    check('no split brain: the side that is not the writer refuses writes', obs.splitBrainWrites === 0 && Number(m.writesToOldSide) > 0, `${obs.splitBrainWrites} accepted of ${m.writesToOldSide} sent to the old side`),
    check('writes acknowledged in the DR region after the switch', typeof m.firstDrWriteAfterPromotionSeconds === 'number', `after ${m.firstDrWriteAfterPromotionSeconds ?? '—'} s`),
    check('writes acknowledged in the primary region after the failback', typeof m.firstPrimaryWriteAfterFailbackSeconds === 'number', `after ${m.firstPrimaryWriteAfterFailbackSeconds ?? '—'} s`),
  ], {}, bad > 0 ? [`${bad} requests answered other than 2xx/503 (or not at all) during the switchover`] : []);
}

export function evaluatePartition(obs: RegionalObservation, records: readonly RequestRecord[]): RegionalResult {
  const m = obs.measured;
  const during = inWindow(records, obs.faultAt, obs.faultEndAt ?? obs.to);
  const writes = during.filter((r) => r.op === 'write');
  const failedWrites = writes.filter(isFailure).length;
  return base(obs, records, [
    check('the primary keeps serving writes', writes.length > 0 && failedWrites === 0, `${failedWrites} of ${writes.length} writes failed during the partition`),
    check(`the lag alarm's condition is met (lag > ${m.scaledLagThresholdSeconds} s, the template's threshold scaled)`, m.lagAlarmConditionMet === true, `after ${m.lagAlarmAfterSeconds ?? '—'} s, lag ${m.lagAtAlarmSeconds ?? '—'} s`),
    check(
      'the DR side is not promoted: the runbook stops at its guard (the primary is not down)',
      m.guardSawPrimaryHealthy === true && m.drPromoted === false && typeof m.runbookStoppedAt === 'string',
      `health check saw the primary healthy: ${m.guardSawPrimaryHealthy}; runbook stopped at ${m.runbookStoppedAt ?? '— (it did not stop)'}; promoted: ${m.drPromoted}`,
    ),
    check('no split brain: 0 writes accepted by the DR side', obs.splitBrainWrites === 0 && Number(m.directWritesToDr) > 0, `${obs.splitBrainWrites} accepted of ${m.directWritesToDr} sent straight to the DR region`),
    check('the replica catches up with every acknowledged write after the heal', m.acknowledgedWritesMissingOnDrAfterCatchUp === 0 && typeof m.catchUpSeconds === 'number', `${m.acknowledgedWritesMissingOnDrAfterCatchUp} missing, caught up after ${m.catchUpSeconds ?? '—'} s`),
    check('0 lost acknowledged writes', obs.lostAcknowledgedWrites === 0, `${obs.lostAcknowledgedWrites} lost`),
  ]);
}

/** The resilience report's 'lost region' row (from constructs/report's recovery model). */
export interface ReportRow {
  readonly detectSeconds: number | null;
  readonly recoverSeconds: number | null;
  readonly rpoSeconds: number | null;
  readonly notes: string;
}

export interface Comparison {
  readonly figure: string;
  readonly report: number | null;
  /** The rehearsal's measurement, in the run's (scaled) seconds. */
  readonly rehearsal: number | null;
  /** The measurement in template time: scaled durations divided by the time scale. */
  readonly rehearsalInTemplateTime: number | null;
  readonly why: string;
}

/** Side by side: the report's computed lost-region figures and what the region-loss rehearsal measured. */
export function compareWithReport(row: ReportRow, loss: RegionalResult, timeScale: number): Comparison[] {
  const m = loss.measured;
  const detection = typeof m.detectionSeconds === 'number' ? m.detectionSeconds : null;
  return [
    {
      figure: 'detect (s)',
      report: row.detectSeconds,
      rehearsal: detection,
      rehearsalInTemplateTime: detection === null ? null : r1(detection / timeScale),
      why: 'both read the Route 53 health check (interval × failure threshold); the rehearsal measures when its checker saw the third failure, which depends on the phase of the probes'
    },
    {
      figure: 'recover (s)',
      report: row.recoverSeconds,
      rehearsal: loss.recoverySeconds,
      rehearsalInTemplateTime: loss.recoverySeconds === null ? null : r1(loss.recoverySeconds / timeScale),
      why: 'the report adds detection, the runbook guard\'s alarm, an assumed RDS promotion, scaling and the DNS TTL in series; the rehearsal promotes with pg_promote on loopback (a fraction of a second, not scaled), and clients reached the standby while the guard waited (Route 53 fails over at detection), so its figure is the guard alarm plus the promotion'
    },
    {
      figure: 'RPO (s)',
      report: row.rpoSeconds,
      rehearsal: loss.replicationLagSeconds,
      rehearsalInTemplateTime: loss.replicationLagSeconds,
      why: 'the report bounds the RPO by the lag alarm threshold (the most that can be lost before anyone is paged); the rehearsal measures the lag at the moment of loss over a link with the stated round trip (not scaled): the writes actually lost',
    },
  ];
}
