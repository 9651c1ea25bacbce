import { Annotations, Duration, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { AlarmTopic } from './alarm-topic';
import { BurnRateSeverity } from './burn-rate';
import { BurnRateAlarms } from './burn-rate-alarms';
import { SloConfig, ResolvedSloConfig, resolveSloConfig } from './slo-config';
import { loadBalancerAvailability, targetGroupsLatency } from './sli';

/** How the deployment guard decides a fresh revision is failing. */
export interface ErrorSpikeOptions {
  /**
   * Share of requests ending in a 5xx, per minute, that counts as a spike.
   * @default 0.05
   */
  readonly errorRatio?: number;
  /**
   * Requests a minute must carry before its ratio counts, so one failed request in a quiet minute is no spike.
   * @default 20
   */
  readonly minimumRequestsPerMinute?: number;
  /**
   * Minutes out of the last three that must spike.
   * @default 2
   */
  readonly datapointsToAlarm?: number;
}

export interface SloAlarmsProps {
  /** The load balancer in front of the service: source of the availability SLI. */
  readonly loadBalancer: elbv2.IApplicationLoadBalancer;
  /** The service's target group: source of the latency SLI. */
  readonly targetGroup: elbv2.IApplicationTargetGroup;
  /**
   * The second target group of a canary, linear or blue/green deployment (ECS moves production between the two):
   * the latency SLI counts responses from both.
   * @default - only `targetGroup`
   */
  readonly alternateTargetGroup?: elbv2.IApplicationTargetGroup;
  /**
   * The ECS service whose deployments roll back when the deployment alarms fire. Deployment alarms can be
   * wired only into a service defined in this app (an `ecs.BaseService`); an imported one is accepted and
   * left as it is.
   * @default - no deployment alarms are wired
   */
  readonly service?: ecs.IBaseService;
  /**
   * What the service promises, and the burn-rate tiers.
   * @default - 99.9 % availability and 99 % of responses within 300 ms, both over 30 days
   */
  readonly slo?: SloConfig;
  /**
   * Topic the page alarms notify.
   * @default - a new KMS-encrypted topic, with `alarmEmail` subscribed
   */
  readonly pageTopic?: sns.ITopic;
  /**
   * Topic the ticket alarms notify.
   * @default - the page topic
   */
  readonly ticketTopic?: sns.ITopic;
  /**
   * Address subscribed to the topic this construct creates (ignored when `pageTopic` is given).
   * @default - no subscription
   */
  readonly alarmEmail?: string;
  /**
   * Key for the topic this construct creates (ignored when `pageTopic` is given).
   * @default - a new customer-managed key with rotation
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * Make the fast-burn short windows and the 5xx spike alarm the service's deployment alarms.
   * @default true when `service` is a service defined in this app
   */
  readonly enableDeploymentAlarms?: boolean;
  /**
   * Put the error-budget gates (each SLO's `budgetExhaustedAlarm`) among the deployment alarms, so a deployment
   * started while the budget is spent rolls itself back. Set false only to ship the fix that restores
   * reliability (docs/slo.md, "Error budget policy"); a synth warning says the gate is open.
   * @default true
   */
  readonly budgetGate?: boolean;
  /**
   * What ECS does when a deployment alarm fires.
   * @default ecs.AlarmBehavior.ROLLBACK_ON_ALARM
   */
  readonly deploymentAlarmBehavior?: ecs.AlarmBehavior;
  /**
   * The 5xx spike alarm that guards deployments.
   * @default - 5 % of at least 20 requests a minute, in 2 of 3 minutes
   */
  readonly errorSpike?: ErrorSpikeOptions;
}

/**
 * The service's SLOs as alarms: availability and latency, each with multi-window, multi-burn-rate page and
 * ticket alarms; a combined page alarm for chaos experiments to stop on; and deployment alarms that roll a
 * deployment back when it starts spending the error budget.
 */
export class SloAlarms extends Construct {
  /** The SLOs as resolved from the props and defaults. */
  public readonly config: ResolvedSloConfig;
  public readonly availability: BurnRateAlarms;
  public readonly latency: BurnRateAlarms;
  /**
   * ALARM while any SLO pages. Has no actions of its own (each SLO's page alarm notifies): it exists as one
   * alarm to watch, for FIS stop conditions and the dashboard.
   */
  public readonly pageAlarm: cloudwatch.CompositeAlarm;
  /** ALARM while any SLO tickets. No actions of its own. */
  public readonly ticketAlarm: cloudwatch.CompositeAlarm;
  /** 5xx in a few consecutive minutes: the fast deployment guard. No actions: ECS acts on it. */
  public readonly errorSpikeAlarm: cloudwatch.Alarm;
  /** The error-budget gates, one per SLO (in the deployment alarms unless `budgetGate` is false). */
  public readonly budgetExhaustedAlarms: cloudwatch.Alarm[];
  /** The alarms ECS watches during a deployment. */
  public readonly deploymentAlarms: cloudwatch.Alarm[];
  public readonly pageTopic: sns.ITopic;
  public readonly ticketTopic: sns.ITopic;

  constructor(scope: Construct, id: string, props: SloAlarmsProps) {
    super(scope, id);

    this.config = resolveSloConfig(props.slo);
    const spikeRatio = props.errorSpike?.errorRatio ?? 0.05;
    const spikeMinimumRequests = props.errorSpike?.minimumRequestsPerMinute ?? 20;
    const spikeDatapoints = props.errorSpike?.datapointsToAlarm ?? 2;
    const ownService = props.service instanceof ecs.BaseService ? props.service : undefined;
    const enableDeploymentAlarms = props.enableDeploymentAlarms ?? ownService !== undefined;
    const behavior = props.deploymentAlarmBehavior ?? ecs.AlarmBehavior.ROLLBACK_ON_ALARM;
    const budgetGate = props.budgetGate ?? true;

    if (!Token.isUnresolved(spikeRatio) && !(spikeRatio > 0 && spikeRatio < 1)) {
      throw new Error(`errorSpike.errorRatio must be a fraction above 0 and below 1 (0.05 for 5 %), got ${spikeRatio}`);
    }
    if (!Number.isInteger(spikeMinimumRequests) || spikeMinimumRequests < 0) {
      throw new Error(`errorSpike.minimumRequestsPerMinute must be a whole number of requests, 0 or more, got ${spikeMinimumRequests}`);
    }
    if (!Number.isInteger(spikeDatapoints) || spikeDatapoints < 1 || spikeDatapoints > 3) {
      throw new Error(`errorSpike.datapointsToAlarm must be 1, 2 or 3 (minutes out of the last three), got ${spikeDatapoints}`);
    }
    if (enableDeploymentAlarms && !props.service) {
      throw new Error('enableDeploymentAlarms needs the service whose deployments the alarms guard: pass `service`');
    }
    if (enableDeploymentAlarms && !ownService) {
      throw new Error(
        'enableDeploymentAlarms needs a service defined in this app (an ecs.BaseService): the deployment configuration of an imported `service` cannot be changed here',
      );
    }

    this.pageTopic =
      props.pageTopic ??
      new AlarmTopic(this, 'PageTopic', {
        displayName: 'Service SLO alarms',
        emailAddresses: props.alarmEmail ? [props.alarmEmail] : [],
        encryptionKey: props.encryptionKey,
      }).topic;
    this.ticketTopic = props.ticketTopic ?? this.pageTopic;
    const pageAction = new cloudwatchActions.SnsAction(this.pageTopic);
    const ticketAction = new cloudwatchActions.SnsAction(this.ticketTopic);

    this.availability = new BurnRateAlarms(this, 'Availability', {
      sli: loadBalancerAvailability(props.loadBalancer),
      target: this.config.availability.target,
      periodDays: this.config.availability.periodDays,
      tiers: this.config.tiers,
      minimumRequests: this.config.minimumRequests,
      pageActions: [pageAction],
      ticketActions: [ticketAction],
    });
    this.latency = new BurnRateAlarms(this, 'Latency', {
      sli: targetGroupsLatency(
        props.alternateTargetGroup ? [props.targetGroup, props.alternateTargetGroup] : [props.targetGroup],
        this.config.latency.thresholdMs,
      ),
      target: this.config.latency.target,
      periodDays: this.config.latency.periodDays,
      tiers: this.config.tiers,
      minimumRequests: this.config.minimumRequests,
      pageActions: [pageAction],
      ticketActions: [ticketAction],
    });
    const slos = [this.availability, this.latency];

    this.pageAlarm = new cloudwatch.CompositeAlarm(this, 'AnyPage', {
      alarmDescription: 'ALARM while any SLO of the service pages (availability or latency). Stop condition for chaos experiments; notifies nobody itself.',
      alarmRule: cloudwatch.AlarmRule.anyOf(...slos.map((s) => cloudwatch.AlarmRule.fromAlarm(s.pageAlarm, cloudwatch.AlarmState.ALARM))),
    });
    const ticketAlarms = slos.flatMap((s) => (s.ticketAlarm ? [s.ticketAlarm] : []));
    this.ticketAlarm = new cloudwatch.CompositeAlarm(this, 'AnyTicket', {
      alarmDescription: 'ALARM while any SLO of the service burns budget slowly enough for a ticket. Notifies nobody itself.',
      alarmRule:
        ticketAlarms.length > 0
          ? cloudwatch.AlarmRule.anyOf(...ticketAlarms.map((a) => cloudwatch.AlarmRule.fromAlarm(a, cloudwatch.AlarmState.ALARM)))
          : cloudwatch.AlarmRule.fromBoolean(false),
    });

    this.errorSpikeAlarm = new cloudwatch.Alarm(this, 'ErrorSpike', {
      alarmDescription:
        `Deployment guard: at least ${round(spikeRatio * 100)} % of requests ended in a 5xx in ${spikeDatapoints} of the last 3 minutes ` +
        `(minutes with fewer than ${spikeMinimumRequests} requests do not count). ECS rolls back a deployment while this fires.`,
      metric: new cloudwatch.MathExpression({
        expression: `IF(FILL(volume, 0) >= ${spikeMinimumRequests}, ratio_1m, 0)`,
        usingMetrics: {
          volume: props.loadBalancer.metrics.custom('RequestCount', { statistic: cloudwatch.Stats.SUM }),
          ratio_1m: loadBalancerAvailability(props.loadBalancer).errorRatio(Duration.minutes(1)),
        },
        period: Duration.minutes(1),
        label: '5xx ratio per minute (quiet minutes read 0)',
      }),
      threshold: spikeRatio,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 3,
      datapointsToAlarm: spikeDatapoints,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    // Metric alarms with short periods, not the composites: ECS documents deployment alarms as CloudWatch
    // (metric) alarms and derives the bake time from their configuration, and during a rollout the 5-minute
    // window sees only the new revision while the 1-hour window is mostly traffic from before it.
    const fastest = (slo: BurnRateAlarms) =>
      slo.tiers.filter((t) => t.tier.severity === BurnRateSeverity.PAGE).reduce((a, b) => (b.tier.burnRate > a.tier.burnRate ? b : a)).shortWindow;
    this.budgetExhaustedAlarms = slos.map((s) => s.budgetExhaustedAlarm);
    // The gate is a deployment alarm like the others: ECS documents that a deployment fails when one of its alarms
    // goes into ALARM (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-alarm-failure.html).
    // Whether an alarm already in ALARM when the deployment starts fails it at once is not documented (docs/slo.md).
    this.deploymentAlarms = [fastest(this.availability), fastest(this.latency), this.errorSpikeAlarm, ...(budgetGate ? this.budgetExhaustedAlarms : [])];
    if (!budgetGate && enableDeploymentAlarms) {
      Annotations.of(this).addWarningV2(
        'ha:slo:budgetGateOverridden',
        'budgetGate is false: deployments proceed while the error budget is spent. Deploy only the fix that restores reliability this way, then turn the gate back on (docs/slo.md, "Error budget policy").',
      );
    }
    if (enableDeploymentAlarms && ownService) {
      // The names are CloudFormation tokens; these alarms read load balancer and target group metrics only,
      // never the service's, so the service can depend on them without a cycle.
      ownService.enableDeploymentAlarms(
        this.deploymentAlarms.map((a) => a.alarmName),
        { behavior },
      );
    }
  }
}

function round(value: number): number {
  return Math.round(value * 1e10) / 1e10;
}
