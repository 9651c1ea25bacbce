/**
 * Pass/fail for each scenario: pure functions from what was observed (the request records, the times of
 * the fault, facts about the processes) to a result with one check per expectation of issue 8. Every
 * check states its threshold, so the report says exactly what was expected, and nothing here is tuned
 * per run: thresholds come from the template's health check or from the service's own contract.
 */
import { inWindow, isFailure, percentile, recoveredAt, round, secondsBetween, summarize, throughput, type RequestRecord, type Summary } from './stats';

export type ScenarioName =
  | 'rolling-restart'
  | 'crash'
  | 'database-failover'
  | 'database-outage'
  | 'conflict-storm'
  | 'slow-bodies'
  | 'deep-flood'
  | 'overload';

export interface Check {
  readonly name: string;
  readonly pass: boolean;
  readonly detail: string;
}

export interface ScenarioResult extends Summary {
  readonly name: ScenarioName;
  readonly status: 'pass' | 'fail';
  /** One line: every check's name, joined. */
  readonly criteria: string;
  readonly recoverySeconds: number | null;
  readonly lostAcknowledgedWrites: number;
  readonly checks: readonly Check[];
  /** Observations worth acting on that are not pass criteria (never change the status). */
  readonly warnings: readonly string[];
  /** Scenario-specific measurements (detection time, capacity, ...). */
  readonly measured: Readonly<Record<string, number | string | boolean | null>>;
}

/** What the rehearsal saw while it ran a scenario. Times are epoch milliseconds. */
export interface Observation {
  readonly name: ScenarioName;
  readonly from: number;
  readonly to: number;
  readonly lostAcknowledgedWrites: number;
  /** When the fault was injected (kill, partition, overload start). */
  readonly faultAt?: number;
  /** When an outage ended. */
  readonly faultEndAt?: number;
  readonly measured?: Readonly<Record<string, number | string | boolean | null>>;
}

/** How long a run of successes must last before the service counts as recovered. */
export const STABLE_MS = 3000;

export interface Limits {
  /** Worst-case dead-target detection of the load balancer (template health check), seconds. */
  readonly detectionBoundSeconds: number;
  /** The service's per-request deadline (app contract), seconds. */
  readonly requestTimeoutSeconds: number;
  /** The service's circuit breaker half-open delay, seconds. */
  readonly breakerHalfOpenSeconds: number;
  /** The service's per-attempt database timeout (DB_TIMEOUT_MS), milliseconds. */
  readonly dbTimeoutMs: number;
  /** The latency SLO threshold (app config), for information in the overload results. */
  readonly latencySloMs?: number;
  /** How long the service waits for a request body before answering 408 (BODY_TIMEOUT_MS), milliseconds. */
  readonly bodyTimeoutMs: number;
  /** The target group's health-check timeout (template), seconds. */
  readonly healthCheckTimeoutSeconds: number;
}

const check = (name: string, pass: boolean, detail: string): Check => ({ name, pass, detail });

function result(
  obs: Observation,
  records: readonly RequestRecord[],
  recoverySeconds: number | null,
  checks: Check[],
  measured: Record<string, number | string | boolean | null> = {},
  warnings: string[] = [],
): ScenarioResult {
  const lost = check('0 lost acknowledged writes', obs.lostAcknowledgedWrites === 0, `${obs.lostAcknowledgedWrites} lost`);
  const all = [...checks, lost];
  return {
    name: obs.name,
    ...summarize(records),
    recoverySeconds,
    lostAcknowledgedWrites: obs.lostAcknowledgedWrites,
    status: all.every((c) => c.pass) ? 'pass' : 'fail',
    criteria: all.map((c) => c.name).join('; '),
    checks: all,
    warnings,
    measured: { ...obs.measured, ...measured },
  };
}

function count(records: readonly RequestRecord[], pred: (r: RequestRecord) => boolean): number {
  return records.filter(pred).length;
}

/** 5xx other than 503, and transport errors: what a well-behaved service never lets users see. */
function isUnexpectedError(r: RequestRecord): boolean {
  return (r.status >= 500 && r.status !== 503) || r.status === 0;
}

