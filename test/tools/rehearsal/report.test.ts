import { describe, expect, it } from 'vitest';
import { failedToRun, evaluateRollingRestart } from '../../../tools/rehearsal/evaluate';
import { exitCodeOf, renderJson, renderTable, type RehearsalReport } from '../../../tools/rehearsal/report';

const passing = evaluateRollingRestart(
  { name: 'rolling-restart', from: 0, to: 1000, lostAcknowledgedWrites: 0, measured: { oldTaskExitCodes: '0,0,0' } },
  [{ start: 10, ms: 4, status: 200, op: 'read' }],
);

const report = (overrides: Partial<RehearsalReport> = {}): RehearsalReport => ({
  scenarios: [passing],
  acknowledgedWrites: 10,
  lostAcknowledgedWrites: 0,
  durationSeconds: 100,
  setup: {
    templateSource: 'test',
    healthCheck: { targetGroup: 'Tg', path: '/health/ready', intervalSeconds: 5, timeoutSeconds: 4, healthyThreshold: 2, unhealthyThreshold: 2, matcher: '200', deregistrationDelaySeconds: 30 },
    service: 'test',
    steadyRps: 100,
    cpus: 2,
    cpuPartition: 'shared',
    loadAverage: 1,
  },
  errors: [],
  ...overrides,
});

describe('exitCodeOf', () => {
  it('is 0 only when every scenario passed and nothing was lost', () => {
    expect(exitCodeOf(report())).toBe(0);
  });

  it('is 1 for a failed scenario, a lost write, an error, or no scenario at all', () => {
    expect(exitCodeOf(report({ scenarios: [passing, failedToRun('crash', 'x')] }))).toBe(1);
    expect(exitCodeOf(report({ lostAcknowledgedWrites: 1 }))).toBe(1);
    expect(exitCodeOf(report({ errors: ['boom'] }))).toBe(1);
    expect(exitCodeOf(report({ scenarios: [] }))).toBe(1);
  });
});

describe('renderers', () => {
  it('prints one table row per scenario with the headline numbers, then each check', () => {
    const text = renderTable(report());
    expect(text).toMatch(/^scenario\s+requests\s+failed\s+error rate\s+p99 ms\s+recovery s\s+lost writes\s+result$/m);
    expect(text).toMatch(/^rolling-restart\s+1\s+0\s+0\.00%\s+4\s+—\s+0\s+PASS$/m);
    expect(text).toContain('ok   0 failed requests');
    expect(text).toMatch(/RESULT: PASS\n$/);
  });

  it('emits one JSON object with the fields the issue asks for', () => {
    const parsed = JSON.parse(renderJson(report()));
    expect(parsed.scenarios[0]).toMatchObject({
      name: 'rolling-restart',
      requests: 1,
      failedRequests: 0,
      errorRate: 0,
      p99Ms: 4,
      recoverySeconds: null,
      lostAcknowledgedWrites: 0,
      status: 'pass',
    });
    expect(typeof parsed.scenarios[0].criteria).toBe('string');
  });
});
