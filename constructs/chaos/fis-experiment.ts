import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as fis from 'aws-cdk-lib/aws-fis';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { acknowledgeWildcardResources } from '../common/acknowledge';

/** Narrows the resources of a target by an attribute. */
export interface FisTargetFilter {
  /** Attribute path, such as `State.Name` or `Placement.AvailabilityZone`. */
  readonly path: string;
  /** Values the attribute may have. */
  readonly values: string[];
}

/** What FIS does when a target matches no resource. */
export enum EmptyTargetResolutionMode {
  /** Fail the experiment: a misconfigured target is visible instead of a hollow success. */
  FAIL = 'fail',
  /** Skip the actions on the empty target and carry on. */
  SKIP = 'skip',
}

/** Resources an action runs on. */
export interface FisTarget {
  /** FIS resource type, such as `aws:ecs:task`. */
  readonly resourceType: string;
  /** How many of the matching resources to pick: `ALL`, `COUNT(n)` or `PERCENT(n)`. */
  readonly selectionMode: string;
  /** Specific resources. @default - none */
  readonly resourceArns?: string[];
  /** Resource-type parameters, such as `cluster` and `service` for ECS tasks. @default - none */
  readonly parameters?: Record<string, string>;
  /** Narrow the matches by attribute. @default - none */
  readonly filters?: FisTargetFilter[];
}

/** One fault. */
export interface FisAction {
  /** FIS action, such as `aws:ecs:stop-task`. */
  readonly actionId: string;
  /** What the action does, for the console. */
  readonly description: string;
  /** Action parameters. @default - none */
  readonly parameters?: Record<string, string>;
  /** Map of the action's target key (for example `Tasks`) to a target name of the experiment; `{}` for an action
   *  without targets, such as `aws:fis:wait`. */
  readonly targets: Record<string, string>;
  /** Actions of the experiment that must finish before this one starts. @default - starts with the experiment */
  readonly startAfter?: string[];
}

export interface FisExperimentProps {
  /** What the experiment tests: the hypothesis, shown in the console. */
  readonly description: string;
  readonly targets: Record<string, FisTarget>;
  readonly actions: Record<string, FisAction>;
  /**
   * Alarms that stop the experiment when they fire: the SLO page alarm, so an experiment that hurts
   * users ends itself. One to five (the FIS limit).
   */
  readonly stopConditionAlarms: cloudwatch.IAlarm[];
  /** Log group for the experiment's log (FIS log schema 2). */
  readonly logGroup: logs.ILogGroup;
  /** What the experiment's role may do to the targets: only what the actions need. */
  readonly permissions: iam.PolicyStatement[];
  /**
   * Why a wildcard resource in `permissions` cannot be narrowed further (recorded with the
   * AwsSolutions-IAM5 acknowledgment on this role). Required when a permission has one.
   * @default - none; synthesis fails if a permission has a wildcard resource
   */
  readonly wildcardReason?: string;
  /**
   * What to do when a target matches nothing. `fail` makes a misconfigured experiment visible instead
   * of reporting a hollow success.
   * @default EmptyTargetResolutionMode.FAIL
   */
  readonly emptyTargetResolutionMode?: EmptyTargetResolutionMode;
}

/**
 * One AWS FIS experiment template with its own least-privilege role, a CloudWatch alarm stop
 * condition and logging. There is no FIS L2 construct; this is the small typed API over the L1.
 */
export class FisExperiment extends Construct {
  public readonly template: fis.CfnExperimentTemplate;
  public readonly role: iam.Role;
  /** Template ID, as `aws fis start-experiment --experiment-template-id` takes it. */
  public readonly experimentTemplateId: string;
  public readonly experimentTemplateArn: string;

