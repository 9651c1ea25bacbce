#!/usr/bin/env node
/**
 * `npm run rehearsal [-- --json] [-- --only crash,overload]`: the failure rehearsal on one machine.
 * Stands up PostgreSQL (primary + synchronous standby), 3 replicas of the sample service, HAProxy with the
 * synthesised target group's health check, and a load generator; runs the scenarios; prints a table (or one
 * JSON object with --json; progress always goes to stderr).
 *
 * Exit codes: 0 every scenario passed and no acknowledged write was lost; 1 otherwise;
 * 2 bad usage or a missing prerequisite (postgresql, haproxy); 129/130/143 interrupted (everything is
 * stopped and removed first).
 */
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { REQUEST_TIMEOUT_SECONDS } from '../../app/src/contract';
import { loadConfig } from '../../app/src/config';
import {
  evaluateCrash,
  evaluateFailover,
  evaluateOutage,
  evaluateConflictStorm,
  evaluateDeepFlood,
  evaluateOverload,
  evaluateSlowBodies,
  evaluateRollingRestart,
  failedToRun,
  type Limits,
  type Observation,
  type ScenarioName,
  type ScenarioResult,
} from './evaluate';
import { ALL, parseArgs, USAGE, type CliOptions } from './args';
import { PrerequisiteError } from '../local-servers';
import { sleep } from './processes';
import { exitCodeOf, renderJson, renderTable, type RehearsalReport } from './report';
import { AZS, Rig } from './rig';
import { conflictStorm, deepFlood, slowBodies } from './hostile';
import { crash, databaseFailover, databaseOutage, overload, rollingRestart, settle, WriteAudit } from './scenarios';
import { detectionBoundSeconds } from './template';

/** Tuning of the run itself (not pass criteria). */
const RUN = {
  steadyRps: 100,
  writeRatio: 0.4,
  clientTimeoutMs: 10_000,
  outageMs: 30_000,
  /** Kill of the primary → promotion + endpoint flip. RDS takes 60–120 s; compressed to fit the run. */
  failoverDetectionMs: 10_000,
  capacitySteps: [32, 128, 512],
  capacityStepMs: 3000,
  overloadMs: 10_000,
  /** The whole run is aborted (and fails) after this long. */
  watchdogMs: 8 * 60_000,
} as const;

