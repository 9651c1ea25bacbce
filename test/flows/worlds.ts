import type { Stack } from 'aws-cdk-lib';
import { buildApp } from '../../lib/app';
import { cdkJsonContext, newApp, Template } from '../support/synth';
import { CfnTemplate, PolicyWorld } from './policy-world';

/**
 * The stacks of one synthesis, each as a PolicyWorld; each resolves `Fn::GetStackOutput` from the stacks it reads:
 * the primary from the DR stack, the standby site from both (the DR key, the primary's database and secret).
 */
export interface Worlds {
  readonly primary: PolicyWorld;
  readonly dr: PolicyWorld;
  /** The standby site (`dr.strategy` pilot-light or warm-standby), when the config builds one. */
  readonly drSite?: PolicyWorld;
  /** The stack names, for messages. */
  readonly names: { readonly primary: string; readonly dr: string; readonly drSite?: string };
}

/**
 * Synthesises the app as `cdk synth` does (cdk.json context plus `ha` overrides) and returns its templates as
 * PolicyWorlds. Template.fromStack skips the validation plugins (AwsSolutions, the resilience rules), which only
 * judge the templates and run in test/lib's stack tests: the templates are the same, in a third of the time.
 * Synthesis still takes seconds: call it once per test file, in beforeAll.
 */
export function synthWorlds(ha: Record<string, unknown> = {}): Worlds {
  const base = cdkJsonContext().ha as Record<string, unknown>;
  const app = newApp({ ha: { ...base, ...ha } });
  const built = buildApp(app);
  const template = (stack: Stack) => Template.fromStack(stack).toJSON() as CfnTemplate;
  const dr = new PolicyWorld(template(built.dr), built.dr.region);
  const primary = new PolicyWorld(template(built.primary), built.primary.region, undefined, { [built.dr.stackName]: dr });
  const drSite = built.drSite
    ? new PolicyWorld(template(built.drSite), built.drSite.region, undefined, { [built.dr.stackName]: dr, [built.primary.stackName]: primary })
    : undefined;
  return { primary, dr, drSite, names: { primary: built.primary.stackName, dr: built.dr.stackName, drSite: built.drSite?.stackName } };
}

/** The `ha` override for a Multi-AZ DB cluster instead of the default Multi-AZ DB instance. */
export function clusterDeployment(): Record<string, unknown> {
  const { maxAllocatedStorageGiB: _instanceOnly, ...database } = (cdkJsonContext().ha as { database: Record<string, unknown> }).database;
  return { database: { ...database, deployment: 'cluster', instanceClass: 'db.m6gd.large' } };
}

/**
 * The `ha` override with the most standby-site resources: a warm standby (its tasks run, with their infrastructure
 * alarms), DNS failover (the Route 53 health check the runbook reads) and a certificate per region, as
 * test/lib/dr-site-stack.test.ts synthesises it nag-clean.
 */
export function warmStandbyWithDns(): Record<string, unknown> {
  return {
    certificateArn: 'arn:aws:acm:us-east-1:111111111111:certificate/11111111-2222-3333-4444-555555555555',
    dns: { hostedZoneId: 'Z0123456789ABCDEFGHIJ', zoneName: 'example.com', recordName: 'api.example.com' },
    dr: { strategy: 'warm-standby', certificateArn: 'arn:aws:acm:us-west-2:111111111111:certificate/66666666-7777-8888-9999-000000000000' },
  };
}
