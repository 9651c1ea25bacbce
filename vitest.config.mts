import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The tests use @ha-reference/constructs through its build output, like the reference app: build it if stale.
    globalSetup: ['test/support/build-constructs.ts'],
    snapshotSerializers: ['test/support/asset-hash-serializer.ts'],
    // Synthesis and the real-server integration tests are CPU-heavy; two cores run two files at a time.
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // CI reads the counts from the JSON report; people read the default one.
    reporters: process.env.CI ? ['default', ['json', { outputFile: 'reports/vitest.json' }]] : ['default'],
  },
});
