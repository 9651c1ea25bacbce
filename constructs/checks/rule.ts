import type { RuleSubject } from './template';
import { Unresolved } from './template';

/** How much a finding matters: `error` fails synthesis and exits the report with 1. */
export type Severity = 'error' | 'warning' | 'info';

/** The verdict of one rule on one resource. */
export type RuleOutcome =
  | { readonly status: 'compliant' }
  | { readonly status: 'not-applicable' }
  /** `detail` says what was found, with the values, in one sentence. */
  | { readonly status: 'non-compliant'; readonly detail: string }
  /** The template leaves a value the rule needs to deploy time. */
  | { readonly status: 'unknown'; readonly detail: string };

/** A rule: a pure function of one resource and its template. */
export type RuleFunction = (subject: RuleSubject) => RuleOutcome;

export const COMPLIANT: RuleOutcome = { status: 'compliant' };
export const NOT_APPLICABLE: RuleOutcome = { status: 'not-applicable' };

export function nonCompliant(detail: string): RuleOutcome {
  return { status: 'non-compliant', detail };
}

export function unknown(what: string, value: Unresolved): RuleOutcome {
  return { status: 'unknown', detail: `${what} is not known until deployment (${value.toString()})` };
}

/** A rule as the pack registers it: the function, the resource types it reads, and its texts. */
export interface ResilienceRule {
  /** Rule name; the full ID is `Resilience-<id>`. */
  readonly id: string;
  readonly severity: Severity;
  /** CloudFormation types the rule judges; other resources are not passed to it. */
  readonly resourceTypes: readonly string[];
  /** What is wrong, in one sentence (the finding's headline). */
  readonly info: string;
  /** Why it matters to availability or recovery. */
  readonly explanation: string;
  /** What to change, in CDK terms and in CloudFormation terms. */
  readonly fix: string;
  readonly evaluate: RuleFunction;
}

/** Name of the pack: the prefix of every rule ID and the plugin name in the validation report. */
export const PACK_NAME = 'Resilience';

/** The full ID of a rule, as findings and acknowledgments spell it. */
export function ruleId(rule: Pick<ResilienceRule, 'id'>): string {
  return `${PACK_NAME}-${rule.id}`;
}
