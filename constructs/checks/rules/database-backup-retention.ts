import { COMPLIANT, NOT_APPLICABLE, nonCompliant, RuleOutcome, unknown } from '../rule';
import { bool, get, isPrimaryDbInstance, num, props, RuleSubject, Unresolved } from '../template';

/** Shortest backup retention that lets a team notice on Monday what broke on Friday, and restore it. */
export const MIN_BACKUP_RETENTION_DAYS = 7;

/** Days of point-in-time recovery a database keeps, with the AWS defaults (RDS: 1 day; DynamoDB PITR: 35 days). */
export function backupRetentionDays({ resource, template }: RuleSubject): number | undefined | Unresolved {
  const p = props(resource);
  switch (resource.Type) {
    case 'AWS::RDS::DBInstance':
    case 'AWS::RDS::DBCluster': {
      const days = num(p.BackupRetentionPeriod, template);
      return days ?? 1;
    }
    case 'AWS::DynamoDB::Table': {
      const spec = p.PointInTimeRecoverySpecification;
      const enabled = bool(get(spec, 'PointInTimeRecoveryEnabled'), template);
      if (enabled instanceof Unresolved) return enabled;
      if (enabled !== true) return 0;
      return num(get(spec, 'RecoveryPeriodInDays'), template) ?? 35;
    }
    default:
      return undefined;
  }
}

/** A database keeps at least 7 days of point-in-time backups. */
export function databaseBackupRetention(subject: RuleSubject): RuleOutcome {
  const { resource } = subject;
  if (resource.Type === 'AWS::RDS::DBInstance' && !isPrimaryDbInstance(resource)) return NOT_APPLICABLE;
  const days = backupRetentionDays(subject);
  if (days === undefined) return NOT_APPLICABLE;
  if (days instanceof Unresolved) return unknown('the backup retention', days);
  if (days >= MIN_BACKUP_RETENTION_DAYS) return COMPLIANT;
  if (days === 0) {
    return nonCompliant(resource.Type === 'AWS::DynamoDB::Table' ? 'point-in-time recovery is off: a bad write or a deleted item cannot be undone' : 'automated backups are off (retention 0 days)');
  }
  const source = resource.Type.startsWith('AWS::RDS') && props(resource).BackupRetentionPeriod === undefined ? ' (the CloudFormation default)' : '';
  return nonCompliant(`backups are kept ${days} day${days === 1 ? '' : 's'}${source}, fewer than ${MIN_BACKUP_RETENTION_DAYS}: corruption found after a weekend cannot be undone`);
}
