import { Fn, Stack } from 'aws-cdk-lib';
import { Construct } from 'constructs';

/**
 * Eight hex characters that are the same for the life of one deployed stack and new when the stack is created
 * again: the first group of the UUID at the end of the stack ID
 * (`arn:aws:cloudformation:<region>:<account>:stack/<name>/<uuid>`).
 *
 * Resources that are kept when the stack is destroyed (backup vaults with their recovery points, log groups
 * with audit records) and must have a fixed name carry it, so that deploying the stack again after
 * `cdk destroy` creates new ones beside the kept ones instead of failing with "already exists".
 */
export function stackInstanceSuffix(scope: Construct): string {
  return Fn.select(0, Fn.split('-', Fn.select(2, Fn.split('/', Stack.of(scope).stackId))));
}
