import { beforeAll, describe, expect, it } from 'vitest';
import { asRole as asScheduleRole, flow, Verdict } from './flow-table';
import { ACCOUNT, PolicyWorld, stemOf } from './policy-world';
import { synthWorlds } from './worlds';

/**
 * Flow proof: each EventBridge Scheduler role can start its experiment and, when a start fails after its
 * retries, write the event to the dead-letter queue. The queue is encrypted with a customer key, so the
 * producer needs kms:GenerateDataKey and kms:Decrypt besides sqs:SendMessage (SQS developer guide, "Key
 * management": permissions for producers to an SSE-KMS queue). Evaluated on the synthesised template.
 */
describe('flow: chaos schedules start experiments and dead-letter failures', () => {
  let world: PolicyWorld;
  let scheduleRoles: string[];
  let queueId: string;
  let queueKeyId: string;

  beforeAll(() => {
    world = synthWorlds().primary;
    scheduleRoles = world
      .idsOf('AWS::IAM::Role')
      .filter((id) => JSON.stringify(world.resource(id).Properties!.AssumeRolePolicyDocument).includes('scheduler.amazonaws.com'));
    const queues = world.idsOf('AWS::SQS::Queue');
    expect(queues).toHaveLength(1);
    queueId = queues[0]!;
    queueKeyId = world.encryptionKeyOf(queueId);
  });

  // Argument order of these proofs: the resource policy (queue, key) matters more often than extra context.
  const asRole = (roleId: string, action: string, resource: string, resourcePolicy: unknown, context: Record<string, string> = {}) =>
    asScheduleRole(world, roleId, action, resource, context, resourcePolicy);
  const forEachRole = async (prove: (role: string) => Promise<Verdict[]>) => (await Promise.all(scheduleRoles.map(prove))).flat();

  /** The experiment template a schedule starts, read from its input. */
  const templateOf = (roleId: string) => {
    const schedule = world
      .idsOf('AWS::Scheduler::Schedule')
      .map((id) => world.resource(id).Properties!.Target as { RoleArn: unknown; Input: unknown })
      .find((target) => JSON.stringify(target.RoleArn).includes(roleId))!;
    return JSON.parse(world.resolve(schedule.Input) as string).ExperimentTemplateId as string;
  };
  // AWS::FIS::ExperimentTemplate has no Arn attribute; its Ref is the template ID.
  const templateArn = (templateRef: string) => `arn:aws:fis:${world.region}:${ACCOUNT}:experiment-template/${templateRef}`;
  const templates = () => world.idsOf('AWS::FIS::ExperimentTemplate').map((t) => world.ref(t));

  it('has one role per scheduled experiment', () => {
    expect(scheduleRoles.length).toBe(world.idsOf('AWS::Scheduler::Schedule').length);
    expect(scheduleRoles.length).toBeGreaterThan(0);
  });

  flow('schedule-dead-letter', () => forEachRole(async (role) => [await asRole(role, 'sqs:SendMessage', world.getAtt(queueId, 'Arn'), world.resourcePolicyOf(queueId))]));

  flow('schedule-dead-letter-key', () =>
    forEachRole(async (role) => {
      const viaSqs = { 'kms:ViaService': `sqs.${world.region}.amazonaws.com` };
      return Promise.all(['kms:GenerateDataKey', 'kms:Decrypt'].map((action) => asRole(role, action, world.getAtt(queueKeyId, 'Arn'), world.keyPolicyOf(queueKeyId), viaSqs)));
    }),
  );

  flow('schedule-key-outside-sqs', () =>
    forEachRole(async (role) => [
      await asRole(role, 'kms:Decrypt', world.getAtt(queueKeyId, 'Arn'), world.keyPolicyOf(queueKeyId), { 'kms:ViaService': `s3.${world.region}.amazonaws.com` }),
      await asRole(role, 'kms:Decrypt', world.getAtt(queueKeyId, 'Arn'), world.keyPolicyOf(queueKeyId)),
    ]),
  );

  // StartExperiment is authorised on the template and on the experiment it creates (Service Authorization
  // Reference, AWS FIS: experiment* and experiment-template*).
  flow('schedule-start', () =>
    forEachRole(async (role) => [
      await asRole(role, 'fis:StartExperiment', templateArn(templateOf(role)), undefined),
      await asRole(role, 'fis:StartExperiment', `arn:aws:fis:${world.region}:${ACCOUNT}:experiment/EXP0123456789abcd`, undefined),
    ]),
  );

  flow('schedule-start-other', () =>
    forEachRole(async (role) => {
      const others = templates().filter((t) => t !== templateOf(role));
      expect(others.length).toBeGreaterThan(0);
      return Promise.all(others.map((t) => asRole(role, 'fis:StartExperiment', templateArn(t), undefined)));
    }),
  );

  /** The role FIS runs a schedule's experiment as (the template's RoleArn). */
  const experimentRoleOf = (scheduleRole: string) => {
    const template = world.idsOf('AWS::FIS::ExperimentTemplate').find((t) => world.ref(t) === templateOf(scheduleRole))!;
    return (world.resource(template).Properties!.RoleArn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
  };
  // StartExperiment passes the template's role to FIS (FIS user guide, "IAM roles for AWS FIS experiments").
  const toFis = { 'iam:PassedToService': 'fis.amazonaws.com' };

  flow('schedule-pass-role', (row) =>
    forEachRole(async (role) => {
      const experimentRole = experimentRoleOf(role);
      expect(row.on).toContain(stemOf(experimentRole));
      return [await asRole(role, 'iam:PassRole', world.getAtt(experimentRole, 'Arn'), undefined, toFis)];
    }),
  );

  flow('schedule-pass-other-role', () =>
    forEachRole(async (role) => {
      const own = experimentRoleOf(role);
      const others = world.idsOf('AWS::IAM::Role').filter((r) => r !== own);
      expect(others.length).toBeGreaterThan(0);
      return Promise.all(others.map((other) => asRole(role, 'iam:PassRole', world.getAtt(other, 'Arn'), undefined, toFis)));
    }),
  );

  flow('dead-letters-no-tls', () =>
    forEachRole(async (role) => [
      await asRole(role, 'sqs:SendMessage', world.getAtt(queueId, 'Arn'), world.resourcePolicyOf(queueId), { 'aws:SecureTransport': 'false' }),
      await asRole(role, 'sqs:ReceiveMessage', world.getAtt(queueId, 'Arn'), world.resourcePolicyOf(queueId), { 'aws:SecureTransport': 'false' }),
    ]),
  );

  it('gives a retried start the same client token, so one invocation starts at most one experiment', () => {
    // <aws.scheduler.execution-id> is new for every attempt; <aws.scheduler.scheduled-time> is the time the
    // invocation was scheduled for, the same on every retry of it (EventBridge Scheduler user guide, "Adding
    // context attributes"). FIS treats a repeated ClientToken as the same request (StartExperiment API).
    const tokens = world.idsOf('AWS::Scheduler::Schedule').map((id) => {
      const input = JSON.parse(world.resolve((world.resource(id).Properties!.Target as { Input: unknown }).Input) as string);
      expect(input.ClientToken).not.toContain('<aws.scheduler.execution-id>');
      expect(input.ClientToken).toBe(`${input.ExperimentTemplateId}-<aws.scheduler.scheduled-time>`);
      // FIS allows 64 characters: a template ID (EXT + 14) and an ISO time (20) fit with room to spare.
      return input.ClientToken as string;
    });
    expect(new Set(tokens).size).toBe(tokens.length);
  });
});
