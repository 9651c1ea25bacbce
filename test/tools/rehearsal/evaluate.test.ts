import { describe, expect, it } from 'vitest';
import {
  evaluateConflictStorm,
  evaluateCrash,
  evaluateDeepFlood,
  evaluateFailover,
  evaluateOutage,
  evaluateOverload,
  evaluateRollingRestart,
  evaluateSlowBodies,
  failedToRun,
  type Limits,
  type Observation,
} from '../../../tools/rehearsal/evaluate';
import type { RequestRecord } from '../../../tools/rehearsal/stats';

const limits: Limits = { detectionBoundSeconds: 14, requestTimeoutSeconds: 5, breakerHalfOpenSeconds: 5, dbTimeoutMs: 1000, latencySloMs: 300, bodyTimeoutMs: 5000, healthCheckTimeoutSeconds: 4 };

/** One request every `everyMs` in [from, to), answered by `answer(t)`. */
function traffic(from: number, to: number, answer: (t: number) => Partial<RequestRecord> = () => ({}), everyMs = 10): RequestRecord[] {
  const out: RequestRecord[] = [];
  for (let t = from; t < to; t += everyMs) out.push({ start: t, ms: 5, status: 200, op: t % 20 === 0 ? 'write' : 'read', ...answer(t) });
  return out;
}

const failing = (names: readonly { name: string; pass: boolean }[]) => names.filter((c) => !c.pass).map((c) => c.name);

describe('rolling restart', () => {
  const obs: Observation = { name: 'rolling-restart', from: 0, to: 60_000, lostAcknowledgedWrites: 0, measured: { oldTaskExitCodes: '0,0,0' } };

  it('passes with no failed request and every old task exiting 0', () => {
    const r = evaluateRollingRestart(obs, traffic(0, 60_000));
    expect(r.status).toBe('pass');
    expect(r.failedRequests).toBe(0);
    expect(r.recoverySeconds).toBeNull();
  });

  it('with the canary shape, passes a 10 % share followed by all traffic, and fails a canary that took none or all at once', () => {
    const canary = (canaryShare: number, fullShare: number) =>
      evaluateRollingRestart({ ...obs, measured: { oldTaskExitCodes: '0,0,0', canaryShare, fullShare } }, traffic(0, 60_000));
    expect(canary(0.1, 1).status).toBe('pass');
    expect(failing(canary(0, 1).checks)).toEqual(['the canary took a share (5-20 %) of requests']);
    expect(failing(canary(0.5, 1).checks)).toEqual(['the canary took a share (5-20 %) of requests']);
    expect(failing(canary(0.1, 0.9).checks)).toEqual(['then all requests, before the old tasks stopped']);
  });

  it('fails on a single failed request', () => {
    const r = evaluateRollingRestart(obs, traffic(0, 60_000, (t) => (t === 30_000 ? { status: 502 } : {})));
    expect(r.status).toBe('fail');
    expect(failing(r.checks)).toEqual(['0 failed requests']);
  });

  it('fails when an old task had to be killed or exited with an error', () => {
    expect(evaluateRollingRestart({ ...obs, measured: { oldTaskExitCodes: '0,SIGKILL,0' } }, traffic(0, 60_000)).status).toBe('fail');
    expect(evaluateRollingRestart({ ...obs, measured: { oldTaskExitCodes: '0,still running' } }, traffic(0, 60_000)).status).toBe('fail');
  });

  it('fails when an acknowledged write was lost, whatever else happened', () => {
    const r = evaluateRollingRestart({ ...obs, lostAcknowledgedWrites: 1 }, traffic(0, 60_000));
    expect(failing(r.checks)).toEqual(['0 lost acknowledged writes']);
  });
});