export function evaluateRollingRestart(obs: Observation, all: readonly RequestRecord[]): ScenarioResult {
  const records = inWindow(all, obs.from, obs.to);
  const failed = count(records, isFailure);
  const exits = String(obs.measured?.oldTaskExitCodes ?? '');
  return result(obs, records, null, [
    check('0 failed requests', failed === 0, `${failed} failed of ${records.length}`),
    check('every stopped task exited 0 after draining', exits !== '' && exits.split(',').every((c) => c === '0'), `exit codes ${exits || 'none'}`),
    // The canary shape (the stack deploys as an ECS canary with 10 %): a share first, then all, before the old stop.
    ...(typeof obs.measured?.canaryShare === 'number'
      ? [
          check('the canary took a share (5-20 %) of requests', obs.measured.canaryShare >= 0.05 && obs.measured.canaryShare <= 0.2, `${round(obs.measured.canaryShare * 100, 1)} %`),
          check('then all requests, before the old tasks stopped', Number(obs.measured.fullShare) >= 0.99, `${round(Number(obs.measured.fullShare) * 100, 1)} %`),
        ]
      : []),
  ]);
}

export function evaluateCrash(obs: Observation, all: readonly RequestRecord[], limits: Limits): ScenarioResult {
  const records = inWindow(all, obs.from, obs.to);
  const killAt = obs.faultAt!;
  const failures = records.filter(isFailure);
  // Requests in flight at the kill fail with it; only a failure answered before the kill is unexplained.
  const early = failures.filter((r) => r.start + r.ms < killAt).length;
  const lastFailure = failures.length === 0 ? undefined : Math.max(...failures.map((r) => r.start));
  const failingFor = lastFailure === undefined ? 0 : round((lastFailure - killAt) / 1000, 1);
  const recovered = recoveredAt(records, killAt, obs.to, STABLE_MS);
  const recovery = secondsBetween(killAt, recovered);
  return result(obs, records, recovery, [
    check('no failure answered before the kill', early === 0, `${early} before`),
    check(
      `failures only within the detection bound (${limits.detectionBoundSeconds} s)`,
      failingFor <= limits.detectionBoundSeconds,
      `last failed request sent ${failingFor} s after the kill`,
    ),
    check('recovered without intervention', recovery !== null, recovery === null ? 'still failing at the end' : `recovered ${recovery} s after the kill`),
    check('replacement task in service', obs.measured?.replacementInServiceSeconds !== null && obs.measured?.replacementInServiceSeconds !== undefined, `after ${obs.measured?.replacementInServiceSeconds ?? '—'} s`),
  ], { failingForSeconds: failingFor });
}

/** Recovery after a database failover must fit inside the lower end of RDS's own 60–120 s failover time. */
export const FAILOVER_RECOVERY_LIMIT_SECONDS = 60;

export function evaluateFailover(obs: Observation, all: readonly RequestRecord[]): ScenarioResult {
  const records = inWindow(all, obs.from, obs.to);
  const killAt = obs.faultAt!;
  const recovered = recoveredAt(records, killAt, obs.to, STABLE_MS);
  const recovery = secondsBetween(killAt, recovered);
  const flippedAt = obs.measured?.endpointFlippedAt;
  const serviceRecovery = typeof flippedAt === 'number' && recovered !== undefined ? round(Math.max(0, recovered - flippedAt) / 1000, 1) : null;
  const unexpected = count(records, isUnexpectedError);
  const restarted = Number(obs.measured?.tasksRestarted ?? 0);
  const writesAfter = count(records, (r) => r.op === 'write' && !isFailure(r) && typeof flippedAt === 'number' && r.start >= flippedAt);
  const { endpointFlippedAt: _omit, ...measured } = obs.measured ?? {};
  void _omit;
  return result({ ...obs, measured }, records, recovery, [
    check(
      `recovered within ${FAILOVER_RECOVERY_LIMIT_SECONDS} s without restarting a task`,
      recovery !== null && recovery <= FAILOVER_RECOVERY_LIMIT_SECONDS && restarted === 0,
      `recovery ${recovery ?? 'never'} s, ${restarted} tasks restarted`,
    ),
    check('writes acknowledged by the promoted primary', writesAfter > 0, `${writesAfter} writes after the endpoint flip`),
    check('only 503 while failing (no 500, no 502, no hung request)', unexpected === 0, `${unexpected} other errors`),
  ], { serviceRecoveryAfterFlipSeconds: serviceRecovery });
}

/**
 * "Fast 503": answered without waiting for the database. 95% of the outage's 503s must take less than a
 * quarter of the per-attempt database timeout (250 ms with the default 1 s), i.e. come from the open
 * circuit, not from a call that waited for the database to time out.
 */
export function fastFailLimitMs(limits: Pick<Limits, 'dbTimeoutMs'>): number {
  return limits.dbTimeoutMs / 4;
}
export const OUTAGE_RECOVERY_LIMIT_SECONDS = 15;

