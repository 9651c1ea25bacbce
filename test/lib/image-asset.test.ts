import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { FileSystem, IgnoreMode } from 'aws-cdk-lib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IMAGE_ASSET_EXCLUDES } from '../../lib/service-tier';

/** A throwaway copy of the repository layout, so the test can edit files freely. */
function writeTree(root: string, files: Record<string, string>): void {
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), content);
  }
}

const fingerprint = (root: string) => FileSystem.fingerprint(root, { exclude: IMAGE_ASSET_EXCLUDES, ignoreMode: IgnoreMode.GLOB });

describe('image asset', () => {
  let root: string;
  let before: string;

  beforeEach(() => {
    root = mkdtempSync(path.join(tmpdir(), 'asset-'));
    writeTree(root, {
      'package.json': '{"name":"root"}',
      'package-lock.json': '{"lockfileVersion":3}',
      'app/package.json': '{"name":"app"}',
      'app/tsconfig.json': '{}',
      'app/Dockerfile': 'FROM scratch',
      'app/src/server.ts': 'export {};',
      'test/app/server.test.ts': '// test',
      'docs/benchmarks.md': '# numbers',
      'lib/primary-stack.ts': '// stack',
      'README.md': '# readme',
      '.gitignore': 'node_modules/',
    });
    before = fingerprint(root);
  });

  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it.each([
    ['a test changes', 'test/app/server.test.ts'],
    ['a new test appears', 'test/app/new.test.ts'],
    ['the docs change', 'docs/benchmarks.md'],
    ['the README changes', 'README.md'],
    ['a stack changes', 'lib/primary-stack.ts'],
    ['the built output changes', 'app/dist/server.js'],
  ])('does not change when %s', (_what, file) => {
    writeTree(root, { [file]: `changed ${Date.now()}` });
    expect(fingerprint(root)).toBe(before);
  });

  it.each([
    ['the service code changes', 'app/src/server.ts'],
    ['the Dockerfile changes', 'app/Dockerfile'],
    ['the lock file changes', 'package-lock.json'],
    ['the app manifest changes', 'app/package.json'],
  ])('changes when %s', (_what, file) => {
    writeTree(root, { [file]: `changed ${Date.now()}` });
    expect(fingerprint(root)).not.toBe(before);
  });
});

describe('app/Dockerfile', () => {
  const dockerfile = readFileSync(path.join(__dirname, '..', '..', 'app', 'Dockerfile'), 'utf8');
  const finalStage = dockerfile.split(/^FROM /m).at(-1) ?? '';

  it('runs the final stage as a non-root user', () => {
    const users = [...finalStage.matchAll(/^USER\s+(\S+)/gm)].map((m) => m[1]);
    expect(users.length).toBeGreaterThan(0);
    expect(users.at(-1)).not.toMatch(/^(root|0)(:|$)/);
  });

  it('is multi-stage and installs production dependencies only into the final image', () => {
    expect(dockerfile.match(/^FROM /gm)?.length).toBeGreaterThanOrEqual(2);
    expect(dockerfile).toMatch(/npm ci[^\n]*--omit=dev/);
    expect(finalStage).toMatch(/NODE_ENV=production/);
  });

  it('defines the health check the task definition uses', () => {
    expect(finalStage).toMatch(/HEALTHCHECK[^\n]*node", "dist\/healthcheck\.js"/);
  });
});
