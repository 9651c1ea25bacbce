import { Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { beforeAll, describe, expect, it } from 'vitest';
import { MultiAzDatabase, MultiAzDatabaseProps, MultiAzDeployment } from '@ha-reference/constructs';
import { newApp, newStack } from '../../support/synth';

const DR_KEY_ARN = 'arn:aws:kms:us-west-2:111111111111:key/11111111-2222-3333-4444-555555555555';

/** A stack with a three-zone VPC with isolated subnets, the way MultiAzNetwork builds it. */
function stackWithVpc(): { stack: Stack; vpc: ec2.Vpc } {
  const stack = newStack(newApp());
  const vpc = new ec2.Vpc(stack, 'Vpc', {
    availabilityZones: ['us-east-1a', 'us-east-1b', 'us-east-1c'],
    natGateways: 0,
    subnetConfiguration: [
      { name: 'App', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
      { name: 'Data', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 },
    ],
  });
  return { stack, vpc };
}

function build(props: Partial<MultiAzDatabaseProps> = {}): { stack: Stack; database: MultiAzDatabase; template: Template } {
  const { stack, vpc } = stackWithVpc();
  const database = new MultiAzDatabase(stack, 'Database', { vpc, ...props });
  return { stack, database, template: Template.fromStack(stack) };
}

describe('MultiAzDatabase (instance, replicated to us-west-2)', () => {
  let database: MultiAzDatabase;
  let template: Template;
  let stack: Stack;

  beforeAll(() => {
    ({ stack, database, template } = build({ backupReplication: { region: 'us-west-2', kmsKeyArn: DR_KEY_ARN, retention: Duration.days(7) } }));
  });

  it('is a Multi-AZ PostgreSQL instance that is not public', () => {
    template.hasResourceProperties('AWS::RDS::DBInstance', { Engine: 'postgres', MultiAZ: true, PubliclyAccessible: false });
  });

  it('runs PostgreSQL 17 on a Graviton class by default', () => {
    template.hasResourceProperties('AWS::RDS::DBInstance', { EngineVersion: '17.6', DBInstanceClass: 'db.m7g.large' });
  });

  it('lives in the isolated subnets only', () => {
    const isolated = stack.node.findAll().filter((c) => c instanceof ec2.Subnet && c.node.id.startsWith('Data')) as ec2.Subnet[];
    const [group] = Object.values(template.findResources('AWS::RDS::DBSubnetGroup'));
    expect(group.Properties.SubnetIds).toEqual(isolated.map((s) => ({ Ref: Stack.of(s).getLogicalId(s.node.defaultChild as ec2.CfnSubnet) })));
  });

  it('uses gp3 storage with storage autoscaling', () => {
    template.hasResourceProperties('AWS::RDS::DBInstance', { StorageType: 'gp3', AllocatedStorage: '100', MaxAllocatedStorage: 500 });
  });

  it('encrypts storage with its customer-managed key, which rotates', () => {
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    template.hasResourceProperties('AWS::RDS::DBInstance', {
      StorageEncrypted: true,
      KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DatabaseKey'), 'Arn'] },
    });
  });

  it('is deletion-protected and takes a snapshot when removed or replaced', () => {
    template.hasResource('AWS::RDS::DBInstance', {
      Properties: Match.objectLike({ DeletionProtection: true }),
      DeletionPolicy: 'Snapshot',
      UpdateReplacePolicy: 'Snapshot',
    });
  });

  it('keeps automated backups 14 days, copies tags to snapshots and keeps the backups after deletion', () => {
    template.hasResourceProperties('AWS::RDS::DBInstance', { BackupRetentionPeriod: 14, CopyTagsToSnapshot: true, DeleteAutomatedBackups: false });
  });

  it('replicates automated backups to the DR region with the DR key and retention', () => {
    template.hasResourceProperties('AWS::RDS::DBInstance', {
      AutomaticBackupReplicationRegion: 'us-west-2',
      AutomaticBackupReplicationKmsKeyId: DR_KEY_ARN,
      AutomaticBackupReplicationRetentionPeriod: 7,
    });
  });

  it('has Performance Insights encrypted with the key, and enhanced monitoring every 60 s', () => {
    template.hasResourceProperties('AWS::RDS::DBInstance', {
      EnablePerformanceInsights: true,
      PerformanceInsightsKMSKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DatabaseKey'), 'Arn'] },
      MonitoringInterval: 60,
      MonitoringRoleArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DatabaseMonitoringRole'), 'Arn'] },
    });
  });

  it('exports the postgresql and upgrade logs into encrypted log groups with a retention, created first', () => {
    template.hasResourceProperties('AWS::RDS::DBInstance', { EnableCloudwatchLogsExports: ['postgresql', 'upgrade'] });
    for (const log of ['postgresql', 'upgrade']) {
      template.hasResourceProperties('AWS::Logs::LogGroup', {
        LogGroupName: stack.resolve(`/aws/rds/instance/${database.identifier}/${log}`),
        KmsKeyId: Match.anyValue(),
        RetentionInDays: 365,
      });
    }
    const [instance] = Object.values(template.findResources('AWS::RDS::DBInstance'));
    expect(instance.DependsOn).toEqual(expect.arrayContaining([expect.stringMatching(/^DatabaseLogPostgresql/), expect.stringMatching(/^DatabaseLogUpgrade/)]));
  });

  it('enables IAM database authentication', () => {
    template.hasResourceProperties('AWS::RDS::DBInstance', { EnableIAMDatabaseAuthentication: true });
  });

  it('forces TLS with rds.force_ssl=1 in its parameter group', () => {
    template.hasResourceProperties('AWS::RDS::DBParameterGroup', { Family: 'postgres17', Parameters: { 'rds.force_ssl': '1' } });
    template.hasResourceProperties('AWS::RDS::DBInstance', { DBParameterGroupName: { Ref: Match.stringLikeRegexp('^DatabaseParameterGroup') } });
  });

  it('listens on a non-default port', () => {
    template.hasResourceProperties('AWS::RDS::DBInstance', { Port: '5433' });
    expect(database.port).not.toBe(5432);
  });

  it('lets RDS manage and rotate the master password in Secrets Manager, encrypted with the key', () => {
    template.hasResourceProperties('AWS::RDS::DBInstance', {
      ManageMasterUserPassword: true,
      MasterUserSecret: { KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DatabaseKey'), 'Arn'] } },
      MasterUserPassword: Match.absent(),
    });
    expect(Stack.of(database).resolve(database.secret.secretArn)).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^DatabaseInstance/), 'MasterUserSecret.SecretArn'] });
  });

  it('admits nobody until allowConnectionsFrom is called', () => {
    template.resourcePropertiesCountIs('AWS::EC2::SecurityGroupIngress', { GroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DatabaseSecurityGroup'), 'GroupId'] } }, 0);
    const [sg] = Object.values(template.findResources('AWS::EC2::SecurityGroup', { Properties: { GroupDescription: Match.stringLikeRegexp('PostgreSQL') } }));
    expect(sg.Properties.SecurityGroupIngress).toBeUndefined();
  });

  it('exposes the endpoint and port for the service', () => {
    expect(Stack.of(database).resolve(database.endpoint.hostname)).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^DatabaseInstance/), 'Endpoint.Address'] });
    expect(database.endpoint.port).toBe(5433);
    expect(database.instance).toBeDefined();
    expect(database.cluster).toBeUndefined();
  });

  it('gives CPU, storage and connection metrics by instance identifier, and no replica lag (the standby is synchronous)', () => {
    for (const [metric, name] of [
      [database.metricCpuUtilization(), 'CPUUtilization'],
      [database.metricFreeStorageSpace(), 'FreeStorageSpace'],
      [database.metricDatabaseConnections(), 'DatabaseConnections'],
    ] as const) {
      expect(metric.namespace).toBe('AWS/RDS');
      expect(metric.metricName).toBe(name);
      expect(metric.dimensions).toEqual({ DBInstanceIdentifier: database.identifier });
    }
    expect(database.metricReplicaLag()).toBeUndefined();
  });
});

