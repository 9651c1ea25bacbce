import { COMPLIANT, nonCompliant, RuleOutcome } from '../rule';
import { get, props, RuleSubject } from '../template';

/** An AWS FIS experiment stops itself on a CloudWatch alarm, so a chaos experiment that hurts users ends. */
export function fisStopCondition({ resource }: RuleSubject): RuleOutcome {
  const conditions = props(resource).StopConditions;
  const alarms = (Array.isArray(conditions) ? conditions : []).filter(
    (c) => get(c, 'Source') === 'aws:cloudwatch:alarm' && get(c, 'Value') !== undefined,
  );
  if (alarms.length > 0) return COMPLIANT;
  return nonCompliant('the experiment has no CloudWatch alarm stop condition (none, or only `none`): it runs to the end however much it hurts users');
}
