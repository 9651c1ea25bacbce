import { beforeAll, describe, expect } from 'vitest';
import { check, flow, FlowRow, Verdict } from './flow-table';
import { PolicyWorld, stemOf } from './policy-world';
import { clusterDeployment, synthWorlds, warmStandbyWithDns, Worlds } from './worlds';

/**
 * Flow proof: AWS Backup backs the database up, copies each backup into the DR stack's vault with the DR key,
 * and the weekly restore test restores and deletes a copy; Enhanced Monitoring writes its metrics. The roles,
 * the selected database, the copy target (read across stacks from the DR stack's outputs) and the keys are all
 * read from the synthesised templates. The roles rely on AWS managed policies, evaluated from the excerpts in
 * aws-managed-policies.ts. For RDS, a backup keeps the database's key; a copy to another Region is encrypted
 * with the destination vault's key, and RDS needs a grant on each key (AWS Backup developer guide, "Encryption
 * for backups in AWS Backup"; RDS user guide, "Copying a DB snapshot": KmsKeyId in the destination Region).
 */
interface Deployment {
  readonly worlds: Worlds;
  readonly dbId: string;
  readonly dbArn: string;
  readonly kind: 'instance' | 'cluster';
}

/** The RDS actions and ARNs of each deployment's snapshots (RDS API reference). */
const RDS = {
  instance: { snapshot: 'snapshot', create: 'rds:CreateDBSnapshot', describe: 'rds:DescribeDBInstances', copy: 'rds:CopyDBSnapshot', restore: 'rds:RestoreDBInstanceFromDBSnapshot', remove: 'rds:DeleteDBInstance', restored: 'db' },
  cluster: { snapshot: 'cluster-snapshot', create: 'rds:CreateDBClusterSnapshot', describe: 'rds:DescribeDBClusters', copy: 'rds:CopyDBClusterSnapshot', restore: 'rds:RestoreDBClusterFromSnapshot', remove: 'rds:DeleteDBCluster', restored: 'cluster' },
} as const;

const getAttId = (v: unknown) => (v as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];

