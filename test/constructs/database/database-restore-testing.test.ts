import { Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { beforeAll, describe, expect, it } from 'vitest';
import { DatabaseRestoreTesting, DatabaseRestoreTestingProps } from '@ha-reference/constructs';
import { newStack } from '../../support/synth';

const DB_ARN = 'arn:aws:rds:us-east-1:111111111111:db:primary';
const VAULT_ARN = 'arn:aws:backup:us-east-1:111111111111:backup-vault:primary-vault';

function build(props: Partial<DatabaseRestoreTestingProps> = {}): { stack: Stack; testing: DatabaseRestoreTesting } {
  const stack = newStack();
  const vpc = new ec2.Vpc(stack, 'Vpc', { availabilityZones: ['us-east-1a', 'us-east-1b'], natGateways: 0, subnetConfiguration: [{ name: 'Data', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
  const testing = new DatabaseRestoreTesting(stack, 'RestoreTest', {
    resourceArn: DB_ARN,
    vaults: [backup.BackupVault.fromBackupVaultArn(stack, 'Vault', VAULT_ARN)],
    vpc,
    subnetGroupName: 'db-subnets',
    ...props,
  });
  return { stack, testing };
}

describe('DatabaseRestoreTesting', () => {
  let template: Template;
  let testing: DatabaseRestoreTesting;

  beforeAll(() => {
    let stack: Stack;
    ({ stack, testing } = build());
    template = Template.fromStack(stack);
  });

  it('has a weekly restore testing plan over the latest snapshot of the vault', () => {
    template.hasResourceProperties('AWS::Backup::RestoreTestingPlan', {
      RestoreTestingPlanName: testing.planName,
      ScheduleExpression: 'cron(0 7 ? * SUN *)',
      RecoveryPointSelection: { Algorithm: 'LATEST_WITHIN_WINDOW', IncludeVaults: [VAULT_ARN], RecoveryPointTypes: ['SNAPSHOT'], SelectionWindowDays: 7 },
    });
    expect(testing.planName).toMatch(/^[A-Za-z0-9_]{1,50}$/);
  });

  it('has a selection that restores the database, kept for the validation window', () => {
    template.hasResourceProperties('AWS::Backup::RestoreTestingSelection', {
      RestoreTestingPlanName: testing.planName,
      ProtectedResourceType: 'RDS',
      ProtectedResourceArns: [DB_ARN],
      ValidationWindowHours: 2,
      IamRoleArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^RestoreTestRole'), 'Arn'] },
    });
  });

  it('restores into the database subnets behind a security group that admits nobody', () => {
    template.hasResourceProperties('AWS::Backup::RestoreTestingSelection', {
      RestoreMetadataOverrides: {
        dbsubnetgroupname: 'db-subnets',
        vpcsecuritygroupids: { 'Fn::Join': ['', ['["', { 'Fn::GetAtt': [Match.stringLikeRegexp('^RestoreTestSecurityGroup'), 'GroupId'] }, '"]']] },
      },
    });
    const [sg] = Object.values(template.findResources('AWS::EC2::SecurityGroup'));
    expect(sg.Properties.SecurityGroupIngress).toBeUndefined();
  });

  it('creates the selection after the plan it names', () => {
    const [selection] = Object.values(template.findResources('AWS::Backup::RestoreTestingSelection'));
    expect(selection.DependsOn).toEqual([expect.stringMatching(/^RestoreTestPlan/)]);
  });

  it('lets AWS Backup restore with the documented restore policy', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: Match.objectLike({ Statement: [Match.objectLike({ Principal: { Service: 'backup.amazonaws.com' } })] }),
      ManagedPolicyArns: [Match.objectLike({ 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('AWSBackupServiceRolePolicyForRestores')])] })],
    });
  });

  it('offers restore job metrics for alarms', () => {
    expect(testing.metricRestoreJobsFailed().metricName).toBe('NumberOfRestoreJobsFailed');
    expect(testing.metricRestoreJobsCompleted().namespace).toBe('AWS/Backup');
  });
});

describe('DatabaseRestoreTesting validation', () => {
  it('rejects a validation window over 168 hours', () => {
    expect(() => build({ validationWindow: Duration.hours(169) })).toThrow(/validationWindow must be a whole number of hours from 1 to 168, got 169 hours/);
  });

  it('rejects an empty vault list', () => {
    expect(() => build({ vaults: [] })).toThrow(/vaults must name at least one backup vault/);
  });
});
