import { FlowRow } from './flow-table';
import { globMatches, PolicyWorld, stemOf } from './policy-world';

/**
 * Every interaction a synthesised template sets up, read from its policies: who may assume each role, what each
 * role's identity policies allow, which AWS managed policies a role relies on, and the principals named in
 * resource policies (topic, queue, bucket, vault) and key policies. The flow table must cover each one.
 */
export interface Interaction {
  readonly kind: 'trust' | 'identity' | 'managed-policy' | 'resource-policy' | 'key-policy';
  /** The principal, normalised as the flow table writes it: a role stem, a service principal, an ARN, `anyone`. */
  readonly who: string;
  /** The action (identity, trust), or the managed policy's name. */
  readonly what: string;
  /** The stem of the resource it applies to (role, topic, key, ...); empty for identity statements. */
  readonly on: string;
  readonly effect: 'Allow' | 'Deny';
  /** Where it comes from, for the failure message. */
  readonly source: string;
}

interface Statement {
  readonly Effect: 'Allow' | 'Deny';
  readonly Action?: string | string[];
  readonly Principal?: '*' | Record<string, string | string[]>;
}
const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const statementsOf = (doc: unknown) => list((doc as { Statement?: Statement | Statement[] } | undefined)?.Statement);

/** The interactions of one stack's template. */
export function interactionsOf(world: PolicyWorld, stack: string): Interaction[] {
  const roleIds = world.idsOf('AWS::IAM::Role');
  const roleByArn = new Map(roleIds.map((id) => [world.getAtt(id, 'Arn'), stemOf(id)]));
  const ownRoot = `arn:aws:iam::${world.account}:root`;
  /** A statement's principals as the flow table names them; the account's own root (IAM delegation) is left out. */
  const principals = (s: Statement): string[] => {
    if (s.Principal === '*') return ['anyone'];
    return Object.values(s.Principal ?? {})
      .flatMap((p) => list(p))
      .filter((p) => p !== ownRoot)
      .map((p) => (p === '*' ? 'anyone' : roleByArn.get(p) ?? p.replace(`.${world.region}.`, '.<region>.')));
  };
  const found: Interaction[] = [];
  for (const id of roleIds) {
    const role = stemOf(id);
    const where = `${stack}/${id}`;
    for (const s of statementsOf(world.resolve(world.resource(id).Properties!.AssumeRolePolicyDocument))) {
      for (const who of principals(s)) for (const what of list(s.Action)) found.push({ kind: 'trust', who, what, on: role, effect: s.Effect, source: `${where} trust policy` });
    }
    for (const name of world.managedPoliciesOf(id)) found.push({ kind: 'managed-policy', who: role, what: name, on: '', effect: 'Allow', source: `${where} ManagedPolicyArns` });
    for (const { name, policy } of world.identityPoliciesOf(id, { managed: false })) {
      for (const s of statementsOf(policy)) for (const what of list(s.Action)) found.push({ kind: 'identity', who: role, what, on: '', effect: s.Effect, source: `${where} ${name}` });
    }
  }
  const withPolicies = ['AWS::SNS::Topic', 'AWS::SQS::Queue', 'AWS::S3::Bucket', 'AWS::Backup::BackupVault'].flatMap((t) => world.idsOf(t));
  for (const id of withPolicies) {
    for (const s of statementsOf(world.resourcePolicyOf(id))) {
      for (const who of principals(s)) found.push({ kind: 'resource-policy', who, what: list(s.Action).join(','), on: stemOf(id), effect: s.Effect, source: `${stack}/${id} resource policy` });
    }
  }
  for (const id of world.idsOf('AWS::KMS::Key')) {
    for (const s of statementsOf(world.keyPolicyOf(id))) {
      for (const who of principals(s)) found.push({ kind: 'key-policy', who, what: list(s.Action).join(','), on: stemOf(id), effect: s.Effect, source: `${stack}/${id} key policy` });
    }
  }
  return found;
}

const anyMatch = (patterns: string[], value: string) => patterns.some((p) => globMatches(p, value));
const effectFits = (row: FlowRow, effect: 'Allow' | 'Deny') => (effect === 'Allow' ? row.expected === 'allowed' : row.expected !== 'allowed');

/** Whether a row of the flow table covers an interaction. */
export function covers(row: FlowRow, i: Interaction): boolean {
  if (!effectFits(row, i.effect) || !anyMatch(row.who, i.who)) return false;
  switch (i.kind) {
    case 'trust':
      return anyMatch(row.actions, i.what) && anyMatch(row.on, i.on);
    case 'identity':
      return anyMatch(row.actions, i.what);
    case 'managed-policy':
      return row.who.includes(i.what);
    case 'resource-policy':
    case 'key-policy':
      return anyMatch(row.on, i.on);
  }
}

/** The interactions no row covers. */
export function uncovered(rows: FlowRow[], interactions: Interaction[]): Interaction[] {
  return interactions.filter((i) => !rows.some((r) => covers(r, i)));
}
