import { describe, expect, it } from 'vitest';
import { EMF_MAX_VALUES, Metrics } from '../../app/src/metrics';

function metrics() {
  const lines: string[] = [];
  return { m: new Metrics({ namespace: 'Test', service: 'svc', sink: (l) => lines.push(l), random: () => 0.5 }), lines };
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

  it('keeps at most 100 latency samples and writes nothing when idle', () => {
    const { m, lines } = metrics();
    for (let i = 0; i < 1000; i++) m.recordRequest(200, i);
    m.flush();
    expect(JSON.parse(lines[0]).Latency).toHaveLength(EMF_MAX_VALUES);
    expect(m.flush()).toBeUndefined();
    expect(lines).toHaveLength(1);
  });

  it('writes a circuit state change at once', () => {
    const { m, lines } = metrics();
    m.setCircuitOpen(true);
    expect(JSON.parse(lines[0])).toMatchObject({ CircuitOpen: 1 });
  });
});
