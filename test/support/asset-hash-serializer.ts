import type { SnapshotSerializer } from 'vitest';

/**
 * Replaces every 64-hex asset hash in a snapshot with a placeholder, so an edit to app/ (which
 * changes the image asset hash) does not churn the infrastructure snapshots.
 */
const HAS_HASH = /[0-9a-f]{64}/;
const ALL_HASHES = /[0-9a-f]{64}/g;

const serializer: SnapshotSerializer = {
  test: (value: unknown) => typeof value === 'string' && HAS_HASH.test(value),
  // The replaced string no longer matches `test`, so the printer does not come back here.
  serialize: (value: string, config, indentation, depth, refs, printer) =>
    printer(value.replace(ALL_HASHES, '[ASSET HASH]'), config, indentation, depth, refs),
};

export default serializer;
