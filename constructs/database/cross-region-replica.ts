import { Duration, Names, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import { Construct } from 'constructs';
import { newEncryptionKey } from '../common/encryption-key';
import { allowCloudWatchLogsToUseKey } from '../common/log-encryption';
import { stackInstanceSuffix } from '../common/stack-instance';
import { checkInt } from '../common/validate';
import { enhancedMonitoringRole } from './enhanced-monitoring';

export interface CrossRegionReplicaProps {
  /** Network of this (the replica's) region. */
  readonly vpc: ec2.IVpc;
  /**
   * Subnets of the replica: isolated, one per Availability Zone.
   * @default - the VPC's isolated subnets
   */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /**
   * ARN of the source DB instance in another region. The source must be a DB instance (not a Multi-AZ DB cluster)
   * with automated backups, and must not manage its master password with RDS (`MultiAzDatabase` `secretReplicas`
   * turns that off): https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-secrets-manager.html#rds-secrets-manager-limitations
   */
  readonly sourceDatabaseArn: string;
  /** Region of the source; must differ from this stack's region. */
  readonly sourceRegion: string;
  /** The source's listener port: the replica takes it, and `allowConnectionsFrom` opens it. */
  readonly port: number;
  /**
   * DB instance class of the replica. A promoted replica carries the whole load: give it the source's class.
   * @default 'db.m7g.large'
   */
  readonly instanceClass?: string;
  /**
   * Key of this region that encrypts the replica's storage, Performance Insights and exported logs. An imported key's
   * policy must already let CloudWatch Logs of this region use it.
   * @default - a new customer-managed key with rotation
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * Automated backups of the replica itself, so a promoted replica has point-in-time restore from its first minute.
   * @default Duration.days(14)
   */
  readonly backupRetention?: Duration;
  /**
   * Replica lag that makes `lagAlarm` fire: the data a promotion would lose if the source region died then (RPO).
   * @default Duration.minutes(5)
   */
  readonly lagAlarmThreshold?: Duration;
  /**
   * Retention of the exported PostgreSQL and upgrade logs.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Protect the replica (and, once promoted, the database) from deletion.
   * @default true
   */
  readonly deletionProtection?: boolean;
}

const LOG_EXPORTS = ['postgresql', 'upgrade'];

/**
 * A cross-region read replica of an RDS PostgreSQL DB instance: the standby database of a pilot-light or warm-standby
 * region. Multi-AZ (a promoted replica is as available as its source was), in isolated subnets, encrypted with a key
 * of this region, IAM authentication, its own automated backups, exported logs in encrypted log groups, and an
 * alarm on replication lag. TLS: RDS for PostgreSQL 15 and later defaults `rds.force_ssl` to 1
 * (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/PostgreSQL.Concepts.General.SSL.html); the source's versions
 * are 16 and 17.
 *
 * Promotion is a manual or runbook decision (`aws rds promote-read-replica`): the replica stops replicating and
 * accepts writes; replication is asynchronous, so writes acknowledged within the lag before a regional loss are lost.
 * Nothing may connect until a caller allows it: `replica.allowConnectionsFrom(service)`.
 */
export class CrossRegionReplica extends Construct {
  public readonly instance: rds.CfnDBInstance;
  /** Identifier of the replica (the CloudWatch dimension value, and what `promote-read-replica` takes). */
  public readonly identifier: string;
  public readonly endpoint: rds.Endpoint;
  public readonly port: number;
  public readonly securityGroup: ec2.SecurityGroup;
  public readonly encryptionKey: kms.IKey;
  public readonly logGroups: logs.LogGroup[];
  /** Fires when the replica lags more than `lagAlarmThreshold` for 5 minutes, or stops reporting lag. No action: add one. */
  public readonly lagAlarm: cloudwatch.Alarm;
  /** `lagAlarmThreshold` in seconds. */
  public readonly lagAlarmThresholdSeconds: number;

  constructor(scope: Construct, id: string, props: CrossRegionReplicaProps) {
    super(scope, id);
    const instanceClass = props.instanceClass ?? 'db.m7g.large';
    const backupRetention = props.backupRetention ?? Duration.days(14);
    const lagThreshold = props.lagAlarmThreshold ?? Duration.minutes(5);
    const vpcSubnets = props.vpcSubnets ?? { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };
    const region = Stack.of(this).region;

    checkInt('port', props.port, 1150, 65535);
    if (!/^db\.[a-z0-9-]+\.[a-z0-9]+$/.test(instanceClass)) {
      throw new Error(`instanceClass must be an RDS instance class such as "db.m7g.large", got "${instanceClass}"`);
    }
    if (!Token.isUnresolved(props.sourceRegion) && !Token.isUnresolved(region) && props.sourceRegion === region) {
      throw new Error(`sourceRegion must differ from the replica's region (${region}): a same-region replica does not survive a regional outage`);
    }
    if (!backupRetention.isUnresolved() && (!Number.isInteger(backupRetention.toDays()) || backupRetention.toDays() < 1 || backupRetention.toDays() > 35)) {
      throw new Error(`backupRetention must be a whole number of days between 1 and 35, got ${backupRetention.toHumanString()}`);
    }
    const lagSeconds = lagThreshold.toSeconds();
    if (lagSeconds < 60 || lagSeconds > 86_400) {
      throw new Error(`lagAlarmThreshold must be between 1 minute and 1 day (RDS reports ReplicaLag every minute), got ${lagThreshold.toHumanString()}`);
    }
    const zones = props.vpc.selectSubnets(vpcSubnets).availabilityZones;
    if (zones.length < 2) throw new Error(`vpcSubnets must span at least 2 Availability Zones for a Multi-AZ replica, got ${zones.length}`);

    this.port = props.port;
    this.lagAlarmThresholdSeconds = lagSeconds;
    const key = props.encryptionKey ?? newEncryptionKey(this, 'Key', 'Encrypts the cross-region read replica: storage, Performance Insights and logs');
    this.encryptionKey = key;
    allowCloudWatchLogsToUseKey(key);

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'Cross-region read replica: only the security groups allowed with allowConnectionsFrom may connect',
      allowAllOutbound: false,
    });
    const subnetGroup = new rds.CfnDBSubnetGroup(this, 'SubnetGroup', {
      dbSubnetGroupDescription: 'Isolated subnets of the cross-region read replica, one per Availability Zone',
      subnetIds: props.vpc.selectSubnets(vpcSubnets).subnetIds,
    });

    // The log groups exist, encrypted and with a retention, before RDS exports to them (otherwise RDS creates them
    // unencrypted and never expiring): a fixed identifier names them; the stack instance keeps it new after a destroy.
    this.identifier = `${Names.uniqueResourceName(this, { maxLength: 54, separator: '-' }).toLowerCase()}-${stackInstanceSuffix(this)}`;
    this.logGroups = LOG_EXPORTS.map(
      (log) =>
        new logs.LogGroup(this, `Log${log[0].toUpperCase()}${log.slice(1)}`, {
          logGroupName: `/aws/rds/instance/${this.identifier}/${log}`,
          encryptionKey: key,
          retention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
          removalPolicy: RemovalPolicy.RETAIN,
        }),
    );

    // SourceDBInstanceIdentifier is the source's ARN and KmsKeyId a key of this region (RDS re-encrypts with it);
    // CloudFormation presigns the request in SourceRegion. Engine, version, master user and database name come from
    // the source.
    // https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-rds-dbinstance.html#cfn-rds-dbinstance-sourcedbinstanceidentifier
    // https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ReadRepl.XRgn.html
    this.instance = new rds.CfnDBInstance(this, 'Resource', {
      dbInstanceIdentifier: this.identifier,
      sourceDbInstanceIdentifier: props.sourceDatabaseArn,
      sourceRegion: props.sourceRegion,
      dbInstanceClass: instanceClass,
      kmsKeyId: key.keyArn,
      multiAz: true,
      dbSubnetGroupName: subnetGroup.ref,
      vpcSecurityGroups: [this.securityGroup.securityGroupId],
      publiclyAccessible: false,
      deletionProtection: props.deletionProtection ?? true,
      enableIamDatabaseAuthentication: true,
      // PostgreSQL read replicas keep automated backups of their own (RDS for PostgreSQL 14.1 and later).
      backupRetentionPeriod: backupRetention.toDays(),
      copyTagsToSnapshot: true,
      autoMinorVersionUpgrade: true,
      enablePerformanceInsights: true,
      performanceInsightsKmsKeyId: key.keyArn,
      enableCloudwatchLogsExports: LOG_EXPORTS,
      // OS metrics every 60 s, as the source has: a promoted replica is the primary database.
      monitoringInterval: 60,
      monitoringRoleArn: enhancedMonitoringRole(this).roleArn,
    });
    this.instance.applyRemovalPolicy(RemovalPolicy.SNAPSHOT);
    this.logGroups.forEach((group) => this.instance.node.addDependency(group));
    // cdk-nag reads StorageEncrypted and Port, which a read replica must not set (CloudFormation rejects
    // StorageEncrypted with SourceDBInstanceIdentifier): both come from the source and KmsKeyId.
    Validations.of(this.instance).acknowledge(
      {
        id: 'AwsSolutions::AwsSolutions-RDS2',
        reason: 'a cross-region read replica of an encrypted instance is encrypted with KmsKeyId (a key of this region); StorageEncrypted may not be set with SourceDBInstanceIdentifier',
      },
      {
        id: 'AwsSolutions::AwsSolutions-RDS11',
        reason: `a read replica takes the source's port (${props.port}), which the caller sets away from the default 5432`,
      },
    );

    this.endpoint = new rds.Endpoint(this.instance.attrEndpointAddress, props.port);

    this.lagAlarm = new cloudwatch.Alarm(this, 'LagAlarm', {
      alarmDescription: `The cross-region read replica is more than ${lagSeconds} s behind its source: a promotion now would lose that much data (RPO). Check the source's write load, the replica's class and the replication state (aws rds describe-db-instances).`,
      metric: this.metricReplicaLag(),
      threshold: lagSeconds,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 5,
      datapointsToAlarm: 5,
      // No data: the replica stopped reporting lag (replication broken, or promoted): worth a look too.
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });
  }

  /** Lets `peer` connect on the database port; nothing else can. */
  public allowConnectionsFrom(peer: ec2.IConnectable, description = 'PostgreSQL from the standby service'): void {
    this.securityGroup.connections.allowFrom(peer, ec2.Port.tcp(this.port), description);
  }

  /** A metric of the replica in the AWS/RDS namespace. */
  public metric(metricName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'AWS/RDS',
      metricName,
      dimensionsMap: { DBInstanceIdentifier: this.identifier },
      period: Duration.minutes(1),
      ...props,
    });
  }

  /** Seconds the replica is behind its source. @default Maximum over 1 minute */
  public metricReplicaLag(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('ReplicaLag', { statistic: cloudwatch.Stats.MAXIMUM, ...props });
  }

  /** CPU utilisation, percent. @default Average over 1 minute */
  public metricCpuUtilization(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('CPUUtilization', { statistic: cloudwatch.Stats.AVERAGE, ...props });
  }

  /** Free storage, bytes. @default Minimum over 1 minute */
  public metricFreeStorageSpace(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('FreeStorageSpace', { statistic: cloudwatch.Stats.MINIMUM, ...props });
  }

  /** Open client connections. @default Maximum over 1 minute */
  public metricDatabaseConnections(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('DatabaseConnections', { statistic: cloudwatch.Stats.MAXIMUM, ...props });
  }
}
