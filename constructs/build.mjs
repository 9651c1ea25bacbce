#!/usr/bin/env node
/**
 * Builds the package with jsii: `.js` and `.d.ts` in lib/, the `.jsii` assembly beside package.json.
 *
 *   node build.mjs               always build
 *   node build.mjs --if-changed  build only when the sources differ from the last build's
 *
 * "The sources" are every .ts file of the package, package.json, README.md and the versions of jsii,
 * TypeScript and the peer dependencies, hashed together; the hash of the last successful build is kept
 * in lib/.source-hash. `npm ci` (the `prepare` script), `npm test`, `npm run typecheck` and `cdk synth`
 * call it with --if-changed, so the reference app always runs on the package as built from the
 * working tree, and pays for jsii (~15 s) only after a change.
 *
 * jsii writes what it compiles and never deletes: output whose source is gone is removed here, so a
 * renamed file cannot linger in the published package.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(fileURLToPath(import.meta.url));
const outDir = join(root, 'lib');
const stampFile = join(outDir, '.source-hash');
const require = createRequire(join(root, 'package.json'));
/** Top-level directories that are not sources: dependencies, compiled output, pacmak output. */
const NOT_SOURCES = new Set(['node_modules', 'lib', 'dist']);
/** Tools whose version changes the output. */
const TOOLCHAIN = ['jsii', 'typescript', 'aws-cdk-lib', 'constructs', 'cdk-nag'];

function walk(dir, keep) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return dir === root && NOT_SOURCES.has(entry.name) ? [] : walk(path, keep);
    return keep(entry.name) ? [path] : [];
  });
}

const isSource = (name) => name.endsWith('.ts') && !name.endsWith('.d.ts');

function sourceHash() {
  const hash = createHash('sha256');
  const files = [...walk(root, isSource), join(root, 'package.json'), join(root, 'README.md')].filter(existsSync).sort();
  for (const file of files) hash.update(`${relative(root, file)}\0`).update(readFileSync(file)).update('\0');
  for (const name of TOOLCHAIN) hash.update(`${name}@${require(`${name}/package.json`).version}\0`);
  return hash.digest('hex');
}

/** Removes compiled files in lib/ whose .ts source no longer exists. */
function removeOrphans() {
  const compiled = walk(outDir, (name) => /\.(js|d\.ts)$/.test(name));
  for (const file of compiled) {
    const source = join(root, relative(outDir, file).replace(/\.d\.ts$|\.js$/, '.ts'));
    if (!existsSync(source)) rmSync(file);
  }
}

const ifChanged = process.argv.includes('--if-changed');
const hash = sourceHash();
const built = existsSync(stampFile) && existsSync(join(root, '.jsii')) ? readFileSync(stampFile, 'utf8').trim() : undefined;
if (ifChanged && built === hash) process.exit(0);

const name = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).name;
console.error(`building ${name} with jsii${ifChanged ? ` (${built ? 'sources changed since the last build' : 'no successful build yet'})` : ''}`);
const started = Date.now();
// jsii's report goes to stderr: `cdk synth` calls this before the app, and its stdout may carry a template.
const result = spawnSync(process.execPath, [require.resolve('jsii/bin/jsii')], { cwd: root, stdio: ['ignore', 2, 2] });
if (result.status !== 0) {
  rmSync(stampFile, { force: true });
  console.error(`${name}: jsii failed (exit ${result.status ?? result.signal})`);
  process.exit(result.status || 1);
}
removeOrphans();
mkdirSync(outDir, { recursive: true });
writeFileSync(stampFile, `${hash}\n`);
console.error(`built ${name} in ${((Date.now() - started) / 1000).toFixed(1)} s (${relative(process.cwd(), outDir) || '.'}${sep})`);
