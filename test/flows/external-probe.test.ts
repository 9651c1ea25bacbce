import { beforeAll, describe, expect, it } from 'vitest';
import { AlarmTopic, ExternalProbe } from '@ha-reference/constructs';
import { newStack, Template } from '../support/synth';
import { asRole, check, flow, FlowRow, flowRows, Verdict } from './flow-table';
import { interactionsOf, uncovered } from './interactions';
import { ACCOUNT, CfnTemplate, globMatches, OTHER_ACCOUNT, PolicyWorld, stemOf } from './policy-world';
import { synthWorlds, warmStandbyWithDns } from './worlds';

/**
 * Flow proof: the external probe can do its job and nothing else. Its canary's role writes run artifacts into its own
 * bucket with its own key, publishes Synthetics metrics and writes its function's logs; it cannot read or delete its
 * artifacts, touch another bucket or use another key. The probe's alarm can page through the topic of its region.
 *
 * Each request is evaluated on the construct alone (an `ExternalProbe` paging an `AlarmTopic`, in a stack of its own)
 * and on the DR site, pilot light and warm standby with dns, where the canary probes the primary region. The canary,
 * its role, bucket and key, and the alarm and its topic are read from the synthesised canary and alarm, never assumed.
 */
interface Probe {
  readonly name: string;
  readonly world: PolicyWorld;
  readonly role: string;
  readonly bucket: string;
  readonly key: string;
  readonly alarm: string;
  readonly topic: string;
}

