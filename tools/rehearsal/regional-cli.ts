#!/usr/bin/env node
/**
 * `npm run rehearsal:regional [-- --json] [-- --only region-loss] [-- --charts DIR] [-- --time-scale 0.05]`:
 * the loss of a region, rehearsed on one machine. Two regions on loopback (see regional-rig.ts), steady mixed load with
 * Idempotency-Keys through a DNS-failover stand-in whose interval, failure threshold and TTL come from the synthesised
 * HaDrSite template, and three scenarios: a partition between the regions, a planned switchover and failback, and the
 * loss of the primary region. Writes a timeline chart (SVG) per scenario into the charts directory.
 *
 * Exit codes: 0 every scenario passed; 1 otherwise; 2 bad usage or a missing prerequisite; 129/130/143 interrupted.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import * as path from 'node:path';
import { recoveryModel } from '../../constructs/report/recovery';
import type { LoadedStack } from '../../constructs/report/load';
import { REGION_FIGURES } from '../../constructs/report/region';
import { PrerequisiteError, postgresBinDir } from '../local-servers';
import { haproxyBinary } from './haproxy';
import { timelineSvg, type Marker } from './chart';
import { sleep } from './processes';
import {
  compareWithReport,
  evaluatePartition,
  evaluateRegionLoss,
  evaluateSwitchover,
  RECOVERY_MARGIN_SECONDS,
  REGIONAL_SCENARIOS,
  type Comparison,
  type RegionalObservation,
  type RegionalResult,
  type RegionalScenarioName,
} from './regional-evaluate';
import { RegionalRig } from './regional-rig';
import { partition, regionLoss, switchover } from './regional-scenarios';
import type { Strategy } from './regional-template';

const USAGE = `usage: npm run rehearsal:regional -- [--json] [--only ${REGIONAL_SCENARIOS.join(',')}] [--charts DIR] [--time-scale S] [--strategy warm-standby|pilot-light]`;

/** Tuning of the run (not pass criteria). */
const RUN = {
  rps: 50,
  writeRatio: 0.4,
  clientTimeoutMs: 10_000,
  /** Cross-region round trip added by the link proxy (us-east-1 ↔ us-west-2 is about 60-70 ms). */
  roundTripMs: 70,
  /**
   * Template durations (health check interval, TTL, lag alarm period and threshold, the report's promotion figure) run
   * at this fraction of real time, so the three scenarios fit in about two minutes: 10 s × 3 and a 60 s TTL become
   * 1.5 s and 3 s. Process start-up, pg_promote and the link's round trip are real time.
   */
  timeScale: 0.05,
  watchdogMs: 6 * 60_000,
} as const;

interface Options {
  json: boolean;
  only: RegionalScenarioName[];
  charts: string;
  timeScale: number;
  strategy: Strategy;
}

export function parseRegionalArgs(argv: readonly string[]): Options | 'help' {
  const o: Options = { json: false, only: [...REGIONAL_SCENARIOS], charts: path.join('reports', 'rehearsal-charts'), timeScale: RUN.timeScale, strategy: 'warm-standby' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--help' || a === '-h') return 'help';
    if (a === '--json') o.json = true;
    else if (a === '--only') {
      const list = (argv[++i] ?? '').split(',').filter(Boolean);
      const bad = list.filter((n) => !REGIONAL_SCENARIOS.includes(n as RegionalScenarioName));
      if (list.length === 0 || bad.length > 0) throw new Error(`--only takes scenario names, got ${JSON.stringify(argv[i] ?? '')}. ${USAGE}`);
      o.only = REGIONAL_SCENARIOS.filter((n) => list.includes(n));
    } else if (a === '--charts') {
      o.charts = argv[++i] ?? '';
      if (!o.charts) throw new Error(`--charts needs a directory. ${USAGE}`);
    } else if (a === '--time-scale') {
      const v = Number(argv[++i]);
      if (!(v > 0 && v <= 1)) throw new Error(`--time-scale must be in (0, 1], got ${JSON.stringify(argv[i])}. ${USAGE}`);
      o.timeScale = v;
    } else if (a === '--strategy') {
      const v = argv[++i];
      if (v !== 'warm-standby' && v !== 'pilot-light') throw new Error(`--strategy must be warm-standby or pilot-light, got ${JSON.stringify(v)}. ${USAGE}`);
      o.strategy = v;
    } else throw new Error(`unknown argument ${a}. ${USAGE}`);
  }
  return o;
}

