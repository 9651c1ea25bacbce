import { COMPLIANT, nonCompliant, RuleOutcome, unknown } from '../rule';
import { bool, CfnResource, CfnTemplate, isObject, list, props, refersTo, RuleSubject, Unresolved } from '../template';

/** Resources that show an alarm without acting on it. */
const NOT_A_CONSUMER = ['AWS::CloudWatch::Dashboard'];

/** The resources (other than dashboards) that act on an alarm's state. */
export function alarmConsumers(logicalId: string, template: CfnTemplate): string[] {
  const alarm = template.Resources?.[logicalId];
  const name = alarm ? props(alarm).AlarmName : undefined;
  return Object.entries(template.Resources ?? {})
    .filter(([id, r]) => id !== logicalId && !NOT_A_CONSUMER.includes(r.Type))
    .filter(([, r]) => refersTo(r.Properties, logicalId) || (typeof name === 'string' && mentions(r.Properties, name)))
    .map(([id]) => id);
}

function mentions(value: unknown, text: string): boolean {
  if (typeof value === 'string') return value.includes(text);
  if (Array.isArray(value)) return value.some((v) => mentions(v, text));
  return isObject(value) && Object.values(value).some((v) => mentions(v, text));
}

/** The alarms a composite alarm's rule names. */
function members(resource: CfnResource, template: CfnTemplate): string[] {
  return Object.entries(template.Resources ?? {})
    .filter(([, r]) => r.Type === 'AWS::CloudWatch::Alarm' || r.Type === 'AWS::CloudWatch::CompositeAlarm')
    .filter(([id]) => refersTo(props(resource).AlarmRule, id))
    .map(([id]) => id);
}

/**
 * An alarm reaches someone or something: it has alarm actions, or another resource acts on its state
 * (a composite alarm, an ECS deployment's rollback alarms, an FIS stop condition, a Route 53 health check),
 * or it is a composite that only aggregates alarms which all reach someone themselves (a roll-up view).
 */
export function alarmActions({ logicalId, resource, template }: RuleSubject): RuleOutcome {
  return isHeard(logicalId, resource, template, new Set());
}

function isHeard(logicalId: string, resource: CfnResource, template: CfnTemplate, visiting: Set<string>): RuleOutcome {
  const p = props(resource);
  const enabled = bool(p.ActionsEnabled, template);
  if (enabled instanceof Unresolved) return unknown('ActionsEnabled', enabled);
  const actions = list(p.AlarmActions, template);
  const hasActions = actions instanceof Unresolved || (actions?.length ?? 0) > 0;
  if (enabled !== false && hasActions) return COMPLIANT;
  // A composite being judged as a roll-up does not make its own members heard.
  if (alarmConsumers(logicalId, template).some((id) => !visiting.has(id))) return COMPLIANT;
  if (resource.Type === 'AWS::CloudWatch::CompositeAlarm' && !visiting.has(logicalId)) {
    visiting.add(logicalId);
    const inputs = members(resource, template);
    const allHeard = inputs.length > 0 && inputs.every((id) => isHeard(id, template.Resources![id], template, visiting).status === 'compliant');
    if (allHeard) return COMPLIANT;
  }
  const why = enabled === false ? 'its actions are disabled' : 'it has no alarm actions';
  return nonCompliant(`${why} and no composite alarm, deployment, experiment or health check reads it: it fires and nobody hears`);
}