/** The probe of a world: its one canary, and what that canary and its alarm refer to. */
function probeOf(name: string, world: PolicyWorld): Probe {
  const canaries = world.idsOf('AWS::Synthetics::Canary');
  expect(canaries, `${name}: one canary`).toHaveLength(1);
  const canaryId = canaries[0]!;
  const canary = world.resource(canaryId).Properties as Record<string, any>;
  const getAtt = (v: unknown) => (v as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
  const refs = (v: unknown) => [...JSON.stringify(v).matchAll(/\{"Ref":"([^"]+)"\}/g)].map((m) => m[1]!);
  const alarms = world
    .idsOf('AWS::CloudWatch::Alarm')
    .filter((id) => (world.resource(id).Properties as Record<string, any>).Namespace === 'CloudWatchSynthetics' && refs(world.resource(id).Properties!.Dimensions).includes(canaryId));
  expect(alarms, `${name}: one alarm on the canary`).toHaveLength(1);
  const alarmActions = refs(world.resource(alarms[0]!).Properties!.AlarmActions);
  expect(alarmActions, `${name}: the alarm notifies one topic`).toHaveLength(1);
  return {
    name,
    world,
    role: getAtt(canary.ExecutionRoleArn),
    bucket: refs(canary.ArtifactS3Location)[0]!,
    key: getAtt(canary.ArtifactConfig.S3Encryption.KmsKeyArn),
    alarm: alarms[0]!,
    topic: alarmActions[0]!,
  };
}

describe('flow: the external probe writes its artifacts and metrics, and its alarm pages', () => {
  let probes: Probe[];
  let alone: PolicyWorld;

  beforeAll(() => {
    // The construct alone, in the DR region of a DR site.
    const stack = newStack();
    const paging = new AlarmTopic(stack, 'Paging', { emailAddresses: ['oncall@example.com'] });
    new ExternalProbe(stack, 'PrimaryProbe', { url: 'https://primary.example.com/health/ready', hostname: 'app.example.com', topic: paging.topic, watchedRegion: 'eu-west-1' });
    alone = new PolicyWorld(Template.fromStack(stack).toJSON() as CfnTemplate, stack.region);
    const site = synthWorlds({ dr: { strategy: 'pilot-light' } }).drSite!;
    // The site of flow-table.test.ts's coverage check: the canary asks for dns.recordName over HTTPS there.
    const standby = synthWorlds(warmStandbyWithDns()).drSite!;
    probes = [probeOf('ExternalProbe alone', alone), probeOf('HaDrSite (pilot light)', site), probeOf('HaDrSite (warm standby, dns)', standby)];
  });

  it('has a row in docs/flows.md for every interaction of the construct (its role, grants, bucket, key and topic policies)', () => {
    // flow-table.test.ts checks the DR site's interactions; the construct's own, wherever it is used, are checked
    // here, so a new grant in it fails until it has a row.
    const interactions = interactionsOf(alone, 'ExternalProbe alone');
    expect(interactions.length).toBeGreaterThan(10);
    const gaps = uncovered(flowRows(), interactions).map((i) => `${i.kind}: ${i.who} ${i.what} ${i.on} (${i.effect}, ${i.source})`);
    expect([...new Set(gaps)], 'interactions with no row in docs/flows.md').toEqual([]);
  });

  /** Every probe's `pick`ed resource must be named by one of the row's tokens (in `who` or `on`). */
  const named = (row: FlowRow, column: 'who' | 'on', pick: (p: Probe) => string) => {
    for (const p of probes) expect(row[column].some((t) => globMatches(t, stemOf(pick(p)))), `row ${row.id} (${column}) names ${pick(p)} of ${p.name}`).toBe(true);
  };
  const each = (make: (p: Probe) => Promise<Verdict>[]) => Promise.all(probes.flatMap(make));
  const bucketArn = (p: Probe) => p.world.getAtt(p.bucket, 'Arn');
  const artifact = (p: Probe) => `${bucketArn(p)}/canary/${p.world.region}/probe/2026/12/04/01/30/SyntheticsReport-PASSED.json`;
  const logGroup = (p: Probe) => `arn:aws:logs:${p.world.region}:${ACCOUNT}:log-group:/aws/lambda/cwsyn-primaryprobe-0123abcd-4567-89ef`;
  const viaS3 = (p: Probe) => ({ 'kms:ViaService': `s3.${p.world.region}.amazonaws.com` });
  const alarmContext = (p: Probe, account = ACCOUNT) => ({
    'aws:SecureTransport': 'true',
    'aws:SourceAccount': account,
    'aws:SourceArn': account === ACCOUNT ? p.world.getAtt(p.alarm, 'Arn') : `arn:aws:cloudwatch:${p.world.region}:${account}:alarm:primary-probe`,
  });

  flow('probe-trust', async (row) => {
    named(row, 'on', (p) => p.role);
    return each((p) => [
      check(`lambda.amazonaws.com assumes ${p.role} (${p.name})`, {
        principal: 'lambda.amazonaws.com',
        action: 'sts:AssumeRole',
        resource: p.world.getAtt(p.role, 'Arn'),
        context: {},
        resourcePolicy: p.world.resolve(p.world.resource(p.role).Properties!.AssumeRolePolicyDocument),
      }),
    ]);
  });

  flow('probe-artifacts-write', async (row) => {
    named(row, 'who', (p) => p.role);
    named(row, 'on', (p) => p.bucket);
    return each((p) => [
      asRole(p.world, p.role, 's3:PutObject', artifact(p), {}, p.world.resourcePolicyOf(p.bucket)),
      asRole(p.world, p.role, 's3:GetBucketLocation', bucketArn(p), {}, p.world.resourcePolicyOf(p.bucket)),
      // Synthetics lists the account's buckets to find its own; there is no resource-level permission for it.
      asRole(p.world, p.role, 's3:ListAllMyBuckets', '*'),
    ]);
  });

  flow('probe-artifacts-key', async (row) => {
    named(row, 'who', (p) => p.role);
    named(row, 'on', (p) => p.key);
    // S3 encrypts each object with a data key of the canary's key, and reads it back for a multipart upload.
    return each((p) =>
      ['kms:GenerateDataKey', 'kms:Encrypt', 'kms:Decrypt'].map((action) => asRole(p.world, p.role, action, p.world.getAtt(p.key, 'Arn'), viaS3(p), p.world.keyPolicyOf(p.key))),
    );
  });

  /** cloudwatch:PutMetricData has no resource type: its only resource is `*`, which the evaluator reads as a pattern. */
  const putMetricData = (p: Probe, namespace: string) =>
    check(`${p.role} cloudwatch:PutMetricData ${namespace} (${p.name})`, {
      principal: p.world.getAtt(p.role, 'Arn'),
      action: 'cloudwatch:PutMetricData',
      resource: '*',
      resourceIsPattern: true,
      context: { 'aws:SecureTransport': 'true', 'cloudwatch:namespace': namespace },
      identityPolicies: p.world.identityPoliciesOf(p.role),
    });

  flow('probe-metrics', async (row) => {
    named(row, 'who', (p) => p.role);
    return each((p) => [putMetricData(p, 'CloudWatchSynthetics')]);
  });

  flow('probe-metrics-other-namespace', async (row) => {
    named(row, 'who', (p) => p.role);
    return each((p) => ['AWS/Lambda', 'HaReference'].map((namespace) => putMetricData(p, namespace)));
  });

  flow('probe-logs', async (row) => {
    named(row, 'who', (p) => p.role);
    return each((p) => [
      asRole(p.world, p.role, 'logs:CreateLogGroup', logGroup(p)),
      asRole(p.world, p.role, 'logs:CreateLogStream', `${logGroup(p)}:log-stream:2026/12/04/[$LATEST]0123456789abcdef`),
      asRole(p.world, p.role, 'logs:PutLogEvents', `${logGroup(p)}:log-stream:2026/12/04/[$LATEST]0123456789abcdef`),
    ]);
  });

  flow('probe-logs-elsewhere', async (row) => {
    named(row, 'who', (p) => p.role);
    return each((p) => [
      asRole(p.world, p.role, 'logs:PutLogEvents', `arn:aws:logs:${p.world.region}:${ACCOUNT}:log-group:/aws/lambda/other-function:log-stream:x`),
      asRole(p.world, p.role, 'logs:CreateLogGroup', `arn:aws:logs:${p.world.region}:${ACCOUNT}:log-group:/ha/audit`),
    ]);
  });

  flow('probe-artifacts-no-read', async (row) => {
    named(row, 'who', (p) => p.role);
    named(row, 'on', (p) => p.bucket);
    return each((p) =>
      ['s3:GetObject', 's3:DeleteObject', 's3:PutObjectAcl'].map((action) => asRole(p.world, p.role, action, artifact(p), {}, p.world.resourcePolicyOf(p.bucket))).concat(
        asRole(p.world, p.role, 's3:ListBucket', bucketArn(p), {}, p.world.resourcePolicyOf(p.bucket)),
        asRole(p.world, p.role, 's3:PutBucketPolicy', bucketArn(p), {}, p.world.resourcePolicyOf(p.bucket)),
      ),
    );
  });

  flow('probe-other-buckets', async (row) => {
    named(row, 'who', (p) => p.role);
    return each((p) => [
      asRole(p.world, p.role, 's3:GetObject', 'arn:aws:s3:::other-bucket/backup.sql'),
      asRole(p.world, p.role, 's3:PutObject', 'arn:aws:s3:::other-bucket/anything'),
      asRole(p.world, p.role, 's3:ListBucket', 'arn:aws:s3:::other-bucket'),
      asRole(p.world, p.role, 's3:DeleteObject', 'arn:aws:s3:::other-bucket/anything'),
    ]);
  });

  flow('probe-other-keys', async (row) => {
    named(row, 'who', (p) => p.role);
    named(row, 'on', (p) => p.world.encryptionKeyOf(p.topic));
    // The paging topic's key delegates to IAM like the artifacts key: only the role's policies could allow it.
    return each((p) => {
      const topicKey = p.world.encryptionKeyOf(p.topic);
      return ['kms:Decrypt', 'kms:GenerateDataKey'].map((action) => asRole(p.world, p.role, action, p.world.getAtt(topicKey, 'Arn'), viaS3(p), p.world.keyPolicyOf(topicKey)));
    });
  });

  flow('probe-artifacts-no-tls', async (row) => {
    named(row, 'on', (p) => p.bucket);
    return each((p) => [
      asRole(p.world, p.role, 's3:PutObject', artifact(p), { 'aws:SecureTransport': 'false' }, p.world.resourcePolicyOf(p.bucket)),
      check(`another account without TLS (${p.name})`, {
        principal: `arn:aws:iam::${OTHER_ACCOUNT}:root`,
        action: 's3:GetObject',
        resource: artifact(p),
        context: { 'aws:SecureTransport': 'false' },
        resourcePolicy: p.world.resourcePolicyOf(p.bucket),
      }),
    ]);
  });

  flow('probe-alarm-pages', async (row) => {
    named(row, 'on', (p) => p.topic);
    named(row, 'on', (p) => p.world.encryptionKeyOf(p.topic));
    return each((p) => {
      const key = p.world.encryptionKeyOf(p.topic);
      return [
        check(`the probe alarm publishes (${p.name})`, { principal: 'cloudwatch.amazonaws.com', action: 'sns:Publish', resource: p.world.ref(p.topic), context: alarmContext(p), resourcePolicy: p.world.resourcePolicyOf(p.topic) }),
        ...['kms:GenerateDataKey', 'kms:Decrypt'].map((action) =>
          check(`CloudWatch ${action} for the probe alarm (${p.name})`, { principal: 'cloudwatch.amazonaws.com', action, resource: p.world.getAtt(key, 'Arn'), context: alarmContext(p), resourcePolicy: p.world.keyPolicyOf(key) }),
        ),
      ];
    });
  });

  flow('probe-alarm-other-account', async (row) => {
    named(row, 'on', (p) => p.topic);
    return each((p) => [
      check(`another account's alarm publishes (${p.name})`, {
        principal: 'cloudwatch.amazonaws.com',
        action: 'sns:Publish',
        resource: p.world.ref(p.topic),
        context: alarmContext(p, OTHER_ACCOUNT),
        resourcePolicy: p.world.resourcePolicyOf(p.topic),
      }),
    ]);
  });
});
