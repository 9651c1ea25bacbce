#!/usr/bin/env node
/**
 * A CDK app of someone else's: @ha-reference/constructs installed from npm, the resilience rule pack registered
 * beside AwsSolutions before any stack is built, so an error finding of either fails `cdk synth`.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ResilienceChecks } from '@ha-reference/constructs';
import { WebStack } from './web-stack';

const app = new App();
Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ResilienceChecks(app));

new WebStack(app, 'ConsumerWeb', {
  env: { account: '123456789012', region: 'eu-west-1' },
  description: 'nginx on an existing VPC, with SLO alarms, two chaos drills and a Multi-AZ database, from @ha-reference/constructs',
});
