import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp, HaApp } from '../../lib/app';
import { parseConfig } from '../../lib/config';
import { newApp } from '../support/synth';

type Resources = Record<string, { Type: string; Properties: Record<string, any> }>;

function resourcesOf(template: Template, type: string): Resources {
  return template.findResources(type) as Resources;
}

function logicalId(resources: Resources, prefix: string): string {
  const id = Object.keys(resources).find((k) => k.startsWith(prefix));
  if (!id) throw new Error(`no resource starting with ${prefix}; have ${Object.keys(resources).join(', ')}`);
  return id;
}

function build(ha?: Record<string, unknown>): { app: App; built: HaApp; template: Template } {
  const app = newApp(ha ? { ha } : {});
  const built = buildApp(app);
  return { app, built, template: Template.fromStack(built.primary) };
}

/** Issue 17 on the reference app as `cdk synth` builds it: canary with bake, budget gate, autoshift, gray failure. */
describe('PrimaryStack: safer change and zone evacuation (default config)', () => {
  let template: Template;
  let alarms: Resources;
  let service: Record<string, any>;

  beforeAll(() => {
    ({ template } = build());
    alarms = resourcesOf(template, 'AWS::CloudWatch::Alarm');
    service = Object.values(resourcesOf(template, 'AWS::ECS::Service'))[0].Properties;
  });

  describe('deployments', () => {
    it('deploys as a canary: 10 % of traffic for 5 minutes, then all, then 10 minutes of bake', () => {
      expect(service.DeploymentConfiguration).toMatchObject({
        Strategy: 'CANARY',
        CanaryConfiguration: { CanaryPercent: 10, CanaryBakeTimeInMinutes: 5 },
        BakeTimeInMinutes: 10,
        DeploymentCircuitBreaker: { Enable: true, Rollback: true },
        Alarms: { Enable: true, Rollback: true },
      });
    });

    it('rolls back on the fast-burn short windows, the 5xx spike and both error-budget gates', () => {
      const names = (service.DeploymentConfiguration.Alarms.AlarmNames as Array<{ Ref: string }>).map((r) => r.Ref);
      expect(names).toEqual([
        logicalId(alarms, 'SloAvailabilityFastShortWindow'),
        logicalId(alarms, 'SloLatencyFastShortWindow'),
        logicalId(alarms, 'SloErrorSpike'),
        logicalId(alarms, 'SloAvailabilityBudgetExhausted'),
        logicalId(alarms, 'SloLatencyBudgetExhausted'),
      ]);
    });

    it('gives ECS the alternate target group, the production rule and its own role', () => {
      const [lb] = service.LoadBalancers;
      const tgs = resourcesOf(template, 'AWS::ElasticLoadBalancingV2::TargetGroup');
      const rules = resourcesOf(template, 'AWS::ElasticLoadBalancingV2::ListenerRule');
      const roles = resourcesOf(template, 'AWS::IAM::Role');
      expect(lb.TargetGroupArn).toEqual({ Ref: logicalId(tgs, 'ServiceTargetGroup') });
      expect(lb.AdvancedConfiguration).toEqual({
        AlternateTargetGroupArn: { Ref: logicalId(tgs, 'ServiceAlternateTargetGroup') },
        ProductionListenerRule: { Ref: logicalId(rules, 'ServiceProductionRule') },
        RoleArn: { 'Fn::GetAtt': [logicalId(roles, 'ServiceDeploymentRole'), 'Arn'] },
      });
    });

    it('routes production through one forward-only rule, 100/0, evaluated after every other rule', () => {
      const tgs = resourcesOf(template, 'AWS::ElasticLoadBalancingV2::TargetGroup');
      template.hasResourceProperties('AWS::ElasticLoadBalancingV2::ListenerRule', {
        Priority: 50000,
        Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/*'] } }],
        Actions: [
          {
            Type: 'forward',
            ForwardConfig: {
              TargetGroups: [
                { TargetGroupArn: { Ref: logicalId(tgs, 'ServiceTargetGroup') }, Weight: 100 },
                { TargetGroupArn: { Ref: logicalId(tgs, 'ServiceAlternateTargetGroup') }, Weight: 0 },
              ],
            },
          },
        ],
      });
    });

    it('gives both target groups the same fast health check and draining', () => {
      const tgs = Object.values(resourcesOf(template, 'AWS::ElasticLoadBalancingV2::TargetGroup')).map((r) => r.Properties);
      expect(tgs).toHaveLength(2);
      const [a, b] = tgs;
      for (const key of ['HealthCheckPath', 'HealthCheckIntervalSeconds', 'HealthyThresholdCount', 'UnhealthyThresholdCount', 'TargetGroupAttributes', 'Port']) {
        expect(b[key]).toEqual(a[key]);
      }
    });

    it('scopes the deployment role to ecs.amazonaws.com and to this listener, rule and target groups', () => {
      const roles = resourcesOf(template, 'AWS::IAM::Role');
      const roleId = logicalId(roles, 'ServiceDeploymentRole');
      expect(roles[roleId].Properties.AssumeRolePolicyDocument.Statement).toEqual([
        expect.objectContaining({ Effect: 'Allow', Principal: { Service: 'ecs.amazonaws.com' }, Action: 'sts:AssumeRole' }),
      ]);
      expect(roles[roleId].Properties.ManagedPolicyArns).toBeUndefined();
      const policy = Object.values(resourcesOf(template, 'AWS::IAM::Policy')).find((p) =>
        (p.Properties.Roles as Array<{ Ref: string }>).some((r) => r.Ref === roleId),
      )!;
      const statements = policy.Properties.PolicyDocument.Statement as Array<{ Sid: string; Resource: unknown; Action: string[] }>;
      const bySid = Object.fromEntries(statements.map((s) => [s.Sid, s]));
      expect(bySid.DescribeLoadBalancing.Resource).toBe('*');
      expect(bySid.DescribeLoadBalancing.Action.every((a) => a.startsWith('elasticloadbalancing:Describe'))).toBe(true);
      expect(bySid.RegisterTasks.Resource).toHaveLength(2);
      expect(JSON.stringify(bySid.ShiftTraffic.Resource)).toContain('ServiceProductionRule');
      expect(JSON.stringify(bySid.ShiftTraffic.Resource)).toContain('ServiceLoadBalancerHttp');
    });

    it('scales on requests in both target groups, since production moves between them', () => {
      const policies = Object.values(resourcesOf(template, 'AWS::ApplicationAutoScaling::ScalingPolicy')).filter(
        (p) => p.Properties.TargetTrackingScalingPolicyConfiguration?.PredefinedMetricSpecification?.PredefinedMetricType === 'ALBRequestCountPerTarget',
      );
      expect(policies).toHaveLength(2);
    });
  });

  describe('SLO alarms', () => {
    it('the latency SLI counts responses from both target groups', () => {
      const metrics = alarms[logicalId(alarms, 'SloLatencyFastShortWindow')].Properties.Metrics as Array<{ Id: string; Expression?: string }>;
      const ratio = metrics.find((m) => m.Id === 'errors_5m')!;
      expect(ratio.Expression).toBe('IF(FILL(responses0_5m, 0) + FILL(responses1_5m, 0) > 0, 1 - (FILL(fast0_5m, 0) + FILL(fast1_5m, 0)) / (FILL(responses0_5m, 0) + FILL(responses1_5m, 0)), 0)');
    });

    it('every burn-rate window reads 0 under 100 requests (low-traffic guard)', () => {
      const windows = Object.entries(alarms).filter(([id]) => /^Slo(Availability|Latency)(Fast|Medium|Slow)(Long|Short)Window/.test(id));
      expect(windows).toHaveLength(12);
      for (const [, alarm] of windows) {
        const returned = (alarm.Properties.Metrics as Array<{ ReturnData: boolean; Expression?: string }>).find((m) => m.ReturnData)!;
        expect(returned.Expression).toMatch(/^IF\(volume_\w+ >= 100, errors_\w+, 0\)$/);
      }
    });

    it('the availability guard counts failed requests too, so a total outage still pages', () => {
      const metrics = alarms[logicalId(alarms, 'SloAvailabilityFastShortWindow')].Properties.Metrics as Array<{ Id: string; Expression?: string }>;
      expect(metrics.find((m) => m.Id === 'volume_5m')!.Expression).toBe('MAX([FILL(volreq_5m, 0), FILL(voltarget5xx_5m, 0) + FILL(volelb5xx_5m, 0)])');
    });

    it('the budget gate fires when the last 7 days alone spent the 30-day budget', () => {
      const gate = alarms[logicalId(alarms, 'SloAvailabilityBudgetExhausted')].Properties;
      expect(gate.Threshold).toBeCloseTo((0.001 * 30) / 7, 10);
      expect(gate.EvaluationPeriods).toBe(1);
      expect(gate.AlarmActions).toBeUndefined();
      const periods = (gate.Metrics as Array<{ MetricStat?: { Period: number } }>).flatMap((m) => (m.MetricStat ? [m.MetricStat.Period] : []));
      expect(new Set(periods)).toEqual(new Set([7 * 86400]));
    });
  });

  describe('zonal autoshift', () => {
    it('is enabled for the load balancer, with the SLO page alarm as the practice-run outcome alarm', () => {
      const composites = resourcesOf(template, 'AWS::CloudWatch::CompositeAlarm');
      template.hasResourceProperties('AWS::ARCZonalShift::ZonalAutoshiftConfiguration', {
        ResourceIdentifier: { Ref: Match.stringLikeRegexp('^ServiceLoadBalancer') },
        ZonalAutoshiftStatus: 'ENABLED',
        PracticeRunConfiguration: Match.objectLike({
          OutcomeAlarms: [{ Type: 'CLOUDWATCH', AlarmIdentifier: { 'Fn::GetAtt': [logicalId(composites, 'SloAnyPage'), 'Arn'] } }],
          BlockingAlarms: [{ Type: 'CLOUDWATCH', AlarmIdentifier: { 'Fn::GetAtt': [logicalId(composites, 'ZonalAutoshiftPracticeRunBlocker'), 'Arn'] } }],
        }),
      });
    });

    it('blocks practice runs while the SLO tickets, a zone is an outlier or the service deploys', () => {
      const composites = resourcesOf(template, 'AWS::CloudWatch::CompositeAlarm');
      const rule = JSON.stringify(composites[logicalId(composites, 'ZonalAutoshiftPracticeRunBlocker')].Properties.AlarmRule);
      expect(rule).toContain(logicalId(composites, 'SloAnyTicket'));
      expect(rule).toContain(logicalId(composites, 'ZonalOutliersAnyZone'));
      expect(rule).toContain(logicalId(alarms, 'ZonalAutoshiftDeploymentInProgress'));
      expect(alarms[logicalId(alarms, 'ZonalAutoshiftDeploymentInProgress')].Properties).toMatchObject({
        Namespace: 'ECS/ContainerInsights',
        MetricName: 'DeploymentCount',
        Threshold: 2,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      });
    });

    it('keeps practice runs out of the chaos schedule: Tue/Wed/Thu 10:00 New York is 14:00 or 15:00 UTC, blocked 13:00-17:00', () => {
      template.hasResourceProperties('AWS::ARCZonalShift::ZonalAutoshiftConfiguration', {
        PracticeRunConfiguration: Match.objectLike({ BlockedWindows: ['Tue:13:00-Tue:17:00', 'Wed:13:00-Wed:17:00', 'Thu:13:00-Thu:17:00'] }),
      });
    });

    it('keeps zonal shift enabled on the load balancer (autoshift needs it)', () => {
      template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
        LoadBalancerAttributes: Match.arrayWith([{ Key: 'zonal_shift.config.enabled', Value: 'true' }]),
      });
    });
  });

  describe('gray failure', () => {
    it('has a 5xx and a latency outlier alarm per zone, each to the ticket topic', () => {
      const outliers = Object.entries(alarms).filter(([id]) => id.startsWith('ZonalOutliers'));
      expect(outliers.map(([id]) => id.replace(/[0-9A-F]{8}$/, '')).sort()).toEqual(
        ['ErrorsUsEast1a', 'ErrorsUsEast1b', 'ErrorsUsEast1c', 'LatencyUsEast1a', 'LatencyUsEast1b', 'LatencyUsEast1c'].map((s) => `ZonalOutliers${s}`),
      );
      for (const [, alarm] of outliers) {
        expect(alarm.Properties.AlarmActions).toEqual([{ Ref: Match.anyValue() }].map(() => expect.objectContaining({ Ref: expect.stringMatching(/^SloPageTopic/) })));
        expect(alarm.Properties).toMatchObject({ EvaluationPeriods: 5, DatapointsToAlarm: 3, TreatMissingData: 'notBreaching' });
      }
    });

    it('compares a zone with the others together, with a minimum request volume and a floor', () => {
      const a = alarms[logicalId(alarms, 'ZonalOutliersErrorsUsEast1a')].Properties.Metrics as Array<{ ReturnData: boolean; Expression?: string }>;
      expect(a.find((m) => m.ReturnData)!.Expression).toBe(
        'IF(FILL(req_z0, 0) >= 60 AND FILL(err_z0, 0) / FILL(req_z0, 1) >= 0.01 AND FILL(err_z0, 0) / FILL(req_z0, 1) >= 3 * (FILL(err_z1, 0) + FILL(err_z2, 0)) / MAX([FILL(req_z1, 0) + FILL(req_z2, 0), 1]), 1, 0)',
      );
    });

    it('shows the zones side by side on the dashboard', () => {
      const body = JSON.stringify(Object.values(resourcesOf(template, 'AWS::CloudWatch::Dashboard'))[0].Properties.DashboardBody);
      expect(body).toContain('Gray failure: 5xx ratio per zone');
      expect(body).toContain('Gray failure: average response time per zone');
    });
  });
});

describe('PrimaryStack: deployment and zonal-shift config', () => {
  it('the explicit override takes the budget gates out of the deployment alarms, with a warning', () => {
    const { app, template } = build({ deployment: { budgetGate: false } });
    const service = Object.values(resourcesOf(template, 'AWS::ECS::Service'))[0].Properties;
    const names = JSON.stringify(service.DeploymentConfiguration.Alarms.AlarmNames);
    expect(names).not.toContain('BudgetExhausted');
    expect(names).toContain('SloErrorSpike');
    const warnings = app.synth().getStackByName('HaPrimary').messages.filter((m) => String(m.entry.data).includes('budgetGate is false'));
    expect(warnings).toHaveLength(1);
  });

  it('a rolling strategy has one target group, no production rule and no bake', () => {
    const { template } = build({ deployment: { strategy: 'rolling' } });
    template.resourceCountIs('AWS::ElasticLoadBalancingV2::TargetGroup', 1);
    template.resourceCountIs('AWS::ElasticLoadBalancingV2::ListenerRule', 1);
    const service = Object.values(resourcesOf(template, 'AWS::ECS::Service'))[0].Properties;
    expect(service.DeploymentConfiguration.Strategy).toBe('ROLLING');
    expect(service.DeploymentConfiguration.BakeTimeInMinutes).toBeUndefined();
    expect(service.LoadBalancers[0].AdvancedConfiguration).toBeUndefined();
  });

  it('a linear strategy moves 25 % a step by default', () => {
    const { template } = build({ deployment: { strategy: 'linear' } });
    const service = Object.values(resourcesOf(template, 'AWS::ECS::Service'))[0].Properties;
    expect(service.DeploymentConfiguration).toMatchObject({ Strategy: 'LINEAR', LinearConfiguration: { StepPercent: 25, StepBakeTimeInMinutes: 5 } });
  });

  it('autoshift off keeps the weekly practice runs', () => {
    const { template } = build({ zonalShift: { autoshift: false, blockedDates: ['2026-12-24'] } });
    template.hasResourceProperties('AWS::ARCZonalShift::ZonalAutoshiftConfiguration', {
      ZonalAutoshiftStatus: 'DISABLED',
      PracticeRunConfiguration: Match.objectLike({ BlockedDates: ['2026-12-24'] }),
    });
  });

  it.each([
    [{ deployment: { strategy: 'bluegreen' } }, /deployment.strategy must be one of canary, linear, blueGreen, rolling, got "bluegreen"/],
    [{ deployment: { trafficStepPercent: 0.05 } }, /deployment.trafficStepPercent must be a multiple of 0.1 from 0.1 to 100 for a canary deployment, got 0.05/],
    [{ deployment: { strategy: 'linear', trafficStepPercent: 2 } }, /from 3 to 100 for a linear deployment, got 2/],
    [{ deployment: { strategy: 'rolling', bakeMinutes: 5 } }, /deployment.bakeMinutes needs the canary, linear or blueGreen strategy/],
    [{ deployment: { bakeMinutes: 2000 } }, /deployment.bakeMinutes must be an integer between 0 and 1440, got 2000/],
    [{ deployment: { budgetGate: 'no' } }, /deployment.budgetGate must be true or false, got "no"/],
    [{ zonalShift: { blockedWindows: ['MON:10:00-MON:11:00'] } }, /zonalShift.blockedWindows\[0\] must look like Day:HH:MM-Day:HH:MM/],
    [{ zonalShift: { blockedWindows: ['Mon:23:00-Tue:01:00'] } }, /must start and end on the same day/],
    [{ zonalShift: { blockedDates: ['24.12.2026'] } }, /zonalShift.blockedDates\[0\] must be a UTC date YYYY-MM-DD/],
    [{ zonalShift: { outlierAlarms: 'email' } }, /zonalShift.outlierAlarms must be "ticket" or "page", got "email"/],
    [{ slo: { minimumRequests: -1 } }, /slo.minimumRequests must be a whole number of requests from 0/],
    [{ deployment: { strategys: 'canary' } }, /deployment.strategys is not a key/],
  ])('rejects %j', (ha, message) => {
    expect(() => parseConfig(ha)).toThrow(message);
  });
});
