import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as sns from 'aws-cdk-lib/aws-sns';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_BURN_RATE_TIERS, THREE_DAY_TICKET_TIER } from '@ha-reference/constructs/pure';
import { SloAlarms, SloAlarmsProps } from '@ha-reference/constructs';
import { newApp, newStack } from '../../support/synth';

const LB_ARN = 'arn:aws:elasticloadbalancing:us-east-1:111111111111:loadbalancer/app/web/0123456789abcdef';
const TG_ARN = 'arn:aws:elasticloadbalancing:us-east-1:111111111111:targetgroup/web/fedcba9876543210';

/** Imported load balancer and target group: the construct works on resources from another stack too. */
function imported(stack: Stack, id: string): Pick<SloAlarmsProps, 'loadBalancer' | 'targetGroup'> {
  return {
    loadBalancer: elbv2.ApplicationLoadBalancer.fromApplicationLoadBalancerAttributes(stack, `${id}Lb`, {
      loadBalancerArn: LB_ARN,
      securityGroupId: 'sg-12345678',
    }),
    targetGroup: elbv2.ApplicationTargetGroup.fromTargetGroupAttributes(stack, `${id}Tg`, { targetGroupArn: TG_ARN, loadBalancerArns: LB_ARN }),
  };
}

describe('configured SLOs', () => {
  let stack: Stack;
  let template: Template;
  let leak: SloAlarms;
  let loose: SloAlarms;
  let routed: SloAlarms;

  beforeAll(() => {
    stack = newStack(newApp());
    const page = new sns.Topic(stack, 'PageTopic');
    const ticket = new sns.Topic(stack, 'TicketTopic');
    leak = new SloAlarms(stack, 'Leak', {
      ...imported(stack, 'Leak'),
      slo: { latency: { thresholdMs: 500 }, tiers: [...DEFAULT_BURN_RATE_TIERS, THREE_DAY_TICKET_TIER] },
      pageTopic: page,
    });
    loose = new SloAlarms(stack, 'Loose', { ...imported(stack, 'Loose'), slo: { availability: { target: 0.9 } }, pageTopic: page });
    routed = new SloAlarms(stack, 'Routed', { ...imported(stack, 'Routed'), pageTopic: page, ticketTopic: ticket });
    template = Template.fromStack(stack);
  });

  it('adds the 3-day ticket tier as one 259,200 s period at 1× the budget', () => {
    const tier = leak.availability.tier('Leak');
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Threshold: 0.001,
      Metrics: Match.arrayWith([Match.objectLike({ MetricStat: Match.objectLike({ Period: 259200, Metric: Match.objectLike({ MetricName: 'RequestCount' }) }) })]),
    });
    expect(tier.tier.burnRate).toBe(1);
    expect(leak.availability.ticketAlarm).toBeDefined();
  });

  it('uses the configured latency threshold in the trimmed-count statistic', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Metrics: Match.arrayWith([Match.objectLike({ MetricStat: Match.objectLike({ Stat: 'TC(:0.5)' }) })]),
    });
  });

  it('caps an unreachable tier at 100 % and warns', () => {
    expect(loose.availability.tier('Fast').tier.threshold).toBe(1);
    // Read from the construct's metadata: Annotations.fromStack would synthesise the stack a second time.
    const warnings = loose.availability.node.metadata.filter((m) => m.type === 'aws:cdk:warning').map((m) => String(m.data));
    expect(warnings).toEqual([expect.stringMatching(/Fast tier \(14\.4× the budget\) would need an error ratio of 144 %/)]);
  });

  it('sends tickets to the ticket topic and pages to the page topic', () => {
    const ids = Object.keys(template.toJSON().Resources);
    const idOf = (prefix: string) => ids.find((id) => id.startsWith(prefix))!;
    template.hasResourceProperties('AWS::CloudWatch::CompositeAlarm', {
      AlarmDescription: Match.stringLikeRegexp('^TICKET'),
      AlarmActions: [{ Ref: idOf('TicketTopic') }],
    });
    expect(stack.resolve(routed.ticketTopic.topicArn)).toEqual({ Ref: idOf('TicketTopic') });
    template.resourceCountIs('AWS::KMS::Key', 0);
  });

  it('wires no deployment alarms without a service, but still exposes them', () => {
    template.resourceCountIs('AWS::ECS::Service', 0);
    // Fast short windows of both SLOs, the 5xx spike, and the two error-budget gates.
    expect(routed.deploymentAlarms).toHaveLength(5);
  });
});

describe('bad configuration', () => {
  const build = (props: Partial<SloAlarmsProps>) => {
    const stack = newStack(newApp());
    return () => new SloAlarms(stack, 'Slo', { ...imported(stack, 'Bad'), ...props });
  };

  it('names the target, the value, the range and the reason', () => {
    expect(build({ slo: { availability: { target: 1.5 } } })).toThrow(/slo\.availability\.target must be between 0\.9 and 0\.9999, got 1\.5: its error budget/);
    expect(build({ slo: { latency: { target: 0.99999 } } })).toThrow(/slo\.latency\.target .* got 0\.99999: its error budget over 30 d is 25\.92 s/);
  });

  it('rejects deployment alarms without a service and a spike ratio that is a percentage', () => {
    expect(build({ enableDeploymentAlarms: true })).toThrow(/enableDeploymentAlarms needs the service/);
    expect(build({ errorSpike: { errorRatio: 5 } })).toThrow(/errorSpike\.errorRatio must be a fraction above 0 and below 1 \(0\.05 for 5 %\), got 5/);
  });

  it('rejects a tier window CloudWatch cannot evaluate', () => {
    expect(build({ slo: { tiers: [{ ...DEFAULT_BURN_RATE_TIERS[0], longWindowSeconds: 8 * 86_400 }] } })).toThrow(
      /slo\.tiers\[0\]\.longWindowSeconds must be at most 7 days/,
    );
  });
});
