import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp, HaApp } from '../../lib/app';
import { DrStack } from '../../lib/dr-stack';
import { newApp, synthApp } from '../support/synth';

const GET_DR_OUTPUT = (output: string) => ({ 'Fn::GetStackOutput': { StackName: 'HaDr', Region: 'us-west-2', OutputName: output } });


describe('DrStack (default config)', () => {
  let built: HaApp;
  let template: Template;
  let synthError: unknown;

  beforeAll(() => {
    ({ built, synthError } = synthApp());
    template = Template.fromStack(built.dr);
  });

  it('synthesises with AwsSolutions checks and CloudFormation Validate and no unacknowledged finding', () => {
    expect(synthError).toBeUndefined();
  });

  it('is in the DR region', () => {
    expect(built.dr.region).toBe('us-west-2');
    expect(built.dr.region).not.toBe(built.primary.region);
  });

  it('matches the snapshot', () => {
    expect(template.toJSON()).toMatchSnapshot();
  });

  it('has a customer-managed KMS key with rotation', () => {
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });

  it('has a backup vault encrypted with that key', () => {
    template.hasResourceProperties('AWS::Backup::BackupVault', { EncryptionKeyArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^BackupKey'), 'Arn'] } });
  });

  it('has no vault lock by default', () => {
    template.hasResourceProperties('AWS::Backup::BackupVault', { LockConfiguration: Match.absent() });
  });

  it('publishes the key ARN and the vault ARN under the fixed output names the primary stack reads', () => {
    template.hasOutput(DrStack.REPLICATION_KEY_ARN_OUTPUT, { Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('^BackupKey'), 'Arn'] } });
    template.hasOutput(DrStack.BACKUP_VAULT_ARN_OUTPUT, { Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('^BackupVault'), 'BackupVaultArn'] } });
  });

  it('exports nothing (no cross-stack export can lock it)', () => {
    for (const output of Object.values(template.toJSON().Outputs as Record<string, { Export?: unknown }>)) {
      expect(output.Export).toBeUndefined();
    }
  });
});

describe('DrStack with a vault lock', () => {
  it('locks the vault with the configured retention range', () => {
    // GIVEN a config that locks the DR vault
    const app = newApp({ ha: { dr: { vaultLock: { minRetentionDays: 7, maxRetentionDays: 365 } } } });
    // WHEN
    const { dr } = buildApp(app);
    // THEN
    Template.fromStack(dr).hasResourceProperties('AWS::Backup::BackupVault', { LockConfiguration: { MinRetentionDays: 7, MaxRetentionDays: 365 } });
  });
});

