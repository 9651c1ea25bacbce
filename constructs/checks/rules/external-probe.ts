import { COMPLIANT, NOT_APPLICABLE, nonCompliant, RuleOutcome } from '../rule';
import { bool, CfnTemplate, get, isObject, list, PeerStack, props, refersTo, refTarget, resourcesOfType, RuleSubject, str, Unresolved } from '../template';
import { alarmActions } from './alarm-actions';

/** Route 53 health check types that probe an endpoint (the others read an alarm or other checks). */
const ENDPOINT_CHECKS = ['HTTP', 'HTTPS', 'HTTP_STR_MATCH', 'HTTPS_STR_MATCH', 'TCP'];

/**
 * The stack's paging does not live only in its own region: an internet-facing load balancer in a stack whose alarms
 * page (an alarm with an SNS topic among its actions) is probed from outside its region.
 *
 * Applies to: an internet-facing (the default scheme) Application, Network or Classic Load Balancer, in a template
 * with at least one CloudWatch alarm or composite alarm whose enabled AlarmActions include an SNS topic (a Ref to an
 * AWS::SNS::Topic of the template, or an ARN with `:sns:`). A stack that pages nobody is the concern of
 * AlarmActions and ServiceAlarms; an internal load balancer has no users outside the network to lose.
 *
 * Compliant when one of these probes the load balancer from outside its region:
 * 1. in the same template, an AWS::Route53::HealthCheck of an endpoint type (HTTP, HTTPS, *_STR_MATCH, TCP) whose
 *    HealthCheckConfig refers to the load balancer (its DNSName), or to a record set of the template that points at
 *    it, and that something reads: a record set's HealthCheckId (DNS failover) or an alarm's HealthCheckId dimension.
 *    Route 53 health checkers run in several regions, not the load balancer's
 *    (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/dns-failover-determining-health-of-endpoints.html);
 * 2. when the checker knows the other stacks of the app (`peers`: the NagPack passes the stacks of the same stage,
 *    the report the stacks of the cloud assembly), a stack in another region whose AWS::Synthetics::Canary reads this
 *    load balancer's DNS name through `Fn::GetStackOutput` (this stack's name and region, an output whose value
 *    refers to the load balancer) and whose alarm on that canary's SuccessPercent (namespace CloudWatchSynthetics,
 *    dimension CanaryName) pages; or a peer's Route 53 health check that reads it the same way and that something
 *    in the peer reads.
 *
 * Non-compliant otherwise: when the region fails, the alarms that would page fail with it. A watcher that cdk-nag
 * cannot see (another app, a third-party monitor) is acknowledged on the load balancer, naming it.
 */
export function externalProbe({ logicalId, resource, template, stackName, region, peers }: RuleSubject): RuleOutcome {
  const p = props(resource);
  const scheme = str(p.Scheme, template);
  if (scheme === 'internal' || str(p.Type, template) === 'gateway') return NOT_APPLICABLE;
  if (scheme instanceof Unresolved) return NOT_APPLICABLE;
  const paging = pagingAlarms(template);
  if (paging.length === 0) return NOT_APPLICABLE;

  if (healthChecksOf(template, (config) => refersTo(config, logicalId) || recordsPointingAt(template, logicalId).some((name) => JSON.stringify(get(config, 'FullyQualifiedDomainName')) === JSON.stringify(name))).length > 0) {
    return COMPLIANT;
  }
  const outputs = Object.entries(template.Outputs ?? {})
    .filter(([, o]) => refersTo(o.Value, logicalId))
    .map(([name]) => name);
  if (stackName !== undefined && outputs.length > 0) {
    const readsThis = (value: unknown) => stackOutputsRead(value).some((o) => o.stackName === stackName && (o.region === undefined || region === undefined || o.region === region) && o.outputName !== undefined && outputs.includes(o.outputName));
    for (const peer of peers ?? []) {
      if (peer.stackName === stackName && peer.region === region) continue;
      if (healthChecksOf(peer.template, readsThis).length > 0) return COMPLIANT;
      if (region !== undefined && peer.region !== undefined && peer.region !== region && pagingCanaries(peer, readsThis).length > 0) return COMPLIANT;
    }
  }
  return nonCompliant(
    `the stack pages through ${paging.length} alarm${paging.length === 1 ? '' : 's'} in its own region (${paging.slice(0, 3).join(', ')}${paging.length > 3 ? ', ...' : ''}), ` +
      'and nothing outside the region probes this internet-facing load balancer (no Route 53 health check on it that something reads, ' +
      `no canary in another region of the app${stackName === undefined || outputs.length === 0 ? ' that reads its DNS name from an output of this stack' : ` that reads output ${outputs.join(' or ')}`} with a paging alarm): ` +
      'when the region fails, those alarms fail with it and nobody is paged',
  );
}

