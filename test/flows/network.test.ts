import { beforeAll, describe, expect } from 'vitest';
import { check, flow, FlowRow } from './flow-table';
import { OTHER_ACCOUNT, PolicyWorld, stemOf } from './policy-world';
import { synthWorlds } from './worlds';

/**
 * Flow proof: logs reach their log groups. CloudWatch Logs encrypts each log group with its customer key only
 * when the key policy lets logs.<region>.amazonaws.com use it for that group (CloudWatch Logs user guide,
 * "Encrypt log data in CloudWatch Logs using AWS KMS": the encryption context is aws:logs:arn, the log group's
 * ARN). VPC flow logs write as their role; CDK's custom resource that empties the default security group runs
 * as a Lambda role.
 */
describe('flow: log groups, flow logs and the default security group', () => {
  let world: PolicyWorld;

  beforeAll(() => {
    world = synthWorlds().primary;
  });

  const logGroupArn = (id: string) => `arn:aws:logs:${world.region}:${world.account}:log-group:${world.nameOf(id)}`;
  const asRole = (roleId: string, action: string, resource: string, resourceIsPattern = false) =>
    check(`${roleId} ${action} ${resource}`, { principal: world.getAtt(roleId, 'Arn'), action, resource, context: {}, identityPolicies: world.identityPoliciesOf(roleId), resourceIsPattern });

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
  const flowLog = () => {
    const [id] = world.idsOf('AWS::EC2::FlowLog');
    const props = world.resource(id!).Properties!;
    return { roleId: (props.DeliverLogsPermissionArn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0], groupId: (props.LogGroupName as { Ref: string }).Ref };
  };

  flow('flow-logs-elsewhere', async (row) => {
    const { roleId } = flowLog();
    expect(row.who).toContain(stemOf(roleId));
    return Promise.all(row.on.map((group) => asRole(roleId, 'logs:PutLogEvents', `${logGroupArn(world.idOf(group))}:log-stream:eni-0123456789abcdef0-all`)));
  });

  flow('flow-logs-write', async (row) => {
    const { roleId, groupId } = flowLog();
    expect(row.who).toContain(stemOf(roleId));
    expect(row.on).toContain(stemOf(groupId));
    const stream = `${logGroupArn(groupId)}:log-stream:eni-0123456789abcdef0-all`;
    return [
      await asRole(roleId, 'logs:CreateLogStream', stream),
      await asRole(roleId, 'logs:PutLogEvents', stream),
      // Log-group actions are authorised on the group's ARN with a trailing :* (CloudWatch Logs API reference,
      // LogGroup: "arn ... Use this version to refer to the ARN in IAM policies").
      await asRole(roleId, 'logs:DescribeLogStreams', `${logGroupArn(groupId)}:*`, true),
    ];
  });

  flow('default-sg-restrict', async (row) => {
    const [custom] = world.idsOf('Custom::VpcRestrictDefaultSG');
    const props = world.resource(custom!).Properties!;
    const functionId = (props.ServiceToken as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    const roleId = (world.resource(functionId).Properties!.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    expect(row.who).toContain(stemOf(roleId));
    const securityGroup = `arn:aws:ec2:${world.region}:${world.account}:security-group/${world.resolve(props.DefaultSecurityGroupId)}`;
    const ec2 = row.actions.filter((a) => a.startsWith('ec2:'));
    const logStream = `arn:aws:logs:${world.region}:${world.account}:log-group:/aws/lambda/${world.nameOf(functionId)}:log-stream:2026/01/02/[$LATEST]0123`;
    return [...(await Promise.all(ec2.map((a) => asRole(roleId, a, securityGroup)))), await asRole(roleId, 'logs:PutLogEvents', logStream)];
  });
});