const log = (msg: string) => process.stderr.write(`[regional ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

export interface RegionalReport {
  readonly scenarios: readonly RegionalResult[];
  readonly comparison: readonly Comparison[];
  readonly reportLostRegion: { detectSeconds: number | null; recoverSeconds: number | null; rpoSeconds: number | null; notes: string } | null;
  readonly charts: readonly string[];
  readonly acknowledgedWrites: number;
  readonly durationSeconds: number;
  readonly setup: Record<string, unknown>;
  readonly errors: readonly string[];
}

function markers(obs: RegionalObservation): Marker[] {
  const m: Marker[] = [{ at: obs.faultAt, label: obs.name === 'region-switchover' ? 'switchover starts' : obs.name === 'region-loss' ? 'region lost' : 'partition', kind: 'fault' }];
  // The steps that the fault and recovery markers already show are left out.
  // The steps that the fault and recovery markers already show are left out, and of the runbook only its main steps.
  const shown = (step: string) => !['loss', 'partition', 'heal', 'first write', 'caught up'].includes(step) && !/^runbook (CheckForce|ReadPrimaryHealthCheck|AssertPrimaryUnhealthy|RaiseMinimumCapacity|WaitForTasks|ReadDnsHealthCheck|OutputStandbyEndpoint)$/.test(step);
  for (const s of obs.steps) if (shown(s.step)) m.push({ at: s.at, label: s.step.replace(/^runbook /, ''), kind: 'step' });
  if (obs.faultEndAt !== undefined && obs.name === 'region-partition') m.push({ at: obs.faultEndAt, label: 'healed', kind: 'step' });
  if (obs.recoveredAt !== undefined) m.push({ at: obs.recoveredAt, label: obs.name === 'region-loss' ? 'first write in DR' : obs.name === 'region-partition' ? 'caught up' : 'writes after failback', kind: 'recovery' });
  return m;
}

function renderTable(r: RegionalReport): string {
  const lines = ['scenario            requests  failed  p99 ms  recovery s  lag s   lost  split brain  result'];
  for (const s of r.scenarios) {
    lines.push(
      `${s.name.padEnd(18)}  ${String(s.requests).padStart(8)}  ${String(s.failedRequests).padStart(6)}  ${String(s.p99Ms ?? '—').padStart(6)}  ${String(s.recoverySeconds ?? '—').padStart(10)}  ${String(s.replicationLagSeconds ?? '—').padStart(5)}  ${String(s.lostAcknowledgedWrites).padStart(4)}  ${String(s.splitBrainWrites).padStart(11)}  ${s.status.toUpperCase()}`,
    );
  }
  for (const s of r.scenarios) {
    lines.push('', `${s.name}:`);
    for (const c of s.checks) lines.push(`  ${c.pass ? 'ok  ' : 'FAIL'} ${c.name} — ${c.detail}`);
    for (const w of s.warnings) lines.push(`  warn ${w}`);
    for (const st of s.steps) lines.push(`  ${String(st.atSeconds).padStart(6)} s  ${st.step}: ${st.detail}`);
    if (s.lostWrites.length > 0) lines.push(`  lost: ${s.lostWrites.map((w) => `${w.id} (acknowledged ${w.acknowledgedSecondsBeforeLoss} s before)`).join(', ')}`);
  }
  if (r.comparison.length > 0) {
    lines.push('', 'lost region: the resilience report vs the rehearsal');
    for (const c of r.comparison) lines.push(`  ${c.figure.padEnd(12)} report ${String(c.report ?? '—').padStart(6)}  rehearsal ${String(c.rehearsal ?? '—').padStart(6)} (template time ${c.rehearsalInTemplateTime ?? '—'})  ${c.why}`);
  }
  lines.push('', `charts: ${r.charts.join(', ')}`, `duration: ${r.durationSeconds} s`);
  for (const e of r.errors) lines.push(`ERROR: ${e}`);
  lines.push(exitCode(r) === 0 ? 'RESULT: PASS' : 'RESULT: FAIL');
  return `${lines.join('\n')}\n`;
}

export function exitCode(r: Pick<RegionalReport, 'scenarios' | 'errors'>): number {
  return r.errors.length === 0 && r.scenarios.length > 0 && r.scenarios.every((s) => s.status === 'pass') ? 0 : 1;
}

async function main(argv: readonly string[]): Promise<number> {
  let options: Options | 'help';
  try {
    options = parseRegionalArgs(argv);
  } catch (err) {
    process.stderr.write(`rehearsal:regional: ${(err as Error).message}\n`);
    return 2;
  }
  if (options === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  try {
    postgresBinDir();
    haproxyBinary();
  } catch (err) {
    if (err instanceof PrerequisiteError) {
      process.stderr.write(`rehearsal:regional: missing prerequisite: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  const started = Date.now();
  const rig = new RegionalRig({ log, strategy: options.strategy, rps: RUN.rps, writeRatio: RUN.writeRatio, clientTimeoutMs: RUN.clientTimeoutMs, roundTripMs: RUN.roundTripMs, timeScale: options.timeScale });
  let cleaned = false;
  const cleanup = () => {
    if (!cleaned) {
      cleaned = true;
      rig.stop();
    }
  };
  process.once('exit', cleanup);
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]] as const) {
    process.once(signal, () => {
      cleanup();
      process.exit(code);
    });
  }
  const watchdog = setTimeout(() => {
    log(`watchdog: longer than ${RUN.watchdogMs / 1000} s; aborting`);
    cleanup();
    process.exit(1);
  }, RUN.watchdogMs);
  watchdog.unref();

  const errors: string[] = [];
  const observed: RegionalObservation[] = [];
  try {
    await rig.start();
    rig.load.startSteady(RUN.rps);
    await sleep(3000);
    const run = async (name: RegionalScenarioName, fn: () => Promise<RegionalObservation>) => {
      if (!options.only.includes(name)) return;
      log(`scenario ${name}: starting`);
      try {
        observed.push(await fn());
      } catch (err) {
        errors.push(`${name} could not complete: ${(err as Error).message}`);
        log(errors[errors.length - 1]);
      }
    };
    // The destructive one last: nothing comes back from a lost region.
    await run('region-partition', () => partition(rig));
    await run('region-switchover', () => switchover(rig));
    await run('region-loss', () => regionLoss(rig));
    await rig.load.stop(RUN.clientTimeoutMs + 5000);

    const d = rig.facts.dns;
    const pa = rig.facts.probeAlarm;
    const limits = { intervalSeconds: d.intervalSeconds, failureThreshold: d.failureThreshold, guardAlarmSeconds: Math.max(pa.rateSeconds, pa.periodSeconds) * pa.datapointsToAlarm, ttlSeconds: d.ttlSeconds, promotionSeconds: REGION_FIGURES.replicaPromotionSeconds, timeScale: options.timeScale, marginSeconds: RECOVERY_MARGIN_SECONDS };
    const records = rig.load.records;
    const results = observed.map((o) => (o.name === 'region-loss' ? evaluateRegionLoss(o, records, limits) : o.name === 'region-switchover' ? evaluateSwitchover(o, records) : evaluatePartition(o, records)));
    for (const r of results) {
      for (const c of r.checks) if (!c.pass) log(`${r.name}: FAILED ${c.name}: ${c.detail}`);
      log(`${r.name}: ${r.status}`);
    }
    mkdirSync(options.charts, { recursive: true });
    const charts = observed.map((o) => {
      const file = path.join(options.charts, `${o.name}.svg`);
      writeFileSync(file, timelineSvg({ title: `regional rehearsal: ${o.name} (time scale ${options.timeScale})`, from: o.from - 2000, to: o.to + 1000, records, markers: markers(o) }));
      return file;
    });
    const stacks: LoadedStack[] = rig.facts.stacks.map((s) => ({ name: s.name, templateFile: `${s.name}.template.json`, template: s.template, region: s.region, acknowledgments: new Map() }));
    const row = recoveryModel(stacks).find((x) => x.failure === 'lost region');
    const loss = results.find((r) => r.name === 'region-loss');
    const report: RegionalReport = {
      scenarios: results,
      comparison: row && loss ? compareWithReport(row, loss, options.timeScale) : [],
      reportLostRegion: row ? { detectSeconds: row.detectSeconds, recoverSeconds: row.recoverSeconds, rpoSeconds: row.rpoSeconds, notes: row.notes } : null,
      charts,
      acknowledgedWrites: rig.load.acks.length,
      durationSeconds: Math.round((Date.now() - started) / 1000),
      setup: {
        templateSource: rig.facts.templateSource,
        strategy: options.strategy,
        dnsFailover: rig.facts.dns,
        lagAlarm: rig.facts.lagAlarm,
        runbook: rig.facts.runbook,
        guardAlarm: rig.facts.probeAlarm,
        primaryTasks: rig.facts.primaryTasks,
        standbyTasks: rig.facts.standbyTasks,
        timeScale: options.timeScale,
        roundTripMs: RUN.roundTripMs,
        steadyRps: RUN.rps,
        recoveryMarginSeconds: RECOVERY_MARGIN_SECONDS,
        promotionFigureSeconds: REGION_FIGURES.replicaPromotionSeconds,
        cpus: cpus().length,
        loadAverage: Math.round(loadavg()[0] * 10) / 10,
      },
      errors,
    };
    process.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : renderTable(report));
    return exitCode(report);
  } catch (err) {
    log(`regional rehearsal failed: ${(err as Error).stack ?? err}`);
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
