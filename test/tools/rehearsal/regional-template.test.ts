import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  dnsFailoverFromTemplate,
  lagAlarmConditionMet,
  lagAlarmFromTemplate,
  loadRegionalTemplates,
  serviceDesiredCount,
  type RegionalTemplates,
} from '../../../tools/rehearsal/regional-template';
import type { CfnTemplate } from '../../../constructs/checks/template';
import { synthApp } from '../../support/synth';

/** The shape HaDrSite synthesises with `dns` configured (constructs/dr/dns-failover.ts), cut to what is read. */
function fixture(over: { interval?: unknown; threshold?: unknown; path?: unknown; ttl?: [unknown, unknown]; healthCheckId?: unknown } = {}): CfnTemplate {
  const config: Record<string, unknown> = { Type: 'HTTPS', FullyQualifiedDomainName: 'primary.example', Port: 443 };
  if (!('interval' in over) || over.interval !== undefined) config.RequestInterval = 'interval' in over ? over.interval : 10;
  if (!('threshold' in over) || over.threshold !== undefined) config.FailureThreshold = 'threshold' in over ? over.threshold : 3;
  if (!('path' in over) || over.path !== undefined) config.ResourcePath = 'path' in over ? over.path : '/health/ready';
  const [ttlP, ttlS] = over.ttl ?? ['60', '60'];
  const record = (failover: string, ttl: unknown, extra: Record<string, unknown> = {}) => ({
    Type: 'AWS::Route53::RecordSet',
    Properties: { Name: 'api.example.com.', Type: 'CNAME', Failover: failover, SetIdentifier: failover.toLowerCase(), ResourceRecords: ['x'], ...(ttl === undefined ? {} : { TTL: ttl }), ...extra },
  });
  return {
    Resources: {
      Check: { Type: 'AWS::Route53::HealthCheck', Properties: { HealthCheckConfig: config } },
      Primary: record('PRIMARY', ttlP, { HealthCheckId: 'healthCheckId' in over ? over.healthCheckId : { Ref: 'Check' } }),
      Secondary: record('SECONDARY', ttlS),
      Lag: {
        Type: 'AWS::CloudWatch::Alarm',
        Properties: { MetricName: 'ReplicaLag', Namespace: 'AWS/RDS', Period: 60, Threshold: 300, EvaluationPeriods: 5, ComparisonOperator: 'GreaterThanThreshold' },
      },
      Svc: { Type: 'AWS::ECS::Service', Properties: { DesiredCount: 0 } },
    },
  } as CfnTemplate;
}

describe('dnsFailoverFromTemplate', () => {
  it('reads the health check interval, failure threshold and path, and the records\' TTL', () => {
    expect(dnsFailoverFromTemplate(fixture())).toEqual({
      recordName: 'api.example.com.',
      primaryRecord: 'Primary',
      secondaryRecord: 'Secondary',
      healthCheck: 'Check',
      type: 'HTTPS',
      resourcePath: '/health/ready',
      intervalSeconds: 10,
      failureThreshold: 3,
      ttlSeconds: 60,
    });
  });

  it('reads other values as given (30 s, 5 failures, TTL 10)', () => {
    const s = dnsFailoverFromTemplate(fixture({ interval: 30, threshold: 5, ttl: ['10', '10'] }));
    expect([s.intervalSeconds, s.failureThreshold, s.ttlSeconds]).toEqual([30, 5, 10]);
  });

  it('fails, naming what to configure, when the template has no failover records (never Route 53 defaults)', () => {
    const t = fixture();
    delete (t.Resources as Record<string, unknown>).Primary;
    delete (t.Resources as Record<string, unknown>).Secondary;
    expect(() => dnsFailoverFromTemplate(t, 'HaDrSite')).toThrow(/HaDrSite has no Route 53 failover records.*dns \{ hostedZoneId, zoneName, recordName \}.*will not assume Route 53 defaults/);
  });

  it('fails when RequestInterval, FailureThreshold or the TTL is absent, instead of assuming the default', () => {
    expect(() => dnsFailoverFromTemplate(fixture({ interval: undefined }))).toThrow(/Check\.HealthCheckConfig\.RequestInterval must be a positive literal number in the template, got nothing/);
    expect(() => dnsFailoverFromTemplate(fixture({ threshold: undefined }))).toThrow(/FailureThreshold/);
    expect(() => dnsFailoverFromTemplate(fixture({ ttl: [undefined, '60'] }))).toThrow(/Primary\.TTL/);
  });

  it('fails on a token, on records whose TTLs differ, on a missing path and on a PRIMARY record without a health check', () => {
    expect(() => dnsFailoverFromTemplate(fixture({ interval: { Ref: 'Param' } }))).toThrow(/RequestInterval .*\{"Ref":"Param"\}/);
    expect(() => dnsFailoverFromTemplate(fixture({ ttl: ['60', '30'] }))).toThrow(/differ/);
    expect(() => dnsFailoverFromTemplate(fixture({ path: undefined }))).toThrow(/ResourcePath/);
    expect(() => dnsFailoverFromTemplate(fixture({ healthCheckId: undefined }))).toThrow(/no HealthCheckId/);
  });
});

