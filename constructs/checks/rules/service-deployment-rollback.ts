import { COMPLIANT, NOT_APPLICABLE, nonCompliant, RuleOutcome, unknown } from '../rule';
import { bool, get, list, props, RuleSubject, Unresolved } from '../template';
import { isEcsManagedReplicaService } from './service-minimum-healthy';

/**
 * A failed deployment rolls itself back: the deployment circuit breaker with rollback, or deployment
 * alarms with rollback (the alarm-based rollback also catches a release that starts but serves errors).
 */
export function serviceDeploymentRollback(subject: RuleSubject): RuleOutcome {
  if (!isEcsManagedReplicaService(subject)) return NOT_APPLICABLE;
  const { resource, template } = subject;
  const deployment = get(props(resource), 'DeploymentConfiguration');

  const breakerOn = bool(get(deployment, 'DeploymentCircuitBreaker', 'Enable'), template);
  const breakerRollback = bool(get(deployment, 'DeploymentCircuitBreaker', 'Rollback'), template);
  const alarmsOn = bool(get(deployment, 'Alarms', 'Enable'), template);
  const alarmsRollback = bool(get(deployment, 'Alarms', 'Rollback'), template);
  const alarmNames = list(get(deployment, 'Alarms', 'AlarmNames'), template);

  if (breakerOn === true && breakerRollback === true) return COMPLIANT;
  const hasAlarms = alarmNames instanceof Unresolved || (alarmNames?.length ?? 0) > 0;
  if (alarmsOn === true && alarmsRollback === true && hasAlarms) return COMPLIANT;

  for (const [what, value] of [
    ['DeploymentCircuitBreaker.Enable', breakerOn],
    ['DeploymentCircuitBreaker.Rollback', breakerRollback],
    ['Alarms.Enable', alarmsOn],
    ['Alarms.Rollback', alarmsRollback],
  ] as const) {
    if (value instanceof Unresolved) return unknown(what, value);
  }
  const why =
    breakerOn === true
      ? 'the circuit breaker stops a failing deployment but does not roll it back'
      : alarmsOn === true
        ? 'deployment alarms are on without rollback or without alarms'
        : 'neither the deployment circuit breaker nor deployment alarms are on';
  return nonCompliant(`a failed deployment does not roll back: ${why}`);
}