export function evaluateOutage(obs: Observation, all: readonly RequestRecord[], limits: Limits): ScenarioResult {
  const records = inWindow(all, obs.from, obs.to);
  const during = inWindow(all, obs.faultAt!, obs.faultEndAt!);
  const unexpected = count(during, isUnexpectedError);
  const hungLimitMs = (limits.requestTimeoutSeconds + 1) * 1000;
  const slowest = Math.max(0, ...during.map((r) => r.ms));
  const timeouts = count(during, (r) => r.error === 'timeout');
  const unavailable = during.filter((r) => r.status === 503);
  const withoutRetryAfter = count(unavailable, (r) => !r.retryAfter);
  const p95 = percentile(unavailable.map((r) => r.ms), 95);
  const fastMs = fastFailLimitMs(limits);
  const cached = count(during, (r) => r.op === 'read' && r.status === 200 && r.fromCache === true);
  const reads = count(during, (r) => r.op === 'read');
  const recovered = recoveredAt(records, obs.faultEndAt!, obs.to, STABLE_MS);
  const recovery = secondsBetween(obs.faultEndAt, recovered);
  return result(obs, records, recovery, [
    check('only 2xx or 503 during the outage (no 500, no 502/504)', unexpected === 0, `${unexpected} other errors`),
    check(`no hung request (all answered within ${limits.requestTimeoutSeconds + 1} s)`, timeouts === 0 && slowest <= hungLimitMs, `slowest ${round(slowest, 0)} ms, ${timeouts} client timeouts`),
    check('every 503 carries Retry-After', unavailable.length > 0 && withoutRetryAfter === 0, `${withoutRetryAfter} of ${unavailable.length} without`),
    check(`fast 503s (p95 < ${fastMs} ms, a quarter of the database timeout)`, p95 !== undefined && p95 < fastMs, `p95 ${p95 ?? '—'} ms`),
    check('cached reads served', cached > 0, `${cached} of ${reads} reads answered from the cache`),
    check(`full recovery within ${OUTAGE_RECOVERY_LIMIT_SECONDS} s`, recovery !== null && recovery <= OUTAGE_RECOVERY_LIMIT_SECONDS, `${recovery ?? 'never'} s after the outage ended`),
  ], {
    outageSeconds: secondsBetween(obs.faultAt, obs.faultEndAt),
    fastFailP95Ms: p95 ?? null,
    cachedReads: cached,
    slowestMs: round(slowest, 0),
  });
}


/** Goodput under overload must stay at least this share of the measured capacity (no congestion collapse). */
export const OVERLOAD_MIN_GOODPUT = 0.5;

export function evaluateOverload(obs: Observation, all: readonly RequestRecord[], limits: Limits): ScenarioResult {
  const records = inWindow(all, obs.from, obs.to);
  const capacity = Number(obs.measured?.capacityRps ?? 0);
  const durationMs = obs.to - obs.from;
  const accepted = records.filter((r) => !isFailure(r));
  const acceptedP99 = percentile(accepted.map((r) => r.ms), 99);
  const shed = records.filter((r) => r.status === 503);
  const unexpected = count(records, isUnexpectedError);
  const goodput = throughput(records, durationMs);
  const boundMs = limits.requestTimeoutSeconds * 1000;
  const alive = obs.measured?.tasksInServiceAfter === obs.measured?.tasksBefore;
  const afterFailures = Number(obs.measured?.failuresAfter ?? -1);
  return result(obs, records, null, [
    check('excess load shed with 503 + Retry-After', shed.length > 0 && shed.every((r) => r.retryAfter), `${shed.length} shed, ${count(shed, (r) => !r.retryAfter)} without Retry-After`),
    check(
      `accepted requests p99 within the service's ${limits.requestTimeoutSeconds} s deadline`,
      acceptedP99 !== undefined && acceptedP99 <= boundMs,
      `p99 ${acceptedP99 ?? '—'} ms over ${accepted.length} accepted`,
    ),
    check('no 500, 502/504 or hung request', unexpected === 0, `${unexpected} other errors`),
    check(`goodput ≥ ${OVERLOAD_MIN_GOODPUT * 100}% of capacity`, capacity > 0 && goodput >= OVERLOAD_MIN_GOODPUT * capacity, `${goodput} of ${capacity} req/s`),
    check('no crash: every task still in service, 0 failures afterwards', alive && afterFailures === 0, `${obs.measured?.tasksInServiceAfter}/${obs.measured?.tasksBefore} tasks, ${afterFailures} failures after`),
    check(
      `the load balancer's health checks pass throughout (each within the template's ${limits.healthCheckTimeoutSeconds} s timeout): no busy task taken out`,
      obs.measured?.healthChecksFailed === 0 && obs.measured?.tasksTakenOut === 0,
      `${obs.measured?.healthChecksFailed} failed checks, slowest ${obs.measured?.slowestHealthCheckMs} ms, ${obs.measured?.tasksTakenOut} tasks taken out`,
    ),
  ], {
    acceptedP99Ms: acceptedP99 ?? null,
    goodputRps: goodput,
    shedRequests: shed.length,
    ...(limits.latencySloMs === undefined
      ? {}
      : { acceptedWithinLatencySloPercent: accepted.length === 0 ? null : round((100 * count(accepted, (r) => r.ms <= limits.latencySloMs!)) / accepted.length, 1) }),
  }, limits.latencySloMs !== undefined && acceptedP99 !== undefined && acceptedP99 > limits.latencySloMs
    ? [`accepted p99 ${acceptedP99} ms is above the ${limits.latencySloMs} ms latency SLO threshold: the service admits more work than it finishes within the SLO (a lower MAX_IN_FLIGHT sheds earlier)`]
    : []);
}

