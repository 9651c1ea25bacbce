import { Duration, Names, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { checkDuration } from '../common/validate';
import { newEncryptionKey } from '../common/encryption-key';
import { stackInstanceSuffix } from '../common/stack-instance';

/** The AWS Backup jobs a metric counts. */
export enum BackupJobKind {
  /** Backup jobs (`NumberOfBackupJobs*`). */
  BACKUP = 'Backup',
  /** Copy jobs (`NumberOfCopyJobs*`). */
  COPY = 'Copy',
}

/** A copy of every recovery point into another vault, normally in another region. */
export interface BackupCopyTarget {
  /** Destination vault (for another region: `BackupVault.fromBackupVaultArn`). */
  readonly vault: backup.IBackupVault;
  /**
   * How long the copy is kept. Must lie within the destination vault's lock, if it has one.
   * @default - the plan's retention
   */
  readonly retention?: Duration;
}

export interface DatabaseBackupPlanProps {
  /** ARN of the RDS DB instance or Multi-AZ DB cluster to back up. */
  readonly resourceArn: string;
  /**
   * When the backup job starts (UTC).
   * @default events.Schedule.expression('cron(0 5 * * ? *)') - daily at 05:00 UTC, after the RDS backup window
   */
  readonly schedule?: events.Schedule;
  /**
   * How long a recovery point is kept in this region.
   * @default Duration.days(35)
   */
  readonly retention?: Duration;
  /**
   * Copy every recovery point to this vault.
   * @default - no copy
   */
  readonly copyTo?: BackupCopyTarget;
  /**
   * Key of the vault created for the plan.
   * @default - a new customer-managed key with rotation
   */
  readonly encryptionKey?: kms.IKey;
}

/**
 * An AWS Backup plan for one database: a daily snapshot into an encrypted vault of its own and, optionally, a copy
 * of each snapshot into a vault in the disaster-recovery region. This is independent of RDS automated backups: its
 * recovery points outlive the database's retention window and the database itself.
 */
export class DatabaseBackupPlan extends Construct {
  public readonly plan: backup.BackupPlan;
  /** Vault in this region that holds the recovery points. */
  public readonly vault: backup.BackupVault;
  public readonly selection: backup.BackupSelection;

  constructor(scope: Construct, id: string, props: DatabaseBackupPlanProps) {
    super(scope, id);

    const schedule = props.schedule ?? events.Schedule.expression('cron(0 5 * * ? *)');
    const retention = props.retention ?? Duration.days(35);
    const copyRetention = props.copyTo?.retention ?? retention;

    checkDuration('retention', retention, 'days', 1, 36500);
    checkDuration('copyTo.retention', copyRetention, 'days', 1, 36500);

    const encryptionKey =
      props.encryptionKey ??
      newEncryptionKey(this, 'Key', 'Encrypts the AWS Backup vault of the database');
    // Kept when the stack goes (it holds the recovery points), so its name carries the stack instance: a stack
    // deployed again after a destroy creates a new vault beside the kept one.
    this.vault = new backup.BackupVault(this, 'Vault', {
      backupVaultName: `${Names.uniqueResourceName(this, { maxLength: 40 })}-${stackInstanceSuffix(this)}`,
      encryptionKey,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.plan = new backup.BackupPlan(this, 'Plan', {
      // Plan names are per account and region: derive one from the stack and path so two copies can coexist.
      backupPlanName: Names.uniqueResourceName(this, { maxLength: 50 }),
      backupVault: this.vault,
      backupPlanRules: [
        new backup.BackupPlanRule({
          ruleName: 'Daily',
          scheduleExpression: schedule,
          startWindow: Duration.hours(1),
          completionWindow: Duration.hours(4),
          deleteAfter: retention,
          copyActions: props.copyTo ? [{ destinationBackupVault: props.copyTo.vault, deleteAfter: copyRetention }] : undefined,
        }),
      ],
    });

    this.selection = this.plan.addSelection('Database', {
      resources: [backup.BackupResource.fromArn(props.resourceArn)],
      allowRestores: false,
    });
    Validations.of(this.selection).acknowledge({
      id: 'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup]',
      reason: 'AWSBackupServiceRolePolicyForBackup is the policy AWS Backup documents for backup and copy jobs; AWS keeps it current as services add backup APIs',
    });
  }

  /** Backup or copy jobs of this account and region that failed (AWS/Backup). @default Sum over 1 hour */
  public metricJobsFailed(kind: BackupJobKind = BackupJobKind.BACKUP, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'AWS/Backup',
      metricName: `NumberOf${kind}JobsFailed`,
      dimensionsMap: { ResourceType: 'RDS' },
      statistic: cloudwatch.Stats.SUM,
      period: Duration.hours(1),
      ...props,
    });
  }
}
