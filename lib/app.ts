import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { CONFIG_CONTEXT_KEY, HaConfig, parseConfig } from './config';
import { PrimaryStack } from './primary-stack';

export interface HaApp {
  readonly config: HaConfig;
  readonly primary: PrimaryStack;
}

/**
 * Builds every stack of the reference app from the `ha` context and registers the rule packs.
 * Shared by bin/app.ts and the tests, so the tests check exactly what `cdk synth` produces.
 */
export function buildApp(app: App): HaApp {
  const config = parseConfig(app.node.tryGetContext(CONFIG_CONTEXT_KEY));
  // Registered before any stack is built; findings are errors that fail synthesis.
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));

  const account = process.env.CDK_DEFAULT_ACCOUNT;
  const primary = new PrimaryStack(app, 'HaPrimary', {
    env: { account, region: config.primaryRegion },
    description: 'High-availability reference: network and service in the primary region',
    config,
  });
  return { config, primary };
}
