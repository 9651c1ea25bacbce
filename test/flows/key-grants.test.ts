import { App } from 'aws-cdk-lib';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp, HaApp } from '../../lib/app';
import { newApp } from '../support/synth';
import { ACCOUNT, CfnTemplate, evaluate, PolicyWorld } from './policy-world';

/**
 * Flow proof: every customer managed key lets AWS services create the grants they need (RDS for storage and
 * replicated backups, AWS Backup for copies) and nobody else create one. A grant is a second, invisible way
 * into a key: `kms:GrantIsForAWSResource` is true only when a service integrated with KMS makes the call on a
 * principal's behalf (AWS KMS Developer Guide, "Controlling access to grants").
 */
describe('flow: KMS grants only for AWS services, on every key of both stacks', () => {
  const keys: Array<{ stack: string; id: string; world: PolicyWorld }> = [];
  // A deploying role with AdministratorAccess: what the key policy leaves to IAM, it may do.
  const admin = `arn:aws:iam::${ACCOUNT}:role/cdk-hnb659fds-cfn-exec-role`;
  const adminPolicy = [{ name: 'AdministratorAccess', policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] } }];

  beforeAll(() => {
    const app: App = newApp();
    const built: HaApp = buildApp(app);
    const assembly = app.synth();
    for (const stack of [built.primary, built.dr]) {
      const world = new PolicyWorld(assembly.getStackArtifact(stack.artifactId).template as CfnTemplate, stack.region);
      for (const id of world.idsOf('AWS::KMS::Key')) keys.push({ stack: stack.stackName, id, world });
    }
    expect(keys.length).toBeGreaterThanOrEqual(5);
  });

  const ask = (key: (typeof keys)[number], action: string, context: Record<string, string>) =>
    evaluate({
      principal: admin,
      action,
      resource: key.world.getAtt(key.id, 'Arn'),
      context,
      identityPolicies: adminPolicy,
      resourcePolicy: key.world.keyPolicyOf(key.id),
    });

  it('allows a grant that an AWS service creates for the deploying role (RDS storage, backup copies)', async () => {
    for (const key of keys) expect(await ask(key, 'kms:CreateGrant', { 'kms:GrantIsForAWSResource': 'true' }), `${key.stack}/${key.id}`).toBe('Allowed');
  });

  it('denies a grant created directly, even by an administrator', async () => {
    for (const key of keys) expect(await ask(key, 'kms:CreateGrant', { 'kms:GrantIsForAWSResource': 'false' }), `${key.stack}/${key.id}`).not.toBe('Allowed');
  });

  it('still leaves every other use and the administration of the key to IAM policies', async () => {
    for (const key of keys) {
      for (const action of ['kms:Decrypt', 'kms:GenerateDataKey', 'kms:PutKeyPolicy', 'kms:ScheduleKeyDeletion']) {
        expect(await ask(key, action, {}), `${key.stack}/${key.id} ${action}`).toBe('Allowed');
      }
    }
  });
});
