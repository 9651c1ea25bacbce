import { COMPLIANT, NOT_APPLICABLE, nonCompliant, RuleOutcome, unknown } from '../rule';
import { attributes, CfnResource, CfnTemplate, props, RuleSubject, str, Unresolved } from '../template';

/** Longest drain a stopping target may hold a deployment or a scale-in for. */
export const MAX_DEREGISTRATION_DELAY_SECONDS = 120;

/** The deregistration delay of a target group; AWS uses 300 s when the template leaves it out. */
export function deregistrationDelaySeconds(resource: CfnResource, template: CfnTemplate): number | Unresolved {
  const value = attributes(props(resource).TargetGroupAttributes, template).get('deregistration_delay.timeout_seconds');
  if (value instanceof Unresolved) return value;
  if (value === undefined) return 300;
  const seconds = Number(value);
  return Number.isFinite(seconds) ? seconds : new Unresolved(value);
}

/**
 * A target group drains a deregistered target within 120 s. The AWS default, 300 s, makes every
 * deployment, scale-in and replacement of an unhealthy task wait five minutes per batch.
 */
export function targetGroupDeregistrationDelay({ resource, template }: RuleSubject): RuleOutcome {
  if (str(props(resource).TargetType, template) === 'lambda') return NOT_APPLICABLE;
  const delay = deregistrationDelaySeconds(resource, template);
  if (delay instanceof Unresolved) return unknown('deregistration_delay.timeout_seconds', delay);
  if (delay <= MAX_DEREGISTRATION_DELAY_SECONDS) return COMPLIANT;
  const source = attributes(props(resource).TargetGroupAttributes, template).has('deregistration_delay.timeout_seconds') ? '' : ' (the AWS default)';
  return nonCompliant(
    `deregistration delay is ${delay} s${source}, more than ${MAX_DEREGISTRATION_DELAY_SECONDS} s: every deployment batch and every replaced task waits that long`,
  );
}
