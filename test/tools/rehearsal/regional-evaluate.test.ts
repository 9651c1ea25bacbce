import { describe, expect, it } from 'vitest';
import {
  compareWithReport,
  evaluatePartition,
  evaluateRegionLoss,
  evaluateSwitchover,
  lossWindowSeconds,
  recoveryBoundSeconds,
  type RegionalLimits,
  type RegionalObservation,
} from '../../../tools/rehearsal/regional-evaluate';
import type { RequestRecord } from '../../../tools/rehearsal/stats';

const T0 = 1_000_000;
// The template's numbers (10 s × 3, TTL 60), the report's promotion figure, at the rehearsal's 0.05 time scale.
const limits: RegionalLimits = { intervalSeconds: 10, failureThreshold: 3, ttlSeconds: 60, promotionSeconds: 600, timeScale: 0.05, marginSeconds: 5 };

/** Steady load: one read and one write every 100 ms from T0 - 5 s to T0 + 20 s; `status` decides each outcome. */
function load(status: (t: number, op: 'read' | 'write') => number): RequestRecord[] {
  const out: RequestRecord[] = [];
  for (let t = T0 - 5000; t < T0 + 20_000; t += 100) for (const op of ['read', 'write'] as const) out.push({ start: t, ms: 5, status: status(t, op), op });
  return out;
}

const lossObs = (over: Partial<RegionalObservation> = {}): RegionalObservation => ({
  name: 'region-loss',
  from: T0 - 5000,
  to: T0 + 20_000,
  faultAt: T0,
  recoveredAt: T0 + 3000,
  steps: [{ step: 'guard', at: T0 + 1500, detail: '' }],
  lostAcknowledgedWrites: 1,
  lost: [{ id: '41', at: T0 - 40 }],
  splitBrainWrites: 0,
  replicationLagSeconds: 0.08,
  lagSampleAgeMs: 50,
  measured: { detectionSeconds: 1.5, readOnlyReadsBeforePromotion: 12, readOnlyReadsSent: 14, writesToLostRegion: 10 },
  ...over,
});
// Dead region for 2 s, then read-only DR (reads 200, writes 503), then writes from T0 + 3 s.
const lossRecords = load((t, op) => (t < T0 ? (op === 'write' ? 201 : 200) : t < T0 + 2000 ? 0 : t < T0 + 3000 ? (op === 'write' ? 503 : 200) : op === 'write' ? 201 : 200));

describe('region loss', () => {
  it('bounds recovery by detection + promotion + TTL, scaled, plus the margin: (30 + 600 + 60) × 0.05 + 5 = 39.5 s', () => {
    expect(recoveryBoundSeconds(limits)).toBe(39.5);
  });

  it('takes the guard alarm as detection when it is slower than the health check: (180 + 600 + 60) × 0.05 + 5 = 47 s', () => {
    expect(recoveryBoundSeconds({ ...limits, guardAlarmSeconds: 180 })).toBe(47);
  });

  it('passes with recovery inside the bound, reads served meanwhile and the one lost write inside the lag window, listed', () => {
    const r = evaluateRegionLoss(lossObs(), lossRecords, limits);
    expect(r.status).toBe('pass');
    expect(r.recoverySeconds).toBe(3);
    expect(r.readsServedDuringFailover).toBe(10);
    expect(r.lostWrites).toEqual([{ id: '41', acknowledgedSecondsBeforeLoss: 0.04 }]);
    expect(r.replicationLagSeconds).toBe(0.08);
    expect(lossWindowSeconds(lossObs())).toBeCloseTo(0.13);
  });

  it('fails when a lost write was acknowledged before the lag window (more was lost than the lag explains)', () => {
    const r = evaluateRegionLoss(lossObs({ lost: [{ id: '41', at: T0 - 40 }, { id: '7', at: T0 - 900 }], lostAcknowledgedWrites: 2 }), lossRecords, limits);
    expect(r.status).toBe('fail');
    expect(r.checks.find((c) => c.name.startsWith('every lost write'))?.detail).toMatch(/2 lost, 1 acknowledged earlier than 0.13 s/);
  });

  it('fails when the first write came after the bound, or when no lag was measured', () => {
    expect(evaluateRegionLoss(lossObs({ recoveredAt: T0 + 40_000, to: T0 + 50_000 }), lossRecords, limits).status).toBe('fail');
    expect(evaluateRegionLoss(lossObs({ replicationLagSeconds: null }), lossRecords, limits).status).toBe('fail');
  });

  it('fails when the standby region answered no read before the promotion; pilot light (no task to ask) is not judged on it', () => {
    const noReads = lossObs({ measured: { detectionSeconds: 1.5, readOnlyReadsBeforePromotion: 0, readOnlyReadsSent: 14 } });
    expect(evaluateRegionLoss(noReads, lossRecords, limits).checks.find((c) => c.name.includes('serves reads'))?.pass).toBe(false);
    const pilot = lossObs({ measured: { detectionSeconds: 1.5, readOnlyReadsBeforePromotion: null, readOnlyReadsSent: null } });
    expect(evaluateRegionLoss(pilot, lossRecords, limits).checks.some((c) => c.name.includes('serves reads'))).toBe(false);
  });

  it('sets the report\'s lost-region figures beside the measured ones, in template time too', () => {
    const r = evaluateRegionLoss(lossObs(), lossRecords, limits);
    const c = compareWithReport({ detectSeconds: 180, recoverSeconds: 1980, rpoSeconds: 300, notes: '' }, r, 0.05);
    expect(c.map((x) => [x.figure, x.report, x.rehearsal, x.rehearsalInTemplateTime])).toEqual([
      ['detect (s)', 180, 1.5, 30],
      ['recover (s)', 1980, 3, 60],
      ['RPO (s)', 300, 0.08, 0.08],
    ]);
  });
});

