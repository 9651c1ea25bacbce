/** The rehearsal's output: a plain-text table for people, one JSON object for machines. Pure. */
import type { ScenarioResult } from './evaluate';
import type { HealthCheckSettings } from './template';

export interface RehearsalReport {
  readonly scenarios: readonly ScenarioResult[];
  readonly acknowledgedWrites: number;
  readonly lostAcknowledgedWrites: number;
  readonly durationSeconds: number;
  readonly setup: {
    readonly templateSource: string;
    readonly healthCheck: HealthCheckSettings;
    readonly service: string;
    readonly steadyRps: number;
    readonly cpus: number;
    /** How the CPUs were split between the system under test and the harness. */
    readonly cpuPartition: string;
    readonly loadAverage: number;
  };
  /** Problems that stopped a scenario from running at all. */
  readonly errors: readonly string[];
}

/** 0 when every scenario passed, no acknowledged write was lost and nothing broke; 1 otherwise. */
export function exitCodeOf(report: RehearsalReport): number {
  const ok = report.errors.length === 0 && report.lostAcknowledgedWrites === 0 && report.scenarios.length > 0 && report.scenarios.every((s) => s.status === 'pass');
  return ok ? 0 : 1;
}

const dash = (v: number | null | undefined) => (v === null || v === undefined ? '—' : String(v));

function pad(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd()).join('\n');
}

export function renderTable(report: RehearsalReport): string {
  const header = ['scenario', 'requests', 'failed', 'error rate', 'p99 ms', 'recovery s', 'lost writes', 'result'];
  const rows = report.scenarios.map((s) => [
    s.name,
    String(s.requests),
    String(s.failedRequests),
    `${(s.errorRate * 100).toFixed(2)}%`,
    dash(s.p99Ms),
    dash(s.recoverySeconds),
    String(s.lostAcknowledgedWrites),
    s.status.toUpperCase(),
  ]);
  const lines = [pad([header, ...rows]), ''];
  for (const s of report.scenarios) {
    lines.push(`${s.name}:`);
    for (const c of s.checks) lines.push(`  ${c.pass ? 'ok  ' : 'FAIL'} ${c.name} — ${c.detail}`);
    for (const w of s.warnings) lines.push(`  warn ${w}`);
    const measured = Object.entries(s.measured).filter(([, v]) => v !== null && v !== '');
    if (measured.length > 0) lines.push(`  measured: ${measured.map(([k, v]) => `${k}=${v}`).join(', ')}`);
  }
  const hc = report.setup.healthCheck;
  lines.push(
    '',
    `acknowledged writes: ${report.acknowledgedWrites}, lost: ${report.lostAcknowledgedWrites}`,
    `health check (${report.setup.templateSource}): ${hc.path} every ${hc.intervalSeconds} s, timeout ${hc.timeoutSeconds} s, healthy ${hc.healthyThreshold}, unhealthy ${hc.unhealthyThreshold}`,
    `service: ${report.setup.service}; steady load ${report.setup.steadyRps} req/s; ${report.setup.cpus} CPUs (${report.setup.cpuPartition}), load average ${report.setup.loadAverage}`,
    `duration: ${report.durationSeconds} s`,
  );
  for (const e of report.errors) lines.push(`ERROR: ${e}`);
  lines.push(exitCodeOf(report) === 0 ? 'RESULT: PASS' : 'RESULT: FAIL');
  return `${lines.join('\n')}\n`;
}

export function renderJson(report: RehearsalReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
