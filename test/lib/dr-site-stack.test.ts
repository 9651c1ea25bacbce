import { App } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import type { HaApp } from '../../lib/app';
import { DrSiteStack } from '../../lib/dr-site-stack';
import { PrimaryStack } from '../../lib/primary-stack';
import { buildReport, loadInput } from '@ha-reference/constructs/report';
import { synthApp } from '../support/synth';


const primaryOutput = (name: string) => ({ 'Fn::GetStackOutput': { StackName: 'HaPrimary', Region: 'us-east-1', OutputName: name } });

describe('dr.strategy backup-restore (the default)', () => {
  let built: HaApp;
  beforeAll(() => {
    ({ built } = synthApp());
  });

  it('builds no standby site, and the primary publishes no outputs for one', () => {
    expect(built.drSite).toBeUndefined();
    const outputs = Template.fromStack(built.primary).toJSON().Outputs ?? {};
    expect(Object.keys(outputs)).not.toContain(PrimaryStack.DATABASE_ARN_OUTPUT);
    expect(Object.keys(outputs)).not.toContain(PrimaryStack.LOAD_BALANCER_DNS_OUTPUT);
  });
});

describe('dr.strategy pilot-light', () => {
  let app: App;
  let built: HaApp;
  let template: Template;
  let synthError: unknown;

  beforeAll(() => {
    ({ app, built, synthError } = synthApp({ ha: { alarmEmail: 'oncall@example.com', dr: { strategy: 'pilot-light', replicaInstanceClass: 'db.r7g.large' } } }));
    template = Template.fromStack(built.drSite!);
  });

  it('synthesises nag-clean with every rule pack', () => {
    expect(synthError).toBeUndefined();
  });

  it('gives the primary a master secret RDS does not manage, replicated into the DR region with the DR key and rotated every 7 days', () => {
    // RDS cannot create a read replica of a source whose master password it manages in Secrets Manager:
    // https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-secrets-manager.html#rds-secrets-manager-limitations
    const primary = Template.fromStack(built.primary);
    primary.hasResourceProperties('AWS::RDS::DBInstance', {
      ManageMasterUserPassword: Match.absent(),
      MasterUserSecret: Match.absent(),
      MasterUserPassword: { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('resolve:secretsmanager')])] },
    });
    primary.hasResourceProperties('AWS::SecretsManager::Secret', {
      ReplicaRegions: [{ Region: 'us-west-2', KmsKeyId: { 'Fn::GetStackOutput': { StackName: 'HaDr', Region: 'us-west-2', OutputName: 'ReplicationKeyArn' } } }],
    });
    primary.hasResourceProperties('AWS::SecretsManager::RotationSchedule', {
      HostedRotationLambda: Match.objectLike({ RotationType: 'PostgreSQLSingleUser', VpcSubnetIds: Match.anyValue() }),
      RotationRules: { ScheduleExpression: 'rate(7 days)' },
    });
    // The rotation function reaches the database on its port, and nothing else but HTTPS.
    primary.hasResourceProperties('AWS::EC2::SecurityGroupIngress', { FromPort: 5433, Description: 'PostgreSQL from the master secret rotation function' });
    // The DR key lets Secrets Manager there encrypt the replica (never decrypt) for the rotation function.
    Template.fromStack(built.dr).hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'SecretsManagerMayEncryptReplicaSecrets',
            Action: ['kms:Encrypt', 'kms:GenerateDataKey'],
            Condition: { StringEquals: { 'kms:CallerAccount': Match.anyValue(), 'kms:ViaService': 'secretsmanager.us-west-2.amazonaws.com' } },
          }),
        ]),
      },
    });
    expect(Annotations.fromStack(built.drSite!).findWarning('*', Match.stringLikeRegexp('RDS cannot create'))).toEqual([]);
  });

  it('keeps the RDS-managed master secret without a standby site', () => {
    const { built: plain } = synthApp();
    Template.fromStack(plain.primary).hasResourceProperties('AWS::RDS::DBInstance', { ManageMasterUserPassword: true });
    Template.fromStack(plain.primary).resourceCountIs('AWS::SecretsManager::RotationSchedule', 0);
  });

  it('puts the site in the DR region, deployed after the primary and the DR stack', () => {
    expect(built.drSite!.region).toBe('us-west-2');
    const deps = built.drSite!.dependencies.map((stack) => stack.stackName);
    expect(deps).toEqual(expect.arrayContaining(['HaPrimary', 'HaDr']));
    // No cycle: the primary does not depend on the site.
    expect(built.primary.dependencies.map((stack) => stack.stackName)).not.toContain('HaDrSite');
  });

  it('replicates the primary database across regions, encrypted with the DR key, Multi-AZ, in isolated subnets', () => {
    template.hasResourceProperties('AWS::RDS::DBInstance', {
      SourceDBInstanceIdentifier: primaryOutput(PrimaryStack.DATABASE_ARN_OUTPUT),
      SourceRegion: 'us-east-1',
      // A key of the DR region, the replica's own (storage, Performance Insights, logs).
      KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ReplicaKey'), 'Arn'] },
      DBInstanceClass: 'db.r7g.large',
      MultiAZ: true,
      PubliclyAccessible: false,
      DeletionProtection: true,
      StorageEncrypted: Match.absent(),
    });
    const outputs = Template.fromStack(built.primary).toJSON().Outputs;
    // The primary publishes the instance's ARN (an rds:db ARN), the form a cross-region SourceDBInstanceIdentifier needs.
    expect(JSON.stringify(outputs[PrimaryStack.DATABASE_ARN_OUTPUT].Value)).toMatch(/arn:.*:rds:.*:db:/);
  });

  it('pages on replica lag over 5 minutes and on a silent replica, through a DR-region topic to the on-call address', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ReplicaLag',
      Namespace: 'AWS/RDS',
      Threshold: DrSiteStack.REPLICA_LAG_ALARM_SECONDS,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'breaching',
      AlarmActions: [{ Ref: Match.stringLikeRegexp('^PagingTopic') }],
    });
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'oncall@example.com' });
  });

  it('probes the primary readiness endpoint every minute from the DR region and pages after 3 failures', () => {
    template.hasResourceProperties('AWS::Synthetics::Canary', {
      Schedule: { Expression: 'rate(1 minute)' },
      RunConfig: Match.objectLike({
        EnvironmentVariables: { TARGET_URL: { 'Fn::Join': ['', ['http://', primaryOutput(PrimaryStack.LOAD_BALANCER_DNS_OUTPUT), '/health/ready']] } },
      }),
      ArtifactConfig: { S3Encryption: { EncryptionMode: 'SSE_KMS', KmsKeyArn: Match.anyValue() } },
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'SuccessPercent',
      Namespace: 'CloudWatchSynthetics',
      Threshold: 100,
      ComparisonOperator: 'LessThanThreshold',
      EvaluationPeriods: DrSiteStack.CANARY_FAILURES_TO_ALARM,
      TreatMissingData: 'breaching',
      AlarmActions: [{ Ref: Match.stringLikeRegexp('^PagingTopic') }],
    });
  });

  it('warns that without dns nothing moves users to the DR region', () => {
    const warnings = built.drSite!.node.metadata.filter((entry) => entry.type === 'aws:cdk:warning').map((entry) => String(entry.data));
    expect(warnings.some((text) => text.includes('no DNS failover') && text.includes('LoadBalancerDnsName'))).toBe(true);
  });

  it('runs the standby service with no task behind its own load balancer, pointed at the replica with the replica secret', () => {
    template.hasResourceProperties('AWS::ECS::Service', { DesiredCount: 0 });
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', { MinCapacity: 0, MaxCapacity: 12 });
    template.resourceCountIs('AWS::ElasticLoadBalancingV2::LoadBalancer', 1);
    const [taskDefinition] = Object.values(template.findResources('AWS::ECS::TaskDefinition'));
    const container = (taskDefinition!.Properties.ContainerDefinitions as { Environment: { Name: string; Value: unknown }[]; Secrets: { ValueFrom: unknown }[] }[])[0]!;
    const env = Object.fromEntries(container.Environment.map((e) => [e.Name, e.Value]));
    expect(env.DB_HOST).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^Replica[0-9A-F]{8}$/), 'Endpoint.Address'] });
    expect(env.DB_TLS).toBe('verify-full');
    // The replica of the primary's secret: the primary's ARN with this region in its fourth field.
    const secretArn = JSON.stringify(env.DB_SECRET_ARN);
    expect(secretArn).toContain('"us-west-2"');
    expect(secretArn).toContain(PrimaryStack.DATABASE_SECRET_ARN_OUTPUT);
    expect(container.Secrets[0]!.ValueFrom).toEqual(env.DB_SECRET_ARN);
    // Only the standby tasks reach the replica.
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', { FromPort: 5433, Description: 'PostgreSQL from the standby service tasks' });
  });

  it('has a failover runbook guarded by the probe alarm that promotes this replica and scales the standby to the primary\'s 3 tasks', () => {
    const documents = Object.values(template.findResources('AWS::SSM::Document'));
    expect(documents).toHaveLength(1);
    const content = documents[0]!.Properties.Content;
    expect(documents[0]!.Properties.DocumentType).toBe('Automation');
    const step = (name: string) => content.mainSteps.find((s: { name: string }) => s.name === name);
    const probeAlarm = Object.keys(template.findResources('AWS::CloudWatch::Alarm', { Properties: { MetricName: 'SuccessPercent' } }));
    expect(step('AssertPrimaryDown').inputs.AlarmNames).toEqual([{ Ref: probeAlarm[0] }]);
    expect(JSON.stringify(step('PromoteReplica').inputs.DBInstanceIdentifier)).toContain('hadrsite-replica-');
    expect(step('ScaleService').inputs.desiredCount).toBe(3);
    expect(step('RaiseMinimumCapacity').inputs.MinCapacity).toBe(3);
    // Without dns there is no Route 53 health check to consult.
    expect(step('ReadPrimaryHealthCheck')).toBeUndefined();
    template.hasOutput('FailoverCommand', { Value: Match.objectLike({ 'Fn::Join': Match.anyValue() }) });
  });

  it('has no per-zone task alarms (no task runs), and a dashboard', () => {
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    expect(built.drSite!.infrastructureAlarms).toBeUndefined();
  });

  it('gives the lost-region row of the report from the canary, the replica and its lag alarm', () => {
    const report = buildReport(loadInput(app.synth().directory));
    const row = report.recovery.find((r) => r.failure === 'lost region')!;
    // Canary every 60 s, 3 failed runs; promotion (600 s) and the task start (60 s) are labelled assumptions; the
    // standby target group's 2 healthy checks 5 s apart; no dns config, so moving users is a person's step.
    expect(row.detectSeconds).toBe(180);
    expect(report.lostRegion).toMatchObject({ strategy: 'pilot-light', rtoSeconds: null, rtoKnownSeconds: 180 + 600 + 70 });
    expect(row.recoverSeconds).toBeNull();
    expect(row.rpoSeconds).toBe(DrSiteStack.REPLICA_LAG_ALARM_SECONDS);
    expect(row.notes).toMatch(/Strategy pilot-light .*detection 180 s \+ promotion 600 s \(assumed\) \+ scaling 70 s \(assumed\) \+ dns manual/);
  });
});