describe('crash', () => {
  const obs: Observation = { name: 'crash', from: 0, to: 20_000, faultAt: 1000, lostAcknowledgedWrites: 0, measured: { replacementInServiceSeconds: 15 } };

  it('passes when failures stop within the detection bound, and measures recovery from the kill', () => {
    // GIVEN every third request fails for 6 s after the kill (the dead target still in rotation)
    const records = traffic(0, 20_000, (t) => (t >= 1000 && t < 7000 && t % 30 === 0 ? { status: 503 } : {}));
    const r = evaluateCrash(obs, records, limits);
    expect(r.status).toBe('pass');
    expect(r.recoverySeconds).toBe(6);
    expect(r.measured.failingForSeconds).toBe(6);
  });

  it('accepts a request in flight at the kill failing with it', () => {
    const records = [...traffic(0, 20_000), { start: 990, ms: 30, status: 0, op: 'write' as const, error: 'closed_early' }];
    expect(evaluateCrash(obs, records, limits).status).toBe('pass');
  });

  it('fails on a failure answered before the kill', () => {
    const r = evaluateCrash(obs, traffic(0, 20_000, (t) => (t === 500 ? { status: 500 } : {})), limits);
    expect(failing(r.checks)).toEqual(['no failure answered before the kill']);
  });

  it('fails when failures go on past the detection bound', () => {
    const records = traffic(0, 25_000, (t) => (t >= 1000 && t < 16_000 && t % 30 === 0 ? { status: 503 } : {}));
    const r = evaluateCrash({ ...obs, to: 25_000 }, records, limits);
    expect(failing(r.checks)).toContain('failures only within the detection bound (14 s)');
  });

  it('fails when the replacement task never came into service', () => {
    const r = evaluateCrash({ ...obs, measured: { replacementInServiceSeconds: null } }, traffic(0, 20_000), limits);
    expect(failing(r.checks)).toEqual(['replacement task in service']);
  });
});

describe('database failover', () => {
  const obs: Observation = {
    name: 'database-failover',
    from: 0,
    to: 30_000,
    faultAt: 2000,
    lostAcknowledgedWrites: 0,
    measured: { endpointFlippedAt: 12_000, tasksRestarted: 0, promotionSeconds: 10 },
  };
  const during = (t: number) => (t >= 2000 && t < 13_000 ? { status: 503, retryAfter: true } : {});

  it('passes when the service recovers after the flip, and reports both recovery times', () => {
    const r = evaluateFailover(obs, traffic(0, 30_000, during));
    expect(r.status).toBe('pass');
    expect(r.recoverySeconds).toBe(11);
    expect(r.measured.serviceRecoveryAfterFlipSeconds).toBe(1);
    expect(r.measured).not.toHaveProperty('endpointFlippedAt');
  });

  it('fails on one lost acknowledged write', () => {
    expect(evaluateFailover({ ...obs, lostAcknowledgedWrites: 1 }, traffic(0, 30_000, during)).status).toBe('fail');
  });

  it('fails when a task had to be restarted', () => {
    const r = evaluateFailover({ ...obs, measured: { ...obs.measured, tasksRestarted: 1 } }, traffic(0, 30_000, during));
    expect(failing(r.checks)).toEqual(['recovered within 60 s without restarting a task']);
  });

  it('fails when the service never recovers', () => {
    const r = evaluateFailover(obs, traffic(0, 30_000, (t) => (t >= 2000 ? { status: 503 } : {})));
    expect(r.recoverySeconds).toBeNull();
    expect(failing(r.checks)).toEqual(['recovered within 60 s without restarting a task', 'writes acknowledged by the promoted primary']);
  });

  it('fails on a 500 (an unclassified database error) while failing over', () => {
    const r = evaluateFailover(obs, traffic(0, 30_000, (t) => (t === 5000 ? { status: 500 } : during(t))));
    expect(failing(r.checks)).toEqual(['only 503 while failing (no 500, no 502, no hung request)']);
  });
});

