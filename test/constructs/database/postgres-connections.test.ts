import { describe, expect, it } from 'vitest';
import { instanceClassMemoryGiB, postgresMaxConnections } from '@ha-reference/constructs/pure';

describe('postgresMaxConnections', () => {
  it.each([
    ['db.m7g.large', 8, 901],
    ['db.m6gd.large', 8, 901],
    ['db.r7g.xlarge', 32, 3604],
    ['db.t4g.micro', 1, 112],
    ['db.c6gd.2xlarge', 16, 1802],
  ])('%s: %i GiB, LEAST(memory / 9531392, 5000) = %i', (instanceClass, gib, connections) => {
    expect(instanceClassMemoryGiB(instanceClass)).toBe(gib);
    expect(postgresMaxConnections(instanceClass)).toBe(connections);
  });

  it('caps at 5000 connections', () => {
    expect(postgresMaxConnections('db.r7g.16xlarge')).toBe(5000);
  });

  it('does not guess for a class it does not know', () => {
    expect(postgresMaxConnections('db.serverless')).toBeUndefined();
    expect(postgresMaxConnections('db.q9.large')).toBeUndefined();
  });
});