const partitionObs = (measured: Record<string, number | boolean | null> = {}, over: Partial<RegionalObservation> = {}): RegionalObservation => ({
  name: 'region-partition',
  from: T0 - 5000,
  to: T0 + 20_000,
  faultAt: T0,
  faultEndAt: T0 + 15_000,
  recoveredAt: T0 + 15_200,
  steps: [],
  lostAcknowledgedWrites: 0,
  lost: [],
  splitBrainWrites: 0,
  measured: {
    lagAlarmConditionMet: true,
    lagAlarmAfterSeconds: 14,
    lagAtAlarmSeconds: 14,
    scaledLagThresholdSeconds: 5,
    guardSawPrimaryHealthy: true,
    runbookStoppedAt: 'AssertPrimaryDown',
    drPromoted: false,
    directWritesToDr: 70,
    catchUpSeconds: 0.2,
    acknowledgedWritesMissingOnDrAfterCatchUp: 0,
    ...measured,
  },
  ...over,
});
const allOk = load((_, op) => (op === 'write' ? 201 : 200));

describe('partition between the regions', () => {
  it('passes when the primary serves, the alarm condition holds, the guard refuses and the DR side accepts no write', () => {
    expect(evaluatePartition(partitionObs(), allOk).status).toBe('pass');
  });

  it('fails on split brain: a write accepted by the DR side, or the DR side promoted', () => {
    expect(evaluatePartition(partitionObs({}, { splitBrainWrites: 1 }), allOk).status).toBe('fail');
    expect(evaluatePartition(partitionObs({ drPromoted: true }), allOk).status).toBe('fail');
    expect(evaluatePartition(partitionObs({ runbookStoppedAt: null }), allOk).status).toBe('fail');
  });

  it('fails when the alarm condition was not met, or the primary stopped serving writes', () => {
    expect(evaluatePartition(partitionObs({ lagAlarmConditionMet: false }), allOk).status).toBe('fail');
    const primaryDown = load((t, op) => (op === 'write' && t >= T0 + 1000 && t < T0 + 2000 ? 503 : op === 'write' ? 201 : 200));
    expect(evaluatePartition(partitionObs(), primaryDown).checks[0]).toMatchObject({ pass: false, detail: '10 of 150 writes failed during the partition' });
  });
});

describe('planned switchover and failback', () => {
  const obs = (over: Partial<RegionalObservation> = {}): RegionalObservation => ({
    name: 'region-switchover',
    from: T0 - 5000,
    to: T0 + 20_000,
    faultAt: T0,
    steps: [],
    lostAcknowledgedWrites: 0,
    lost: [],
    splitBrainWrites: 0,
    measured: { firstDrWriteAfterPromotionSeconds: 0.1, firstPrimaryWriteAfterFailbackSeconds: 0.2, writesToOldSide: 20, writesToOldSideRefused: 20 },
    ...over,
  });

  it('passes with zero lost writes and the old side refusing every write', () => {
    expect(evaluateSwitchover(obs(), allOk).status).toBe('pass');
  });

  it('fails on one lost write, or one write accepted by the old side', () => {
    expect(evaluateSwitchover(obs({ lostAcknowledgedWrites: 1, lost: [{ id: '3', at: T0 }] }), allOk).status).toBe('fail');
    expect(evaluateSwitchover(obs({ splitBrainWrites: 1 }), allOk).status).toBe('fail');
  });
});
