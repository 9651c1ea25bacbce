import { backupCopies } from '../backup';
import { COMPLIANT, NOT_APPLICABLE, nonCompliant, RuleOutcome } from '../rule';
import { get, isPrimaryDbInstance, props, referrers, RuleSubject } from '../template';

/** How a database's data leaves its region, if it does: the mechanisms found, in words. */
export function crossRegionCopies({ logicalId, resource, template }: RuleSubject): string[] {
  const p = props(resource);
  const found: string[] = [];
  if (resource.Type === 'AWS::RDS::DBInstance' && p.AutomaticBackupReplicationRegion !== undefined) {
    const region = typeof p.AutomaticBackupReplicationRegion === 'string' ? p.AutomaticBackupReplicationRegion : 'another region';
    found.push(`automated backups replicated to ${region}`);
  }
  if (resource.Type === 'AWS::RDS::DBCluster') {
    if (p.GlobalClusterIdentifier !== undefined || referrers(template, logicalId, 'AWS::RDS::GlobalCluster').length > 0) found.push('Aurora global database');
  }
  if (resource.Type === 'AWS::DynamoDB::GlobalTable') {
    const regions = new Set((Array.isArray(p.Replicas) ? p.Replicas : []).map((r) => JSON.stringify(get(r, 'Region'))));
    if (regions.size >= 2) found.push(`global table replicas in ${regions.size} regions`);
  }
  const copies = backupCopies(logicalId, resource, template);
  if (copies.length > 0) found.push(`AWS Backup copies to ${copies.length} vault${copies.length === 1 ? '' : 's'}`);
  return found;
}

/**
 * A database has a copy outside its region: replicated automated backups, an Aurora global database,
 * a DynamoDB global table, or an AWS Backup plan that selects it and copies to another vault.
 */
export function databaseCrossRegionBackup(subject: RuleSubject): RuleOutcome {
  const { resource } = subject;
  if (resource.Type === 'AWS::RDS::DBInstance' && !isPrimaryDbInstance(resource)) return NOT_APPLICABLE;
  if (crossRegionCopies(subject).length > 0) return COMPLIANT;
  return nonCompliant(
    'no copy of the data leaves the region (no AutomaticBackupReplicationRegion, no global database or table, no AWS Backup copy action selecting it): a regional outage or a compromised account can lose it all',
  );
}
