import { describe, expect, it } from 'vitest';
import { inWindow, isFailure, percentile, recoveredAt, secondsBetween, summarize, throughput, type RequestRecord } from '../../../tools/rehearsal/stats';

const rec = (start: number, status = 200, ms = 10): RequestRecord => ({ start, ms, status, op: 'read' });

describe('percentile (nearest rank)', () => {
  it('returns an observed value, never an interpolation', () => {
    // GIVEN 1..100 in random order
    const values = Array.from({ length: 100 }, (_, i) => i + 1).sort(() => Math.random() - 0.5);
    // THEN p99 is the 99th smallest and p100 the largest
    expect(percentile(values, 99)).toBe(99);
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 100)).toBe(100);
    expect(percentile(values, 0)).toBe(1);
  });

  it('takes the single slow request as p99 of fewer than 100 samples', () => {
    expect(percentile([5, 5, 5, 5, 5, 5, 5, 5, 5, 900], 99)).toBe(900);
  });

  it('is undefined for no samples and rejects a percentile outside 0..100', () => {
    expect(percentile([], 99)).toBeUndefined();
    expect(() => percentile([1], 101)).toThrow(/between 0 and 100/);
    expect(() => percentile([1], Number.NaN)).toThrow(/between 0 and 100/);
  });

  it('does not reorder its input', () => {
    const values = [3, 1, 2];
    percentile(values, 50);
    expect(values).toEqual([3, 1, 2]);
  });
});

describe('summarize', () => {
  it('counts every non-2xx answer and every transport error as failed', () => {
    // GIVEN 2 successes, a 503, a 502 and a reset connection
    const records = [rec(1, 200), rec(2, 201), rec(3, 503), rec(4, 502), { ...rec(5, 0), error: 'ECONNRESET' }];
    // WHEN summarized
    const s = summarize(records);
    // THEN 3 of 5 failed, and statuses name the transport error
    expect(s.requests).toBe(5);
    expect(s.failedRequests).toBe(3);
    expect(s.errorRate).toBe(0.6);
    expect(s.statuses).toEqual({ '200': 1, '201': 1, '503': 1, '502': 1, '0:ECONNRESET': 1 });
  });

  it('reports an error rate of 0 and no p99 for an empty window', () => {
    expect(summarize([])).toMatchObject({ requests: 0, failedRequests: 0, errorRate: 0, p99Ms: null });
  });

  it('includes failed requests in p99 (a slow failure is what the user saw)', () => {
    const records = [...Array.from({ length: 99 }, (_, i) => rec(i)), rec(100, 503, 5000)];
    expect(summarize(records).p99Ms).toBe(10);
    expect(summarize([...records, rec(101, 503, 5000)]).p99Ms).toBe(5000);
  });
});

describe('recoveredAt', () => {
  it('is the fault time itself when nothing failed after the fault', () => {
    expect(recoveredAt([rec(100), rec(200), rec(5000)], 150, 6000, 3000)).toBe(150);
  });

  it('is the send time of the first request after the last failure', () => {
    // GIVEN failures at 1000 and 2000, then successes until the window ends at 9000
    const records = [rec(500), rec(1000, 503), rec(1500), rec(2000, 502), rec(2600), rec(4000), rec(8000)];
    // THEN recovery is at 2600, not at the first success (1500) between the failures
    expect(recoveredAt(records, 900, 9000, 3000)).toBe(2600);
  });

  it('is undefined when the successes after the last failure did not last stableMs', () => {
    const records = [rec(1000, 503), rec(7000), rec(7500)];
    expect(recoveredAt(records, 0, 8000, 3000)).toBeUndefined();
  });

  it('is undefined when the window ends on a failure', () => {
    expect(recoveredAt([rec(1000), rec(2000, 503)], 0, 9000, 1000)).toBeUndefined();
  });

  it('judges requests in send order, whatever order their records arrived in', () => {
    const records = [rec(3000), rec(1000, 503), rec(2000)];
    expect(recoveredAt(records, 0, 9000, 1000)).toBe(2000);
  });
});

describe('helpers', () => {
  it('selects requests sent in [from, to)', () => {
    expect(inWindow([rec(1), rec(2), rec(3)], 2, 3).map((r) => r.start)).toEqual([2]);
  });

  it('rounds seconds to 0.1 and gives null when a time is missing', () => {
    expect(secondsBetween(1000, 7250)).toBe(6.3);
    expect(secondsBetween(undefined, 7250)).toBeNull();
  });

  it('computes accepted throughput per second', () => {
    expect(throughput([rec(1), rec(2), rec(3, 503)], 2000)).toBe(1);
    expect(throughput([rec(1)], 0)).toBe(0);
  });

  it('treats 2xx as success and everything else as failure', () => {
    expect([199, 200, 204, 299, 300, 404, 503, 0].map((status) => isFailure({ status }))).toEqual([true, false, false, false, true, true, true, true]);
  });
});