describe('dr.strategy warm-standby', () => {
  let built: HaApp;
  let template: Template;
  let synthError: unknown;

  beforeAll(() => {
    ({ built, synthError } = synthApp({ ha: { dr: { strategy: 'warm-standby', availabilityZones: ['us-west-2a', 'us-west-2b', 'us-west-2d'] } } }));
    template = Template.fromStack(built.drSite!);
  });

  it('synthesises nag-clean with every rule pack', () => {
    expect(synthError).toBeUndefined();
  });

  it('runs one standby task in each DR zone, serving reads from the replica', () => {
    template.hasResourceProperties('AWS::ECS::Service', { DesiredCount: 3 });
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', { MinCapacity: 3 });
    const zones = Object.values(template.findResources('AWS::EC2::Subnet')).map((s) => s.Properties.AvailabilityZone);
    expect([...new Set(zones)].sort()).toEqual(['us-west-2a', 'us-west-2b', 'us-west-2d']);
  });

  it('watches the standby tasks and the replica: per-zone health alarms, running tasks, replica CPU, storage and connections', () => {
    const alarms = built.drSite!.infrastructureAlarms!;
    expect(alarms.noHealthyHostAlarms).toHaveLength(3);
    expect(alarms.databaseConnectionsAlarm).toBeDefined();
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'DatabaseConnections',
      Dimensions: [{ Name: 'DBInstanceIdentifier', Value: Match.anyValue() }],
    });
  });
});