const log = (msg: string) => process.stderr.write(`[rehearsal ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

async function main(argv: readonly string[]): Promise<number> {
  let options: CliOptions | 'help';
  try {
    options = parseArgs(argv);
  } catch (err) {
    process.stderr.write(`rehearsal: ${(err as Error).message}\n`);
    return 2;
  }
  if (options === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  try {
    Rig.checkPrerequisites();
  } catch (err) {
    if (err instanceof PrerequisiteError) {
      process.stderr.write(`rehearsal: missing prerequisite: ${err.message}\n`);
      return 2;
    }
    throw err;
  }

  const started = Date.now();
  const rig = new Rig({ log, rps: RUN.steadyRps, writeRatio: RUN.writeRatio, clientTimeoutMs: RUN.clientTimeoutMs, serviceEnv: options.serviceEnv });
  let cleaned = false;
  const cleanup = () => {
    if (cleaned) return;
    cleaned = true;
    rig.stop();
  };
  process.once('exit', cleanup);
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]] as const) {
    process.once(signal, () => {
      log(`${signal}: stopping everything`);
      cleanup();
      process.exit(code);
    });
  }
  const watchdog = setTimeout(() => {
    log(`watchdog: the rehearsal took longer than ${RUN.watchdogMs / 1000} s; aborting`);
    cleanup();
    process.exit(1);
  }, RUN.watchdogMs);
  watchdog.unref();

  const results: ScenarioResult[] = [];
  const errors: string[] = [];
  try {
    await rig.start();
    const hc = rig.facts.healthCheck;
    // The replicas' own policies, parsed from the same environment they were started with.
    const config = loadConfig({ ...rig.facts.serviceEnvironment, ...options.serviceEnv, DB_HOST: '127.0.0.1' });
    const policies = config.policies;
    const limits: Limits = {
      detectionBoundSeconds: detectionBoundSeconds(hc),
      requestTimeoutSeconds: REQUEST_TIMEOUT_SECONDS,
      breakerHalfOpenSeconds: policies.breakerHalfOpenAfterMs / 1000,
      dbTimeoutMs: policies.dbTimeoutMs,
      latencySloMs: rig.facts.latencySloMs,
      bodyTimeoutMs: config.bodyTimeoutMs,
      healthCheckTimeoutSeconds: hc.timeoutSeconds,
    };
    const audit = new WriteAudit(rig);

    const observed: Observation[] = [];
    const attempt = async (name: ScenarioName, run: () => Promise<Observation>) => {
      if (!options.only.includes(name)) return;
      log(`scenario ${name}: starting`);
      try {
        observed.push(await run());
        await settle(rig);
      } catch (err) {
        const message = (err as Error).message;
        log(`scenario ${name} could not complete: ${message}`);
        results.push(failedToRun(name, message));
      }
    };

    rig.load.startSteady(RUN.steadyRps);
    await sleep(3000); // warm up: seed messages, open connections, fill caches
    await attempt('rolling-restart', () => rollingRestart(rig, audit));
    await attempt('crash', () => crash(rig, audit));
    await attempt('database-failover', () => databaseFailover(rig, audit, RUN.failoverDetectionMs));
    await attempt('database-outage', () => databaseOutage(rig, audit, RUN.outageMs));
    await attempt('conflict-storm', () => conflictStorm(rig, audit));
    // More slow clients than all tasks' in-flight slots together.
    await attempt('slow-bodies', () => slowBodies(rig, audit, { connections: AZS.length * policies.maxInFlight + 10, bodyTimeoutMs: config.bodyTimeoutMs }));
    await attempt('deep-flood', () => deepFlood(rig, audit, { clients: 100 }));
    await rig.load.stop(RUN.clientTimeoutMs + 5000);
    await attempt('overload', () => overload(rig, audit, RUN));

    const finalLoss = audit.newlyLost();
    for (const obs of observed) {
      const records = rig.load.records;
      switch (obs.name) {
        case 'rolling-restart':
          results.push(evaluateRollingRestart(obs, records));
          break;
        case 'crash':
          results.push(evaluateCrash(obs, records, limits));
          break;
        case 'database-failover':
          results.push(evaluateFailover(obs, records));
          break;
        case 'database-outage':
          results.push(evaluateOutage(obs, records, limits));
          break;
        case 'conflict-storm':
          results.push(evaluateConflictStorm(obs, records));
          break;
        case 'slow-bodies':
          results.push(evaluateSlowBodies(obs, records, limits));
          break;
        case 'deep-flood':
          results.push(evaluateDeepFlood(obs, records));
          break;
        case 'overload':
          results.push(evaluateOverload(obs, records, limits));
          break;
      }
    }
    results.sort((a, b) => ALL.indexOf(a.name) - ALL.indexOf(b.name));
    // The verdicts also go to stderr, so a log of a --json run (CI) says which check failed and by how much.
    for (const r of results) {
      for (const c of r.checks) if (!c.pass) log(`${r.name}: FAILED ${c.name}: ${c.detail}`);
      for (const w of r.warnings) log(`${r.name}: warning: ${w}`);
      log(`${r.name}: ${r.status}`);
    }
    if (finalLoss > 0) errors.push(`${finalLoss} acknowledged writes missing at the final check`);
    const report: RehearsalReport = {
      scenarios: results,
      acknowledgedWrites: rig.load.acks.length,
      lostAcknowledgedWrites: audit.total,
      durationSeconds: Math.round((Date.now() - started) / 1000),
      setup: {
        templateSource: rig.facts.templateSource,
        healthCheck: hc,
        service: rig.facts.service,
        steadyRps: RUN.steadyRps,
        cpus: cpus().length,
        cpuPartition: rig.facts.cpus,
        loadAverage: Math.round(loadavg()[0] * 10) / 10,
      },
      errors,
    };
    if (options.dump) writeFileSync(options.dump, JSON.stringify({ observed, records: rig.load.records, acks: rig.load.acks.length }));
    process.stdout.write(options.json ? renderJson(report) : renderTable(report));
    return exitCodeOf(report);
  } catch (err) {
    log(`rehearsal failed: ${(err as Error).stack ?? err}`);
    log(`logs were in ${rig.dir} (removed on exit)`);
    return 1;
  } finally {
    clearTimeout(watchdog);
    cleanup();
  }
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => process.exit(code));
}

export { main };
