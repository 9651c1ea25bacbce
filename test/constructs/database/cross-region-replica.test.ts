import { App, Duration, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { CrossRegionReplica, MultiAzNetwork, type CrossRegionReplicaProps } from '@ha-reference/constructs';

const SOURCE_ARN = 'arn:aws:rds:us-east-1:111111111111:db:primary-database';

function build(overrides: Partial<CrossRegionReplicaProps> = {}, zones = ['us-west-2a', 'us-west-2b', 'us-west-2c'], app = new App()) {
  const stack = new Stack(app, 'Dr', { env: { account: '111111111111', region: 'us-west-2' } });
  const network = new MultiAzNetwork(stack, 'Network', { availabilityZones: zones, natGateways: 1 });
  const replica = new CrossRegionReplica(stack, 'Replica', {
    vpc: network.vpc,
    vpcSubnets: network.dataSubnets,
    sourceDatabaseArn: SOURCE_ARN,
    sourceRegion: 'us-east-1',
    port: 5433,
    ...overrides,
  });
  return { app, stack, network, replica };
}

describe('CrossRegionReplica', () => {
  it('replicates the source across regions, Multi-AZ, private, with its own key, backups, IAM auth and OS metrics', () => {
    const { stack } = build();
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::RDS::DBInstance', {
      SourceDBInstanceIdentifier: SOURCE_ARN,
      SourceRegion: 'us-east-1',
      DBInstanceClass: 'db.m7g.large',
      KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ReplicaKey'), 'Arn'] },
      MultiAZ: true,
      PubliclyAccessible: false,
      DeletionProtection: true,
      EnableIAMDatabaseAuthentication: true,
      BackupRetentionPeriod: 14,
      EnablePerformanceInsights: true,
      // A promoted replica is the primary database: OS metrics as the source has them.
      MonitoringInterval: 60,
      MonitoringRoleArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ReplicaMonitoringRole'), 'Arn'] },
      EnableCloudwatchLogsExports: ['postgresql', 'upgrade'],
    });
    template.hasResource('AWS::RDS::DBInstance', { DeletionPolicy: 'Snapshot' });
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    // Logs exported to encrypted log groups that exist before RDS writes to them.
    const rdsLogs = Object.values(template.findResources('AWS::Logs::LogGroup')).filter((g) => String(JSON.stringify(g.Properties.LogGroupName)).includes('/aws/rds/instance/'));
    expect(rdsLogs).toHaveLength(2);
    for (const group of rdsLogs) expect(group.Properties.KmsKeyId).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^ReplicaKey/), 'Arn'] });
  });

  it('pages nothing by itself, but alarms on 5 minutes of lag above the threshold, and on a replica that stops reporting', () => {
    const { stack, replica } = build({ lagAlarmThreshold: Duration.minutes(2) });
    Template.fromStack(stack).hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/RDS',
      MetricName: 'ReplicaLag',
      Dimensions: [{ Name: 'DBInstanceIdentifier', Value: Match.anyValue() }],
      Threshold: 120,
      EvaluationPeriods: 5,
      DatapointsToAlarm: 5,
      TreatMissingData: 'breaching',
      AlarmActions: Match.absent(),
    });
    expect(replica.lagAlarmThresholdSeconds).toBe(120);
  });

  it('admits nobody until allowed, then only the allowed security group on the port', () => {
    const { stack: alone } = build();
    expect(Object.keys(Template.fromStack(alone).findResources('AWS::EC2::SecurityGroupIngress'))).toHaveLength(0);
    const { stack, network, replica } = build();
    const peer = new ec2.SecurityGroup(stack, 'Tasks', { vpc: network.vpc });
    replica.allowConnectionsFrom(peer, 'PostgreSQL from the tasks');
    Template.fromStack(stack).hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      FromPort: 5433,
      ToPort: 5433,
      SourceSecurityGroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Tasks'), 'GroupId'] },
    });
  });

  it('passes AwsSolutions, with acknowledgements only for what a read replica cannot set', () => {
    const app = new App();
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    build({}, ['us-west-2a', 'us-west-2b', 'us-west-2c'], app);
    expect(() => app.synth()).not.toThrow();
  });

  const invalid: [string, Partial<CrossRegionReplicaProps>, RegExp][] = [
    ['a source in its own region', { sourceRegion: 'us-west-2' }, /^sourceRegion must differ from the replica's region \(us-west-2\)/],
    ['a malformed instance class', { instanceClass: 'm7g.large' }, /^instanceClass must be an RDS instance class such as "db.m7g.large", got "m7g.large"$/],
    ['a port RDS does not allow', { port: 80 }, /^port must be an integer between 1150 and 65535, got 80$/],
    ['backups of 0 days', { backupRetention: Duration.days(0) }, /^backupRetention must be a whole number of days between 1 and 35, got/],
    ['a lag threshold under a minute', { lagAlarmThreshold: Duration.seconds(30) }, /^lagAlarmThreshold must be between 1 minute and 1 day .* got 30 seconds$/],
  ];
  it.each(invalid)('rejects %s, naming the prop and the value', (_name, overrides, message) => {
    expect(() => build(overrides)).toThrow(message);
  });

  it('rejects subnets in one zone: a Multi-AZ replica needs two', () => {
    expect(() => build({}, ['us-west-2a'])).toThrow(/^(vpcSubnets must span at least 2 Availability Zones for a Multi-AZ replica, got 1|availabilityZones)/);
  });
});
