/**
 * The resilience report of a set of templates: findings, availability, recovery and error budget.
 * Pure: given loaded templates, it returns data; rendering and exit codes live elsewhere.
 */
import { RESILIENCE_RULES } from '../pure';
import { Availability, availabilityModel } from './availability';
import { ErrorBudget, errorBudget } from './budget';
import { AcknowledgedFinding, evaluateRules, Finding } from './findings';
import type { LoadedInput } from './load';
import { RecoveryRow, recoveryModel, regionalDatabases } from './recovery';
import { LostRegionRecovery, lostRegionRecovery } from './region';

export interface Report {
  readonly source: string;
  readonly stacks: readonly { readonly name: string; readonly region?: string; readonly resources: number }[];
  readonly rulesEvaluated: number;
  readonly resourcesChecked: number;
  readonly findings: readonly Finding[];
  readonly acknowledged: readonly AcknowledgedFinding[];
  readonly availability: Availability;
  readonly recovery: readonly RecoveryRow[];
  /** The loss of the primary region under the DR strategy the templates show: RTO and RPO with each term's source. */
  readonly lostRegion: LostRegionRecovery;
  readonly errorBudget: ErrorBudget;
}

export function buildReport(input: LoadedInput): Report {
  const { findings, acknowledged, resourcesChecked } = evaluateRules(input.stacks);
  const availability = availabilityModel(input.stacks);
  const lostRegion = lostRegionRecovery(input.stacks, regionalDatabases(input.stacks));
  return {
    source: input.source,
    stacks: input.stacks.map((s) => ({ name: s.name, region: s.region, resources: Object.keys(s.template.Resources ?? {}).length })),
    rulesEvaluated: RESILIENCE_RULES.length,
    resourcesChecked,
    findings,
    acknowledged,
    availability,
    recovery: recoveryModel(input.stacks, lostRegion),
    lostRegion,
    errorBudget: errorBudget(input.stacks, availability.composite),
  };
}

/** 1 when an unacknowledged error-severity finding remains, else 0. */
export function exitCodeOf(report: Report): 0 | 1 {
  return report.findings.some((f) => f.severity === 'error') ? 1 : 0;
}
