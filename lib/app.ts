import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ResilienceChecks } from '@ha-reference/constructs';
import { CONFIG_CONTEXT_KEY, HaConfig, parseConfig } from './config';
import { DrSiteStack, primarySource } from './dr-site-stack';
import { DrStack } from './dr-stack';
import { PrimaryStack } from './primary-stack';

export interface HaApp {
  readonly config: HaConfig;
  readonly primary: PrimaryStack;
  readonly dr: DrStack;
  /** The standby site in the DR region (`dr.strategy` pilot-light or warm-standby). */
  readonly drSite?: DrSiteStack;
}

/**
 * Builds every stack of the reference app from the `ha` context and registers the rule packs.
 * Shared by bin/app.ts and the tests, so the tests check exactly what `cdk synth` produces.
 */
export function buildApp(app: App): HaApp {
  const config = parseConfig(app.node.tryGetContext(CONFIG_CONTEXT_KEY));
  // Registered before any stack is built; findings are errors that fail synthesis.
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ResilienceChecks(app));

  const account = process.env.CDK_DEFAULT_ACCOUNT;
  // The DR stack comes first: the primary stack reads its key and vault ARNs (Fn::GetStackOutput, resolved by
  // CloudFormation at deploy time), so `cdk deploy --all` must deploy it first. See docs/disaster-recovery.md.
  const dr = new DrStack(app, 'HaDr', {
    env: { account, region: config.drRegion },
    description: 'High-availability reference: backup key and vault in the disaster-recovery region',
    config,
  });
  const primary = new PrimaryStack(app, 'HaPrimary', {
    env: { account, region: config.primaryRegion },
    description: 'High-availability reference: network, service and database in the primary region',
    config,
    disasterRecovery: dr.targets,
  });
  primary.addStackDependency(dr, 'reads the DR key and vault ARNs with Fn::GetStackOutput');
  if (config.dr.strategy === 'backup-restore') return { config, primary, dr };

  // The standby site deploys last: its replica's source is the primary database (docs/disaster-recovery.md).
  const drSite = new DrSiteStack(app, 'HaDrSite', {
    env: { account, region: config.drRegion },
    description: `High-availability reference: ${config.dr.strategy} site (network, read replica, standby service, canary on the primary) in the disaster-recovery region`,
    config,
    disasterRecovery: dr.targets,
    primary: primarySource(primary.stackName, primary.region, {
      database: PrimaryStack.DATABASE_ARN_OUTPUT,
      databaseSecret: PrimaryStack.DATABASE_SECRET_ARN_OUTPUT,
      loadBalancer: PrimaryStack.LOAD_BALANCER_DNS_OUTPUT,
    }),
  });
  drSite.addStackDependency(primary, 'reads the primary database ARN with Fn::GetStackOutput');
  drSite.addStackDependency(dr, 'reads the DR key ARN with Fn::GetStackOutput');
  return { config, primary, dr, drSite };
}