describe('cross-region wiring (whole app, default config)', () => {
  let app: App;
  let built: HaApp;
  let primary: Template;
  let synthError: unknown;

  beforeAll(() => {
    ({ app, built, synthError } = synthApp());
    primary = Template.fromStack(built.primary);
  });

  it('synthesises stacks in two regions', () => {
    expect(synthError).toBeUndefined();
    const regions = app.node.children.filter(Stack.isStack).map((s) => s.region);
    expect(new Set(regions)).toEqual(new Set(['us-east-1', 'us-west-2']));
  });

  it('deploys the DR stack before the primary stack', () => {
    expect(built.primary.dependencies).toContain(built.dr);
  });

  it('replicates automated backups to the DR region with the DR key read from the DR stack output', () => {
    primary.hasResourceProperties('AWS::RDS::DBInstance', {
      AutomaticBackupReplicationRegion: 'us-west-2',
      AutomaticBackupReplicationKmsKeyId: GET_DR_OUTPUT(DrStack.REPLICATION_KEY_ARN_OUTPUT),
      AutomaticBackupReplicationRetentionPeriod: 7,
    });
  });

  it('copies each AWS Backup recovery point to the DR vault read from the DR stack output', () => {
    primary.hasResourceProperties('AWS::Backup::BackupPlan', {
      BackupPlan: { BackupPlanRule: [Match.objectLike({ CopyActions: [{ DestinationBackupVaultArn: GET_DR_OUTPUT(DrStack.BACKUP_VAULT_ARN_OUTPUT), Lifecycle: { DeleteAfterDays: 35 } }] })] },
    });
  });

  it('uses no exports, SSM export parameters or export custom resources between the stacks', () => {
    const json = JSON.stringify(primary.toJSON());
    expect(json).not.toContain('Fn::ImportValue');
    expect(json).not.toContain('/cdk/exports/');
    primary.resourceCountIs('Custom::CrossRegionExportReader', 0);
  });

  it('backs up the database and restore-tests it weekly', () => {
    const [instanceId] = Object.keys(primary.findResources('AWS::RDS::DBInstance'));
    const dbArn = Match.objectLike({ 'Fn::Join': ['', Match.arrayWith([{ Ref: instanceId }])] });
    primary.hasResourceProperties('AWS::Backup::BackupSelection', { BackupSelection: Match.objectLike({ Resources: [dbArn] }) });
    primary.hasResourceProperties('AWS::Backup::RestoreTestingPlan', { ScheduleExpression: 'cron(0 7 ? * SUN *)' });
    primary.hasResourceProperties('AWS::Backup::RestoreTestingSelection', { ProtectedResourceType: 'RDS', ProtectedResourceArns: [dbArn] });
  });

  it('gives the service the endpoint, port, name and TLS mode as environment and the secret as an ECS secret', () => {
    const [instanceId] = Object.keys(primary.findResources('AWS::RDS::DBInstance'));
    primary.hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: [
        Match.objectLike({
          Environment: Match.arrayWith([
            { Name: 'DB_HOST', Value: { 'Fn::GetAtt': [instanceId, 'Endpoint.Address'] } },
            { Name: 'DB_PORT', Value: '5433' },
            { Name: 'DB_NAME', Value: 'app' },
            { Name: 'DB_TLS', Value: 'verify-full' },
          ]),
          Secrets: [{ Name: 'DB_SECRET', ValueFrom: { 'Fn::GetAtt': [instanceId, 'MasterUserSecret.SecretArn'] } }],
        }),
      ],
    });
  });

  it('never puts a credential in the plain environment', () => {
    const [task] = Object.values(primary.findResources('AWS::ECS::TaskDefinition'));
    const names = (task.Properties.ContainerDefinitions[0].Environment as Array<{ Name: string }>).map((e) => e.Name);
    expect(names.filter((n) => /PASSWORD|USER|^DB_SECRET$/.test(n))).toEqual([]);
    // DB_SECRET_ARN names the secret (a reference to it), never its value.
    const arn = (task.Properties.ContainerDefinitions[0].Environment as Array<{ Name: string; Value: unknown }>).find((e) => e.Name === 'DB_SECRET_ARN');
    expect(arn?.Value).toEqual({ 'Fn::GetAtt': [expect.any(String), 'MasterUserSecret.SecretArn'] });
  });

  it('lets only the execution role (injection at start) and the task role (re-read after rotation) read the secret, and only that secret', () => {
    const [instanceId] = Object.keys(primary.findResources('AWS::RDS::DBInstance'));
    primary.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('ExecutionRole') }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          { Action: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'], Effect: 'Allow', Resource: { 'Fn::GetAtt': [instanceId, 'MasterUserSecret.SecretArn'] } },
        ]),
      },
    });
    const readers = Object.values(primary.findResources('AWS::IAM::Policy')).filter((p) => JSON.stringify(p).includes('secretsmanager:GetSecretValue'));
    expect(readers.map((p) => p.Properties.Roles[0].Ref).sort()).toEqual([expect.stringMatching(/ExecutionRole/), expect.stringMatching(/TaskRole/)].sort());
    for (const reader of readers) {
      const statements = reader.Properties.PolicyDocument.Statement.filter((st: { Action: unknown }) => JSON.stringify(st.Action).includes('secretsmanager:'));
      expect(statements.map((st: { Resource: unknown }) => st.Resource)).toEqual([{ 'Fn::GetAtt': [instanceId, 'MasterUserSecret.SecretArn'] }]);
    }
  });

  it('lets only the service security group reach the database', () => {
    const ingress = Object.values(primary.findResources('AWS::EC2::SecurityGroupIngress')).filter((r) =>
      JSON.stringify(r.Properties.GroupId).includes('DatabaseSecurityGroup'),
    );
    expect(ingress).toHaveLength(1);
    expect(ingress[0].Properties).toMatchObject({ FromPort: 5433, ToPort: 5433, SourceSecurityGroupId: { 'Fn::GetAtt': [expect.stringMatching(/^ServiceServiceSecurityGroup/), 'GroupId'] } });
  });

  it('keeps the ECS2 acknowledgment true: its reason names every plain environment variable', () => {
    const [task] = Object.values(primary.findResources('AWS::ECS::TaskDefinition'));
    const names = (task.Properties.ContainerDefinitions[0].Environment as Array<{ Name: string }>).map((e) => e.Name);
    const acknowledged = built.primary.service.taskDefinition.node.metadata.find((m) => m.type === 'aws:cdk:acknowledged-rules');
    const reason = (acknowledged?.data as Record<string, string>)['AwsSolutions::AwsSolutions-ECS2'];
    for (const name of names) expect(reason).toContain(name);
  });
});

describe('cross-region wiring (whole app, Multi-AZ DB cluster)', () => {
  let built: HaApp;
  let primary: Template;
  let synthError: unknown;

  beforeAll(() => {
    ({ built, synthError } = synthApp({ ha: { database: { deployment: 'cluster' } } }));
    primary = Template.fromStack(built.primary);
  });

  it('synthesises with AwsSolutions checks and CloudFormation Validate and no unacknowledged finding', () => {
    expect(synthError).toBeUndefined();
  });

  it('runs a Multi-AZ DB cluster and no instance', () => {
    primary.resourceCountIs('AWS::RDS::DBInstance', 0);
    primary.resourceCountIs('AWS::RDS::DBCluster', 1);
  });

  it('still copies every recovery point to the DR vault, the only cross-region copy a cluster has', () => {
    primary.hasResourceProperties('AWS::Backup::BackupPlan', {
      BackupPlan: { BackupPlanRule: [Match.objectLike({ CopyActions: [Match.objectLike({ DestinationBackupVaultArn: GET_DR_OUTPUT(DrStack.BACKUP_VAULT_ARN_OUTPUT) })] })] },
    });
  });

  it('gives the service the cluster writer endpoint', () => {
    const [clusterId] = Object.keys(primary.findResources('AWS::RDS::DBCluster'));
    primary.hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: [Match.objectLike({ Environment: Match.arrayWith([{ Name: 'DB_HOST', Value: { 'Fn::GetAtt': [clusterId, 'Endpoint.Address'] } }]) })],
    });
  });
});