/** Alarms of the template that page: enabled actions that include an SNS topic. */
export function pagingAlarms(template: CfnTemplate): string[] {
  const topics = new Set(resourcesOfType(template, 'AWS::SNS::Topic').map(([id]) => id));
  return resourcesOfType(template, 'AWS::CloudWatch::Alarm', 'AWS::CloudWatch::CompositeAlarm')
    .filter(([, alarm]) => {
      if (bool(props(alarm).ActionsEnabled, template) === false) return false;
      const actions = list(props(alarm).AlarmActions, template);
      return Array.isArray(actions) && actions.some((a) => topics.has(refTarget(a) ?? '') || JSON.stringify(a).includes(':sns:'));
    })
    .map(([id]) => id);
}

/** Names of the template's record sets that point at a resource (alias target or records). */
function recordsPointingAt(template: CfnTemplate, logicalId: string): unknown[] {
  return resourcesOfType(template, 'AWS::Route53::RecordSet')
    .filter(([, r]) => refersTo(props(r).AliasTarget, logicalId) || refersTo(props(r).ResourceRecords, logicalId))
    .map(([, r]) => props(r).Name);
}

/** Endpoint health checks of a template whose config matches, and that a record set or an alarm reads. */
function healthChecksOf(template: CfnTemplate, matches: (config: unknown) => boolean): string[] {
  const readers = [
    ...resourcesOfType(template, 'AWS::Route53::RecordSet').map(([, r]) => props(r).HealthCheckId),
    ...resourcesOfType(template, 'AWS::Route53::RecordSetGroup').map(([, g]) => props(g).RecordSets),
    ...resourcesOfType(template, 'AWS::CloudWatch::Alarm').map(([, a]) => props(a).Dimensions),
  ];
  return resourcesOfType(template, 'AWS::Route53::HealthCheck')
    .filter(([, check]) => {
      const config = get(props(check), 'HealthCheckConfig');
      const type = str(get(config, 'Type'), template);
      return typeof type === 'string' && ENDPOINT_CHECKS.includes(type) && matches(config);
    })
    .filter(([id]) => readers.some((r) => refersTo(r, id)))
    .map(([id]) => id);
}

/** Canaries of a peer whose properties match and whose SuccessPercent alarm pages. */
function pagingCanaries(peer: PeerStack, matches: (value: unknown) => boolean): string[] {
  const { template } = peer;
  return resourcesOfType(template, 'AWS::Synthetics::Canary')
    .filter(([, canary]) => matches(props(canary)))
    .filter(([canaryId]) =>
      resourcesOfType(template, 'AWS::CloudWatch::Alarm').some(([alarmId, alarm]) => {
        const a = props(alarm);
        const dims = Array.isArray(a.Dimensions) ? a.Dimensions : [];
        return (
          a.Namespace === 'CloudWatchSynthetics' &&
          a.MetricName === 'SuccessPercent' &&
          dims.some((d) => get(d, 'Name') === 'CanaryName' && refTarget(get(d, 'Value')) === canaryId) &&
          pagingAlarms(template).includes(alarmId) &&
          alarmActions({ logicalId: alarmId, resource: alarm, template }).status === 'compliant'
        );
      }),
    )
    .map(([id]) => id);
}

/** Every `Fn::GetStackOutput` inside a value. */
function stackOutputsRead(value: unknown): Array<{ stackName?: string; region?: string; outputName?: string }> {
  if (Array.isArray(value)) return value.flatMap(stackOutputsRead);
  if (!isObject(value)) return [];
  const here = isObject(value['Fn::GetStackOutput']) ? [value['Fn::GetStackOutput'] as Record<string, unknown>] : [];
  const text = (v: unknown) => (typeof v === 'string' ? v : undefined);
  return [
    ...here.map((o) => ({ stackName: text(o.StackName), region: text(o.Region), outputName: text(o.OutputName) })),
    ...Object.values(value).flatMap(stackOutputsRead),
  ];
}