describe('flow: backups, the DR copy, the restore test and monitoring', () => {
  let deployments: Deployment[];

  beforeAll(() => {
    deployments = (['instance', 'cluster'] as const).map((kind) => {
      const worlds = synthWorlds(kind === 'cluster' ? clusterDeployment() : {});
      const [dbId] = worlds.primary.idsOf(kind === 'cluster' ? 'AWS::RDS::DBCluster' : 'AWS::RDS::DBInstance');
      const world = worlds.primary;
      const dbArn = `arn:aws:rds:${world.region}:${world.account}:${kind === 'cluster' ? 'cluster' : 'db'}:${world.ref(dbId!)}`;
      return { worlds, dbId: dbId!, dbArn, kind };
    });
  });

  const asRole = (world: PolicyWorld, roleId: string, action: string, resource: string, context: Record<string, string> = {}, resourcePolicy?: unknown) =>
    check(`${roleId} ${action} ${resource}`, { principal: world.getAtt(roleId, 'Arn'), action, resource, context, identityPolicies: world.identityPoliciesOf(roleId), resourcePolicy });

  /** The backup selection: its role and the resources it backs up. */
  const selectionOf = (world: PolicyWorld) => {
    const [id] = world.idsOf('AWS::Backup::BackupSelection');
    const selection = world.resource(id!).Properties!.BackupSelection as { IamRoleArn: unknown; Resources: unknown[] };
    return { roleId: getAttId(selection.IamRoleArn), resources: selection.Resources.map((r) => String(world.resolve(r))) };
  };
  const namesRole = (row: FlowRow, roleId: string) => expect(row.who, `row ${row.id} names the role the template uses`).toContain(stemOf(roleId));

  /** The copy target of the backup plan, resolved across stacks, and the DR vault and key it is. */
  const copyTargetOf = ({ primary, dr }: Worlds) => {
    const [plan] = primary.idsOf('AWS::Backup::BackupPlan');
    const rules = (primary.resource(plan!).Properties!.BackupPlan as { BackupPlanRule: { CopyActions?: { DestinationBackupVaultArn: unknown }[] }[] }).BackupPlanRule;
    const targets = rules.flatMap((r) => r.CopyActions ?? []).map((c) => String(primary.resolve(c.DestinationBackupVaultArn)));
    expect(targets, 'the plan copies every backup to one DR vault').toHaveLength(1);
    const vault = dr.idsOf('AWS::Backup::BackupVault').find((id) => dr.getAtt(id, 'BackupVaultArn') === targets[0]);
    expect(vault, `the copy target ${targets[0]} is a vault of the DR stack`).toBeDefined();
    return { vaultArn: targets[0]!, vaultId: vault!, keyId: getAttId(dr.resource(vault!).Properties!.EncryptionKeyArn) };
  };

  /** The key the database (and so its snapshots) is encrypted with. */
  const databaseKeyOf = (d: Deployment) => getAttId(d.worlds.primary.resource(d.dbId).Properties!.KmsKeyId);

  /** A snapshot AWS Backup names for a job, in a Region. */
  const snapshotArn = (d: Deployment, region: string) => `arn:aws:rds:${region}:${d.worlds.primary.account}:${RDS[d.kind].snapshot}:awsbackup:job-0123456789abcdef`;

  flow('backup-create', async (row) => {
    const verdicts: Verdict[] = [];
    for (const d of deployments) {
      const world = d.worlds.primary;
      const { roleId, resources } = selectionOf(world);
      namesRole(row, roleId);
      expect(resources, 'the plan backs up the database').toEqual([d.dbArn]);
      expect(row.on).toContain(stemOf(d.dbId));
      const rds = RDS[d.kind];
      const snapshot = snapshotArn(d, world.region);
      verdicts.push(
        await asRole(world, roleId, rds.describe, d.dbArn),
        await asRole(world, roleId, rds.create, d.dbArn),
        await asRole(world, roleId, rds.create, snapshot),
        await asRole(world, roleId, 'rds:AddTagsToResource', snapshot),
      );
    }
    return verdicts;
  });

  flow('backup-copy-dr', async (row) => {
    const verdicts: Verdict[] = [];
    for (const d of deployments) {
      const { primary, dr } = d.worlds;
      const { roleId } = selectionOf(primary);
      namesRole(row, roleId);
      const { vaultArn, vaultId } = copyTargetOf(d.worlds);
      expect(row.on).toContain(stemOf(vaultId));
      const source = snapshotArn(d, primary.region);
      verdicts.push(
        await asRole(primary, roleId, 'backup:CopyFromBackupVault', source),
        // The DR vault's access policy, if any, must let the copy in as well.
        await asRole(primary, roleId, 'backup:CopyIntoBackupVault', vaultArn, {}, dr.resourcePolicyOf(vaultId)),
        await asRole(primary, roleId, RDS[d.kind].copy, source),
        await asRole(primary, roleId, RDS[d.kind].copy, snapshotArn(d, dr.region)),
      );
    }
    return verdicts;
  });

  flow('backup-copy-dr-key', async (row) => {
    const verdicts: Verdict[] = [];
    for (const d of deployments) {
      const { primary, dr } = d.worlds;
      const { roleId } = selectionOf(primary);
      const { keyId: drKey } = copyTargetOf(d.worlds);
      const sourceKey = databaseKeyOf(d);
      expect(row.on).toEqual(expect.arrayContaining([stemOf(drKey), stemOf(sourceKey)]));
      const keys: [PolicyWorld, string][] = [
        [dr, drKey],
        [primary, sourceKey],
      ];
      for (const [world, key] of keys) {
        const viaRds = { 'kms:ViaService': `rds.${world.region}.amazonaws.com` };
        verdicts.push(
          await asRole(primary, roleId, 'kms:DescribeKey', world.getAtt(key, 'Arn'), viaRds, world.keyPolicyOf(key)),
          await asRole(primary, roleId, 'kms:CreateGrant', world.getAtt(key, 'Arn'), { ...viaRds, 'kms:GrantIsForAWSResource': 'true' }, world.keyPolicyOf(key)),
        );
      }
    }
    return verdicts;
  });

  /** The restore-testing selection: its role, the database it restores and the subnet group it restores into. */
  const restoreSelectionOf = (world: PolicyWorld) => {
    const [id] = world.idsOf('AWS::Backup::RestoreTestingSelection');
    const props = world.resource(id!).Properties! as { IamRoleArn: unknown; ProtectedResourceArns: unknown[]; RestoreMetadataOverrides: Record<string, unknown> };
    return {
      roleId: getAttId(props.IamRoleArn),
      protectedArns: props.ProtectedResourceArns.map((a) => String(world.resolve(a))),
      subnetGroup: String(world.resolve(props.RestoreMetadataOverrides.dbsubnetgroupname)),
    };
  };

  flow('restore-test', async (row) => {
    const verdicts: Verdict[] = [];
    for (const d of deployments) {
      const world = d.worlds.primary;
      const { roleId, protectedArns, subnetGroup } = restoreSelectionOf(world);
      namesRole(row, roleId);
      expect(protectedArns).toEqual([d.dbArn]);
      expect(world.ref(world.idOf('DatabaseSubnetGroup'))).toBe(subnetGroup);
      const rds = RDS[d.kind];
      const arn = (resource: string) => `arn:aws:rds:${world.region}:${world.account}:${resource}`;
      // Restore testing names what it restores awsbackup-restore-test-<random> (AWS Backup developer guide,
      // "Restore testing inferred metadata") and deletes it after the validation window.
      const restored = arn(`${rds.restored}:awsbackup-restore-test-0123456789`);
      const from = [restored, snapshotArn(d, world.region), arn(`subgrp:${subnetGroup}`)];
      for (const resource of from) verdicts.push(await asRole(world, roleId, rds.restore, resource));
      verdicts.push(await asRole(world, roleId, 'rds:AddTagsToResource', restored), await asRole(world, roleId, rds.remove, restored));
    }
    return verdicts;
  });

  flow('restore-test-key', async (row) => {
    const verdicts: Verdict[] = [];
    for (const d of deployments) {
      const world = d.worlds.primary;
      const { roleId } = restoreSelectionOf(world);
      const key = databaseKeyOf(d);
      expect(row.on).toContain(stemOf(key));
      const viaRds = { 'kms:ViaService': `rds.${world.region}.amazonaws.com` };
      const resource = world.getAtt(key, 'Arn');
      verdicts.push(
        await asRole(world, roleId, 'kms:DescribeKey', resource, viaRds, world.keyPolicyOf(key)),
        await asRole(world, roleId, 'kms:Decrypt', resource, viaRds, world.keyPolicyOf(key)),
        await asRole(world, roleId, 'kms:CreateGrant', resource, { ...viaRds, 'kms:GrantIsForAWSResource': 'true' }, world.keyPolicyOf(key)),
      );
    }
    return verdicts;
  });

  flow('rds-monitoring', async (row) => {
    const verdicts: Verdict[] = [];
    // The primary (instance and cluster) and the cross-region read replica of the standby site, which becomes the
    // primary database when promoted.
    const site = synthWorlds(warmStandbyWithDns()).drSite!;
    const monitored = [
      ...deployments.map((d) => ({ world: d.worlds.primary, dbId: d.dbId })),
      { world: site, dbId: site.idsOf('AWS::RDS::DBInstance')[0]! },
    ];
    for (const d of monitored) {
      const world = d.world;
      const roleId = getAttId(world.resource(d.dbId).Properties!.MonitoringRoleArn);
      namesRole(row, roleId);
      // Enhanced Monitoring writes to the RDSOSMetrics log group, one stream per resource ID (RDS user guide,
      // "Viewing OS metrics using CloudWatch Logs").
      const stream = `arn:aws:logs:${world.region}:${world.account}:log-group:RDSOSMetrics:log-stream:db-ABCDEFGHIJKLMNOPQRSTUVWXY`;
      for (const action of row.actions) verdicts.push(await asRole(world, roleId, action, stream));
    }
    return verdicts;
  });
});
