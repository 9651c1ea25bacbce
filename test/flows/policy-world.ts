import { runSimulation, runUnsafeSimulation, type EvaluationResult, type SimulationRequestPrincipal } from '@cloud-copilot/iam-simulate';
import { AWS_MANAGED_POLICY_EXCERPTS, EXCERPT_PREFIX } from './aws-managed-policies';

/**
 * Turns a synthesised CloudFormation template into the inputs a real IAM policy evaluator needs:
 * every intrinsic (`Ref`, `Fn::GetAtt`, `Fn::Join`, `Fn::Sub`, pseudo-parameters) resolved to an example
 * ARN or name, so resource policies, key policies and identity policies can be evaluated as AWS would.
 */
export const ACCOUNT = '111111111111';
export const OTHER_ACCOUNT = '999999999999';

type Json = unknown;
interface Resource {
  readonly Type: string;
  readonly Properties?: Record<string, Json>;
}
export interface CfnTemplate {
  readonly Resources: Record<string, Resource>;
  readonly Outputs?: Record<string, { readonly Value: Json }>;
}

/** The property that holds a resource's physical name when the template sets one (what `Ref` then returns). */
const NAME_PROPERTY: Record<string, string> = {
  'AWS::RDS::DBInstance': 'DBInstanceIdentifier',
  'AWS::RDS::DBCluster': 'DBClusterIdentifier',
  'AWS::Backup::BackupVault': 'BackupVaultName',
  'AWS::Logs::LogGroup': 'LogGroupName',
  'AWS::S3::Bucket': 'BucketName',
  'AWS::ECS::Cluster': 'ClusterName',
  'AWS::IAM::Role': 'RoleName',
  'AWS::ECS::Service': 'ServiceName',
};

/** A logical ID without the 8-hex hash CDK appends: `ChaosTaskLossRoleA13BFC89` is `ChaosTaskLossRole`. */
export function stemOf(logicalId: string): string {
  return logicalId.replace(/[0-9A-F]{8}$/, '');
}

/** Whether a `*` pattern (a flow-table token, an IAM action) matches a value; case-insensitive like IAM actions. */
export function globMatches(pattern: string, value: string): boolean {
  const regex = pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*');
  return new RegExp(`^${regex}$`, 'i').test(value);
}

export class PolicyWorld {
  /**
   * @param stacks the other stacks of the app by name, so `Fn::GetStackOutput` resolves to what they output
   */
  constructor(
    readonly template: CfnTemplate,
    readonly region: string,
    readonly account: string = ACCOUNT,
    private readonly stacks: Record<string, PolicyWorld> = {},
    /** What `AWS::StackId` is in this deployment (a stack created again gets a new one). */
    readonly stackId: string = `arn:aws:cloudformation:${region}:${account}:stack/example/51af3dc0-da77-11e4-872e-1234567db123`,
  ) {}

  /** The logical ID of the one resource whose ID stem (the ID without its hash) is `stem`. */
  idOf(stem: string): string {
    const ids = Object.keys(this.template.Resources).filter((id) => stemOf(id) === stem);
    if (ids.length !== 1) throw new Error(`expected one resource ${stem} in the template, found ${ids.length}`);
    return ids[0]!;
  }

  /** The logical IDs whose stem matches a flow-table token (`Chaos*ScheduleRole`), optionally of one type. */
  idsMatching(token: string, type?: string): string[] {
    return Object.entries(this.template.Resources)
      .filter(([id, r]) => globMatches(token, stemOf(id)) && (!type || r.Type === type))
      .map(([id]) => id);
  }

  /** The resolved value of one of the template's outputs. */
  output(name: string): Json {
    const output = this.template.Outputs?.[name];
    if (!output) throw new Error(`no output ${name} in the template`);
    return this.resolve(output.Value);
  }

  /** The physical name of a resource: its name property if the template sets one, else an example from its ID. */
  nameOf(id: string): string {
    const { Type, Properties } = this.resource(id);
    const property = NAME_PROPERTY[Type];
    const given = property ? Properties?.[property] : undefined;
    return given === undefined ? id.toLowerCase() : String(this.resolve(given));
  }

  /** The logical IDs of every resource of a type. */
  idsOf(type: string): string[] {
    return Object.entries(this.template.Resources)
      .filter(([, r]) => r.Type === type)
      .map(([id]) => id);
  }

  resource(id: string): Resource {
    const r = this.template.Resources[id];
    if (!r) throw new Error(`no resource ${id} in the template`);
    return r;
  }

