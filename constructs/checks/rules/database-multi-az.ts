import { COMPLIANT, NOT_APPLICABLE, nonCompliant, RuleOutcome, unknown } from '../rule';
import { bool, clusterInstances, isMultiAzDbCluster, isPrimaryDbInstance, props, RuleSubject, str, Unresolved } from '../template';

/**
 * A database survives the loss of an instance or an Availability Zone without a restore: a Multi-AZ RDS
 * instance, a Multi-AZ DB cluster, an Aurora cluster with a second instance in another zone, or an
 * ElastiCache replication group with Multi-AZ and automatic failover.
 */
export function databaseMultiAz({ logicalId, resource, template }: RuleSubject): RuleOutcome {
  const p = props(resource);
  switch (resource.Type) {
    case 'AWS::RDS::DBInstance': {
      if (!isPrimaryDbInstance(resource)) return NOT_APPLICABLE;
      const multiAz = bool(p.MultiAZ, template);
      if (multiAz instanceof Unresolved) return unknown('MultiAZ', multiAz);
      if (multiAz === true) return COMPLIANT;
      return nonCompliant('the DB instance is single-AZ: an instance or zone failure means a restore from backup (minutes of data lost, tens of minutes down) instead of a 60-120 s failover');
    }
    case 'AWS::RDS::DBCluster': {
      if (isMultiAzDbCluster(resource)) return COMPLIANT;
      if (str(p.EngineMode, template) === 'serverless') return NOT_APPLICABLE;
      // A cross-region read replica cluster is judged through its source.
      if (p.SourceDBClusterIdentifier !== undefined) return NOT_APPLICABLE;
      const instances = clusterInstances(logicalId, template);
      if (instances.length >= 2) {
        const zones = new Set(instances.map(([, r]) => JSON.stringify(props(r).AvailabilityZone ?? null)));
        const pinned = instances.every(([, r]) => props(r).AvailabilityZone !== undefined);
        if (pinned && zones.size < 2) return nonCompliant(`all ${instances.length} cluster instances are pinned to one Availability Zone`);
        return COMPLIANT;
      }
      return nonCompliant(
        `the Aurora cluster has ${instances.length} instance${instances.length === 1 ? '' : 's'} in this template: without a replica in another zone, a failure means recreating the writer (up to 10 minutes) instead of a failover`,
      );
    }
    case 'AWS::ElastiCache::ReplicationGroup': {
      const multiAz = bool(p.MultiAZEnabled, template);
      const failover = bool(p.AutomaticFailoverEnabled, template);
      if (multiAz instanceof Unresolved) return unknown('MultiAZEnabled', multiAz);
      if (failover instanceof Unresolved) return unknown('AutomaticFailoverEnabled', failover);
      if (multiAz === true && failover === true) return COMPLIANT;
      return nonCompliant('the replication group has Multi-AZ or automatic failover off: a primary node failure needs manual promotion');
    }
    default:
      return NOT_APPLICABLE;
  }
}
