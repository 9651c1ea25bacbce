import { beforeAll, describe, expect } from 'vitest';
import { check, flow } from './flow-table';
import { ACCOUNT, OTHER_ACCOUNT, PolicyWorld } from './policy-world';
import { synthWorlds } from './worlds';

/**
 * Flow proof: CloudWatch alarms can page. The synthesised topic policy and key policy are evaluated by a real
 * IAM policy evaluator. A topic policy replaces SNS's default policy, so the topic itself must allow
 * cloudwatch.amazonaws.com to publish (AWS Knowledge Center, "cloudwatch-receive-sns-for-alarm-trigger"), and
 * the key must let CloudWatch encrypt (SNS docs, "Enable compatibility between event sources from AWS
 * services and encrypted topics").
 */
describe('flow: CloudWatch alarms in the DR region publish to its paging topic (pilot light)', () => {
  let world: PolicyWorld;
  let topicId: string;
  let keyId: string;

  beforeAll(() => {
    world = synthWorlds({ dr: { strategy: 'pilot-light' } }).drSite!;
    const topics = world.idsOf('AWS::SNS::Topic');
    expect(topics).toHaveLength(1);
    topicId = topics[0]!;
    keyId = world.encryptionKeyOf(topicId);
  });

  const alarmArn = (account: string) => `arn:aws:cloudwatch:${world.region}:${account}:alarm:primary-probe`;
  const ownAlarm = () => ({ 'aws:SecureTransport': 'true', 'aws:SourceAccount': ACCOUNT, 'aws:SourceArn': alarmArn(ACCOUNT) });
  const publish = (label: string, context: Record<string, string>) =>
    check(label, { principal: 'cloudwatch.amazonaws.com', action: 'sns:Publish', resource: world.ref(topicId), context, resourcePolicy: world.resourcePolicyOf(topicId) });
  const useKey = (action: string) =>
    check(action, { principal: 'cloudwatch.amazonaws.com', action, resource: world.getAtt(keyId, 'Arn'), context: ownAlarm(), resourcePolicy: world.keyPolicyOf(keyId) });

  flow('dr-paging-publish', async () => [await publish('own alarm in the DR region over TLS', ownAlarm())]);
  flow('dr-paging-key', async () => [await useKey('kms:GenerateDataKey'), await useKey('kms:Decrypt')]);
  flow('dr-paging-other-account', async () => [
    await publish('alarm of another account', { 'aws:SecureTransport': 'true', 'aws:SourceAccount': OTHER_ACCOUNT, 'aws:SourceArn': alarmArn(OTHER_ACCOUNT) }),
  ]);
});

describe('flow: CloudWatch alarms publish to the paging topic', () => {
  let world: PolicyWorld;
  let topicId: string;
  let keyId: string;

  beforeAll(() => {
    world = synthWorlds().primary;
    const topics = world.idsOf('AWS::SNS::Topic');
    expect(topics).toHaveLength(1);
    topicId = topics[0]!;
    keyId = world.encryptionKeyOf(topicId);
  });

  const alarmArn = (account: string) => `arn:aws:cloudwatch:${world.region}:${account}:alarm:page-fast-burn`;

  const publish = (label: string, context: Record<string, string>, principal = 'cloudwatch.amazonaws.com') =>
    check(label, { principal, action: 'sns:Publish', resource: world.ref(topicId), context, resourcePolicy: world.resourcePolicyOf(topicId) });
  const useKey = (action: string, context: Record<string, string>) =>
    check(action, { principal: 'cloudwatch.amazonaws.com', action, resource: world.getAtt(keyId, 'Arn'), context, resourcePolicy: world.keyPolicyOf(keyId) });

  const fromOwnAlarm = () => ({
    'aws:SecureTransport': 'true',
    'aws:SourceAccount': ACCOUNT,
    'aws:SourceArn': alarmArn(ACCOUNT),
  });

  flow('paging-publish', async () => [await publish('own alarm over TLS', fromOwnAlarm())]);

  flow('paging-key', async () => [await useKey('kms:GenerateDataKey', fromOwnAlarm()), await useKey('kms:Decrypt', fromOwnAlarm())]);

  flow('paging-no-tls', async () => [
    await publish('own alarm without TLS', { ...fromOwnAlarm(), 'aws:SecureTransport': 'false' }),
    await publish('another account without TLS', { 'aws:SecureTransport': 'false' }, `arn:aws:iam::${OTHER_ACCOUNT}:root`),
  ]);

  flow('paging-other-account', async () => [
    await publish('alarm of another account', { 'aws:SecureTransport': 'true', 'aws:SourceAccount': OTHER_ACCOUNT, 'aws:SourceArn': alarmArn(OTHER_ACCOUNT) }),
  ]);

  flow('paging-other-service', async () => [
    await publish('events.amazonaws.com', { 'aws:SecureTransport': 'true', 'aws:SourceAccount': ACCOUNT }, 'events.amazonaws.com'),
  ]);
});
