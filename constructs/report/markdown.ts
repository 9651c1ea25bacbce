/** Renders a report as Markdown: findings, availability, recovery, error budget. */
import { RESILIENCE_RULES, ruleId } from '../pure';
import type { LostRegionRecovery } from './region';
import type { Report } from './report';

/** 0.99930015 → "99.93 %", 0.99999 → "99.999 %": more decimals only past 99.99 %, rounded down (never up to the next nine). */
export function formatPercent(fraction: number): string {
  const digits = fraction >= 0.99999 ? 4 : fraction >= 0.9999 ? 3 : 2;
  const text = (Math.floor(fraction * 10 ** (digits + 2)) / 10 ** digits).toFixed(digits).replace(/(\.\d\d)(\d*?)0+$/, '$1$2');
  return `${text} %`;
}

export function formatSeconds(seconds: number | null): string {
  if (seconds === null) return 'manual';
  if (seconds < 120) return `${Math.round(seconds)} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  return `${Math.round(seconds / 3600)} h`;
}

const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function renderMarkdown(report: Report): string {
  const out: string[] = [];
  const { findings, availability: a } = report;
  const count = (severity: string) => findings.filter((f) => f.severity === severity).length;
  out.push('# Resilience report', '');
  out.push(
    `Source: \`${report.source}\`: ${report.stacks.map((s) => `${s.name}${s.region ? ` (${s.region})` : ''}`).join(', ')}. ` +
      `${report.rulesEvaluated} rules checked ${report.resourcesChecked} resources: ` +
      `**${count('error')} errors, ${count('warning')} warnings, ${count('info')} infos**` +
      (report.acknowledged.length > 0 ? `, ${report.acknowledged.length} acknowledged.` : '.'),
    '',
  );

  out.push('## Findings', '');
  if (findings.length === 0) {
    out.push('No findings: every rule passes.', '');
  } else {
    out.push('| Severity | Rule | Stack | Resource | Finding and fix |', '|---|---|---|---|---|');
    for (const f of findings) out.push(`| ${f.severity} | ${f.rule} | ${f.stack} | ${cell(f.path ?? f.resource)} | ${cell(f.message)} |`);
    out.push('');
  }
  if (report.acknowledged.length > 0) {
    out.push('Acknowledged (not counted):', '', '| Rule | Resource | Reason |', '|---|---|---|');
    for (const f of report.acknowledged) out.push(`| ${f.rule} | ${cell(f.path ?? f.resource)} | ${cell(f.reason)} |`);
    out.push('');
  }

  out.push('## Availability', '');
  if (a.composite === null) {
    out.push('No request-path tier (load balancer, service, database) found, so no estimate.', '');
  } else {
    out.push(
      `Composite estimate: **${formatPercent(a.composite)}** (${a.nines!.toFixed(2)} nines), ` +
        `about **${a.downtimeMinutesPerMonth!.toFixed(1)} minutes of downtime a month**. ` +
        'Tiers in series multiply; redundant zones are in parallel, 1 - Π(1 - a).',
      '',
      '| Tier | Stack | Resource | Availability | How | Source |',
      '|---|---|---|---|---|---|',
    );
    for (const c of a.components) {
      out.push(`| ${c.tier} | ${c.stack} | ${c.resource} | ${formatPercent(c.availability)} | ${cell(c.basis)} | ${cell(c.sources.join('; '))} |`);
    }
    out.push('');
  }
  out.push('Assumptions:', '', ...a.assumptions.map((s) => `- ${s}`), '');

  out.push('## Recovery', '', '| Failure | Resource | Detect | Recover | Data at risk (RPO) | Notes |', '|---|---|---|---|---|---|');
  for (const r of report.recovery) {
    const rpo = r.rpoSeconds === null ? 'all of it' : r.rpoSeconds === 0 ? 'none' : formatSeconds(r.rpoSeconds);
    out.push(`| ${r.failure} | ${r.resource ?? 'all'} | ${formatSeconds(r.detectSeconds)} | ${formatSeconds(r.recoverSeconds)} | ${rpo} | ${cell(r.notes)} |`);
  }
  out.push('', '"manual" means a person has to act; "Recover" counts from the failure until the designed state is back.', '');
  out.push(...renderLostRegion(report.lostRegion));

  out.push('## Error budget', '', '| Availability | Downtime a month | Downtime a year |', '|---|---|---|');
  for (const row of report.errorBudget.ninesTable) {
    out.push(`| ${formatPercent(row.availability)} | ${row.downtimeMinutesPerMonth.toFixed(1)} min | ${row.downtimeHoursPerYear.toFixed(2)} h |`);
  }
  out.push('');
  if (report.errorBudget.slos.length === 0) {
    out.push('No SLO found in the templates (Application Signals SLOs, or alarms whose description states "SLO 99.9 %").', '');
  } else {
    out.push('| SLO | Stack | Target | Budget a month | Used by the infrastructure estimate | Read from |', '|---|---|---|---|---|---|');
    for (const s of report.errorBudget.slos) {
      const used = s.consumedByInfrastructure === null ? 'n/a' : `${Math.round(s.consumedByInfrastructure * 100)} %`;
      out.push(`| ${s.name} | ${s.stack} | ${formatPercent(s.target)} | ${s.budgetMinutesPerMonth.toFixed(1)} min | ${used} | ${s.source} |`);
    }
    out.push('');
  }

  out.push('## Rules', '', '| Rule | Severity | Checks |', '|---|---|---|');
  for (const rule of RESILIENCE_RULES) out.push(`| ${ruleId(rule)} | ${rule.severity} | ${cell(rule.info)} |`);
  out.push('');
  return out.join('\n');
}

/** The lost-region recovery: strategy, RTO and RPO, and every term with its source. */
export function renderLostRegion(region: LostRegionRecovery): string[] {
  const rto =
    region.rtoSeconds === null
      ? `**manual** (at least ${formatSeconds(region.rtoKnownSeconds)}, plus ${region.rto.filter((t) => t.seconds === null).map((t) => t.term).join(' and ')} by a person)`
      : `**${formatSeconds(region.rtoSeconds)}**`;
  const rpo = region.rpoSeconds === null ? '**all of it** (no copy leaves the region)' : region.rpoSeconds === 0 ? '**none**' : `**${formatSeconds(region.rpoSeconds)}**`;
  const where = region.primaryRegion ? ` of ${region.primaryRegion}${region.drRegion ? `, recovered in ${region.drRegion}` : ''}` : '';
  const out = [
    '### Lost region', '',
    `Strategy: **${region.strategy}** (${cell(region.strategyEvidence)}). Loss${where}: RTO ${rto}, RPO ${rpo}. The terms are added (a conservative bound).`, '',
    '| Term | Time | How | Source |', '|---|---|---|---|',
  ];
  for (const t of [...region.rto, region.rpo]) {
    const time = t.seconds === null ? (t.term === 'data' ? 'all of it' : 'manual') : t.seconds === 0 && t.term === 'data' ? 'none' : formatSeconds(t.seconds);
    out.push(`| ${t.term === 'data' ? 'RPO: data at risk' : t.term} | ${time}${t.assumption ? ' (assumed)' : ''} | ${cell(t.basis)} | ${cell(t.source)} |`);
  }
  out.push('');
  return out;
}
