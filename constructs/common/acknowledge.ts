import { Stack, Validations } from 'aws-cdk-lib';
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference';
import type { IConstruct } from 'constructs';

/**
 * Acknowledges AwsSolutions-IAM5 for exactly the given wildcard resources on one policy, each with
 * the reason. The finding IDs are computed the way cdk-nag computes them (resolved, with references
 * flattened to `<LogicalId>`), so any other wildcard added later is still reported.
 */
export function acknowledgeWildcardResources(policy: IConstruct, resources: string[], reason: string): void {
  const stack = Stack.of(policy);
  const ids = new Set(
    resources
      .map((resource) => flattenCfnReference(stack.resolve(resource)))
      .filter((flat) => flat.includes('*'))
      .map((flat) => `AwsSolutions::AwsSolutions-IAM5[Resource::${flat}]`),
  );
  for (const id of ids) Validations.of(policy).acknowledge({ id, reason });
}
