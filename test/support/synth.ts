import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Template } from 'aws-cdk-lib/assertions';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { buildApp, type HaApp } from '../../lib/app';

/** The feature flags and the `ha` defaults exactly as cdk.json gives them to `cdk synth`. */
export function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'cdk.json'), 'utf8'));
  return cdkJson.context as Record<string, unknown>;
}

/** An App with cdk.json's context, plus overrides (for example a different `ha` config). */
export function newApp(overrides: Record<string, unknown> = {}): App {
  return new App({ context: { ...cdkJsonContext(), ...overrides } });
}

/** A bare stack with a fixed region, for construct-level tests. */
export function newStack(app: App = newApp(), id = 'Test'): Stack {
  return new Stack(app, id, { env: { account: '111111111111', region: 'us-east-1' } });
}

export { Annotations, Template };

/** Builds and synthesises the whole reference app as `cdk synth` does; records a synth error instead of throwing it. */
export function synthApp(overrides: Record<string, unknown> = {}): { app: App; built: HaApp; synthError: unknown } {
  const app = newApp(overrides);
  const built = buildApp(app);
  let synthError: unknown;
  try {
    app.synth();
  } catch (err) {
    synthError = err;
  }
  return { app, built, synthError };
}
