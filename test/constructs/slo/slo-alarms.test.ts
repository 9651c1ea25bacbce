import { Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { InfrastructureAlarms, ServiceDashboard, SloAlarms } from '@ha-reference/constructs';
import { newApp } from '../../support/synth';
import { ServiceFixture, ZONES, serviceFixture } from './fixture';

/** Stand-in for the database construct's metric helpers (AWS/RDS metrics of one instance). */
const database = {
  metric(metricName: string, props?: cloudwatch.MetricOptions) {
    return new cloudwatch.Metric({ namespace: 'AWS/RDS', metricName, dimensionsMap: { DBInstanceIdentifier: 'app-db' }, ...props });
  },
  metricCpuUtilization(props?: cloudwatch.MetricOptions) {
    return this.metric('CPUUtilization', props);
  },
  metricFreeStorageSpace(props?: cloudwatch.MetricOptions) {
    return this.metric('FreeStorageSpace', props);
  },
  metricDatabaseConnections(props?: cloudwatch.MetricOptions) {
    return this.metric('DatabaseConnections', props);
  },
};

let fixture: ServiceFixture;
let slo: SloAlarms;
let template: Template;
let synthError: unknown;

type Resource = { Type: string; Properties: Record<string, any> };
let resources: Record<string, Resource>;

beforeAll(() => {
  // GIVEN an app with the AwsSolutions pack registered before anything is built
  const app = newApp();
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  fixture = serviceFixture(app);
  const { stack, service } = fixture;

  // WHEN the stack wires the three constructs, as lib/primary-stack.ts does
  slo = new SloAlarms(stack, 'Slo', {
    loadBalancer: service.loadBalancer,
    targetGroup: service.targetGroup,
    service: service.service,
    alarmEmail: 'oncall@example.com',
  });
  const infrastructure = new InfrastructureAlarms(stack, 'InfraAlarms', {
    loadBalancer: service.loadBalancer,
    targetGroup: service.targetGroup,
    service: service.service,
    availabilityZones: ZONES,
    database,
    topic: slo.ticketTopic,
  });
  new ServiceDashboard(stack, 'Dashboard', {
    slo,
    loadBalancer: service.loadBalancer,
    targetGroup: service.targetGroup,
    service: service.service,
    availabilityZones: ZONES,
    database,
    infrastructureAlarms: infrastructure,
    errorBudgetPolicy: 'docs/slo.md',
  });

  template = Template.fromStack(stack);
  resources = template.toJSON().Resources;
  try {
    app.synth();
  } catch (err) {
    synthError = err;
  }
});

/** The one resource whose logical ID starts with `prefix` (CDK appends a hash). */
function resource(prefix: string): Resource {
  const matches = Object.entries(resources).filter(([id]) => new RegExp(`^${prefix}[0-9A-F]{8}$`).test(id));
  expect(matches.map(([id]) => id), `one resource named ${prefix}*`).toHaveLength(1);
  return matches[0][1];
}

function logicalId(prefix: string): string {
  return Object.keys(resources).find((id) => new RegExp(`^${prefix}[0-9A-F]{8}$`).test(id))!;
}

/** Every metric query of a metric-math alarm that reads a metric (not an expression). */
function metricStats(alarm: Resource): any[] {
  return alarm.Properties.Metrics.filter((m: any) => m.MetricStat).map((m: any) => m.MetricStat);
}

function returnedExpression(alarm: Resource): string {
  return alarm.Properties.Metrics.find((m: any) => m.ReturnData !== false).Expression;
}

/** The rule of a composite alarm with every `Fn::GetAtt [X, Arn]` replaced by X. */
function rule(alarm: Resource): string {
  const parts: any[] = alarm.Properties.AlarmRule['Fn::Join'][1];
  return parts.map((p) => (typeof p === 'string' ? p : p['Fn::GetAtt'][0])).join('');
}

const WINDOWS = [
  // tier, long window (s), short window (s), availability threshold (99.9 %), latency threshold (99 %)
  ['Fast', 3600, 300, 0.0144, 0.144],
  ['Medium', 21600, 1800, 0.006, 0.06],
  ['Slow', 86400, 7200, 0.003, 0.03],
] as const;

describe('burn-rate window alarms', () => {
  it('are 12 metric-math alarms: 3 tiers × 2 windows × 2 SLOs', () => {
    const windowAlarms = Object.keys(resources).filter((id) => /^Slo(Availability|Latency)(Fast|Medium|Slow)(Long|Short)Window/.test(id));
    expect(windowAlarms).toHaveLength(12);
    for (const id of windowAlarms) expect(resources[id].Properties.Metrics).toBeDefined();
  });

  it.each(WINDOWS)('availability %s: one period per window, threshold %#', (tier, long, short, availabilityThreshold) => {
    for (const [which, seconds] of [['Long', long], ['Short', short]] as const) {
      const alarm = resource(`SloAvailability${tier}${which}Window`);
      expect(alarm.Properties).toMatchObject({
        Threshold: availabilityThreshold,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        EvaluationPeriods: 1,
        DatapointsToAlarm: 1,
        TreatMissingData: 'notBreaching',
      });
      const stats = metricStats(alarm);
      // The ratio's three metrics, and the same three again for the low-traffic guard's request count.
      expect([...new Set(stats.map((s) => s.Metric.MetricName))].sort()).toEqual(['HTTPCode_ELB_5XX_Count', 'HTTPCode_Target_5XX_Count', 'RequestCount']);
      expect(stats).toHaveLength(6);
      expect(stats.every((s) => s.Period === seconds && s.Stat === 'Sum' && s.Metric.Namespace === 'AWS/ApplicationELB')).toBe(true);
    }
  });

  it.each(WINDOWS)('latency %s: TargetResponseTime TC(:0.3) over SampleCount, 99 %% target', (tier, long, short, _a, latencyThreshold) => {
    for (const [which, seconds] of [['Long', long], ['Short', short]] as const) {
      const alarm = resource(`SloLatency${tier}${which}Window`);
      expect(alarm.Properties.Threshold).toBe(latencyThreshold);
      const stats = metricStats(alarm);
      // SampleCount and TC for the ratio, SampleCount again for the low-traffic guard.
      expect(stats.map((s) => s.Stat).sort()).toEqual(['SampleCount', 'SampleCount', 'TC(:0.3)']);
      expect(stats.every((s) => s.Metric.MetricName === 'TargetResponseTime' && s.Period === seconds)).toBe(true);
      expect(stats[0].Metric.Dimensions.map((d: any) => d.Name).sort()).toEqual(['LoadBalancer', 'TargetGroup']);
    }
  });

  it('read 0 in a window with fewer than 100 requests (the low-traffic guard)', () => {
    const alarm = resource('SloAvailabilityFastShortWindow');
    expect(returnedExpression(alarm)).toBe('IF(volume_5m >= 100, errors_5m, 0)');
    expect(alarm.Properties.Metrics.find((m: any) => m.Id === 'volume_5m').Expression).toBe(
      'MAX([FILL(volreq_5m, 0), FILL(voltarget5xx_5m, 0) + FILL(volelb5xx_5m, 0)])',
    );
  });

  it('compute the availability error ratio with FILL and a guard against empty windows', () => {
    const alarm = resource('SloAvailabilityFastShortWindow');
    expect(alarm.Properties.Metrics.find((m: any) => m.Id === 'errors_5m').Expression).toBe('IF(bad_5m > 0, bad_5m / MAX([FILL(requests_5m, 0), bad_5m]), 0)');
    expect(alarm.Properties.Metrics.find((m: any) => m.Id === 'bad_5m').Expression).toBe('FILL(target5xx_5m, 0) + FILL(elb5xx_5m, 0)');
  });

  it('compute the latency error ratio as the share of responses over the threshold', () => {
    const alarm = resource('SloLatencyFastShortWindow');
    expect(returnedExpression(alarm)).toBe('IF(volume_5m >= 100, errors_5m, 0)');
    expect(alarm.Properties.Metrics.find((m: any) => m.Id === 'errors_5m').Expression).toBe('IF(responses_5m > 0, 1 - FILL(fast_5m, 0) / responses_5m, 0)');
  });

  it('have no actions and no hard-coded names', () => {
    for (const [id, r] of Object.entries(resources)) {
      if (r.Type !== 'AWS::CloudWatch::Alarm') continue;
      expect(r.Properties.AlarmName, id).toBeUndefined();
      if (/Window/.test(id)) expect(r.Properties.AlarmActions, id).toBeUndefined();
    }
  });
});

describe('composite alarms', () => {
  it.each(['Availability', 'Latency'])('%s: each tier joins its long AND short window', (name) => {
    for (const tier of ['Fast', 'Medium', 'Slow']) {
      expect(rule(resource(`Slo${name}${tier}Burn`))).toBe(
        `(ALARM("${logicalId(`Slo${name}${tier}LongWindow`)}") AND ALARM("${logicalId(`Slo${name}${tier}ShortWindow`)}"))`,
      );
    }
  });

  it.each(['Availability', 'Latency'])('%s: the page alarm is the fast OR the medium tier and notifies the topic', (name) => {
    const page = resource(`Slo${name}Page`);
    expect(rule(page)).toBe(`(ALARM("${logicalId(`Slo${name}FastBurn`)}") OR ALARM("${logicalId(`Slo${name}MediumBurn`)}"))`);
    expect(page.Properties.AlarmActions).toEqual([{ Ref: logicalId('SloPageTopic') }]);
  });

  it.each(['Availability', 'Latency'])('%s: the ticket alarm is the slow tier, suppressed while the page alarm fires', (name) => {
    const ticket = resource(`Slo${name}Ticket`);
    expect(rule(ticket)).toBe(`(ALARM("${logicalId(`Slo${name}SlowBurn`)}"))`);
    expect(ticket.Properties).toMatchObject({
      ActionsSuppressor: { 'Fn::GetAtt': [logicalId(`Slo${name}Page`), 'Arn'] },
      ActionsSuppressorWaitPeriod: 120,
      ActionsSuppressorExtensionPeriod: 7200,
      AlarmActions: [{ Ref: logicalId('SloPageTopic') }],
    });
  });

  it('exposes a combined page alarm for FIS that notifies nobody', () => {
    const any = resource('SloAnyPage');
    expect(rule(any)).toBe(`(ALARM("${logicalId('SloAvailabilityPage')}") OR ALARM("${logicalId('SloLatencyPage')}"))`);
    expect(any.Properties.AlarmActions).toBeUndefined();
    expect(fixture.stack.resolve(slo.pageAlarm.alarmArn)).toEqual({ 'Fn::GetAtt': [logicalId('SloAnyPage'), 'Arn'] });
  });

  it('holds 12 composites: 3 tiers, a page and a ticket alarm per SLO, and the two combined ones', () => {
    template.resourceCountIs('AWS::CloudWatch::CompositeAlarm', 12);
  });
});

describe('paging topic', () => {
  it('is encrypted with a rotating customer-managed key that CloudWatch may use', () => {
    expect(resource('SloPageTopic').Properties.KmsMasterKeyId).toEqual({ 'Fn::GetAtt': [logicalId('SloPageTopicKey'), 'Arn'] });
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({ Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: ['kms:Decrypt', 'kms:GenerateDataKey*'] }),
        ]),
      },
    });
  });

  it('refuses publishing without TLS and has the e-mail subscription', () => {
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'oncall@example.com' });
  });
});

