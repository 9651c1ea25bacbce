import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../lib/app';
import { newApp } from '../support/synth';
import { ACCOUNT, CfnTemplate, evaluate, PolicyWorld } from './policy-world';

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
    const app = newApp();
    const built = buildApp(app);
    const template = app.synth().getStackArtifact(built.primary.artifactId).template as CfnTemplate;
    world = new PolicyWorld(template, built.primary.region);
    scheduleRoles = world
      .idsOf('AWS::IAM::Role')
      .filter((id) => JSON.stringify(world.resource(id).Properties!.AssumeRolePolicyDocument).includes('scheduler.amazonaws.com'));
    const queues = world.idsOf('AWS::SQS::Queue');
    expect(queues).toHaveLength(1);
    queueId = queues[0]!;
    queueKeyId = world.encryptionKeyOf(queueId);
  });

  const asRole = (roleId: string, action: string, resource: string, resourcePolicy: unknown, context: Record<string, string> = {}) =>
    evaluate({
      principal: world.getAtt(roleId, 'Arn'),
      action,
      resource,
      context: { 'aws:SecureTransport': 'true', ...context },
      identityPolicies: world.identityPoliciesOf(roleId),
      resourcePolicy,
    });

  it('has one role per scheduled experiment', () => {
    expect(scheduleRoles.length).toBe(world.idsOf('AWS::Scheduler::Schedule').length);
    expect(scheduleRoles.length).toBeGreaterThan(0);
  });

  it('lets every schedule role send to the dead-letter queue', async () => {
    for (const role of scheduleRoles) {
      expect(await asRole(role, 'sqs:SendMessage', world.getAtt(queueId, 'Arn'), world.resourcePolicyOf(queueId)), role).toBe('Allowed');
    }
  });

  it('lets every schedule role use the queue key through SQS', async () => {
    const viaSqs = { 'kms:ViaService': `sqs.${world.region}.amazonaws.com` };
    for (const role of scheduleRoles) {
      for (const action of ['kms:GenerateDataKey', 'kms:Decrypt']) {
        expect(await asRole(role, action, world.getAtt(queueKeyId, 'Arn'), world.keyPolicyOf(queueKeyId), viaSqs), `${role} ${action}`).toBe('Allowed');
      }
    }
  });

  it('does not let a schedule role use the queue key outside SQS', async () => {
    for (const role of scheduleRoles) {
      expect(await asRole(role, 'kms:Decrypt', world.getAtt(queueKeyId, 'Arn'), world.keyPolicyOf(queueKeyId), { 'kms:ViaService': `s3.${world.region}.amazonaws.com` })).not.toBe('Allowed');
    }
  });

  it('lets each schedule role start only its own experiment template', async () => {
    const templates = world.idsOf('AWS::FIS::ExperimentTemplate');
    for (const role of scheduleRoles) {
      const allowed: string[] = [];
      for (const t of templates) {
        // AWS::FIS::ExperimentTemplate has no Arn attribute; its Ref is the template ID.
        const arn = `arn:aws:fis:${world.region}:${ACCOUNT}:experiment-template/${world.ref(t)}`;
        if ((await asRole(role, 'fis:StartExperiment', arn, undefined)) === 'Allowed') allowed.push(t);
      }
      expect(allowed, role).toHaveLength(1);
    }
  });

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
