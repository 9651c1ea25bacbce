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

  it('warns at synth that RDS cannot create the replica of a source with an RDS-managed secret (not deployable yet)', () => {
    // https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-secrets-manager.html#rds-secrets-manager-limitations
    const warnings = Annotations.fromStack(built.drSite!).findWarning('*', Match.stringLikeRegexp('RDS cannot create this read replica'));
    expect(warnings.map((w) => w.id)).toEqual(['/HaDrSite/Replica']);
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
      KmsKeyId: { 'Fn::GetStackOutput': { StackName: 'HaDr', Region: 'us-west-2', OutputName: 'ReplicationKeyArn' } },
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
    expect(warnings.some((text) => text.includes('no DNS failover') && text.includes('DR endpoint'))).toBe(true);
  });

  it('gives the lost-region row of the report from the canary, the replica and its lag alarm', () => {
    const report = buildReport(loadInput(app.synth().directory));
    const row = report.recovery.find((r) => r.failure === 'lost region')!;
    // Canary every 60 s, 3 failed runs; promotion (600 s) and the service deployment (1200 s) are labelled assumptions.
    expect(row.detectSeconds).toBe(180);
    expect(row.recoverSeconds).toBe(180 + 600 + 1200);
    expect(row.rpoSeconds).toBe(DrSiteStack.REPLICA_LAG_ALARM_SECONDS);
    expect(row.notes).toMatch(/Synthetics canary in another region/);
  });
});
