import { Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as backup from 'aws-cdk-lib/aws-backup';
import { beforeAll, describe, expect, it } from 'vitest';
import { DatabaseBackupPlan } from '@ha-reference/constructs';
import { newStack } from '../../support/synth';

const DB_ARN = 'arn:aws:rds:us-east-1:111111111111:db:primary';
const DR_VAULT_ARN = 'arn:aws:backup:us-west-2:111111111111:backup-vault:dr-vault';

describe('DatabaseBackupPlan (with a copy to the DR vault)', () => {
  let template: Template;
  let stack: Stack;

  beforeAll(() => {
    stack = newStack();
    new DatabaseBackupPlan(stack, 'Backup', {
      resourceArn: DB_ARN,
      retention: Duration.days(35),
      copyTo: { vault: backup.BackupVault.fromBackupVaultArn(stack, 'DrVault', DR_VAULT_ARN), retention: Duration.days(30) },
    });
    template = Template.fromStack(stack);
  });

  it('backs up daily into its own vault with the configured retention', () => {
    template.hasResourceProperties('AWS::Backup::BackupPlan', {
      BackupPlan: {
        BackupPlanName: Match.stringLikeRegexp('Backup'),
        BackupPlanRule: [
          Match.objectLike({
            ScheduleExpression: 'cron(0 5 * * ? *)',
            Lifecycle: { DeleteAfterDays: 35 },
            TargetBackupVault: { 'Fn::GetAtt': [Match.stringLikeRegexp('^BackupVault'), 'BackupVaultName'] },
          }),
        ],
      },
    });
  });

  it('copies every recovery point to the DR vault with the copy retention', () => {
    template.hasResourceProperties('AWS::Backup::BackupPlan', {
      BackupPlan: {
        BackupPlanRule: [Match.objectLike({ CopyActions: [{ DestinationBackupVaultArn: DR_VAULT_ARN, Lifecycle: { DeleteAfterDays: 30 } }] })],
      },
    });
  });

  it('selects the database and nothing else', () => {
    template.hasResourceProperties('AWS::Backup::BackupSelection', { BackupSelection: Match.objectLike({ Resources: [DB_ARN] }) });
  });

  it('encrypts its vault with a rotating customer-managed key', () => {
    template.hasResourceProperties('AWS::Backup::BackupVault', { EncryptionKeyArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^BackupKey'), 'Arn'] } });
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });
});

describe('DatabaseBackupPlan (no copy target)', () => {
  it('has no copy action', () => {
    const stack = newStack();
    new DatabaseBackupPlan(stack, 'Backup', { resourceArn: DB_ARN });
    Template.fromStack(stack).hasResourceProperties('AWS::Backup::BackupPlan', {
      BackupPlan: { BackupPlanRule: [Match.objectLike({ CopyActions: Match.absent() })] },
    });
  });

  it('rejects a retention under one day', () => {
    const stack = newStack();
    expect(() => new DatabaseBackupPlan(stack, 'Backup', { resourceArn: DB_ARN, retention: Duration.hours(12) })).toThrow(/retention must be a whole number of days from 1 to 36500, got 0.5 days/);
  });
});
