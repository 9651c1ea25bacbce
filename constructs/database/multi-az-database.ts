import { Annotations, Duration, Names, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { allowCloudWatchLogsToUseKey } from '../common/log-encryption';
import { checkInt } from '../common/validate';
import { newEncryptionKey } from '../common/encryption-key';
import { stackInstanceSuffix } from '../common/stack-instance';

/** Multi-AZ DB instance (one synchronous standby) or Multi-AZ DB cluster (two readable standbys). */
export enum MultiAzDeployment {
  /** A Multi-AZ DB instance: one synchronous standby in another zone, failover typically 60-120 s. */
  INSTANCE = 'instance',
  /** A Multi-AZ DB cluster: a writer and two readable standbys, failover typically under 35 s. */
  CLUSTER = 'cluster',
}

/** Where RDS replicates the automated backups (snapshots and transaction logs) of a Multi-AZ DB instance. */
export interface BackupReplicationOptions {
  /** Destination region; must differ from the database's region. */
  readonly region: string;
  /**
   * ARN of the KMS key in the destination region that encrypts the replicated backups.
   * RDS documents a key ARN here (not an alias ARN).
   */
  readonly kmsKeyArn: string;
  /**
   * How long the replicated backups are kept (the window for point-in-time restore in the destination).
   * @default Duration.days(7)
   */
  readonly retention?: Duration;
}

export interface MultiAzDatabaseProps {
  /** Network to run in. */
  readonly vpc: ec2.IVpc;
  /**
   * Subnets of the database: isolated, one per Availability Zone.
   * @default - the VPC's isolated subnets
   */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /**
   * Multi-AZ DB instance or Multi-AZ DB cluster. A cluster fails over faster (typically under 35 s) and serves reads
   * from its standbys, but RDS cannot replicate its automated backups to another region.
   * @default MultiAzDeployment.INSTANCE
   */
  readonly deployment?: MultiAzDeployment;
  /**
   * PostgreSQL version (`16.x` or `17.x`; a bare major version takes RDS's default minor).
   * @default '17.6'
   */
  readonly engineVersion?: string;
  /**
   * DB instance class.
   * @default - 'db.m7g.large' for an instance, 'db.m6gd.large' for a cluster
   */
  readonly instanceClass?: string;
  /**
   * Initial gp3 storage in GiB.
   * @default 100
   */
  readonly allocatedStorageGiB?: number;
  /**
   * Ceiling for storage autoscaling in GiB (instance only: Multi-AZ DB clusters do not autoscale storage).
   * @default 500
   */
  readonly maxAllocatedStorageGiB?: number;
  /**
   * Provisioned IOPS of a cluster's io1 storage (cluster only; an instance uses gp3 and its baseline).
   * RDS allows 0.5-50 IOPS per GiB.
   * @default 3000
   */
  readonly clusterIops?: number;
  /**
   * Listener port. Not the engine default, so that untargeted scans for 5432 find nothing.
   * @default 5433
   */
  readonly port?: number;
  /**
   * Database created for the service.
   * @default 'app'
   */
  readonly databaseName?: string;
  /**
   * Master user name; its password is generated, stored and rotated by RDS in Secrets Manager.
   * @default 'dbadmin'
   */
  readonly masterUsername?: string;
  /**
   * Retention of the automated backups (point-in-time restore) in this region. RDS allows 7-35 days here.
   * @default Duration.days(14)
   */
  readonly backupRetention?: Duration;
  /**
   * Cross-region replication of the automated backups (Multi-AZ DB instance only).
   * @default - no replication
   */
  readonly backupReplication?: BackupReplicationOptions;
  /**
   * Key that encrypts the storage, the snapshots, the master secret, Performance Insights and the exported logs.
   * @default - a new customer-managed key with rotation
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * Interval of enhanced monitoring.
   * @default Duration.seconds(60)
   */
  readonly monitoringInterval?: Duration;
  /**
   * Retention of the exported PostgreSQL and upgrade logs. They hold connection, authentication and DDL records
   * that an audit or an incident review may need a year later.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Protect the database from deletion.
   * @default true
   */
  readonly deletionProtection?: boolean;
  /**
   * What happens to the database when it leaves the stack. `SNAPSHOT` takes a final snapshot; `RETAIN` keeps it.
   * @default RemovalPolicy.SNAPSHOT
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Daily backup window (UTC, `hh24:mi-hh24:mi`, at least 30 minutes, not overlapping the maintenance window).
   * @default '03:00-04:00'
   */
  readonly preferredBackupWindow?: string;
  /**
   * Weekly maintenance window (UTC, `ddd:hh24:mi-ddd:hh24:mi`).
   * @default 'sun:04:30-sun:05:30'
   */
  readonly preferredMaintenanceWindow?: string;
}

/** Allowed range of the automated backup retention (days) for this construct; RDS itself allows 0-35. */
const BACKUP_RETENTION_DAYS = { min: 7, max: 35 };
const VERSION_PATTERN = /^(\d+)(?:\.(\d+))?$/;
const SUPPORTED_MAJORS = [16, 17];
const LOG_EXPORTS = ['postgresql', 'upgrade'];

/**
 * RDS for PostgreSQL that survives the loss of an instance or an Availability Zone: Multi-AZ (instance or cluster)
 * in isolated subnets, encrypted with a customer-managed key, TLS forced, credentials managed and rotated by RDS
 * in Secrets Manager, IAM authentication, Performance Insights, enhanced monitoring, exported logs, deletion
 * protection with a final snapshot, and (instance) automated backups replicated to another region.
 *
 * Nothing may connect until a caller allows it: `database.allowConnectionsFrom(service)`.
 */
export class MultiAzDatabase extends Construct {
  /** The Multi-AZ DB instance; undefined for a cluster deployment. */
  public readonly instance?: rds.DatabaseInstance;
  /** The Multi-AZ DB cluster; undefined for an instance deployment. */
  public readonly cluster?: rds.CfnDBCluster;
  public readonly deployment: MultiAzDeployment;
  /**
   * The RDS-managed master secret. Its JSON holds `username` and `password` only (RDS-managed secrets carry no
   * host, port or database name: take those from `endpoint` and `databaseName`).
   */
  public readonly secret: secretsmanager.ISecret;
  /** Security group of the database. It has no ingress rule until `allowConnectionsFrom` adds one. */
  public readonly securityGroup: ec2.SecurityGroup;
  /** Writer endpoint: the DNS name moves to the new primary on failover. */
  public readonly endpoint: rds.Endpoint;
  /** Listener port (a plain number, known at synth). */
  public readonly port: number;
  public readonly databaseName: string;
  public readonly encryptionKey: kms.IKey;
  /** ARN of the instance or cluster, for AWS Backup selections and restore testing. */
  public readonly resourceArn: string;
  /** Identifier of the instance or cluster (the CloudWatch dimension value). */
  public readonly identifier: string;
  /** Whether the standbys serve reads, and so whether `metricReplicaLag()` returns a metric. */
  public readonly hasReadableStandbys: boolean;
  /** Subnet group, reused by restore tests so a restored copy lands in the same isolated subnets. */
  public readonly subnetGroup: rds.SubnetGroup;
  public readonly logGroups: logs.LogGroup[];

  constructor(scope: Construct, id: string, props: MultiAzDatabaseProps) {
    super(scope, id);

    const deployment = props.deployment ?? MultiAzDeployment.INSTANCE;
    const engineVersion = props.engineVersion ?? '17.6';
    const instanceClass = props.instanceClass ?? (deployment === MultiAzDeployment.CLUSTER ? 'db.m6gd.large' : 'db.m7g.large');
    const allocatedStorageGiB = props.allocatedStorageGiB ?? 100;
    const maxAllocatedStorageGiB = props.maxAllocatedStorageGiB ?? Math.max(500, allocatedStorageGiB);
    const port = props.port ?? 5433;
    const clusterIops = props.clusterIops ?? 3000;
    const databaseName = props.databaseName ?? 'app';
    const masterUsername = props.masterUsername ?? 'dbadmin';
    const backupRetention = props.backupRetention ?? Duration.days(14);
    const monitoringInterval = props.monitoringInterval ?? Duration.seconds(60);
    const logRetention = props.logRetention ?? logs.RetentionDays.ONE_YEAR;
    const deletionProtection = props.deletionProtection ?? true;
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.SNAPSHOT;
    const vpcSubnets = props.vpcSubnets ?? { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };
    const preferredBackupWindow = props.preferredBackupWindow ?? '03:00-04:00';
    const preferredMaintenanceWindow = props.preferredMaintenanceWindow ?? 'sun:04:30-sun:05:30';
    const replication = props.backupReplication;
    const replicationRetention = replication?.retention ?? Duration.days(7);

    // Validate early, skipping tokens.
    const versionMatch = VERSION_PATTERN.exec(engineVersion);
    if (!versionMatch || !SUPPORTED_MAJORS.includes(Number(versionMatch[1]))) {
      throw new Error(`engineVersion must be a PostgreSQL ${SUPPORTED_MAJORS.join(' or ')} version such as "17.6", got "${engineVersion}"`);
    }
    const major = versionMatch[1];
    if (!/^db\.[a-z0-9-]+\.[a-z0-9]+$/.test(instanceClass)) {
      throw new Error(`instanceClass must be an RDS instance class such as "db.m7g.large", got "${instanceClass}"`);
    }
    checkInt('port', port, 1150, 65535);
    checkInt('allocatedStorageGiB', allocatedStorageGiB, 20, 65536);
    checkInt('maxAllocatedStorageGiB', maxAllocatedStorageGiB, allocatedStorageGiB, 65536);
    if (deployment === MultiAzDeployment.CLUSTER) checkInt('clusterIops', clusterIops, Math.max(1000, Math.ceil(allocatedStorageGiB / 2)), Math.min(256000, allocatedStorageGiB * 50));
    if (!backupRetention.isUnresolved()) {
      const days = backupRetention.toDays();
      if (!Number.isInteger(days) || days < BACKUP_RETENTION_DAYS.min || days > BACKUP_RETENTION_DAYS.max) {
        throw new Error(`backupRetention must be a whole number of days between ${BACKUP_RETENTION_DAYS.min} and ${BACKUP_RETENTION_DAYS.max}, got ${backupRetention.toHumanString()}`);
      }
    }
    if (!monitoringInterval.isUnresolved() && ![1, 5, 10, 15, 30, 60].includes(monitoringInterval.toSeconds())) {
      throw new Error(`monitoringInterval must be 1, 5, 10, 15, 30 or 60 seconds, got ${monitoringInterval.toSeconds()} s`);
    }
    const region = Stack.of(this).region;
    if (replication) {
      if (deployment === MultiAzDeployment.CLUSTER) {
        throw new Error('backupReplication is not supported with deployment "cluster": RDS does not replicate the automated backups of Multi-AZ DB clusters to another region');
      }
      if (!Token.isUnresolved(replication.region) && !Token.isUnresolved(region) && replication.region === region) {
        throw new Error(`backupReplication.region must differ from the database's region (${region}): a same-region copy does not survive a regional outage`);
      }
      if (!replicationRetention.isUnresolved() && (replicationRetention.toDays() < 1 || replicationRetention.toDays() > 35)) {
        throw new Error(`backupReplication.retention must be between 1 and 35 days, got ${replicationRetention.toHumanString()}`);
      }
    }
    const zones = props.vpc.selectSubnets(vpcSubnets).availabilityZones;
    if (deployment === MultiAzDeployment.CLUSTER && zones.length < 3) {
      throw new Error(`deployment "cluster" needs subnets in at least 3 Availability Zones (a writer and two readers), got ${zones.length}`);
    }
    if (zones.length < 2) {
      throw new Error(`vpcSubnets must span at least 2 Availability Zones for a Multi-AZ database, got ${zones.length}`);
    }

    this.deployment = deployment;
    this.port = port;
    this.databaseName = databaseName;
    this.hasReadableStandbys = deployment === MultiAzDeployment.CLUSTER;
    this.encryptionKey =
      props.encryptionKey ??
      newEncryptionKey(this, 'Key', 'Encrypts the database storage, snapshots, master secret, Performance Insights and logs');
    allowCloudWatchLogsToUseKey(this.encryptionKey);

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'PostgreSQL: only the security groups allowed with allowConnectionsFrom may connect',
      allowAllOutbound: false,
    });
    this.subnetGroup = new rds.SubnetGroup(this, 'SubnetGroup', {
      vpc: props.vpc,
      vpcSubnets,
      description: 'Isolated subnets of the database, one per Availability Zone',
    });

    // A fixed identifier (unique per stack and path) lets the log groups exist, encrypted and with a retention,
    // before RDS starts exporting: otherwise RDS creates them unencrypted and never expiring. The log groups are
    // kept when the stack is destroyed, so the identifier also carries the stack instance: a stack deployed
    // again after a destroy gets new log groups instead of failing on the kept ones.
    this.identifier = `${Names.uniqueResourceName(this, { maxLength: 54, separator: '-' }).toLowerCase()}-${stackInstanceSuffix(this)}`;
    const logPrefix = deployment === MultiAzDeployment.CLUSTER ? 'cluster' : 'instance';
    this.logGroups = LOG_EXPORTS.map(
      (log) =>
        new logs.LogGroup(this, `Log${log[0].toUpperCase()}${log.slice(1)}`, {
          logGroupName: `/aws/rds/${logPrefix}/${this.identifier}/${log}`,
          encryptionKey: this.encryptionKey,
          retention: logRetention,
          removalPolicy: RemovalPolicy.RETAIN,
        }),
    );

    const monitoringRole = new iam.Role(this, 'MonitoringRole', {
      assumedBy: new iam.ServicePrincipal('monitoring.rds.amazonaws.com'),
      description: 'Lets RDS enhanced monitoring publish OS metrics to CloudWatch Logs',
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AmazonRDSEnhancedMonitoringRole')],
    });
    Validations.of(monitoringRole).acknowledge({
      id: 'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole]',
      reason: 'AmazonRDSEnhancedMonitoringRole is the policy RDS documents for enhanced monitoring; it only writes to the RDSOSMetrics log group',
    });

    if (deployment === MultiAzDeployment.INSTANCE) {
      const instance = this.createInstance({
        vpc: props.vpc, major, engineVersion, instanceClass, allocatedStorageGiB, maxAllocatedStorageGiB, port, databaseName,
        masterUsername, backupRetention, monitoringInterval, monitoringRole, deletionProtection, removalPolicy,
        preferredBackupWindow, preferredMaintenanceWindow,
      });
      const cfn = instance.node.defaultChild as rds.CfnDBInstance;
      if (replication) {
        // The L2 does not expose these; on the L1 they make RDS replicate snapshots and transaction logs.
        cfn.automaticBackupReplicationRegion = replication.region;
        cfn.automaticBackupReplicationKmsKeyId = replication.kmsKeyArn;
        cfn.automaticBackupReplicationRetentionPeriod = replicationRetention.toDays();
      }
      this.logGroups.forEach((group) => instance.node.addDependency(group));
      this.instance = instance;
      this.secret = instance.secret!;
      this.endpoint = new rds.Endpoint(instance.dbInstanceEndpointAddress, port);
      this.resourceArn = instance.instanceArn;
    } else {
      const cluster = this.createCluster({
        major, engineVersion, instanceClass, allocatedStorageGiB, clusterIops, port, databaseName, masterUsername, backupRetention,
        monitoringInterval, monitoringRole, deletionProtection, removalPolicy, preferredBackupWindow, preferredMaintenanceWindow,
      });
      this.logGroups.forEach((group) => cluster.node.addDependency(group));
      this.cluster = cluster;
      this.secret = secretsmanager.Secret.fromSecretAttributes(this, 'ManagedSecret', {
        secretCompleteArn: cluster.attrMasterUserSecretSecretArn,
        encryptionKey: this.encryptionKey,
      });
      this.endpoint = new rds.Endpoint(cluster.attrEndpointAddress, port);
      this.resourceArn = cluster.attrDbClusterArn;
      Annotations.of(this).addWarningV2(
        'ha:clusterNoBackupReplication',
        'deployment "cluster": RDS does not replicate the automated backups of a Multi-AZ DB cluster to another region; ' +
          'the DR region holds only the AWS Backup copies, so the regional RPO is the backup plan interval, not minutes.',
      );
    }
  }

  /** Lets `peer` connect on the database port; nothing else can. */
  public allowConnectionsFrom(peer: ec2.IConnectable, description = 'PostgreSQL from the service'): void {
    this.securityGroup.connections.allowFrom(peer, ec2.Port.tcp(this.port), description);
  }

  /** A metric of this database in the AWS/RDS namespace (per instance, or per cluster for a cluster deployment). */
  public metric(metricName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    const dimension = this.deployment === MultiAzDeployment.CLUSTER ? 'DBClusterIdentifier' : 'DBInstanceIdentifier';
    return new cloudwatch.Metric({
      namespace: 'AWS/RDS',
      metricName,
      dimensionsMap: { [dimension]: this.identifier },
      period: Duration.minutes(1),
      ...props,
    });
  }

  /** CPU utilisation of the writer, percent. @default Average over 1 minute */
  public metricCpuUtilization(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('CPUUtilization', { statistic: cloudwatch.Stats.AVERAGE, ...props });
  }

  /** Free storage, bytes. Storage autoscaling (instance) grows it; a cluster must be scaled by hand. @default Minimum over 1 minute */
  public metricFreeStorageSpace(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('FreeStorageSpace', { statistic: cloudwatch.Stats.MINIMUM, ...props });
  }

  /** Open client connections. @default Maximum over 1 minute */
  public metricDatabaseConnections(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('DatabaseConnections', { statistic: cloudwatch.Stats.MAXIMUM, ...props });
  }

  /** Free memory, bytes. @default Minimum over 1 minute */
  public metricFreeableMemory(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('FreeableMemory', { statistic: cloudwatch.Stats.MINIMUM, ...props });
  }

  /**
   * Replication lag of the readable standbys, seconds (cluster deployment only). A Multi-AZ DB instance's standby
   * is synchronous and reports no lag, so this returns undefined for it rather than a metric that never has data.
   * @default Maximum over 1 minute
   */
  public metricReplicaLag(props?: cloudwatch.MetricOptions): cloudwatch.Metric | undefined {
    if (!this.hasReadableStandbys) return undefined;
    return this.metric('ReplicaLag', { statistic: cloudwatch.Stats.MAXIMUM, ...props });
  }

  private createInstance(o: InstanceOptions): rds.DatabaseInstance {
    const engine = rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.of(o.engineVersion, o.major) });
    const parameterGroup = new rds.ParameterGroup(this, 'ParameterGroup', {
      engine,
      description: 'Forces TLS on every connection',
      parameters: { 'rds.force_ssl': '1' },
    });
    return new rds.DatabaseInstance(this, 'Instance', {
      engine,
      instanceIdentifier: this.identifier,
      instanceType: new ec2.InstanceType(o.instanceClass.replace(/^db\./, '')),
      vpc: o.vpc,
      subnetGroup: this.subnetGroup,
      securityGroups: [this.securityGroup],
      publiclyAccessible: false,
      multiAz: true,
      port: o.port,
      databaseName: o.databaseName,
      credentials: rds.Credentials.fromUsername(o.masterUsername, { encryptionKey: this.encryptionKey }),
      // RDS generates the password, stores it in Secrets Manager and rotates it (every 7 days by default).
      manageMasterUserPassword: true,
      parameterGroup,
      storageType: rds.StorageType.GP3,
      allocatedStorage: o.allocatedStorageGiB,
      maxAllocatedStorage: o.maxAllocatedStorageGiB,
      storageEncrypted: true,
      storageEncryptionKey: this.encryptionKey,
      iamAuthentication: true,
      caCertificate: rds.CaCertificate.RDS_CA_RSA2048_G1,
      backupRetention: o.backupRetention,
      preferredBackupWindow: o.preferredBackupWindow,
      preferredMaintenanceWindow: o.preferredMaintenanceWindow,
      copyTagsToSnapshot: true,
      // Keep the automated backups after the instance is deleted: a deleted database can still be restored.
      deleteAutomatedBackups: false,
      deletionProtection: o.deletionProtection,
      removalPolicy: o.removalPolicy,
      autoMinorVersionUpgrade: true,
      enablePerformanceInsights: true,
      performanceInsightEncryptionKey: this.encryptionKey,
      performanceInsightRetention: rds.PerformanceInsightRetention.DEFAULT,
      monitoringInterval: o.monitoringInterval,
      monitoringRole: o.monitoringRole,
      cloudwatchLogsExports: LOG_EXPORTS,
    });
  }

  private createCluster(o: ClusterOptions): rds.CfnDBCluster {
    const parameterGroup = new rds.CfnDBClusterParameterGroup(this, 'ClusterParameterGroup', {
      family: `postgres${o.major}`,
      description: 'Forces TLS on every connection',
      parameters: { 'rds.force_ssl': '1' },
    });
    const cluster = new rds.CfnDBCluster(this, 'Cluster', {
      dbClusterIdentifier: this.identifier,
      engine: 'postgres',
      engineVersion: o.engineVersion,
      dbClusterInstanceClass: o.instanceClass,
      dbClusterParameterGroupName: parameterGroup.ref,
      dbSubnetGroupName: this.subnetGroup.subnetGroupName,
      vpcSecurityGroupIds: [this.securityGroup.securityGroupId],
      publiclyAccessible: false,
      port: o.port,
      databaseName: o.databaseName,
      masterUsername: o.masterUsername,
      manageMasterUserPassword: true,
      masterUserSecret: { kmsKeyId: this.encryptionKey.keyArn },
      // Provisioned IOPS: the storage type every Multi-AZ DB cluster class supports.
      storageType: 'io1',
      iops: o.clusterIops,
      allocatedStorage: o.allocatedStorageGiB,
      storageEncrypted: true,
      kmsKeyId: this.encryptionKey.keyArn,
      enableIamDatabaseAuthentication: true,
      backupRetentionPeriod: o.backupRetention.toDays(),
      preferredBackupWindow: o.preferredBackupWindow,
      preferredMaintenanceWindow: o.preferredMaintenanceWindow,
      copyTagsToSnapshot: true,
      deleteAutomatedBackups: false,
      deletionProtection: o.deletionProtection,
      autoMinorVersionUpgrade: true,
      performanceInsightsEnabled: true,
      performanceInsightsKmsKeyId: this.encryptionKey.keyArn,
      performanceInsightsRetentionPeriod: 7,
      monitoringInterval: o.monitoringInterval.toSeconds(),
      monitoringRoleArn: o.monitoringRole.roleArn,
      enableCloudwatchLogsExports: LOG_EXPORTS,
    });
    cluster.applyRemovalPolicy(o.removalPolicy);
    return cluster;
  }
}

interface CommonOptions {
  readonly major: string;
  readonly engineVersion: string;
  readonly instanceClass: string;
  readonly allocatedStorageGiB: number;
  readonly port: number;
  readonly databaseName: string;
  readonly masterUsername: string;
  readonly backupRetention: Duration;
  readonly monitoringInterval: Duration;
  readonly monitoringRole: iam.IRole;
  readonly deletionProtection: boolean;
  readonly removalPolicy: RemovalPolicy;
  readonly preferredBackupWindow: string;
  readonly preferredMaintenanceWindow: string;
}

interface InstanceOptions extends CommonOptions {
  readonly vpc: ec2.IVpc;
  readonly maxAllocatedStorageGiB: number;
}

interface ClusterOptions extends CommonOptions {
  readonly clusterIops: number;
}
