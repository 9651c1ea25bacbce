/**
 * The resilience rules evaluated on raw templates: the same rule functions the NagPack runs at synth time.
 */
import { CfnResource, constructPath, PACK_NAME, PeerStack, RESILIENCE_RULES, ruleId, Severity } from '../pure';
import type { Acknowledgments, LoadedStack } from './load';

export interface Finding {
  /** Full rule ID, as acknowledgments spell it: `Resilience-DatabaseMultiAz`. */
  readonly rule: string;
  readonly severity: Severity;
  readonly stack: string;
  /** Logical ID of the resource. */
  readonly resource: string;
  /** What was found, and the fix. */
  readonly message: string;
  readonly fix: string;
  /** CDK construct path, when the template was written by the CDK. */
  readonly path?: string;
}

export interface AcknowledgedFinding extends Finding {
  readonly reason: string;
}

export interface FindingsResult {
  readonly findings: Finding[];
  /** Findings acknowledged in the cloud assembly (`Validations.acknowledge`) or in template metadata. */
  readonly acknowledged: AcknowledgedFinding[];
  /** How many resources at least one rule judged. */
  readonly resourcesChecked: number;
}

const SEVERITY_ORDER: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

export function evaluateRules(stacks: readonly LoadedStack[]): FindingsResult {
  const findings: Finding[] = [];
  const acknowledged: AcknowledgedFinding[] = [];
  let resourcesChecked = 0;
  for (const stack of stacks) {
    for (const [logicalId, resource] of Object.entries(stack.template.Resources ?? {})) {
      const rules = RESILIENCE_RULES.filter((rule) => rule.resourceTypes.includes(resource.Type));
      if (rules.length > 0) resourcesChecked += 1;
      for (const rule of rules) {
        const outcome = rule.evaluate({ logicalId, resource, template: stack.template, stackName: stack.stackName ?? stack.name, region: stack.region, peers: peersOf(stack, stacks) });
        if (outcome.status !== 'non-compliant' && outcome.status !== 'unknown') continue;
        const id = ruleId(rule);
        const detail = outcome.status === 'unknown' ? `could not be checked: ${outcome.detail}` : outcome.detail;
        const finding: Finding = {
          rule: id,
          severity: rule.severity,
          stack: stack.name,
          resource: logicalId,
          message: `${capitalise(detail)}. Fix: ${rule.fix}`,
          fix: rule.fix,
          path: constructPath(resource),
        };
        const reason = acknowledgmentOf(id, resource, stack.acknowledgments);
        if (reason === undefined) findings.push(finding);
        else acknowledged.push({ ...finding, reason });
      }
    }
  }
  const order = (a: Finding, b: Finding) =>
    SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] || a.stack.localeCompare(b.stack) || a.rule.localeCompare(b.rule) || a.resource.localeCompare(b.resource);
  return { findings: findings.sort(order), acknowledged: acknowledged.sort(order), resourcesChecked };
}

/**
 * The reason a finding was acknowledged: on the resource's construct or an ancestor (cloud assembly metadata,
 * IDs `Resilience::Resilience-X`, or bare `Resilience-X`, which the CDK records as `Annotation::Resilience-X`),
 * or in the resource's `cdk_nag.rules_to_suppress` metadata (cdk-nag's writeSuppressionsToCloudFormation).
 */
export function acknowledgmentOf(id: string, resource: CfnResource, acknowledgments: Acknowledgments): string | undefined {
  const suppressions = (resource.Metadata?.cdk_nag as { rules_to_suppress?: Array<{ id?: string; reason?: string }> } | undefined)?.rules_to_suppress;
  for (const s of Array.isArray(suppressions) ? suppressions : []) {
    if (s.id !== undefined && normaliseAckId(s.id) === id) return s.reason ?? '';
  }
  let current = constructPath(resource);
  while (current !== undefined && current.length > 0) {
    for (const [key, reason] of Object.entries(acknowledgments.get(current) ?? {})) {
      if (normaliseAckId(key) === id) return reason;
    }
    const slash = current.lastIndexOf('/');
    current = slash === -1 ? undefined : current.slice(0, slash);
  }
  return undefined;
}

/** The other stacks of the input, as the rules that look across stacks read them. */
function peersOf(stack: LoadedStack, stacks: readonly LoadedStack[]): PeerStack[] {
  return stacks.filter((s) => s !== stack).map((s) => ({ stackName: s.stackName ?? s.name, region: s.region, template: s.template }));
}

function normaliseAckId(key: string): string {
  const match = /^([^:]+)::(.*)$/.exec(key);
  if (!match) return key;
  return [PACK_NAME, 'Annotation', 'annotation'].includes(match[1]) ? match[2] : key;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
