import { COMPLIANT, nonCompliant, RuleOutcome } from '../rule';
import { props, RuleSubject } from '../template';

/** A log group says how long it keeps its logs: the evidence of an incident is kept on purpose, not by accident. */
export function logGroupRetention({ resource }: RuleSubject): RuleOutcome {
  if (props(resource).RetentionInDays !== undefined) return COMPLIANT;
  return nonCompliant('the log group keeps logs forever (no RetentionInDays): cost grows without bound and nobody chose how long incident evidence is kept');
}