describe('MultiAzDatabase access', () => {
  it('accepts connections only from the security group it is told about, on its port', () => {
    // GIVEN a database and a client security group
    const { stack, vpc } = stackWithVpc();
    const database = new MultiAzDatabase(stack, 'Database', { vpc });
    const client = new ec2.SecurityGroup(stack, 'Client', { vpc });
    // WHEN
    database.allowConnectionsFrom(client);
    // THEN
    const template = Template.fromStack(stack);
    template.resourcePropertiesCountIs('AWS::EC2::SecurityGroupIngress', { GroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DatabaseSecurityGroup'), 'GroupId'] } }, 1);
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      GroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DatabaseSecurityGroup'), 'GroupId'] },
      SourceSecurityGroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Client'), 'GroupId'] },
      FromPort: 5433,
      ToPort: 5433,
    });
  });
});

describe('MultiAzDatabase (cluster)', () => {
  let database: MultiAzDatabase;
  let template: Template;
  let stack: Stack;

  beforeAll(() => {
    ({ stack, database, template } = build({ deployment: MultiAzDeployment.CLUSTER }));
  });

  it('is a Multi-AZ DB cluster of a class that supports it, not an instance', () => {
    template.resourceCountIs('AWS::RDS::DBInstance', 0);
    template.hasResourceProperties('AWS::RDS::DBCluster', { Engine: 'postgres', DBClusterInstanceClass: 'db.m6gd.large', PubliclyAccessible: false });
  });

  it('keeps the same guarantees: key, TLS, managed secret, IAM auth, insights, monitoring, logs, port', () => {
    template.hasResourceProperties('AWS::RDS::DBCluster', {
      StorageEncrypted: true,
      KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DatabaseKey'), 'Arn'] },
      ManageMasterUserPassword: true,
      EnableIAMDatabaseAuthentication: true,
      PerformanceInsightsEnabled: true,
      MonitoringInterval: 60,
      EnableCloudwatchLogsExports: ['postgresql', 'upgrade'],
      Port: 5433,
      BackupRetentionPeriod: 14,
      CopyTagsToSnapshot: true,
      DeletionProtection: true,
      StorageType: 'io1',
      Iops: 3000,
    });
    template.hasResourceProperties('AWS::RDS::DBClusterParameterGroup', { Family: 'postgres17', Parameters: { 'rds.force_ssl': '1' } });
  });

  it('takes a snapshot when removed or replaced', () => {
    template.hasResource('AWS::RDS::DBCluster', { DeletionPolicy: 'Snapshot', UpdateReplacePolicy: 'Snapshot' });
  });

  it('warns that RDS does not replicate cluster backups to another region', () => {
    Annotations.fromStack(stack).hasWarning('/Test/Database', Match.stringLikeRegexp('does not replicate the automated backups of a Multi-AZ DB cluster'));
  });

  it('gives metrics by cluster identifier, including replica lag of the readable standbys', () => {
    expect(database.metricCpuUtilization().dimensions).toEqual({ DBClusterIdentifier: database.identifier });
    expect(database.metricReplicaLag()?.metricName).toBe('ReplicaLag');
  });
});