describe('database outage', () => {
  const obs: Observation = { name: 'database-outage', from: 0, to: 45_000, faultAt: 2000, faultEndAt: 32_000, lostAcknowledgedWrites: 0 };
  // Writes fail fast with Retry-After; reads come from the cache.
  const good = (t: number): Partial<RequestRecord> =>
    t >= 2000 && t < 32_000 ? (t % 20 === 0 ? { status: 503, retryAfter: true, ms: 2 } : { status: 200, fromCache: true }) : {};

  it('passes with fast 503s carrying Retry-After, cached reads, and recovery', () => {
    const r = evaluateOutage(obs, traffic(0, 45_000, good), limits);
    expect(r.status).toBe('pass');
    expect(r.recoverySeconds).toBe(0);
    expect(r.measured.cachedReads).toBeGreaterThan(0);
  });

  it('fails when 503s wait for the database (p95 at or above a quarter of its timeout)', () => {
    // GIVEN every 503 waited 400 ms (a half-open probe holding callers, or no breaker at all)
    const slow = (t: number) => ({ ...good(t), ...(t >= 2000 && t < 32_000 && t % 20 === 0 ? { ms: 400 } : {}) });
    const r = evaluateOutage(obs, traffic(0, 45_000, slow), limits);
    expect(failing(r.checks)).toEqual(['fast 503s (p95 < 250 ms, a quarter of the database timeout)']);
  });

  it('fails on a 500, on a hung request, and on a 503 without Retry-After', () => {
    const bad = (t: number) => (t === 10_000 ? { status: 500 } : t === 11_000 ? { status: 0, error: 'timeout', ms: 10_000 } : t === 12_000 ? { status: 503 } : good(t));
    const r = evaluateOutage(obs, traffic(0, 45_000, bad), limits);
    expect(failing(r.checks)).toEqual([
      'only 2xx or 503 during the outage (no 500, no 502/504)',
      'no hung request (all answered within 6 s)',
      'every 503 carries Retry-After',
    ]);
  });

  it('fails when no read was served from the cache', () => {
    const noCache = (t: number) => (t >= 2000 && t < 32_000 ? { status: 503, retryAfter: true, ms: 2 } : {});
    expect(failing(evaluateOutage(obs, traffic(0, 45_000, noCache), limits).checks)).toEqual(['cached reads served']);
  });

  it('fails when recovery after the outage takes longer than 15 s', () => {
    const late = (t: number) => (t >= 32_000 && t < 48_000 ? { status: 503, retryAfter: true, ms: 2 } : good(t));
    const r = evaluateOutage({ ...obs, to: 55_000 }, traffic(0, 55_000, late), limits);
    expect(failing(r.checks)).toEqual(['full recovery within 15 s']);
    expect(r.recoverySeconds).toBe(16);
  });
});

describe('overload', () => {
  const obs: Observation = {
    name: 'overload',
    from: 0,
    to: 10_000,
    faultAt: 0,
    lostAcknowledgedWrites: 0,
    measured: { capacityRps: 100, tasksBefore: 3, tasksInServiceAfter: 3, failuresAfter: 0, healthChecksFailed: 0, slowestHealthCheckMs: 40, tasksTakenOut: 0 },
  };
  // 200 req/s offered: half accepted in 50 ms, half shed at once.
  const shed = (t: number): Partial<RequestRecord> => (t % 10 === 0 ? { ms: 50 } : { status: 503, retryAfter: true, ms: 1 });

  it('passes when the excess is shed, accepted latency stays bounded and goodput holds', () => {
    const r = evaluateOverload(obs, traffic(0, 10_000, shed, 5), limits);
    expect(r.status).toBe('pass');
    expect(r.measured.goodputRps).toBe(100);
    expect(r.warnings).toEqual([]);
  });

  it('fails when nothing is shed', () => {
    expect(failing(evaluateOverload(obs, traffic(0, 10_000, () => ({ ms: 50 }), 5), limits).checks)).toEqual(['excess load shed with 503 + Retry-After']);
  });

  it("fails when accepted requests wait past the service's deadline, and warns above the latency SLO", () => {
    const r = evaluateOverload(obs, traffic(0, 10_000, (t) => ({ ...shed(t), ...(t % 10 === 0 ? { ms: 6000 } : {}) }), 5), limits);
    expect(failing(r.checks)).toEqual(["accepted requests p99 within the service's 5 s deadline"]);
    expect(r.warnings[0]).toMatch(/above the 300 ms latency SLO/);
  });

  it('fails on congestion collapse (goodput under half the capacity)', () => {
    const collapse = (t: number) => (t % 40 === 0 ? { ms: 50 } : { status: 503, retryAfter: true, ms: 1 });
    expect(failing(evaluateOverload(obs, traffic(0, 10_000, collapse, 5), limits).checks)).toEqual(['goodput ≥ 50% of capacity']);
  });

  it('fails when a task crashed or requests failed afterwards', () => {
    const r = evaluateOverload({ ...obs, measured: { ...obs.measured, tasksInServiceAfter: 2, failuresAfter: 3 } }, traffic(0, 10_000, shed, 5), limits);
    expect(failing(r.checks)).toEqual(['no crash: every task still in service, 0 failures afterwards']);
  });

  it("fails when the load balancer's health checks failed on a busy task, even if it came back", () => {
    const r = evaluateOverload({ ...obs, measured: { ...obs.measured, healthChecksFailed: 3, slowestHealthCheckMs: 4001, tasksTakenOut: 1 } }, traffic(0, 10_000, shed, 5), limits);
    expect(failing(r.checks)).toEqual(["the load balancer's health checks pass throughout (each within the template's 4 s timeout): no busy task taken out"]);
  });

  it('fails on requests the generator could not even send (users left waiting)', () => {
    const saturated = (t: number) => (t % 1000 === 5 ? { status: 0, error: 'client_saturated' } : shed(t));
    expect(failing(evaluateOverload(obs, traffic(0, 10_000, saturated, 5), limits).checks)).toEqual(['no 500, 502/504 or hung request']);
  });
});

