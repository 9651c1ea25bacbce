import { Annotations, CfnOutput, Duration, Fn, Stack, StackProps, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as synthetics from 'aws-cdk-lib/aws-synthetics';
import { Construct } from 'constructs';
import { AlarmTopic, MultiAzNetwork } from '@ha-reference/constructs';
import { HEALTH_PATHS } from '../app/src/contract';
import type { HaConfig } from './config';
import type { DisasterRecoveryTargets } from './dr-stack';

/** What the DR site needs from the primary stack: values read with Fn::GetStackOutput at deploy time. */
export interface PrimarySource {
  /** Region of the primary stack. */
  readonly region: string;
  /** ARN of the primary DB instance: the source of the cross-region read replica. */
  readonly databaseArn: string;
  /** DNS name of the primary load balancer: what the canary probes from this region. */
  readonly loadBalancerDnsName: string;
}

export interface DrSiteStackProps extends StackProps {
  readonly config: HaConfig;
  /** The DR key (from the HaDr stack): encrypts the replica. */
  readonly disasterRecovery: DisasterRecoveryTargets;
  /** The primary database (from the HaPrimary stack). */
  readonly primary: PrimarySource;
}

/**
 * The standby site in the DR region for `dr.strategy` `pilot-light` and `warm-standby`: the network (the library's
 * MultiAzNetwork), a cross-region read replica of the primary PostgreSQL instance encrypted with the DR key, the
 * replica-lag alarm and a paging topic in this region (so the page survives the primary region).
 *
 * Order: HaDr (key, vault) → HaPrimary (database) → HaDrSite (replica of that database). The replica's source ARN is
 * read from HaPrimary with Fn::GetStackOutput, so there are no exports and no cycle; see docs/disaster-recovery.md.
 */
export class DrSiteStack extends Stack {
  public readonly network: MultiAzNetwork;
  public readonly replica: rds.CfnDBInstance;
  public readonly replicaSecurityGroup: ec2.SecurityGroup;
  public readonly alarmTopic: AlarmTopic;
  public readonly replicaLagAlarm: cloudwatch.Alarm;
  public readonly canary: synthetics.Canary;
  public readonly canaryAlarm: cloudwatch.Alarm;

  /** Minutes between canary runs, and failed runs in a row that page: detection ≈ rate × failures. */
  public static readonly CANARY_RATE_MINUTES = 1;
  public static readonly CANARY_FAILURES_TO_ALARM = 3;

  /** Seconds of replica lag that page: the RPO a promotion would lose if the primary region died now. */
  public static readonly REPLICA_LAG_ALARM_SECONDS = 300;

  constructor(scope: Construct, id: string, props: DrSiteStackProps) {
    super(scope, id, props);
    const { config, disasterRecovery: dr, primary } = props;
    const zones = ['a', 'b', 'c'].map((suffix) => `${this.region}${suffix}`);

    this.network = new MultiAzNetwork(this, 'Network', { availabilityZones: zones, natGateways: zones.length });

    this.replicaSecurityGroup = new ec2.SecurityGroup(this, 'ReplicaSecurityGroup', {
      vpc: this.network.vpc,
      description: 'Cross-region read replica: PostgreSQL from the DR service tasks only',
      allowAllOutbound: false,
    });
    const subnetGroup = new rds.CfnDBSubnetGroup(this, 'ReplicaSubnetGroup', {
      dbSubnetGroupDescription: 'Isolated subnets of the DR network for the cross-region read replica',
      subnetIds: this.network.vpc.selectSubnets(this.network.dataSubnets).subnetIds,
    });

    // A cross-region read replica of an encrypted instance: SourceDBInstanceIdentifier is the source's ARN and
    // KmsKeyId a key in this region (RDS re-encrypts with it); CloudFormation presigns the request in SourceRegion.
    // https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-rds-dbinstance.html#cfn-rds-dbinstance-sourcedbinstanceidentifier
    // https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ReadRepl.XRgn.html
    // Engine, version, port, master user and database name come from the source; the replica is Multi-AZ so
    // that, promoted, it is as available as the primary was.
    this.replica = new rds.CfnDBInstance(this, 'Replica', {
      sourceDbInstanceIdentifier: primary.databaseArn,
      sourceRegion: primary.region,
      dbInstanceClass: config.dr.replicaInstanceClass,
      kmsKeyId: dr.replicationKeyArn,
      multiAz: true,
      dbSubnetGroupName: subnetGroup.ref,
      vpcSecurityGroups: [this.replicaSecurityGroup.securityGroupId],
      publiclyAccessible: false,
      deletionProtection: true,
      enableIamDatabaseAuthentication: true,
      // PostgreSQL read replicas keep automated backups of their own (RDS PostgreSQL 14.1 and later), so a
      // promoted replica has point-in-time restore from its first minute.
      backupRetentionPeriod: config.database.backupRetentionDays,
      copyTagsToSnapshot: true,
      autoMinorVersionUpgrade: true,
      enablePerformanceInsights: true,
      performanceInsightsKmsKeyId: dr.replicationKeyArn,
      enableCloudwatchLogsExports: ['postgresql', 'upgrade'],
    });
    // Not deployable as it stands: RDS documents that it cannot create a read replica of a source whose master
    // password RDS manages in Secrets Manager, and MultiAzDatabase's source does (the rotating RDS-managed secret).
    // https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-secrets-manager.html#rds-secrets-manager-limitations
    // The way out (a Secrets Manager-generated secret, rotated and replicated to this region, which also gives the DR
    // tasks credentials) is not built: issue 15 stays open on it, and synthesis says so.
    Annotations.of(this.replica).addWarningV2(
      'ha:dr-replica-source-managed-secret',
      'RDS cannot create this read replica while the source database manages its master password in Secrets Manager ' +
        '(https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-secrets-manager.html#rds-secrets-manager-limitations), and the ' +
        'primary database does: deploying HaDrSite fails at the replica until the database secret is changed (docs/disaster-recovery.md)',
    );
    // cdk-nag reads StorageEncrypted and Port, which a read replica must not set (CloudFormation rejects
    // StorageEncrypted with SourceDBInstanceIdentifier): both come from the source and the KmsKeyId above.
    Validations.of(this.replica).acknowledge(
      {
        id: 'AwsSolutions::AwsSolutions-RDS2',
        reason: 'a cross-region read replica of an encrypted instance is encrypted with KmsKeyId (the DR key); StorageEncrypted may not be set with SourceDBInstanceIdentifier',
      },
      {
        id: 'AwsSolutions::AwsSolutions-RDS11',
        reason: `a read replica takes the source's port, ${config.database.port} (database.port, never 5432: config.ts rejects it)`,
      },
    );

    this.alarmTopic = new AlarmTopic(this, 'Paging', {
      displayName: 'HA reference: DR region paging',
      emailAddresses: config.alarmEmail ? [config.alarmEmail] : [],
    });

    this.replicaLagAlarm = new cloudwatch.Alarm(this, 'ReplicaLagAlarm', {
      alarmDescription: `The cross-region read replica is more than ${DrSiteStack.REPLICA_LAG_ALARM_SECONDS} s behind the primary: a promotion now would lose that much data (RPO). Check the primary's write load and the replica's class.`,
      metric: new cloudwatch.Metric({
        namespace: 'AWS/RDS',
        metricName: 'ReplicaLag',
        dimensionsMap: { DBInstanceIdentifier: this.replica.ref },
        statistic: 'Maximum',
        period: Duration.minutes(1),
      }),
      threshold: DrSiteStack.REPLICA_LAG_ALARM_SECONDS,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 5,
      datapointsToAlarm: 5,
      // No data: the replica stopped reporting (replication broken, or promoted): that is worth a look too.
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });
    this.replicaLagAlarm.addAlarmAction(new cloudwatchActions.SnsAction(this.alarmTopic.topic));

    // Monitoring from outside the region it watches: a canary here probes the primary's readiness endpoint every
    // minute; its alarm pages through this region's topic, so the page still goes out when the primary region is gone.
    const scheme = config.certificateArn ? 'https' : 'http';
    const url = Fn.join('', [`${scheme}://`, primary.loadBalancerDnsName, HEALTH_PATHS.ready]);
    this.canary = new synthetics.Canary(this, 'PrimaryProbe', {
      canaryName: 'ha-primary-probe',
      schedule: synthetics.Schedule.rate(Duration.minutes(DrSiteStack.CANARY_RATE_MINUTES)),
      runtime: synthetics.Runtime.SYNTHETICS_NODEJS_PUPPETEER_13_0,
      test: synthetics.Test.custom({
        handler: 'index.handler',
        code: synthetics.Code.fromInline(CANARY_SCRIPT),
      }),
      environmentVariables: { TARGET_URL: url },
      artifactS3EncryptionMode: synthetics.ArtifactsEncryptionMode.KMS,
      artifactS3KmsKey: new kms.Key(this, 'PrimaryProbeKey', {
        description: 'Encrypts the artifacts (logs, reports) of the canary that probes the primary region',
        enableKeyRotation: true,
      }),
      successRetentionPeriod: Duration.days(7),
      failureRetentionPeriod: Duration.days(31),
      provisionedResourceCleanup: true,
    });
    // The role and the bucket are the Canary construct's own; each finding acknowledged where it arises.
    const canaryRole = this.canary.role.node.defaultChild!;
    Validations.of(canaryRole).acknowledge(
      { id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]', reason: 'the Synthetics runtime needs s3:ListAllMyBuckets (no resource-level permission exists) and cloudwatch:PutMetricData, which is limited to the CloudWatchSynthetics namespace by condition' },
      { id: 'AwsSolutions::AwsSolutions-IAM5[Resource::<PrimaryProbeArtifactsBucketE0691694.Arn>/*]', reason: 'the canary writes its run artifacts as new objects into its own artifacts bucket only' },
      { id: `AwsSolutions::AwsSolutions-IAM5[Resource::arn:aws:logs:${this.region}:<AWS::AccountId>:log-group:/aws/lambda/cwsyn-*]`, reason: 'the canary function writes to its own log group, named by Synthetics /aws/lambda/cwsyn-<name>-<id>, unknown at synth' },
    );
    Validations.of(this.canary.role.node.findChild('DefaultPolicy')).acknowledge(
      { id: 'AwsSolutions::AwsSolutions-IAM5[Action::kms:GenerateDataKey*]', reason: 'data-key actions on the one artifacts key of this canary (resource is that key only)' },
      { id: 'AwsSolutions::AwsSolutions-IAM5[Action::kms:ReEncrypt*]', reason: 're-encrypt actions on the one artifacts key of this canary (resource is that key only)' },
    );
    Validations.of(this.canary.artifactsBucket).acknowledge({
      id: 'AwsSolutions::AwsSolutions-S1',
      reason:
        'S3 access logs answer "who read or wrote these objects"; here the only writer is the canary\'s own role and the objects are ' +
        'its run screenshots and logs of a public health endpoint (no user data), deleted after 7 days (31 when a run failed). ' +
        'An access log bucket in this region would itself need one (the same finding), to record nothing a reader needs',
    });

    this.canaryAlarm = new cloudwatch.Alarm(this, 'PrimaryProbeAlarm', {
      alarmDescription: `The primary region's readiness endpoint failed ${DrSiteStack.CANARY_FAILURES_TO_ALARM} probes in a row from ${this.region}: follow docs/disaster-recovery.md ("Lost region") before promoting anything.`,
      metric: this.canary.metricSuccessPercent({ period: Duration.minutes(DrSiteStack.CANARY_RATE_MINUTES), statistic: 'Average' }),
      threshold: 100,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: DrSiteStack.CANARY_FAILURES_TO_ALARM,
      datapointsToAlarm: DrSiteStack.CANARY_FAILURES_TO_ALARM,
      // A canary that stopped running watches nothing: page.
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });
    this.canaryAlarm.addAlarmAction(new cloudwatchActions.SnsAction(this.alarmTopic.topic));

    new CfnOutput(this, 'ReplicaIdentifier', { value: this.replica.ref, description: 'Identifier of the cross-region read replica (aws rds promote-read-replica)' });
    new CfnOutput(this, 'ReplicaEndpoint', { value: this.replica.attrEndpointAddress, description: 'Endpoint of the cross-region read replica' });

    if (!config.dns) {
      Annotations.of(this).addWarningV2(
        'ha:noDnsFailover',
        'no DNS failover: users keep calling the primary load balancer and nothing moves them to the DR region; after a promotion, deploy the service in this region and give users the DR endpoint yourself (docs/disaster-recovery.md, "Lost region")',
      );
    }
  }
}

/** The primary database ARN as a Fn::GetStackOutput reference (the DR site stack must depend on the primary). */
export function primarySource(stackName: string, region: string, databaseOutput: string, loadBalancerOutput: string): PrimarySource {
  return {
    region,
    databaseArn: Fn.getStackOutput(stackName, databaseOutput, region),
    loadBalancerDnsName: Fn.getStackOutput(stackName, loadBalancerOutput, region),
  };
}

/** The canary: one GET of TARGET_URL that must answer 200 within 10 s (the Synthetics Node.js runtime). */
const CANARY_SCRIPT = `
const synthetics = require('Synthetics');
const https = require('https');
const http = require('http');
exports.handler = async () => synthetics.executeStep('readiness', () => new Promise((resolve, reject) => {
  const url = process.env.TARGET_URL;
  const client = url.startsWith('https:') ? https : http;
  const req = client.get(url, { timeout: 10000 }, (res) => {
    res.resume();
    if (res.statusCode === 200) resolve(); else reject(new Error(url + ' answered ' + res.statusCode));
  });
  req.on('timeout', () => req.destroy(new Error(url + ' did not answer within 10 s')));
  req.on('error', reject);
}));
`;
