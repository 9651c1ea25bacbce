import { App } from 'aws-cdk-lib';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp, HaApp } from '../../lib/app';
import { newApp } from '../support/synth';
import { ACCOUNT, CfnTemplate, evaluate, OTHER_ACCOUNT, PolicyWorld } from './policy-world';

/**
 * Flow proof: CloudWatch alarms can page. The synthesised topic policy and key policy are evaluated by a real
 * IAM policy evaluator. A topic policy replaces SNS's default policy, so the topic itself must allow
 * cloudwatch.amazonaws.com to publish (AWS Knowledge Center, "cloudwatch-receive-sns-for-alarm-trigger"), and
 * the key must let CloudWatch encrypt (SNS docs, "Enable compatibility between event sources from AWS
 * services and encrypted topics").
 */
describe('flow: CloudWatch alarms publish to the paging topic', () => {
  let world: PolicyWorld;
  let topicId: string;
  let keyId: string;

  beforeAll(() => {
    const app: App = newApp();
    const built: HaApp = buildApp(app);
    const template = app.synth().getStackArtifact(built.primary.artifactId).template as CfnTemplate;
    world = new PolicyWorld(template, built.primary.region);
    const topics = world.idsOf('AWS::SNS::Topic');
    expect(topics).toHaveLength(1);
    topicId = topics[0]!;
    keyId = world.encryptionKeyOf(topicId);
  });

  const alarmArn = (account: string) => `arn:aws:cloudwatch:${world.region}:${account}:alarm:page-fast-burn`;

  const publish = (context: Record<string, string>, principal = 'cloudwatch.amazonaws.com') =>
    evaluate({ principal, action: 'sns:Publish', resource: world.ref(topicId), context, resourcePolicy: world.resourcePolicyOf(topicId) });
  const useKey = (action: string, context: Record<string, string>) =>
    evaluate({ principal: 'cloudwatch.amazonaws.com', action, resource: world.getAtt(keyId, 'Arn'), context, resourcePolicy: world.keyPolicyOf(keyId) });

  const fromOwnAlarm = () => ({
    'aws:SecureTransport': 'true',
    'aws:SourceAccount': ACCOUNT,
    'aws:SourceArn': alarmArn(ACCOUNT),
  });

  it('allows an alarm of this account to publish over TLS', async () => {
    expect(await publish(fromOwnAlarm())).toBe('Allowed');
  });

  it('allows CloudWatch to use the topic key for that alarm', async () => {
    expect(await useKey('kms:GenerateDataKey', fromOwnAlarm())).toBe('Allowed');
    expect(await useKey('kms:Decrypt', fromOwnAlarm())).toBe('Allowed');
  });

  it('denies publishing without TLS', async () => {
    expect(await publish({ ...fromOwnAlarm(), 'aws:SecureTransport': 'false' })).toBe('ExplicitlyDenied');
  });

  it("denies an alarm of another account (the confused deputy)", async () => {
    expect(
      await publish({ 'aws:SecureTransport': 'true', 'aws:SourceAccount': OTHER_ACCOUNT, 'aws:SourceArn': alarmArn(OTHER_ACCOUNT) }),
    ).not.toBe('Allowed');
  });

  it('denies any other service principal', async () => {
    expect(await publish({ 'aws:SecureTransport': 'true', 'aws:SourceAccount': ACCOUNT }, 'events.amazonaws.com')).not.toBe('Allowed');
  });
});
