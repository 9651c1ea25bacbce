import { describe, expect, it } from 'vitest';
import { EMF_MAX_VALUES, Metrics } from '../../app/src/metrics';

function metrics() {
  const lines: string[] = [];
  return { m: new Metrics({ namespace: 'Test', service: 'svc', sink: (l) => lines.push(l) }), lines };
}

describe('Metrics (CloudWatch EMF)', () => {
  it('aggregates requests, errors, shed requests (not every 503) and latency into one EMF record per flush', () => {
    const { m, lines } = metrics();
    m.recordRequest(200, 1.234);
    m.recordRequest(404, 2);
    m.recordRequest(503, 3);
    m.recordRequest(503, 4, { shed: true });
    m.flush();
    expect(lines).toHaveLength(1);
    const doc = JSON.parse(lines[0]);
    expect(doc._aws.CloudWatchMetrics[0]).toMatchObject({ Namespace: 'Test', Dimensions: [['Service']] });
    expect(doc._aws.CloudWatchMetrics[0].Metrics).toContainEqual({ Name: 'Latency', Unit: 'Milliseconds' });
    expect(doc).toMatchObject({ Service: 'svc', Requests: 4, Errors: 2, ClientErrors: 1, Shed: 1, Latency: [1.23, 2, 3, 4], CircuitOpen: 0 });
    expect(typeof doc._aws.Timestamp).toBe('number');
  });

  it('sends every latency, not a sample: a record of 100 values whenever 100 have accumulated', () => {
    // EMF takes at most 100 values per metric in one record; a sample of 100 per minute would make p99 the
    // maximum of 100 requests. CloudWatch aggregates records with the same metric and dimensions.
    const { m, lines } = metrics();
    for (let i = 0; i < 1000; i++) m.recordRequest(200, 999 - i);
    const early = lines.length;
    m.recordRequest(500, 5000);
    m.flush();
    const docs = lines.map((l) => JSON.parse(l));
    expect(early).toBe(10);
    expect(docs.every((d) => d.Latency === undefined || d.Latency.length <= EMF_MAX_VALUES)).toBe(true);
    const latencies = docs.flatMap((d) => d.Latency ?? []).sort((a: number, b: number) => a - b);
    expect(latencies).toHaveLength(1001);
    expect(latencies[Math.ceil(0.99 * latencies.length) - 1]).toBe(990);
    // The counts stay in the one record a flush writes.
    expect(docs.filter((d) => d.Requests !== undefined)).toEqual([expect.objectContaining({ Requests: 1001, Errors: 1 })]);
    expect(m.flush()).toBeUndefined();
  });

  it('writes a circuit state change at once', () => {
    const { m, lines } = metrics();
    m.setCircuitOpen(true);
    expect(JSON.parse(lines[0])).toMatchObject({ CircuitOpen: 1 });
  });
});
