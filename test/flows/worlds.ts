import { buildApp } from '../../lib/app';
import { cdkJsonContext, newApp, Template } from '../support/synth';
import { CfnTemplate, PolicyWorld } from './policy-world';

/** Both stacks of one synthesis, each as a PolicyWorld; the primary resolves `Fn::GetStackOutput` from the DR stack. */
export interface Worlds {
  readonly primary: PolicyWorld;
  readonly dr: PolicyWorld;
  /** The standby site (`dr.strategy` pilot-light), when the config builds one. */
  readonly drSite?: PolicyWorld;
  /** The stack names, for messages. */
  readonly names: { readonly primary: string; readonly dr: string };
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
  const template = (stack: typeof built.dr | typeof built.primary) => Template.fromStack(stack).toJSON() as CfnTemplate;
  const dr = new PolicyWorld(template(built.dr), built.dr.region);
  const primary = new PolicyWorld(template(built.primary), built.primary.region, undefined, { [built.dr.stackName]: dr });
  const drSite = built.drSite ? new PolicyWorld(Template.fromStack(built.drSite).toJSON() as CfnTemplate, built.drSite.region) : undefined;
  return { primary, dr, drSite, names: { primary: built.primary.stackName, dr: built.dr.stackName } };
}

/** The `ha` override for a Multi-AZ DB cluster instead of the default Multi-AZ DB instance. */
export function clusterDeployment(): Record<string, unknown> {
  const { maxAllocatedStorageGiB: _instanceOnly, ...database } = (cdkJsonContext().ha as { database: Record<string, unknown> }).database;
  return { database: { ...database, deployment: 'cluster', instanceClass: 'db.m6gd.large' } };
}
