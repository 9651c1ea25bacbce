import { COMPLIANT, NOT_APPLICABLE, nonCompliant, RuleOutcome, unknown } from '../rule';
import { bool, isPrimaryDbInstance, props, referrers, RuleSubject, Unresolved } from '../template';

/** Deletion policies that keep the data when the resource leaves the stack. */
const KEEPING_POLICIES = ['Retain', 'Snapshot', 'RetainExceptOnCreate'];

/** Properties that refuse deletion while set. */
const DELETION_PROTECTION: Record<string, string> = {
  'AWS::RDS::DBInstance': 'DeletionProtection',
  'AWS::RDS::DBCluster': 'DeletionProtection',
  'AWS::DynamoDB::Table': 'DeletionProtectionEnabled',
};

/**
 * A resource that holds data (databases, tables, buckets, file systems, backup vaults, and the keys their
 * data is encrypted with) keeps it when a stack is deleted or the resource replaced: a Retain or Snapshot
 * deletion policy, or deletion protection.
 */
export function statefulRetention({ logicalId, resource, template }: RuleSubject): RuleOutcome {
  // Cluster members and read replicas hold no data of their own: the cluster or the source is judged.
  if (resource.Type === 'AWS::RDS::DBInstance' && !isPrimaryDbInstance(resource)) return NOT_APPLICABLE;
  if (resource.DeletionPolicy !== undefined && KEEPING_POLICIES.includes(resource.DeletionPolicy)) return COMPLIANT;
  const protectionKey = DELETION_PROTECTION[resource.Type];
  if (protectionKey) {
    const protectedFromDeletion = bool(props(resource)[protectionKey], template);
    if (protectedFromDeletion instanceof Unresolved) return unknown(protectionKey, protectedFromDeletion);
    if (protectedFromDeletion === true) return COMPLIANT;
  }
  const policy = resource.DeletionPolicy ?? 'Delete (the default)';
  const autoDelete = resource.Type === 'AWS::S3::Bucket' && referrers(template, logicalId, 'Custom::S3AutoDeleteObjects').length > 0;
  const consequence =
    resource.Type === 'AWS::KMS::Key'
      ? 'deleting the stack schedules the key for deletion, and every backup and snapshot encrypted with it becomes unreadable'
      : autoDelete
        ? 'deleting the stack empties the bucket (auto-delete objects) and deletes it'
        : 'deleting the stack, or a change that replaces the resource, destroys its data';
  return nonCompliant(`deletion policy is ${policy}${protectionKey ? ` and ${protectionKey} is off` : ''}: ${consequence}`);
}