  /** What `Ref` returns for a resource, as AWS documents it per type (ARN for topics, URL for queues, ...). */
  ref(id: string): string {
    const { Type } = this.resource(id);
    const name = this.nameOf(id);
    switch (Type) {
      case 'AWS::SNS::Topic':
        return `arn:aws:sns:${this.region}:${this.account}:${name}`;
      case 'AWS::SQS::Queue':
        return `https://sqs.${this.region}.amazonaws.com/${this.account}/${name}`;
      case 'AWS::KMS::Key':
        return `key-${name}`;
      // Ref of an ELBv2 load balancer, target group, listener or listener rule is its ARN.
      case 'AWS::ElasticLoadBalancingV2::LoadBalancer':
        return `arn:aws:elasticloadbalancing:${this.region}:${this.account}:loadbalancer/app/${name}/0123456789abcdef`;
      case 'AWS::ElasticLoadBalancingV2::TargetGroup':
        return `arn:aws:elasticloadbalancing:${this.region}:${this.account}:targetgroup/${name}/0123456789abcdef`;
      case 'AWS::ElasticLoadBalancingV2::Listener':
        return `arn:aws:elasticloadbalancing:${this.region}:${this.account}:listener/app/${name}/0123456789abcdef/0123456789abcdef`;
      case 'AWS::ElasticLoadBalancingV2::ListenerRule':
        return `arn:aws:elasticloadbalancing:${this.region}:${this.account}:listener-rule/app/${name}/0123456789abcdef/0123456789abcdef/0123456789abcdef`;
      // Ref of a Secrets Manager secret is its ARN: the name and the 6 characters Secrets Manager appends.
      case 'AWS::SecretsManager::Secret':
        return `arn:aws:secretsmanager:${this.region}:${this.account}:secret:${name}-AbCdEf`;
      // Ref of a secret's target attachment is the ARN of the secret it attaches (CloudFormation reference,
      // https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-secretsmanager-secrettargetattachment.html).
      case 'AWS::SecretsManager::SecretTargetAttachment':
        return String(this.resolve(this.resource(id).Properties?.SecretId));
      // Ref of an ECS service is its ARN, in the long format: service/<cluster name>/<service name>.
      case 'AWS::ECS::Service':
        return `arn:aws:ecs:${this.region}:${this.account}:service/${this.resolve(this.resource(id).Properties?.Cluster)}/${name}`;
      default:
        return name;
    }
  }

  /** What `Fn::GetAtt` returns for the attributes the policies use (CloudFormation reference, per type). */
  getAtt(id: string, attribute: string): string {
    const { Type } = this.resource(id);
    const name = this.nameOf(id);
    const arn = (service: string, resource: string) => `arn:aws:${service}:${this.region}:${this.account}:${resource}`;
    // Where a type's Ref is its ID (FIS templates, KMS keys), GetAtt Id is the same value.
    if (attribute === 'Id' || attribute === 'KeyId') return this.ref(id);
    if (attribute === 'MasterUserSecret.SecretArn') {
      // RDS names the secret it manages rds!db-<id> or rds!cluster-<id>; Secrets Manager appends 6 characters.
      return arn('secretsmanager', `secret:rds!${Type === 'AWS::RDS::DBCluster' ? 'cluster' : 'db'}-${name}-AbCdEf`);
    }
    switch (`${Type}.${attribute}`) {
      case 'AWS::KMS::Key.Arn':
        return arn('kms', `key/${this.ref(id)}`);
      case 'AWS::SQS::Queue.Arn':
        return arn('sqs', name);
      case 'AWS::IAM::Role.Arn':
        return `arn:aws:iam::${this.account}:role/${name}`;
      case 'AWS::FIS::ExperimentTemplate.Arn':
        return arn('fis', `experiment-template/${name}`);
      case 'AWS::CloudWatch::Alarm.Arn':
      case 'AWS::CloudWatch::CompositeAlarm.Arn':
        return arn('cloudwatch', `alarm:${name}`);
      case 'AWS::Logs::LogGroup.Arn':
        // The log group's Arn attribute ends in :* (it covers the group's streams).
        return arn('logs', `log-group:${name}:*`);
      case 'AWS::S3::Bucket.Arn':
        return `arn:aws:s3:::${name}`;
      case 'AWS::ECS::Cluster.Arn':
        return arn('ecs', `cluster/${name}`);
      case 'AWS::RDS::DBCluster.DBClusterArn':
        return arn('rds', `cluster:${name}`);
      case 'AWS::Lambda::Function.Arn':
        return arn('lambda', `function:${name}`);
      case 'AWS::Backup::BackupVault.BackupVaultArn':
        return arn('backup', `backup-vault:${name}`);
      case 'AWS::Backup::BackupVault.BackupVaultName':
        return name;
      case 'AWS::ECS::Service.Name':
        return name;
    }
    if (attribute === 'Arn') throw new Error(`add an example ARN for ${Type} (${id}) to PolicyWorld.getAtt`);
    return `${id.toLowerCase()}-${attribute.toLowerCase()}`;
  }

