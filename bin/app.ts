#!/usr/bin/env node
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { buildApp } from '../lib/app';
import { ConfigError } from '../lib/config';
import { buildReport, loadInput, renderMarkdown } from '@ha-reference/constructs/report';

const app = new App();
try {
  buildApp(app);
} catch (err) {
  // A bad `ha` value is the user's to fix: one line naming the key, the value and what is allowed, no stack
  // trace. Anything else (a construct's own validation, a bug) keeps the CDK's error with its trace.
  if (!(err instanceof ConfigError)) throw err;
  process.stderr.write(`Invalid configuration: ${err.message}\n`);
  process.exit(1);
}
const assembly = app.synth();

// Every synthesis also leaves the resilience report beside the templates (cdk.out/resilience-report.md).
const report = buildReport(loadInput(assembly.directory));
writeFileSync(path.join(assembly.directory, 'resilience-report.md'), renderMarkdown(report));
