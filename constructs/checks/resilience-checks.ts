import { CfnElement, CfnResource, PolicyValidationPluginReport, PolicyViolation, Stack, Stage, Token } from 'aws-cdk-lib';
import { NagMessageLevel, NagPack, NagPackProps, NagRuleCompliance, NagRuleResult } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { RESILIENCE_RULES } from './resilience-rules';
import { PACK_NAME, ResilienceRule, RuleOutcome, Severity } from './rule';
import type { CfnTemplate, PeerStack } from './template';

const LEVEL: Record<Severity, NagMessageLevel> = {
  error: NagMessageLevel.ERROR,
  warning: NagMessageLevel.WARN,
  info: NagMessageLevel.INFO,
};

export interface ResilienceChecksProps extends NagPackProps {
  /**
   * Add one info-severity entry that says what the pack checked (rules, resources, findings), so the
   * validation report shows the pack ran even when everything passes (CDK leaves clean plugins out of it).
   * @default true
   */
  readonly summary?: boolean;
}

/**
 * Resilience checks for CDK apps: does the app survive a crashed task, a lost Availability Zone, a failed
 * database instance, a lost region and a bad deployment? Rules and their explanations are in
 * resilience-rules.ts; the same rules judge templates offline in the resilience report.
 *
 * Register beside the other packs: `Validations.of(app).addPlugins(new ResilienceChecks(app))`.
 * Acknowledge a finding on the one construct it applies to, with a reason that tells a reviewer why the finding
 * does not apply there, for example on the VPC of a development copy of the stack:
 * `Validations.of(devVpc).acknowledge({ id: 'Resilience::Resilience-NatGatewayPerZone', reason: 'development
 * copy: one shared NAT gateway saves two thirds of the NAT cost; losing egress with its zone is accepted here,
 * since nothing serves users from this VPC' })`.
 *
 * Only error-severity findings fail synthesis; warnings and infos are reported and synthesis goes on.
 */
export class ResilienceChecks extends NagPack {
  public readonly name = PACK_NAME;
  public readonly ruleIds?: string[] = RESILIENCE_RULES.map((rule) => `${PACK_NAME}-${rule.id}`);
  private readonly summary: boolean;
  /** Templates of the stacks being checked, built once per validation run. */
  private readonly templates = new Map<Stack, CfnTemplate>();
  private resourcesChecked = 0;

  constructor(scope?: IConstruct, props?: ResilienceChecksProps) {
    super(scope, props);
    this.packName = PACK_NAME;
    this.summary = props?.summary ?? true;
  }

  public override validateScope(scope: IConstruct): PolicyValidationPluginReport {
    this.templates.clear();
    this.resourcesChecked = 0;
    try {
      const report = super.validateScope(scope);
      // cdk-nag reports Info as a warning and leaves out the fix: restore both from the rule.
      const violations: PolicyViolation[] = report.violations.map((violation) => {
        const rule = RESILIENCE_RULES.find((r) => violation.ruleName.replace(/\[.*$/, '') === `${PACK_NAME}-${r.id}`);
        return rule ? { ...violation, severity: rule.severity, fix: rule.fix } : violation;
      });
      if (this.summary) violations.push(this.summaryOf(scope, violations));
      // Only errors fail synthesis; cdk-nag would fail on any violation.
      return { ...report, success: violations.every((v) => v.severity !== 'error'), violations };
    } finally {
      this.templates.clear();
    }
  }

  private summaryOf(scope: IConstruct, violations: PolicyViolation[]): PolicyViolation {
    const count = (severity: Severity) => violations.filter((v) => v.severity === severity).reduce((n, v) => n + v.violatingResources.length, 0);
    return {
      ruleName: `${PACK_NAME}-Summary`,
      description:
        `${RESILIENCE_RULES.length} resilience rules checked ${this.resourcesChecked} resources: ` +
        `${count('error')} errors, ${count('warning')} warnings, ${count('info')} infos. ` +
        'The offline resilience report on the synthesised templates adds the availability estimate and the recovery table.',
      severity: 'info',
      violatingResources: [{ constructPath: scope.node.path || undefined, locations: [] }],
    };
  }

  protected checkResource(node: CfnResource): void {
    const stack = Stack.of(node);
    const template = this.templateOf(stack);
    const logicalId = stack.resolve(node.logicalId) as string;
    const resource = template.Resources?.[logicalId];
    if (!resource) return;
    this.resourcesChecked += 1;
    const pack = this;
    const subject = {
      logicalId,
      resource,
      template,
      stackName: known(stack.stackName),
      region: known(stack.region),
      // Built on first use: only the rules that look across stacks read the other templates.
      get peers(): PeerStack[] {
        return pack.peersOf(stack);
      },
    };
    for (const rule of RESILIENCE_RULES) {
      if (!rule.resourceTypes.includes(resource.Type)) continue;
      this.applyRule({
        ruleSuffixOverride: rule.id,
        info: rule.info,
        explanation: rule.explanation,
        level: LEVEL[rule.severity],
        node,
        rule: () => toNagResult(rule, rule.evaluate(subject)),
      });
    }
  }

  /** The other stacks of the stack's stage (an App, or a Stage of it), with their names, regions and templates. */
  private peersOf(stack: Stack): PeerStack[] {
    const stage = Stage.of(stack);
    if (!stage) return [];
    return stage.node
      .findAll()
      .filter((c): c is Stack => Stack.isStack(c) && c !== stack && Stage.of(c) === stage)
      .map((peer) => ({ stackName: peer.stackName, region: known(peer.region), template: this.templateOf(peer) }));
  }

  /**
   * The stack's resources exactly as CloudFormation will receive them (escape-hatch overrides included), so
   * the rules here judge the same JSON the report judges on disk. Each element renders itself through
   * `_toCloudFormation()`, the method `Stack` uses to write its template; the stack's own method is not called
   * because it also applies transforms and rename assertions meant for the real synthesis.
   */
  private templateOf(stack: Stack): CfnTemplate {
    let template = this.templates.get(stack);
    if (!template) {
      const resources: Record<string, unknown> = {};
      const parameters: Record<string, unknown> = {};
      const outputs: Record<string, unknown> = {};
      for (const child of stack.node.findAll()) {
        if (!CfnElement.isCfnElement(child) || child.stack !== stack) continue;
        const fragment = stack.resolve((child as unknown as { _toCloudFormation(): object })._toCloudFormation()) as CfnTemplate;
        Object.assign(resources, fragment.Resources ?? {});
        Object.assign(parameters, fragment.Parameters ?? {});
        Object.assign(outputs, fragment.Outputs ?? {});
      }
      template = { Resources: resources, Parameters: parameters, Outputs: outputs } as CfnTemplate;
      this.templates.set(stack, template);
    }
    return template;
  }
}

/** A stack's name or region as a string, or undefined when only deploy time knows it (an environment-agnostic stack). */
function known(value: string): string | undefined {
  return Token.isUnresolved(value) ? undefined : value;
}

function toNagResult(rule: ResilienceRule, outcome: RuleOutcome): NagRuleResult {
  switch (outcome.status) {
    case 'compliant':
      return NagRuleCompliance.COMPLIANT;
    case 'not-applicable':
      return NagRuleCompliance.NOT_APPLICABLE;
    case 'non-compliant':
      return NagRuleCompliance.NON_COMPLIANT;
    case 'unknown':
      // cdk-nag's convention: a value only deploy time knows is reported (at the rule's level) rather than passed.
      throw new Error(`${PACK_NAME}-${rule.id}: ${outcome.detail}`);
  }
}
