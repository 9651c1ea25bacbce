/**
 * The statements of AWS managed policies that this project's flows rely on. A role's template names a managed
 * policy only by ARN, so the evaluator needs its statements from here. Each entry is an excerpt, not the whole
 * document: only the Allow statements a flow in docs/flows.md needs, as the AWS Managed Policy Reference
 * publishes them (https://docs.aws.amazon.com/aws-managed-policy/latest/reference/<Name>.html, the version
 * noted). An excerpt can only grant less than the full policy, so an Allow proven with it holds; a Deny cannot
 * be proven with it, and the flow helper refuses to.
 */
export const EXCERPT_PREFIX = 'aws-managed-excerpt:';

const policy = (...statements: object[]) => ({ Version: '2012-10-17', Statement: statements });

export const AWS_MANAGED_POLICY_EXCERPTS: Record<string, object> = {
  // v29 (2026-02-12): the RDS snapshot, vault copy and KMS grant statements.
  AWSBackupServiceRolePolicyForBackup: policy(
    {
      Effect: 'Allow',
      Action: ['rds:AddTagsToResource', 'rds:ListTagsForResource', 'rds:DescribeDBSnapshots', 'rds:CreateDBSnapshot', 'rds:CopyDBSnapshot', 'rds:DescribeDBInstances', 'rds:CreateDBClusterSnapshot', 'rds:DescribeDBClusters', 'rds:DescribeDBClusterSnapshots', 'rds:CopyDBClusterSnapshot'],
      Resource: '*',
    },
    { Effect: 'Allow', Action: ['backup:DescribeBackupVault', 'backup:CopyIntoBackupVault'], Resource: 'arn:aws:backup:*:*:backup-vault:*' },
    { Effect: 'Allow', Action: 'backup:CopyFromBackupVault', Resource: '*' },
    { Effect: 'Allow', Action: 'kms:DescribeKey', Resource: '*' },
    { Effect: 'Allow', Action: 'kms:CreateGrant', Resource: '*', Condition: { Bool: { 'kms:GrantIsForAWSResource': 'true' } } },
  ),
  // v25 (2025-11-10): the RDS restore and clean-up statements and the KMS statements for RDS.
  AWSBackupServiceRolePolicyForRestores: policy(
    {
      Effect: 'Allow',
      Action: ['rds:DescribeDBInstances', 'rds:DescribeDBSnapshots', 'rds:ListTagsForResource', 'rds:RestoreDBInstanceFromDBSnapshot', 'rds:DeleteDBInstance', 'rds:AddTagsToResource', 'rds:DescribeDBClusters', 'rds:RestoreDBClusterFromSnapshot', 'rds:DeleteDBCluster'],
      Resource: '*',
    },
    { Effect: 'Allow', Action: 'kms:DescribeKey', Resource: '*' },
    {
      Effect: 'Allow',
      Action: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:ReEncryptTo', 'kms:ReEncryptFrom', 'kms:GenerateDataKeyWithoutPlaintext', 'kms:DescribeKey'],
      Resource: '*',
      Condition: { StringLike: { 'kms:ViaService': ['rds.*.amazonaws.com'] } },
    },
    { Effect: 'Allow', Action: 'kms:CreateGrant', Resource: '*', Condition: { Bool: { 'kms:GrantIsForAWSResource': 'true' } } },
  ),
  // v1: the whole policy (two statements).
  AmazonRDSEnhancedMonitoringRole: policy(
    { Effect: 'Allow', Action: ['logs:CreateLogGroup', 'logs:PutRetentionPolicy'], Resource: ['arn:aws:logs:*:*:log-group:RDS*'] },
    { Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams', 'logs:GetLogEvents'], Resource: ['arn:aws:logs:*:*:log-group:RDS*:log-stream:*'] },
  ),
  // v1: the whole policy (one statement).
  AWSLambdaBasicExecutionRole: policy({ Effect: 'Allow', Action: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'], Resource: '*' }),
};
