import { runSimulation, type EvaluationResult } from '@cloud-copilot/iam-simulate';

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
}

export class PolicyWorld {
  constructor(
    private readonly template: CfnTemplate,
    readonly region: string,
    readonly account: string = ACCOUNT,
    /** What `AWS::StackId` is in this deployment (a stack created again gets a new one). */
    readonly stackId: string = `arn:aws:cloudformation:${region}:${account}:stack/example/51af3dc0-da77-11e4-872e-1234567db123`,
  ) {}

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
    const name = id.toLowerCase();
    switch (Type) {
      case 'AWS::SNS::Topic':
        return `arn:aws:sns:${this.region}:${this.account}:${name}`;
      case 'AWS::SQS::Queue':
        return `https://sqs.${this.region}.amazonaws.com/${this.account}/${name}`;
      case 'AWS::KMS::Key':
        return `key-${name}`;
      default:
        return name;
    }
  }

  /** What `Fn::GetAtt` returns for the attributes the policies use. */
  getAtt(id: string, attribute: string): string {
    const { Type } = this.resource(id);
    const name = id.toLowerCase();
    // Where a type's Ref is its ID (FIS templates, KMS keys), GetAtt Id is the same value.
    if (attribute === 'Id' || attribute === 'KeyId') return this.ref(id);
    if (attribute !== 'Arn') return `${name}-${attribute.toLowerCase()}`;
    switch (Type) {
      case 'AWS::KMS::Key':
        return `arn:aws:kms:${this.region}:${this.account}:key/key-${name}`;
      case 'AWS::SQS::Queue':
        return `arn:aws:sqs:${this.region}:${this.account}:${name}`;
      case 'AWS::IAM::Role':
        return `arn:aws:iam::${this.account}:role/${name}`;
      case 'AWS::FIS::ExperimentTemplate':
        return `arn:aws:fis:${this.region}:${this.account}:experiment-template/${name}`;
      case 'AWS::CloudWatch::Alarm':
      case 'AWS::CloudWatch::CompositeAlarm':
        return `arn:aws:cloudwatch:${this.region}:${this.account}:alarm:${name}`;
      default:
        throw new Error(`add an example ARN for ${Type} (${id}) to PolicyWorld.getAtt`);
    }
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

  /** The resolved policy document of the resource policy attached to a resource (topic, queue). */
  resourcePolicyOf(resourceId: string): Record<string, Json> {
    const attachments: Record<string, [string, string]> = {
      'AWS::SNS::Topic': ['AWS::SNS::TopicPolicy', 'Topics'],
      'AWS::SQS::Queue': ['AWS::SQS::QueuePolicy', 'Queues'],
    };
    const { Type } = this.resource(resourceId);
    const [policyType, listKey] = attachments[Type] ?? [];
    if (!policyType) throw new Error(`no resource-policy type known for ${Type}`);
    const policies = this.idsOf(policyType)
      .map((id) => this.resource(id).Properties!)
      .filter((p) => (p[listKey!] as Json[]).some((t) => JSON.stringify(t) === JSON.stringify({ Ref: resourceId })));
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

  /** The resolved inline identity policies (AWS::IAM::Policy) attached to a role. */
  identityPoliciesOf(roleId: string): { name: string; policy: Record<string, Json> }[] {
    const attached = this.idsOf('AWS::IAM::Policy').filter((id) =>
      ((this.resource(id).Properties!.Roles as Json[]) ?? []).some((r) => JSON.stringify(r) === JSON.stringify({ Ref: roleId })),
    );
    const role = this.resource(roleId).Properties!;
    const inline = ((role.Policies as { PolicyName: string; PolicyDocument: Json }[]) ?? []).map((p) => ({
      name: p.PolicyName,
      policy: this.resolve(p.PolicyDocument) as Record<string, Json>,
    }));
    return [...inline, ...attached.map((id) => ({ name: id, policy: this.resolve(this.resource(id).Properties!.PolicyDocument) as Record<string, Json> }))];
  }
}

/** One request evaluated by the real IAM policy evaluator; fails the test if the simulation itself errs. */
export async function evaluate(request: {
  readonly principal: string;
  readonly action: string;
  readonly resource: string;
  readonly context: Record<string, string>;
  readonly identityPolicies?: { name: string; policy: Record<string, Json> }[];
  readonly resourcePolicy?: unknown;
}): Promise<EvaluationResult> {
  const result = await runSimulation(
    {
      request: {
        principal: request.principal,
        action: request.action,
        resource: { resource: request.resource, accountId: ACCOUNT },
        contextVariables: request.context,
      },
      identityPolicies: request.identityPolicies ?? [],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: request.resourcePolicy,
    },
    {},
  );
  if (result.resultType !== 'single') throw new Error(`simulation failed: ${JSON.stringify(result)}`);
  return result.overallResult;
}