describe('hostile-client scenarios', () => {
  const window = { from: 0, to: 10_000, lostAcknowledgedWrites: 0 };
  const storm: Observation = { ...window, name: 'conflict-storm', measured: { bursts: 40, burstsWithOneCreated: 40, hostileRequests: 400, hostileCreated: 40, hostileConflicts: 360, hostileOther: '' } };
  const slow: Observation = {
    ...window,
    name: 'slow-bodies',
    measured: { connections: 202, answered408: 202, otherAnswers: '', slowestAnswerMs: 5400, bodyTimeoutMs: 5000, secondResponses: 0, leftOpen: 0 },
  };
  const flood: Observation = { ...window, name: 'deep-flood', measured: { clients: 100, deepChecks: 5000, deepNot200: 0, deepBodies: '' } };

  it('pass when the other users saw no failure and the hostile client got what the contract says', () => {
    expect(evaluateConflictStorm(storm, traffic(0, 10_000)).status).toBe('pass');
    expect(evaluateSlowBodies(slow, traffic(0, 10_000), limits).status).toBe('pass');
    expect(evaluateDeepFlood(flood, traffic(0, 10_000)).status).toBe('pass');
  });

  it('fail when another user got a 503 because of the hostile client (the circuit opened)', () => {
    const someShed = (t: number) => (t === 5000 ? { status: 503, retryAfter: true } : {});
    expect(failing(evaluateConflictStorm(storm, traffic(0, 10_000, someShed)).checks)).toEqual(['other users: 0 failed requests while one client misbehaves']);
  });

  it('fail when a conflict is answered with anything but 422', () => {
    const r = evaluateConflictStorm({ ...storm, measured: { ...storm.measured, hostileConflicts: 14, hostileOther: '346 × 503' } }, traffic(0, 10_000));
    expect(failing(r.checks)).toEqual(['each burst sharing a key: one 201, every other 422 (a client error, never a dependency failure)']);
  });

  it('fail when a slow body is answered late, twice, or left open', () => {
    expect(failing(evaluateSlowBodies({ ...slow, measured: { ...slow.measured, slowestAnswerMs: 6500 } }, traffic(0, 10_000), limits).checks)).toEqual([
      'every slow body answered 408 within the body timeout (5000 ms + 1 s)',
    ]);
    expect(failing(evaluateSlowBodies({ ...slow, measured: { ...slow.measured, secondResponses: 3 } }, traffic(0, 10_000), limits).checks)).toEqual([
      'one answer per connection, then closed',
    ]);
  });

  it('fail when a deep check is not 200 on a healthy database', () => {
    expect(failing(evaluateDeepFlood({ ...flood, measured: { ...flood.measured, deepNot200: 12 } }, traffic(0, 10_000)).checks)).toEqual([
      'every deep check answered 200 (the database is healthy)',
    ]);
  });
});

describe('failedToRun', () => {
  it('fails with the reason as its only check', () => {
    const r = failedToRun('crash', 'timed out waiting for az2-b');
    expect(r.status).toBe('fail');
    expect(r.checks).toEqual([{ name: 'ran to completion', pass: false, detail: 'timed out waiting for az2-b' }]);
  });
});
