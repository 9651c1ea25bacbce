import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

/**
 * A customer managed key as every construct here makes one: rotated yearly, retained when the stack goes (data
 * encrypted with it may outlive the stack: snapshots, backups, retained logs), and a key policy that leaves the
 * key to the account's IAM policies, as the default policy does, except that grants can only be created by an
 * AWS service acting for a principal (`kms:GrantIsForAWSResource`). RDS, AWS Backup and EBS create the grants
 * they need that way; nobody can hand the key to an arbitrary principal with a grant (AWS KMS Developer Guide,
 * "Controlling access to grants"; AWS Control Tower, CT.KMS.PV.1).
 */
export function newEncryptionKey(scope: Construct, id: string, description: string, removalPolicy: RemovalPolicy = RemovalPolicy.RETAIN): kms.Key {
  const account = new iam.AccountRootPrincipal();
  return new kms.Key(scope, id, {
    description,
    enableKeyRotation: true,
    removalPolicy,
    policy: new iam.PolicyDocument({
      statements: [
        new iam.PolicyStatement({
          sid: 'AccountPoliciesGovernTheKeyExceptGrants',
          principals: [account],
          notActions: ['kms:CreateGrant'],
          resources: ['*'],
        }),
        new iam.PolicyStatement({
          sid: 'GrantsOnlyForAwsServices',
          principals: [account],
          actions: ['kms:CreateGrant'],
          resources: ['*'],
          conditions: { Bool: { 'kms:GrantIsForAWSResource': 'true' } },
        }),
      ],
    }),
  });
}

/**
 * Lets Secrets Manager in the key's region encrypt with `key` (never decrypt) for any principal of the account that
 * uses it, so the key can hold the replicas of a secret replicated from another region. Secrets Manager re-encrypts
 * a replica with the identity that changed the primary secret (the rotation function, CloudFormation), through a
 * forward access session (https://docs.aws.amazon.com/secretsmanager/latest/userguide/cross-account-replicate-permissions.html;
 * replication needs kms:GenerateDataKey and kms:Encrypt on the replica key:
 * https://docs.aws.amazon.com/secretsmanager/latest/userguide/replicate-secrets_troubleshoot.html). The hosted
 * rotation function's role is made by the Secrets Manager transform and cannot be named here, hence the key policy.
 * Reading a replica still needs kms:Decrypt, granted to each reader on its own role.
 */
export function allowSecretReplicationInto(key: kms.Key): void {
  const stack = Stack.of(key);
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'SecretsManagerMayEncryptReplicaSecrets',
      principals: [new iam.AnyPrincipal()],
      actions: ['kms:Encrypt', 'kms:GenerateDataKey'],
      resources: ['*'],
      conditions: {
        StringEquals: { 'kms:CallerAccount': stack.account, 'kms:ViaService': `secretsmanager.${stack.region}.amazonaws.com` },
      },
    }),
  );
}