describe('deployment alarms', () => {
  it('roll the service back on the fast short windows, the 5xx spike and the error-budget gates', () => {
    template.hasResourceProperties('AWS::ECS::Service', {
      DeploymentConfiguration: Match.objectLike({
        Alarms: {
          AlarmNames: [
            { Ref: logicalId('SloAvailabilityFastShortWindow') },
            { Ref: logicalId('SloLatencyFastShortWindow') },
            { Ref: logicalId('SloErrorSpike') },
            { Ref: logicalId('SloAvailabilityBudgetExhausted') },
            { Ref: logicalId('SloLatencyBudgetExhausted') },
          ],
          Enable: true,
          Rollback: true,
        },
      }),
    });
  });

  it('include a 5xx spike alarm: 5 % of at least 20 requests a minute in 2 of 3 minutes', () => {
    const spike = resource('SloErrorSpike');
    expect(spike.Properties).toMatchObject({ Threshold: 0.05, EvaluationPeriods: 3, DatapointsToAlarm: 2, TreatMissingData: 'notBreaching' });
    expect(returnedExpression(spike)).toBe('IF(FILL(volume, 0) >= 20, ratio_1m, 0)');
    expect(metricStats(spike).every((s) => s.Period === 60)).toBe(true);
  });
});

describe('infrastructure alarms', () => {
  it('watch every zone for unhealthy tasks and for no healthy task', () => {
    for (const zone of ['A', 'B', 'C']) {
      expect(resource(`InfraAlarmsUnhealthyHosts${zone}`).Properties).toMatchObject({ MetricName: 'UnHealthyHostCount', Threshold: 1, EvaluationPeriods: 5 });
      expect(resource(`InfraAlarmsNoHealthyHosts${zone}`).Properties).toMatchObject({
        MetricName: 'HealthyHostCount',
        ComparisonOperator: 'LessThanThreshold',
        TreatMissingData: 'breaching',
        Dimensions: expect.arrayContaining([{ Name: 'AvailabilityZone', Value: `us-east-1${zone.toLowerCase()}` }]),
      });
    }
  });

  it('watch running against desired tasks from Container Insights', () => {
    const alarm = resource('InfraAlarmsTasksBelowDesired');
    expect(returnedExpression(alarm)).toBe('FILL(desired, 0) - FILL(running, 0)');
    expect(metricStats(alarm).map((s) => s.Metric.Namespace)).toEqual(['ECS/ContainerInsights', 'ECS/ContainerInsights']);
  });

  it('watch database CPU, free storage and connections', () => {
    expect(resource('InfraAlarmsDatabaseCpu').Properties).toMatchObject({ MetricName: 'CPUUtilization', Threshold: 80, EvaluationPeriods: 3 });
    expect(resource('InfraAlarmsDatabaseStorage').Properties).toMatchObject({ MetricName: 'FreeStorageSpace', Threshold: 5 * 1024 ** 3 });
    expect(resource('InfraAlarmsDatabaseConnections').Properties).toMatchObject({ MetricName: 'DatabaseConnections', Threshold: 80 });
  });

  it('open tickets through the topic', () => {
    expect(resource('InfraAlarmsTasksBelowDesired').Properties.AlarmActions).toEqual([{ Ref: logicalId('SloPageTopic') }]);
  });
});

describe('dashboard', () => {
  it('shows SLIs, burn rates, budgets, the load balancer, each zone, ECS and the database', () => {
    const body = JSON.stringify(fixture.stack.resolve(resource('Dashboard').Properties.DashboardBody));
    for (const text of [
      'Availability SLI (5 min)',
      'Latency burn rate per window',
      'Availability error budget remaining, last 30 days',
      '-P30D',
      'Healthy tasks per Availability Zone',
      'us-east-1c',
      'ECS: running, desired and pending tasks',
      'Database connections',
      'Error budget policy: docs/slo.md.',
    ]) {
      expect(body).toContain(text);
    }
    expect(resource('Dashboard').Properties.DashboardName).toBeUndefined();
  });
});

describe('the whole stack', () => {
  it('passes the AwsSolutions checks', () => {
    expect(synthError).toBeUndefined();
  });

  it('matches the snapshot of the SLO, infrastructure alarm and dashboard resources', () => {
    const mine = Object.fromEntries(Object.entries(resources).filter(([id]) => /^(Slo|InfraAlarms|Dashboard)/.test(id)));
    expect(mine).toMatchSnapshot();
  });
});
