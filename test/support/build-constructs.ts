import { execFileSync } from 'node:child_process';
import * as path from 'node:path';

/**
 * Vitest global setup: the tests import `@ha-reference/constructs` as the reference app does, which
 * resolves to its jsii build output, so build it first when its sources changed (a no-op otherwise).
 */
export default function buildConstructs(): void {
  execFileSync(process.execPath, [path.join(__dirname, '..', '..', 'constructs', 'build.mjs'), '--if-changed'], { stdio: 'inherit' });
}
