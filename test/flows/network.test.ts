import { beforeAll, describe, expect } from 'vitest';
import { check, flow, FlowRow } from './flow-table';
import { OTHER_ACCOUNT, PolicyWorld, stemOf } from './policy-world';
import { synthWorlds, warmStandbyWithDns } from './worlds';

/**
 * Flow proof: logs reach their log groups. CloudWatch Logs encrypts each log group with its customer key only
 * when the key policy lets logs.<region>.amazonaws.com use it for that group (CloudWatch Logs user guide,
 * "Encrypt log data in CloudWatch Logs using AWS KMS": the encryption context is aws:logs:arn, the log group's
 * ARN). VPC flow logs write as their role; CDK's custom resource that empties the default security group runs
 * as a Lambda role: both in the primary and in the standby site (HaDrSite, warm standby with dns), whose own log
 * groups' keys dr-site.test.ts proves.
 */
describe('flow: log groups, flow logs and the default security group', () => {
  let world: PolicyWorld;
  /** The primary, and the standby site (warm standby with dns), which has its own network, flow log and default group. */
  let networks: PolicyWorld[];

  beforeAll(() => {
    world = synthWorlds().primary;
    networks = [world, synthWorlds(warmStandbyWithDns()).drSite!];
  });

  const logGroupArn = (id: string, w = world) => `arn:aws:logs:${w.region}:${w.account}:log-group:${w.nameOf(id)}`;
  const asRole = (roleId: string, action: string, resource: string, resourceIsPattern = false, w = world) =>
    check(`${roleId} ${action} ${resource} (${w.region})`, { principal: w.getAtt(roleId, 'Arn'), action, resource, context: {}, identityPolicies: w.identityPoliciesOf(roleId), resourceIsPattern });

  /** Every log group with a customer key, and that key. */
  const encryptedLogGroups = () =>
    world
      .idsOf('AWS::Logs::LogGroup')
      .filter((id) => world.resource(id).Properties!.KmsKeyId !== undefined)
      .map((id) => ({ id, key: (world.resource(id).Properties!.KmsKeyId as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0] }));

  /** The service principal of a row, with `<region>` read as the stack's region. */
  const serviceOf = (row: FlowRow) => row.who.find((w) => w.endsWith('.amazonaws.com'))!.replace('<region>', world.region);

  flow('logs-keys', async (row) => {
    const groups = encryptedLogGroups();
    expect(groups.length).toBeGreaterThan(0);
    for (const { id, key } of groups) expect(row.on, `row ${row.id} names ${stemOf(id)} and its key`).toEqual(expect.arrayContaining([stemOf(id), stemOf(key)]));
    return Promise.all(
      groups.flatMap(({ id, key }) =>
        row.actions.map((action) =>
          check(`${action} ${stemOf(key)} for ${stemOf(id)}`, {
            principal: serviceOf(row),
            action,
            resource: world.getAtt(key, 'Arn'),
            context: { 'kms:EncryptionContext:aws:logs:arn': logGroupArn(id) },
            resourcePolicy: world.keyPolicyOf(key),
          }),
        ),
      ),
    );
  });

  flow('logs-keys-other-account', async (row) => {
    const keys = [...new Set(encryptedLogGroups().map(({ key }) => key))];
    expect(keys.map(stemOf).sort()).toEqual([...row.on].sort());
    const foreign = `arn:aws:logs:${world.region}:${OTHER_ACCOUNT}:log-group:theirs`;
    return Promise.all(
      keys.flatMap((key) =>
        row.actions.flatMap((action) => [
          check(`${action} ${stemOf(key)} for another account's group`, {
            principal: serviceOf(row),
            action,
            resource: world.getAtt(key, 'Arn'),
            context: { 'kms:EncryptionContext:aws:logs:arn': foreign },
            resourcePolicy: world.keyPolicyOf(key),
          }),
          check(`${action} ${stemOf(key)} with no log group`, { principal: serviceOf(row), action, resource: world.getAtt(key, 'Arn'), context: {}, resourcePolicy: world.keyPolicyOf(key) }),
        ]),
      ),
    );
  });

  /** The flow log's role and log group. */
  const flowLog = (w: PolicyWorld) => {
    const [id] = w.idsOf('AWS::EC2::FlowLog');
    const props = w.resource(id!).Properties!;
    return { roleId: (props.DeliverLogsPermissionArn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0], groupId: (props.LogGroupName as { Ref: string }).Ref };
  };

  flow('flow-logs-elsewhere', async (row) => {
    const verdicts = [];
    for (const w of networks) {
      const { roleId } = flowLog(w);
      expect(row.who).toContain(stemOf(roleId));
      for (const group of row.on) verdicts.push(await asRole(roleId, 'logs:PutLogEvents', `${logGroupArn(w.idOf(group), w)}:log-stream:eni-0123456789abcdef0-all`, false, w));
    }
    return verdicts;
  });

  flow('flow-logs-write', async (row) => {
    const verdicts = [];
    for (const w of networks) {
      const { roleId, groupId } = flowLog(w);
      expect(row.who).toContain(stemOf(roleId));
      expect(row.on).toContain(stemOf(groupId));
      const stream = `${logGroupArn(groupId, w)}:log-stream:eni-0123456789abcdef0-all`;
      verdicts.push(
        await asRole(roleId, 'logs:CreateLogStream', stream, false, w),
        await asRole(roleId, 'logs:PutLogEvents', stream, false, w),
        // Log-group actions are authorised on the group's ARN with a trailing :* (CloudWatch Logs API reference,
        // LogGroup: "arn ... Use this version to refer to the ARN in IAM policies").
        await asRole(roleId, 'logs:DescribeLogStreams', `${logGroupArn(groupId, w)}:*`, true, w),
      );
    }
    return verdicts;
  });

  flow('default-sg-restrict', async (row) => {
    const verdicts = [];
    for (const w of networks) {
      const [custom] = w.idsOf('Custom::VpcRestrictDefaultSG');
      const props = w.resource(custom!).Properties!;
      const functionId = (props.ServiceToken as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
      const roleId = (w.resource(functionId).Properties!.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
      expect(row.who).toContain(stemOf(roleId));
      const securityGroup = `arn:aws:ec2:${w.region}:${w.account}:security-group/${w.resolve(props.DefaultSecurityGroupId)}`;
      const ec2 = row.actions.filter((a) => a.startsWith('ec2:'));
      const logStream = `arn:aws:logs:${w.region}:${w.account}:log-group:/aws/lambda/${w.nameOf(functionId)}:log-stream:2026/01/02/[$LATEST]0123`;
      for (const a of ec2) verdicts.push(await asRole(roleId, a, securityGroup, false, w));
      verdicts.push(await asRole(roleId, 'logs:PutLogEvents', logStream, false, w));
    }
    return verdicts;
  });
});