  /** The value with every intrinsic resolved. */
  resolve(value: Json): Json {
    if (Array.isArray(value)) return value.map((v) => this.resolve(v));
    if (value === null || typeof value !== 'object') return value;
    const obj = value as Record<string, Json>;
    const keys = Object.keys(obj);
    if (keys.length === 1) {
      const [key] = keys;
      const arg = obj[key!];
      switch (key) {
        case 'Ref':
          return this.pseudo(arg as string) ?? this.ref(arg as string);
        case 'Fn::GetAtt': {
          const [id, attribute] = Array.isArray(arg) ? (arg as string[]) : (arg as string).split('.');
          return this.getAtt(id!, attribute!);
        }
        case 'Fn::Join': {
          const [separator, parts] = arg as [string, Json[]];
          return (this.resolve(parts) as Json[]).join(separator);
        }
        case 'Fn::Select': {
          const [index, list] = arg as [number, Json];
          return (this.resolve(list) as Json[])[Number(index)]!;
        }
        case 'Fn::Split': {
          const [separator, text] = arg as [string, Json];
          return String(this.resolve(text)).split(separator);
        }
        case 'Fn::GetStackOutput': {
          const { StackName, OutputName } = arg as { StackName: string; OutputName: string };
          const stack = this.stacks[StackName];
          if (!stack) throw new Error(`Fn::GetStackOutput reads stack ${StackName}: pass its PolicyWorld to this one`);
          return stack.output(OutputName);
        }
        case 'Fn::Sub': {
          const [text, vars] = typeof arg === 'string' ? [arg, {}] : (arg as [string, Record<string, Json>]);
          return text.replace(/\$\{([^}]+)\}/g, (_, name: string) => {
            if (name in vars) return String(this.resolve(vars[name]));
            if (name.includes('.')) return this.getAtt(...(name.split('.') as [string, string]));
            return this.pseudo(name) ?? this.ref(name);
          });
        }
      }
    }
    return Object.fromEntries(keys.map((k) => [k, this.resolve(obj[k])]));
  }

  private pseudo(name: string): string | undefined {
    switch (name) {
      case 'AWS::AccountId':
        return this.account;
      case 'AWS::Region':
        return this.region;
      case 'AWS::Partition':
        return 'aws';
      case 'AWS::URLSuffix':
        return 'amazonaws.com';
      case 'AWS::StackId':
        return this.stackId;
      default:
        return undefined;
    }
  }

  /**
   * The resolved resource policy of a resource: the topic, queue or bucket policies attached to it, or a backup
   * vault's access policy; undefined when the resource has none (the identity policies alone then decide).
   */
  resourcePolicyOf(resourceId: string): Record<string, Json> | undefined {
    const attachments: Record<string, [string, string]> = {
      'AWS::SNS::Topic': ['AWS::SNS::TopicPolicy', 'Topics'],
      'AWS::SQS::Queue': ['AWS::SQS::QueuePolicy', 'Queues'],
      'AWS::S3::Bucket': ['AWS::S3::BucketPolicy', 'Bucket'],
    };
    const { Type, Properties } = this.resource(resourceId);
    if (Type === 'AWS::Backup::BackupVault') {
      return Properties?.AccessPolicy === undefined ? undefined : (this.resolve(Properties.AccessPolicy) as Record<string, Json>);
    }
    const [policyType, listKey] = attachments[Type] ?? [];
    if (!policyType) throw new Error(`no resource-policy type known for ${Type}`);
    const refersTo = (v: Json) => JSON.stringify(v) === JSON.stringify({ Ref: resourceId });
    const policies = this.idsOf(policyType)
      .map((id) => this.resource(id).Properties!)
      .filter((p) => [p[listKey!]].flat().some(refersTo));
    const statements = policies.flatMap((p) => (this.resolve(p.PolicyDocument) as { Statement: Json[] }).Statement);
    return { Version: '2012-10-17', Statement: statements };
  }

  /** The logical ID of the KMS key a topic or queue is encrypted with (`KmsMasterKeyId: GetAtt Key.Arn`). */
  encryptionKeyOf(resourceId: string): string {
    const [keyId] = (this.resource(resourceId).Properties!.KmsMasterKeyId as { 'Fn::GetAtt': string[] })['Fn::GetAtt'];
    return keyId!;
  }

  /** The resolved key policy of a KMS key. */
  keyPolicyOf(keyId: string): Record<string, Json> {
    return this.resolve(this.resource(keyId).Properties!.KeyPolicy) as Record<string, Json>;
  }

  /**
   * The resolved identity policies of a role: its inline policies, the AWS::IAM::Policy resources attached to it
   * and, for each AWS managed policy it names, the excerpt in aws-managed-policies.ts (the template holds only
   * the ARN). Excerpts are named `aws-managed-excerpt:<Name>` so a denial cannot rest on one.
   * @param options.managed include the managed-policy excerpts (default true)
   */
  identityPoliciesOf(roleId: string, options: { readonly managed?: boolean } = {}): { name: string; policy: Record<string, Json> }[] {
    const attached = this.idsOf('AWS::IAM::Policy').filter((id) =>
      ((this.resource(id).Properties!.Roles as Json[]) ?? []).some((r) => JSON.stringify(r) === JSON.stringify({ Ref: roleId })),
    );
    const role = this.resource(roleId).Properties!;
    const inline = ((role.Policies as { PolicyName: string; PolicyDocument: Json }[]) ?? []).map((p) => ({
      name: p.PolicyName,
      policy: this.resolve(p.PolicyDocument) as Record<string, Json>,
    }));
    const managed = (options.managed ?? true ? this.managedPoliciesOf(roleId) : []).map((name) => {
      const policy = AWS_MANAGED_POLICY_EXCERPTS[name];
      if (!policy) throw new Error(`${roleId} has the AWS managed policy ${name}: add the statements its flows rely on to aws-managed-policies.ts`);
      return { name: `${EXCERPT_PREFIX}${name}`, policy: policy as Record<string, Json> };
    });
    return [
      ...inline,
      ...attached.map((id) => ({ name: id, policy: this.resolve(this.resource(id).Properties!.PolicyDocument) as Record<string, Json> })),
      ...managed,
    ];
  }

  /** The names of the AWS managed policies a role names in ManagedPolicyArns. */
  managedPoliciesOf(roleId: string): string[] {
    const arns = (this.resource(roleId).Properties!.ManagedPolicyArns as Json[]) ?? [];
    return arns.map((a) => String(this.resolve(a)).split('/').at(-1)!);
  }
}

