import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

// The app as `cdk synth` runs it (cdk.json: "npx tsx bin/app.ts"); the CLI hands the context over in
// CDK_CONTEXT_JSON. Bad configuration must reach a person as one line, not as a stack trace.
const root = path.join(__dirname, '../..');
const outdir = mkdtempSync(path.join(tmpdir(), 'ha-config-cli-'));
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

function synth(ha: unknown) {
  const run = spawnSync(process.execPath, [path.join(root, 'node_modules/tsx/dist/cli.mjs'), path.join(root, 'bin/app.ts')], {
    cwd: root,
    env: { ...process.env, CDK_CONTEXT_JSON: JSON.stringify({ ha }), CDK_OUTDIR: outdir },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { status: run.status, stderr: run.stderr, lines: run.stderr.trim().split('\n') };
}

describe('bin/app.ts with bad configuration', () => {
  it.each([
    ['a misspelt key', { servce: {} }, 'Invalid configuration: servce is not a key of context "ha": did you mean service? (known keys: '],
    ['a bad value', { service: { cpu: 300 } }, 'Invalid configuration: service.cpu must be one of 256, 512, '],
    ['unparseable -c ha=... JSON', '{"service": {', 'Invalid configuration: context "ha" must be a JSON object, got unparseable text: '],
  ])('prints one line for %s and exits 1', (_name, ha, start) => {
    const { status, stderr, lines } = synth(ha);
    expect(status).toBe(1);
    expect(lines, stderr).toHaveLength(1);
    expect(lines[0]).toContain(start);
    expect(stderr).not.toMatch(/\n\s+at /);
  });
});
