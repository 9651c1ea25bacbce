import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { ApplicationSignalsSlos } from '@ha-reference/constructs';
import { SLO_DEFAULTS } from '@ha-reference/constructs/pure';
import { serviceFixture, ServiceFixture } from './fixture';

describe('ApplicationSignalsSlos', () => {
  let fixture: ServiceFixture;
  let template: Template;
  let slos: Record<string, Record<string, any>>;

  beforeAll(() => {
    // GIVEN the project's service WHEN the SLOs are mirrored into Application Signals with a 250 ms latency threshold
    fixture = serviceFixture();
    new ApplicationSignalsSlos(fixture.stack, 'Signals', {
      loadBalancer: fixture.service.loadBalancer,
      targetGroup: fixture.service.targetGroup,
      slo: { ...SLO_DEFAULTS, latency: { ...SLO_DEFAULTS.latency, thresholdMs: 250 } },
    });
    template = Template.fromStack(fixture.stack);
    slos = template.findResources('AWS::ApplicationSignals::ServiceLevelObjective');
  });

  const byName = (suffix: string) => Object.values(slos).find((s) => String(s.Properties.Name).endsWith(suffix))!;

  it('creates a request-based availability SLO and a latency SLO with unique, generated names', () => {
    expect(Object.keys(slos)).toHaveLength(2);
    const names = Object.values(slos).map((s) => s.Properties.Name as string);
    expect(names.every((n) => /^[A-Za-z0-9-]+$/.test(n) && n.length <= 128)).toBe(true);
    expect(new Set(names).size).toBe(2);
  });

  it('counts 5xx from the targets and the load balancer against all requests, like the alarms', () => {
    const metric = byName('-availability').Properties.RequestBasedSli.RequestBasedSliMetric;
    const bad = metric.MonitoredRequestCountMetric.BadCountMetric;
    expect(bad.map((q: { MetricStat?: { Metric: { MetricName: string } } }) => q.MetricStat?.Metric.MetricName).filter(Boolean)).toEqual([
      'HTTPCode_Target_5XX_Count',
      'HTTPCode_ELB_5XX_Count',
    ]);
    expect(bad.at(-1)).toEqual({ Id: 'bad', Expression: 'FILL(target5xx, 0) + FILL(elb5xx, 0)', ReturnData: true });
    expect(metric.TotalRequestCountMetric[0].MetricStat).toMatchObject({ Metric: { MetricName: 'RequestCount', Namespace: 'AWS/ApplicationELB' }, Stat: 'Sum', Period: 60 });
    const dimension = metric.TotalRequestCountMetric[0].MetricStat.Metric.Dimensions[0];
    expect(dimension.Name).toBe('LoadBalancer');
    expect(JSON.stringify(dimension.Value)).toContain('LoadBalancerFullName');
  });

  it('counts responses within the threshold as good, with the trimmed count statistic', () => {
    const metric = byName('-latency').Properties.RequestBasedSli.RequestBasedSliMetric;
    expect(metric.MonitoredRequestCountMetric.GoodCountMetric[0].MetricStat).toMatchObject({ Metric: { MetricName: 'TargetResponseTime' }, Stat: 'TC(:0.25)' });
    expect(metric.TotalRequestCountMetric[0].MetricStat.Stat).toBe('SampleCount');
    const dimensions = metric.TotalRequestCountMetric[0].MetricStat.Metric.Dimensions.map((d: { Name: string }) => d.Name).sort();
    expect(dimensions).toEqual(['LoadBalancer', 'TargetGroup']);
  });

  it('sets the goals over a rolling 30 days and the burn rates over the alarm windows', () => {
    expect(byName('-availability').Properties.Goal).toEqual({ AttainmentGoal: 99.9, WarningThreshold: 30, Interval: { RollingInterval: { Duration: 30, DurationUnit: 'DAY' } } });
    expect(byName('-latency').Properties.Goal.AttainmentGoal).toBe(99);
    expect(byName('-availability').Properties.BurnRateConfigurations.map((c: { LookBackWindowMinutes: number }) => c.LookBackWindowMinutes)).toEqual([5, 30, 60, 120, 360, 1440]);
  });

  it('rejects a warning threshold outside 0-100', () => {
    expect(
      () => new ApplicationSignalsSlos(fixture.stack, 'Bad', { loadBalancer: fixture.service.loadBalancer, targetGroup: fixture.service.targetGroup, warningThresholdPercent: 100 }),
    ).toThrow(/warningThresholdPercent must be between 0 and 100 \(exclusive\), got 100/);
  });
});