/**
 * Context keys the evaluator's validation cannot place: it matches a variable key such as
 * `aws:ResourceTag/<key>` by the part before its '/', so `kms:EncryptionContext:<key>` (whose key may hold
 * colons, like `aws:logs:arn`) is dropped as unknown. Such requests are decided by the evaluator's core engine
 * with the context as given, after the validated run has checked everything else.
 */
const UNPLACEABLE_CONTEXT = /^kms:EncryptionContext:/i;

/**
 * One request evaluated by the real IAM policy evaluator. Fails the test if the simulation itself errs, or if
 * the evaluator ignores a context key (a condition the proof meant to test would silently not be).
 */
export async function evaluate(request: {
  /** A principal ARN, a service principal, or `anonymousPrincipal` for an unsigned request. */
  readonly principal: SimulationRequestPrincipal;
  readonly action: string;
  readonly resource: string;
  readonly context: Record<string, string | string[]>;
  readonly identityPolicies?: { name: string; policy: Record<string, Json> }[];
  readonly resourcePolicy?: unknown;
  /** The account that owns the resource. @default ACCOUNT */
  readonly resourceAccount?: string;
  /**
   * The resource is an ARN pattern the service itself authorises, such as a log group's `...:log-group:<name>:*`;
   * every resource it stands for must be allowed.
   * @default false
   */
  readonly resourceIsPattern?: boolean;
}): Promise<EvaluationResult> {
  const simulation = {
    request: {
      principal: request.principal,
      action: request.action,
      resource: { resource: request.resource, accountId: request.resourceAccount ?? ACCOUNT },
      contextVariables: request.context,
    },
    identityPolicies: request.identityPolicies ?? [],
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    resourcePolicy: request.resourcePolicy,
  };
  const result = await runSimulation(simulation, {});
  const acceptable = result.resultType === 'single' || (request.resourceIsPattern && result.resultType === 'wildcard');
  if (!acceptable) throw new Error(`simulation failed: ${JSON.stringify(result)}`);
  const ignored = (result.resultType === 'single' ? [result.result] : result.results).flatMap((r) => r.ignoredContextKeys ?? []);
  const unplaceable = ignored.filter((k) => UNPLACEABLE_CONTEXT.test(k));
  const dropped = ignored.filter((k) => !UNPLACEABLE_CONTEXT.test(k));
  if (dropped.length > 0) throw new Error(`the evaluator ignores ${[...new Set(dropped)].join(', ')} for ${request.action} on ${request.resource}: the proof would not test them`);
  if (unplaceable.length > 0) {
    // The validated run has checked the policies; the core engine names a resource policy only when it comes
    // as iam-policy's (exported) ValidatedPolicy shape.
    const resourcePolicy = request.resourcePolicy && { __validated: true, policyDocument: request.resourcePolicy, metadata: { name: 'ResourcePolicy' }, errors: [] };
    return runUnsafeSimulation({ ...simulation, resourcePolicy }, {});
  }
  return result.overallResult;
}
