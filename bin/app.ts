#!/usr/bin/env node
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { buildApp } from '../lib/app';
import { loadInput } from '../tools/report/load';
import { renderMarkdown } from '../tools/report/markdown';
import { buildReport } from '../tools/report/report';

const app = new App();
buildApp(app);
const assembly = app.synth();

// Every synthesis also leaves the resilience report beside the templates (cdk.out/resilience-report.md).
const report = buildReport(loadInput(assembly.directory));
writeFileSync(path.join(assembly.directory, 'resilience-report.md'), renderMarkdown(report));
