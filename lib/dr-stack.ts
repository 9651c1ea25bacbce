import { CfnOutput, Duration, Fn, Stack, StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { DrBackupVault } from '@ha-reference/constructs';
import type { HaConfig } from './config';

export interface DrStackProps extends StackProps {
  readonly config: HaConfig;
}

/** What the primary stack needs from the DR stack, as values it can put in its own template. */
export interface DisasterRecoveryTargets {
  /** The DR region. */
  readonly region: string;
  /** ARN of the DR key (key ARN, not alias): encrypts the replicated automated backups. */
  readonly replicationKeyArn: string;
  /** ARN of the DR backup vault: destination of the AWS Backup copy action. */
  readonly backupVaultArn: string;
}

/**
 * The disaster-recovery region: a rotating KMS key for replicated backups and copies, and the backup vault.
 * Wiring only; the logic lives in constructs/database/dr-backup-vault.ts.
 *
 * Cross-region wiring (see docs/disaster-recovery.md, "Cross-region references"): the stack publishes the key and
 * vault ARNs as outputs with fixed names; the primary stack reads them with `Fn::GetStackOutput`, resolved by
 * CloudFormation at deploy time. No exports, no SSM parameters, no custom resources, so no export lock can block
 * an update of either stack. The primary stack depends on this one, so `cdk deploy --all` deploys it first.
 */
export class DrStack extends Stack {
  /** Output names are a contract with the primary stack: renaming one breaks its next deployment. */
  public static readonly REPLICATION_KEY_ARN_OUTPUT = 'ReplicationKeyArn';
  public static readonly BACKUP_VAULT_ARN_OUTPUT = 'BackupVaultArn';
  public static readonly BACKUP_VAULT_NAME_OUTPUT = 'BackupVaultName';

  public readonly backup: DrBackupVault;

  constructor(scope: Construct, id: string, props: DrStackProps) {
    super(scope, id, props);
    const { config } = props;
    const lock = config.dr.vaultLock;

    this.backup = new DrBackupVault(this, 'Backup', {
      vaultLock: lock
        ? {
            minRetention: Duration.days(lock.minRetentionDays),
            maxRetention: lock.maxRetentionDays === undefined ? undefined : Duration.days(lock.maxRetentionDays),
            changeableFor: lock.changeableForDays === undefined ? undefined : Duration.days(lock.changeableForDays),
          }
        : undefined,
    });

    // A standby site's tasks read the replica of the primary's master secret here, encrypted with this key.
    if (config.dr.strategy !== 'backup-restore') this.backup.allowSecretReplicas();

    new CfnOutput(this, DrStack.REPLICATION_KEY_ARN_OUTPUT, {
      value: this.backup.key.keyArn,
      description: 'KMS key (DR region) for replicated RDS automated backups and AWS Backup copies',
    });
    new CfnOutput(this, DrStack.BACKUP_VAULT_ARN_OUTPUT, {
      value: this.backup.vault.backupVaultArn,
      description: 'AWS Backup vault (DR region) that receives the copies',
    });
    new CfnOutput(this, DrStack.BACKUP_VAULT_NAME_OUTPUT, {
      value: this.backup.vault.backupVaultName,
      description: 'Name of the DR backup vault (for aws backup list-recovery-points-by-backup-vault)',
    });
  }

  /**
   * The DR key and vault ARNs as `Fn::GetStackOutput` references, for a stack in another region. The consumer must
   * also `addDependency(drStack)` so that this stack deploys first.
   */
  public get targets(): DisasterRecoveryTargets {
    return {
      region: this.region,
      replicationKeyArn: Fn.getStackOutput(this.stackName, DrStack.REPLICATION_KEY_ARN_OUTPUT, this.region),
      backupVaultArn: Fn.getStackOutput(this.stackName, DrStack.BACKUP_VAULT_ARN_OUTPUT, this.region),
    };
  }
}
