import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../lib/app';
import { newApp } from '../support/synth';
import { CfnTemplate, PolicyWorld } from '../flows/policy-world';

/**
 * `cdk destroy` keeps what must outlive the stack (backup vaults with their recovery points, log groups with
 * audit records, keys). A kept resource with a fixed name makes the next `cdk deploy` of the stack fail with
 * "already exists" (AWS CloudFormation User Guide, "DeletionPolicy attribute": a retained resource stays in the
 * account after the stack is deleted). So every name a kept resource sets must differ between two creations
 * of the stack: the names are resolved here with the stack IDs of two deployments.
 */
describe('a stack deployed again after cdk destroy', () => {
  const kept: Array<{ stack: string; id: string; type: string; first: unknown; second: unknown }> = [];
  const instanceIds = { first: '', second: '' };

  beforeAll(() => {
    const app = newApp();
    const built = buildApp(app);
    const assembly = app.synth();
    for (const stack of [built.primary, built.dr]) {
      const template = assembly.getStackArtifact(stack.artifactId).template as CfnTemplate & { Resources: Record<string, { DeletionPolicy?: string }> };
      const stackIdOf = (uuid: string) => `arn:aws:cloudformation:${stack.region}:111111111111:stack/${stack.stackName}/${uuid}`;
      const first = new PolicyWorld(template, stack.region, undefined, {}, stackIdOf('51af3dc0-da77-11e4-872e-1234567db123'));
      const second = new PolicyWorld(template, stack.region, undefined, {}, stackIdOf('8c3e2a90-1f4b-11f1-9d2e-0a1b2c3d4e5f'));
      for (const [id, resource] of Object.entries(template.Resources)) {
        if (resource.Type === 'AWS::RDS::DBInstance') {
          instanceIds.first = String(first.resolve(resource.Properties!.DBInstanceIdentifier!));
          instanceIds.second = String(second.resolve(resource.Properties!.DBInstanceIdentifier!));
        }
        if (resource.DeletionPolicy !== 'Retain') continue;
        for (const [key, value] of Object.entries(resource.Properties ?? {})) {
          if (!/(Name|Identifier)$/.test(key)) continue;
          kept.push({ stack: stack.stackName, id: `${id}.${key}`, type: resource.Type, first: first.resolve(value), second: second.resolve(value) });
        }
      }
    }
  });

  it('finds the kept resources with names: the database log groups and both backup vaults', () => {
    expect(kept.map((k) => k.type).sort()).toEqual(['AWS::Backup::BackupVault', 'AWS::Backup::BackupVault', 'AWS::Logs::LogGroup', 'AWS::Logs::LogGroup']);
  });

  it('gives every kept resource a new name in a new deployment of the stack, so nothing collides', () => {
    for (const k of kept) expect(k.second, `${k.stack}/${k.id} is ${JSON.stringify(k.first)} in both deployments`).not.toEqual(k.first);
  });

  it('keeps the database log groups named after the instance each deployment creates, so RDS exports into them', () => {
    const logGroups = kept.filter((k) => k.type === 'AWS::Logs::LogGroup');
    expect(logGroups).toHaveLength(2);
    for (const k of logGroups) {
      expect(String(k.first)).toMatch(new RegExp(`^/aws/rds/instance/${instanceIds.first}/(postgresql|upgrade)$`));
      expect(String(k.second)).toMatch(new RegExp(`^/aws/rds/instance/${instanceIds.second}/(postgresql|upgrade)$`));
    }
  });
});
