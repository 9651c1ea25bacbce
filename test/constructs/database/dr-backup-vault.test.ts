import { Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { DrBackupVault } from '@ha-reference/constructs';
import { newStack } from '../../support/synth';

describe('DrBackupVault', () => {
  it('has a customer-managed key with rotation, kept when the stack goes', () => {
    // GIVEN / WHEN
    const stack = newStack();
    new DrBackupVault(stack, 'Backup');
    // THEN
    Template.fromStack(stack).hasResource('AWS::KMS::Key', { Properties: Match.objectLike({ EnableKeyRotation: true }), DeletionPolicy: 'Retain' });
  });

  it('has a backup vault encrypted with that key, kept when the stack goes', () => {
    const stack = newStack();
    new DrBackupVault(stack, 'Backup');
    Template.fromStack(stack).hasResource('AWS::Backup::BackupVault', {
      Properties: Match.objectLike({ EncryptionKeyArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^BackupKey'), 'Arn'] } }),
      DeletionPolicy: 'Retain',
    });
  });

  it('has no vault lock unless asked', () => {
    const stack = newStack();
    new DrBackupVault(stack, 'Backup');
    Template.fromStack(stack).hasResourceProperties('AWS::Backup::BackupVault', { LockConfiguration: Match.absent() });
  });

  it('locks the vault when asked', () => {
    const stack = newStack();
    new DrBackupVault(stack, 'Backup', { vaultLock: { minRetention: Duration.days(7), maxRetention: Duration.days(365), changeableFor: Duration.days(3) } });
    Template.fromStack(stack).hasResourceProperties('AWS::Backup::BackupVault', {
      LockConfiguration: { MinRetentionDays: 7, MaxRetentionDays: 365, ChangeableForDays: 3 },
    });
  });

  it('rejects a lock whose maximum is below its minimum', () => {
    const stack = newStack();
    expect(() => new DrBackupVault(stack, 'Backup', { vaultLock: { minRetention: Duration.days(30), maxRetention: Duration.days(7) } })).toThrow(
      /vaultLock.maxRetention must be at least vaultLock.minRetention \(30 days\), got 7 days/,
    );
  });

  it('rejects a compliance lock with less than the 3-day cooling-off period', () => {
    const stack = newStack();
    expect(() => new DrBackupVault(stack, 'Backup', { vaultLock: { minRetention: Duration.days(7), changeableFor: Duration.days(1) } })).toThrow(
      /vaultLock.changeableFor must be at least 3 days/,
    );
  });
});