  constructor(scope: Construct, id: string, props: FisExperimentProps) {
    super(scope, id);

    const emptyTargetResolutionMode = props.emptyTargetResolutionMode ?? EmptyTargetResolutionMode.FAIL;
    if (props.stopConditionAlarms.length < 1 || props.stopConditionAlarms.length > 5) {
      throw new Error(`stopConditionAlarms must hold 1 to 5 alarms (an experiment without a stop condition can hurt users without end), got ${props.stopConditionAlarms.length}`);
    }
    if (props.description.length > 512) {
      throw new Error(`description must be at most 512 characters (the FIS limit), got ${props.description.length}`);
    }
    for (const [name, action] of Object.entries(props.actions)) {
      for (const [key, target] of Object.entries(action.targets)) {
        if (!props.targets[target]) {
          throw new Error(`actions.${name}.targets.${key} names target "${target}", which is not one of: ${Object.keys(props.targets).join(', ')}`);
        }
      }
      for (const before of action.startAfter ?? []) {
        if (before === name || !props.actions[before]) {
          throw new Error(`actions.${name}.startAfter names "${before}", which is not another action of this experiment (actions: ${Object.keys(props.actions).join(', ')})`);
        }
      }
    }

    const stack = Stack.of(this);
    this.role = new iam.Role(this, 'Role', {
      description: `Runs the FIS experiment ${this.node.path}`,
      assumedBy: new iam.ServicePrincipal('fis.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
    });
    for (const statement of props.permissions) this.role.addToPolicy(statement);

    // FIS delivers experiment logs through CloudWatch Logs vended delivery, which needs these on "*".
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ExperimentLogDelivery',
        actions: ['logs:CreateLogDelivery', 'logs:PutResourcePolicy', 'logs:DescribeResourcePolicies', 'logs:DescribeLogGroups'],
        resources: ['*'],
      }),
    );
    const policy = this.role.node.findChild('DefaultPolicy');
    const wildcards = props.permissions.flatMap((statement) => statement.resources).filter((r) => r.includes('*'));
    if (wildcards.length > 0 && !props.wildcardReason) {
      throw new Error(`wildcardReason must explain the wildcard resources in permissions (${wildcards.join(', ')})`);
    }
    acknowledgeWildcardResources(policy, ['*'], ['FIS log delivery (logs:CreateLogDelivery, PutResourcePolicy, Describe*) has no resource-level permissions', props.wildcardReason].filter(Boolean).join('; '));
    if (props.wildcardReason) acknowledgeWildcardResources(policy, wildcards.filter((r) => r !== '*'), props.wildcardReason);

    this.template = new fis.CfnExperimentTemplate(this, 'Template', {
      description: props.description,
      roleArn: this.role.roleArn,
      stopConditions: props.stopConditionAlarms.map((alarm) => ({ source: 'aws:cloudwatch:alarm', value: alarm.alarmArn })),
      targets: Object.fromEntries(
        Object.entries(props.targets).map(([name, t]) => [
          name,
          {
            resourceType: t.resourceType,
            selectionMode: t.selectionMode,
            resourceArns: t.resourceArns,
            parameters: t.parameters,
            filters: t.filters?.map((f) => ({ path: f.path, values: f.values })),
          },
        ]),
      ),
      actions: Object.fromEntries(
        Object.entries(props.actions).map(([name, a]) => [
          name,
          {
            actionId: a.actionId,
            description: a.description,
            parameters: a.parameters,
            targets: Object.keys(a.targets).length > 0 ? a.targets : undefined,
            startAfter: a.startAfter,
          },
        ]),
      ),
      logConfiguration: {
        logSchemaVersion: 2,
        // A log group's Arn attribute already ends in ":*", the form FIS requires.
        cloudWatchLogsConfiguration: { LogGroupArn: props.logGroup.logGroupArn },
      },
      experimentOptions: { accountTargeting: 'single-account', emptyTargetResolutionMode },
      tags: { Name: this.node.path.replace(/\//g, '-') },
    });
    // The role's policy must exist before FIS validates the template against it.
    this.template.node.addDependency(this.role);

    this.experimentTemplateId = this.template.attrId;
    this.experimentTemplateArn = stack.formatArn({
      service: 'fis',
      resource: 'experiment-template',
      resourceName: this.template.attrId,
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
  }
}
