import { COMPLIANT, NOT_APPLICABLE, nonCompliant, RuleOutcome, unknown } from '../rule';
import { bool, get, num, props, RuleSubject, str, Unresolved } from '../template';

/** ECS deploys this service itself (not CodeDeploy or an external controller) and keeps replicas. */
export function isEcsManagedReplicaService(subject: RuleSubject): boolean {
  const p = props(subject.resource);
  const controller = str(get(p, 'DeploymentController', 'Type'), subject.template);
  return (controller === undefined || controller === 'ECS') && str(p.SchedulingStrategy, subject.template) !== 'DAEMON';
}

/**
 * A rolling deployment that may stop old tasks before new ones are healthy (minimum healthy below 100 %)
 * has the deployment circuit breaker on, so a release whose tasks never become healthy stops and rolls back
 * instead of leaving the service below capacity.
 */
export function serviceMinimumHealthy(subject: RuleSubject): RuleOutcome {
  const { resource, template } = subject;
  if (!isEcsManagedReplicaService(subject)) return NOT_APPLICABLE;
  const deployment = get(props(resource), 'DeploymentConfiguration');
  // ECS uses 100 % for replica services when the template leaves it out.
  const minimumHealthy = num(get(deployment, 'MinimumHealthyPercent'), template) ?? 100;
  if (minimumHealthy instanceof Unresolved) return unknown('MinimumHealthyPercent', minimumHealthy);
  if (minimumHealthy >= 100) return COMPLIANT;
  const breaker = bool(get(deployment, 'DeploymentCircuitBreaker', 'Enable'), template);
  if (breaker instanceof Unresolved) return unknown('DeploymentCircuitBreaker.Enable', breaker);
  if (breaker === true) return COMPLIANT;
  return nonCompliant(
    `deployments may stop old tasks down to ${minimumHealthy} % of the desired count and have no circuit breaker: a release whose tasks never become healthy leaves the service at ${minimumHealthy} % capacity until someone notices`,
  );
}