/** In a hostile-client scenario, the other users (the steady load) must not notice the misbehaving client. */
function othersUnaffected(records: readonly RequestRecord[]): Check {
  const failed = count(records, isFailure);
  return check("other users: 0 failed requests while one client misbehaves", records.length > 0 && failed === 0, `${failed} failed of ${records.length}`);
}

export function evaluateConflictStorm(obs: Observation, all: readonly RequestRecord[]): ScenarioResult {
  const records = inWindow(all, obs.from, obs.to);
  const m = obs.measured ?? {};
  return result(obs, records, null, [
    othersUnaffected(records),
    check(
      'each burst sharing a key: one 201, every other 422 (a client error, never a dependency failure)',
      Number(m.bursts) > 0 && m.burstsWithOneCreated === m.bursts && Number(m.hostileCreated) + Number(m.hostileConflicts) === m.hostileRequests,
      `${m.burstsWithOneCreated} of ${m.bursts} bursts created exactly one; ${m.hostileConflicts} × 422${m.hostileOther ? `, others: ${m.hostileOther}` : ''}`,
    ),
  ]);
}

export function evaluateSlowBodies(obs: Observation, all: readonly RequestRecord[], limits: Limits): ScenarioResult {
  const records = inWindow(all, obs.from, obs.to);
  const m = obs.measured ?? {};
  // The service starts the body deadline once the head is parsed; a second covers the way through HAProxy.
  const boundMs = limits.bodyTimeoutMs + 1000;
  return result(obs, records, null, [
    othersUnaffected(records),
    check(
      `every slow body answered 408 within the body timeout (${limits.bodyTimeoutMs} ms + 1 s)`,
      m.answered408 === m.connections && Number(m.slowestAnswerMs) <= boundMs,
      `${m.answered408} of ${m.connections} answered 408${m.otherAnswers ? `, others: ${m.otherAnswers}` : ''}; slowest after ${m.slowestAnswerMs} ms`,
    ),
    check('one answer per connection, then closed', m.secondResponses === 0 && m.leftOpen === 0, `${m.secondResponses} second responses, ${m.leftOpen} left open`),
  ]);
}

export function evaluateDeepFlood(obs: Observation, all: readonly RequestRecord[]): ScenarioResult {
  const records = inWindow(all, obs.from, obs.to);
  const m = obs.measured ?? {};
  return result(obs, records, null, [
    othersUnaffected(records),
    check('every deep check answered 200 (the database is healthy)', Number(m.deepChecks) > 0 && m.deepNot200 === 0, `${m.deepNot200} of ${m.deepChecks} not 200${m.deepBodies ? `: ${m.deepBodies}` : ''}`),
  ]);
}

/** A scenario that could not run to the end (the rig broke): it fails, with the reason. */
export function failedToRun(name: ScenarioName, reason: string): ScenarioResult {
  const c = check('ran to completion', false, reason);
  return {
    name,
    requests: 0,
    failedRequests: 0,
    errorRate: 0,
    p99Ms: null,
    statuses: {},
    recoverySeconds: null,
    lostAcknowledgedWrites: 0,
    status: 'fail',
    criteria: c.name,
    checks: [c],
    warnings: [],
    measured: {},
  };
}
