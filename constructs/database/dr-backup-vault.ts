import { Duration, Names, RemovalPolicy } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { allowSecretReplicationInto, newEncryptionKey } from '../common/encryption-key';
import { stackInstanceSuffix } from '../common/stack-instance';

/** AWS Backup Vault Lock: recovery points in the vault cannot be deleted or shortened below a minimum retention. */
export interface DrVaultLockOptions {
  /** Shortest retention a recovery point may have. */
  readonly minRetention: Duration;
  /**
   * Longest retention a recovery point may have.
   * @default - no maximum
   */
  readonly maxRetention?: Duration;
  /**
   * Time during which the lock can still be removed; afterwards it is in compliance mode and immutable, even for
   * the root user. At least 3 days.
   * @default - governance mode: the lock stays removable by principals allowed to remove it
   */
  readonly changeableFor?: Duration;
}

export interface DrBackupVaultProps {
  /**
   * Lock the vault (write once, read many).
   * @default - no lock
   */
  readonly vaultLock?: DrVaultLockOptions;
  /**
   * What happens to the key and the vault when they leave the stack. Both hold the only copies of the data that
   * survive a regional outage, so the default keeps them.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The disaster-recovery region's half of the backups: a rotating customer-managed key that encrypts the RDS
 * automated backups replicated into this region and the AWS Backup copies, and the AWS Backup vault that
 * receives the copies.
 */
export class DrBackupVault extends Construct {
  /** Encrypts replicated automated backups and AWS Backup copies in this region. */
  public readonly key: kms.Key;
  public readonly vault: backup.BackupVault;

  constructor(scope: Construct, id: string, props: DrBackupVaultProps = {}) {
    super(scope, id);

    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const lock = props.vaultLock;

    if (lock) {
      const min = lock.minRetention.toDays();
      if (min < 1) throw new Error(`vaultLock.minRetention must be at least 1 day, got ${lock.minRetention.toHumanString()}`);
      if (lock.maxRetention && lock.maxRetention.toDays() < min) {
        throw new Error(`vaultLock.maxRetention must be at least vaultLock.minRetention (${min} days), got ${lock.maxRetention.toHumanString()}`);
      }
      if (lock.changeableFor && lock.changeableFor.toDays() < 3) {
        throw new Error(`vaultLock.changeableFor must be at least 3 days (AWS Backup's cooling-off period), got ${lock.changeableFor.toHumanString()}`);
      }
    }

    this.key = newEncryptionKey(this, 'Key', 'Encrypts the database backups replicated or copied into the disaster-recovery region', removalPolicy);
    // The key policy leaves the key to the account's IAM policies: RDS (replicated automated backups) and AWS
    // Backup (copies) use it through grants they create on behalf of the deploying or backup role, the only
    // kind of grant the policy allows (newEncryptionKey).
    this.vault = new backup.BackupVault(this, 'Vault', {
      // Kept when the stack goes (with a retaining removal policy), so the name carries the stack instance: a
      // stack deployed again after a destroy creates a new vault beside the kept one.
      backupVaultName: `${Names.uniqueResourceName(this, { maxLength: 40 })}-${stackInstanceSuffix(this)}`,
      encryptionKey: this.key,
      removalPolicy,
      lockConfiguration: lock
        ? { minRetention: lock.minRetention, maxRetention: lock.maxRetention, changeableFor: lock.changeableFor }
        : undefined,
    });
  }

  /**
   * Lets the key also hold replicas of secrets replicated into this region (the database master secret of a
   * cross-region read replica, `MultiAzDatabase` `secretReplicas`): Secrets Manager here may encrypt with it for the
   * account's principals, never decrypt. Readers of a replica secret still need kms:Decrypt on their own role.
   */
  public allowSecretReplicas(): void {
    allowSecretReplicationInto(this.key);
  }
}
