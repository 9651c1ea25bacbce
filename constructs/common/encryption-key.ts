import { RemovalPolicy } from 'aws-cdk-lib';
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