describe('MultiAzDatabase validation', () => {
  it('rejects backup retention below 7 days', () => {
    expect(() => build({ backupRetention: Duration.days(0) })).toThrow(/backupRetention must be a whole number of days between 7 and 35, got 0 days/);
  });

  it('rejects backup retention above 35 days', () => {
    expect(() => build({ backupRetention: Duration.days(36) })).toThrow(/backupRetention .* got 36 days/);
  });

  it('rejects an unknown engine version', () => {
    expect(() => build({ engineVersion: '15.4' })).toThrow(/engineVersion must be a PostgreSQL 16 or 17 version .* got "15.4"/);
  });

  it('rejects backup replication into its own region', () => {
    expect(() => build({ backupReplication: { region: 'us-east-1', kmsKeyArn: DR_KEY_ARN } })).toThrow(/backupReplication.region must differ/);
  });

  it('rejects backup replication for a cluster, which RDS does not support', () => {
    expect(() => build({ deployment: MultiAzDeployment.CLUSTER, backupReplication: { region: 'us-west-2', kmsKeyArn: DR_KEY_ARN } })).toThrow(/backupReplication is not supported with deployment "cluster"/);
  });

  it('rejects a port outside the 1150-65535 range RDS allows', () => {
    expect(() => build({ port: 80 })).toThrow(/port must be an integer between 1150 and 65535, got 80/);
  });

  it('rejects a cluster over fewer than 3 zones', () => {
    const stack = newStack(newApp());
    const vpc = new ec2.Vpc(stack, 'Vpc', {
      availabilityZones: ['us-east-1a', 'us-east-1b'],
      natGateways: 0,
      subnetConfiguration: [{ name: 'Data', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }],
    });
    expect(() => new MultiAzDatabase(stack, 'Database', { vpc, deployment: MultiAzDeployment.CLUSTER })).toThrow(/at least 3 Availability Zones.*got 2/);
  });
});
