#!/usr/bin/env node
/**
 * Writes API.md, the API reference of the package, from its jsii assembly (run `node build.mjs` first).
 * jsii-docgen looks for the assemblies of the package and its dependencies under one directory: the
 * node_modules that holds aws-cdk-lib (the workspace root's, where npm links this package too).
 */
import { existsSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(root, 'package.json'));
const { Documentation, Language } = require('jsii-docgen');

if (!existsSync(join(root, '.jsii'))) {
  console.error('no .jsii assembly: run `node build.mjs` first');
  process.exit(1);
}
const { name } = require('./package.json');
const nodeModules = dirname(dirname(require.resolve('aws-cdk-lib/package.json')));
const docs = await Documentation.forAssembly(name, nodeModules);
const markdown = await docs.toMarkdown({ language: Language.TYPESCRIPT, readme: false });
writeFileSync(join(root, 'API.md'), markdown.render());
console.error(`wrote ${join('constructs', 'API.md')}`);
