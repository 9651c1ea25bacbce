import { Annotations, CfnOutput, Duration, Fn, Stack, StackProps, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as rds from 'aws-cdk-lib/aws-rds';
import { Construct } from 'constructs';
import { AlarmTopic, MultiAzNetwork } from '@ha-reference/constructs';
import type { HaConfig } from './config';
import type { DisasterRecoveryTargets } from './dr-stack';

/** What the DR site needs from the primary stack: values read with Fn::GetStackOutput at deploy time. */
export interface PrimarySource {
  /** Region of the primary stack. */
  readonly region: string;
  /** ARN of the primary DB instance: the source of the cross-region read replica. */
  readonly databaseArn: string;
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

    new CfnOutput(this, 'ReplicaIdentifier', { value: this.replica.ref, description: 'Identifier of the cross-region read replica (aws rds promote-read-replica)' });
    new CfnOutput(this, 'ReplicaEndpoint', { value: this.replica.attrEndpointAddress, description: 'Endpoint of the cross-region read replica' });

    if (!config.dns) {
      Annotations.of(this).addWarningV2(
        'ha:noDnsFailover',
        'no dns configured: users keep calling the primary load balancer and nothing moves them to the DR region; after a failover give them the DR endpoint (outputs of this stack) yourself, or set dns { hostedZoneId, zoneName, recordName } for Route 53 failover records',
      );
    }
  }
}

/** The primary database ARN as a Fn::GetStackOutput reference (the DR site stack must depend on the primary). */
export function primarySource(stackName: string, region: string, outputName: string): PrimarySource {
  return { region, databaseArn: Fn.getStackOutput(stackName, outputName, region) };
}
