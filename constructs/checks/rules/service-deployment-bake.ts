import { COMPLIANT, NOT_APPLICABLE, nonCompliant, RuleOutcome } from '../rule';
import { CfnResource, CfnTemplate, get, num, props, RuleSubject, str, Unresolved } from '../template';
import { isEcsManagedReplicaService } from './service-minimum-healthy';

/** How a service's new version reaches its traffic: the ECS deployment strategy, the share first given to it and the bake times. */
export interface DeploymentShape {
  /** `ROLLING` (the default when the property is absent), `CANARY`, `LINEAR` or `BLUE_GREEN`. */
  readonly strategy: string;
  /** Minutes both versions run after all traffic moved (`BakeTimeInMinutes`), 0 when absent. */
  readonly bakeMinutes: number;
  /** Percent of production traffic the new version gets first (canary, or one linear step); 100 otherwise. */
  readonly firstSharePercent: number;
  /** Minutes the first share bakes before more traffic moves; 0 when the strategy has no step. */
  readonly firstShareBakeMinutes: number;
}

/**
 * Read from AWS::ECS::Service DeploymentConfiguration (Strategy, BakeTimeInMinutes, CanaryConfiguration,
 * LinearConfiguration): https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-ecs-service-deploymentconfiguration.html
 */
export function deploymentShape(resource: CfnResource, template: CfnTemplate): DeploymentShape | Unresolved {
  const config = get(props(resource), 'DeploymentConfiguration');
  const values = {
    strategy: str(get(config, 'Strategy'), template),
    bake: num(get(config, 'BakeTimeInMinutes'), template),
    canaryPercent: num(get(config, 'CanaryConfiguration', 'CanaryPercent'), template),
    canaryBake: num(get(config, 'CanaryConfiguration', 'CanaryBakeTimeInMinutes'), template),
    linearPercent: num(get(config, 'LinearConfiguration', 'StepPercent'), template),
    linearBake: num(get(config, 'LinearConfiguration', 'StepBakeTimeInMinutes'), template),
  };
  for (const value of Object.values(values)) if (value instanceof Unresolved) return value;
  const v = values as { [K in keyof typeof values]: Exclude<(typeof values)[K], Unresolved> };
  const strategy = v.strategy ?? 'ROLLING';
  const step = strategy === 'CANARY' ? { share: v.canaryPercent, bake: v.canaryBake } : strategy === 'LINEAR' ? { share: v.linearPercent, bake: v.linearBake } : undefined;
  return { strategy, bakeMinutes: v.bake ?? 0, firstSharePercent: step?.share ?? 100, firstShareBakeMinutes: step?.bake ?? 0 };
}

/** A new version is judged on a share of the traffic, or at least baked beside the old one, before the old tasks go. */
export function serviceDeploymentBake(subject: RuleSubject): RuleOutcome {
  if (!isEcsManagedReplicaService(subject)) return NOT_APPLICABLE;
  const shape = deploymentShape(subject.resource, subject.template);
  if (shape instanceof Unresolved) return { status: 'unknown', detail: `the deployment strategy is not known until deployment (${shape.toString()})` };
  if (shape.bakeMinutes > 0 || (shape.firstSharePercent < 100 && shape.firstShareBakeMinutes > 0)) return COMPLIANT;
  return nonCompliant(`the service deploys ${shape.strategy} with no bake time: a bad version takes all traffic as soon as its tasks pass health checks, before any alarm has had a window to judge it`);
}
