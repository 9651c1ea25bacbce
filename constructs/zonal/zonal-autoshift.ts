import { Duration, Token } from 'aws-cdk-lib';
import * as arczonalshift from 'aws-cdk-lib/aws-arczonalshift';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { Construct } from 'constructs';
import { blockedWindowProblem } from './practice-windows';

export interface ZonalAutoshiftProps {
  /** The load balancer ARC shifts traffic for. Its `zonal_shift.config.enabled` attribute must be true (ResilientFargateService sets it). */
  readonly loadBalancer: elbv2.IApplicationLoadBalancer;
  /**
   * Alarms that judge a practice run: one in ALARM ends it as FAILED. Pass the SLO page alarm (users noticed).
   * ARC documents CloudWatch alarms in the same Region; it does not say whether a composite alarm is accepted
   * (https://docs.aws.amazon.com/r53recovery/latest/dg/arc-zonal-autoshift.considerations.html).
   */
  readonly outcomeAlarms: cloudwatch.IAlarm[];
  /**
   * Alarms that keep practice runs from starting and end one in progress: the ticket alarms, a gray-failure alarm.
   * @default - none besides the deployment alarm created for `service`
   */
  readonly blockingAlarms?: cloudwatch.IAlarm[];
  /**
   * The service behind the load balancer: an alarm on its Container Insights `DeploymentCount` (2 or more while a
   * deployment runs) blocks practice runs during deployments. Its cluster must have Container Insights on.
   * @default - no deployment blocking alarm
   */
  readonly service?: ecs.IBaseService;
  /**
   * UTC windows, `Day:HH:MM-Day:HH:MM` on one day each (`Tue:13:00-Tue:17:00`), when ARC starts no practice run, such as the chaos schedule
   * (see `blockedWindowsForCron` in the package's pure helpers).
   * @default - none
   */
  readonly blockedWindows?: string[];
  /**
   * UTC dates, `YYYY-MM-DD`, when ARC starts no practice run (a launch, a freeze).
   * @default - none
   */
  readonly blockedDates?: string[];
  /**
   * Let ARC shift traffic away from a zone AWS finds impaired, by itself. With false, practice runs still happen
   * weekly (the configuration is kept) and zonal shifts stay manual.
   * @default true
   */
  readonly autoshift?: boolean;
}

/**
 * ARC zonal autoshift for a load balancer, with its required weekly practice runs: outcome alarms that fail a
 * practice run, blocking alarms (including one while the service deploys) and blocked windows.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-arczonalshift-zonalautoshiftconfiguration.html
 */
export class ZonalAutoshift extends Construct {
  public readonly configuration: arczonalshift.CfnZonalAutoshiftConfiguration;
  /** ALARM while the service has more than one deployment (one is in progress); undefined without `service`. */
  public readonly deploymentInProgressAlarm?: cloudwatch.Alarm;
  /**
   * The one blocking alarm ARC watches (its CloudFormation schema allows one): the given blocking alarm, or a
   * composite of several and the deployment alarm. Undefined when there is none.
   */
  public readonly blockingAlarm?: cloudwatch.IAlarm;
  /** Whether autoshift is enabled. */
  public readonly autoshiftEnabled: boolean;

  constructor(scope: Construct, id: string, props: ZonalAutoshiftProps) {
    super(scope, id);
    const autoshift = props.autoshift ?? true;
    const blockedWindows = props.blockedWindows ?? [];
    const blockedDates = props.blockedDates ?? [];

    if (props.outcomeAlarms.length === 0) {
      throw new Error('outcomeAlarms must hold at least one alarm (ARC requires an outcome alarm for practice runs), got none');
    }
    if (props.outcomeAlarms.length > 1) {
      // The CloudFormation schema of PracticeRunConfiguration allows one outcome alarm and one blocking alarm.
      throw new Error(`outcomeAlarms must hold one alarm (ARC accepts one; join several in a composite alarm), got ${props.outcomeAlarms.length}`);
    }
    blockedWindows.forEach((w, i) => {
      if (Token.isUnresolved(w)) return;
      const problem = blockedWindowProblem(w);
      if (problem) throw new Error(`blockedWindows[${i}] ${problem}, got ${JSON.stringify(w)}`);
    });
    blockedDates.forEach((d, i) => {
      if (!Token.isUnresolved(d) && !/^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/.test(d)) {
        throw new Error(`blockedDates[${i}] must be a UTC date YYYY-MM-DD, got ${JSON.stringify(d)}`);
      }
    });

    if (props.service) {
      this.deploymentInProgressAlarm = new cloudwatch.Alarm(this, 'DeploymentInProgress', {
        alarmDescription:
          'A deployment of the service is in progress (Container Insights DeploymentCount of 2 or more). Blocks zonal autoshift practice runs, so a practice run never judges a canary, and a canary never bakes on two zones. Notifies nobody.',
        metric: new cloudwatch.Metric({
          namespace: 'ECS/ContainerInsights',
          metricName: 'DeploymentCount',
          dimensionsMap: { ClusterName: props.service.cluster.clusterName, ServiceName: props.service.serviceName },
          statistic: cloudwatch.Stats.MAXIMUM,
          period: Duration.minutes(1),
        }),
        threshold: 2,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    }
    const blocking = [...(props.blockingAlarms ?? []), ...(this.deploymentInProgressAlarm ? [this.deploymentInProgressAlarm] : [])];
    // ARC takes one blocking alarm; several become one composite (ANY of them). Whether ARC accepts a composite alarm
    // is not documented: the considerations page speaks of CloudWatch alarms in the Region (docs/zonal-shift.md).
    this.blockingAlarm =
      blocking.length > 1
        ? new cloudwatch.CompositeAlarm(this, 'PracticeRunBlocker', {
            alarmDescription:
              'ALARM while practice runs must not start or go on: the SLO tickets, a zone is an outlier, or the service is deploying. Notifies nobody.',
            alarmRule: cloudwatch.AlarmRule.anyOf(...blocking.map((a) => cloudwatch.AlarmRule.fromAlarm(a, cloudwatch.AlarmState.ALARM))),
          })
        : blocking[0];
    const condition = (alarm: cloudwatch.IAlarm) => ({ type: 'CLOUDWATCH', alarmIdentifier: alarm.alarmArn });

    this.autoshiftEnabled = autoshift;
    this.configuration = new arczonalshift.CfnZonalAutoshiftConfiguration(this, 'Configuration', {
      resourceIdentifier: props.loadBalancer.loadBalancerArn,
      zonalAutoshiftStatus: autoshift ? 'ENABLED' : 'DISABLED',
      practiceRunConfiguration: {
        outcomeAlarms: props.outcomeAlarms.map(condition),
        blockingAlarms: this.blockingAlarm ? [condition(this.blockingAlarm)] : undefined,
        blockedWindows: blockedWindows.length > 0 ? blockedWindows : undefined,
        blockedDates: blockedDates.length > 0 ? blockedDates : undefined,
      },
    });
  }
}