describe('lagAlarmFromTemplate and lagAlarmConditionMet', () => {
  it('reads threshold, period and periods; DatapointsToAlarm defaults to EvaluationPeriods as CloudWatch does', () => {
    expect(lagAlarmFromTemplate(fixture())).toEqual({ alarm: 'Lag', thresholdSeconds: 300, periodSeconds: 60, evaluationPeriods: 5, datapointsToAlarm: 5 });
  });

  it('holds only when the last datapointsToAlarm periods breach', () => {
    const alarm = lagAlarmFromTemplate(fixture());
    expect(lagAlarmConditionMet([400, 400, 400, 400], alarm)).toBe(false);
    expect(lagAlarmConditionMet([400, 400, 400, 400, 400], alarm)).toBe(true);
    expect(lagAlarmConditionMet([400, 400, 100, 400, 400, 400], alarm)).toBe(false);
    expect(lagAlarmConditionMet([20, 20, 20, 20, 20], alarm, 15)).toBe(true);
  });

  it('reads DesiredCount 0 (pilot light) as 0', () => {
    expect(serviceDesiredCount(fixture())).toBe(0);
  });
});

describe('the synthesised HaDrSite', () => {
  let t: RegionalTemplates;
  beforeAll(() => {
    t = loadRegionalTemplates('warm-standby');
  });

  it('gives the rehearsal the lead\'s DNS failover: HTTPS /health/ready every 10 s, 3 failures, TTL 60', () => {
    const s = dnsFailoverFromTemplate(t.drSite, 'HaDrSite');
    expect(s).toMatchObject({ type: 'HTTPS', resourcePath: '/health/ready', intervalSeconds: 10, failureThreshold: 3, ttlSeconds: 60, recordName: 'api.example.com.' });
    // The values are the template's own, not the reader's.
    const hc = Template.fromJSON(t.drSite as never).findResources('AWS::Route53::HealthCheck');
    expect(Object.values(hc)[0].Properties.HealthCheckConfig.RequestInterval).toBe(s.intervalSeconds);
  });

  it('has the replica-lag alarm and one standby task per zone (warm standby)', () => {
    expect(lagAlarmFromTemplate(t.drSite)).toMatchObject({ thresholdSeconds: 300, periodSeconds: 60, evaluationPeriods: 5 });
    expect(serviceDesiredCount(t.drSite)).toBe(3);
    expect(serviceDesiredCount(t.primary)).toBeGreaterThanOrEqual(3);
  });

  it('fails with the clear message for a DR site synthesised without dns', () => {
    const { built } = synthApp({ ha: { dr: { strategy: 'warm-standby' } } });
    const noDns = Template.fromStack(built.drSite!).toJSON() as CfnTemplate;
    expect(() => dnsFailoverFromTemplate(noDns, 'HaDrSite')).toThrow(/HaDrSite has no Route 53 failover records/);
  });
});