describe('dns failover (warm standby with a hosted zone and a certificate per region)', () => {
  let built: HaApp;
  let template: Template;
  let synthError: unknown;

  beforeAll(() => {
    ({ built, synthError } = synthApp({
      ha: {
        certificateArn: 'arn:aws:acm:us-east-1:111111111111:certificate/11111111-2222-3333-4444-555555555555',
        dns: { hostedZoneId: 'Z0123456789ABCDEFGHIJ', zoneName: 'example.com', recordName: 'api.example.com' },
        dr: { strategy: 'warm-standby', certificateArn: 'arn:aws:acm:us-west-2:111111111111:certificate/66666666-7777-8888-9999-000000000000' },
      },
    }));
    template = Template.fromStack(built.drSite!);
  });

  it('synthesises nag-clean with every rule pack, without the no-DNS warning', () => {
    expect(synthError).toBeUndefined();
    expect(Annotations.fromStack(built.drSite!).findWarning('*', Match.stringLikeRegexp('no DNS failover'))).toEqual([]);
  });

  it('answers api.example.com with the primary load balancer while its readiness passes over HTTPS, else the standby', () => {
    template.hasResourceProperties('AWS::Route53::HealthCheck', {
      HealthCheckConfig: Match.objectLike({
        Type: 'HTTPS',
        ResourcePath: '/health/ready',
        RequestInterval: 10,
        FailureThreshold: 3,
        FullyQualifiedDomainName: primaryOutput(PrimaryStack.LOAD_BALANCER_DNS_OUTPUT),
      }),
    });
    template.hasResourceProperties('AWS::Route53::RecordSet', {
      Name: 'api.example.com.', Type: 'CNAME', TTL: '60', Failover: 'PRIMARY', HostedZoneId: 'Z0123456789ABCDEFGHIJ',
      ResourceRecords: [primaryOutput(PrimaryStack.LOAD_BALANCER_DNS_OUTPUT)],
    });
    template.hasResourceProperties('AWS::Route53::RecordSet', {
      Name: 'api.example.com.', Type: 'CNAME', TTL: '60', Failover: 'SECONDARY',
      ResourceRecords: [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^ServiceLoadBalancer'), 'DNSName'] }],
    });
  });

  it('has the runbook consult the primary\'s Route 53 health check before promoting, and the probe ask for the record name', () => {
    const content = Object.values(template.findResources('AWS::SSM::Document'))[0]!.Properties.Content;
    const healthCheck = Object.keys(template.findResources('AWS::Route53::HealthCheck'))[0];
    const read = content.mainSteps.find((s: { name: string }) => s.name === 'ReadPrimaryHealthCheck');
    expect(JSON.stringify(read.inputs)).toContain(JSON.stringify({ Ref: healthCheck }));
    const canary = Object.values(template.findResources('AWS::Synthetics::Canary'))[0]!;
    expect(JSON.stringify(canary.Properties.RunConfig.EnvironmentVariables)).toContain('api.example.com');
  });

  it('matches the snapshot (the fullest standby site: warm standby, DNS failover, a certificate per region)', () => {
    expect(template.toJSON()).toMatchSnapshot();
  });

  it('serves HTTPS in both regions with the certificate of each region', () => {
    Template.fromStack(built.primary).hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Protocol: 'HTTPS', Certificates: [{ CertificateArn: Match.stringLikeRegexp(':us-east-1:') }],
    });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Protocol: 'HTTPS', Certificates: [{ CertificateArn: Match.stringLikeRegexp(':us-west-2:') }],
    });
  });
});
