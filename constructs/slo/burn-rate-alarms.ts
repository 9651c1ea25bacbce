import { Annotations, Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import {
  BurnRateSeverity,
  BurnRateTier,
  DEFAULT_BURN_RATE_TIERS,
  ResolvedTier,
  SECONDS_PER_DAY,
  formatDuration,
  resolveTiers,
  timeToExhaustionSeconds,
  validateSloTarget,
} from './burn-rate';
import { validateTiers } from './slo-config';
import { IServiceLevelIndicator, describeWindow, windowId } from './sli';

export interface BurnRateAlarmsProps {
  /** What is measured: the error ratio over any window. */
  readonly sli: IServiceLevelIndicator;
  /** The SLO target as a fraction, between 0.9 and 0.9999. */
  readonly target: number;
  /**
   * Days the error budget covers.
   * @default 30
   */
  readonly periodDays?: number;
  /**
   * Burn-rate tiers; each becomes a long-window alarm, a short-window alarm and a composite joining them.
   * @default DEFAULT_BURN_RATE_TIERS
   */
  readonly tiers?: BurnRateTier[];
  /**
   * Low-traffic guard: a window with fewer events (requests, responses) than this reads an error ratio of 0, so three
   * errors among ten requests at night do not page. A full outage still pages while traffic arrives: failed requests
   * count as events. 0 turns the guard off.
   * @default 100
   */
  readonly minimumRequests?: number;
  /**
   * Actions of the page alarm (someone is woken up).
   * @default - none
   */
  readonly pageActions?: cloudwatch.IAlarmAction[];
  /**
   * Actions of the ticket alarm (handled in working hours).
   * @default - none
   */
  readonly ticketActions?: cloudwatch.IAlarmAction[];
}

/** The three alarms of one tier. */
export interface TierAlarms {
  readonly tier: ResolvedTier;
  /** Error ratio over the long window above the tier's threshold. */
  readonly longWindow: cloudwatch.Alarm;
  /** Error ratio over the short window above the same threshold. */
  readonly shortWindow: cloudwatch.Alarm;
  /** ALARM only while both windows are: the long one proves the budget is burning, the short one that it still is. */
  readonly composite: cloudwatch.CompositeAlarm;
}

/**
 * Multi-window, multi-burn-rate alerting on one SLO (SRE workbook, chapter 5, "Alerting on SLOs"), in CloudWatch.
 *
 * Each window is one metric-math alarm whose single period is the window, so it reads the error ratio
 * aggregated over exactly that window (a sliding window, re-evaluated every minute). Each tier's composite
 * joins its long and short window with AND. The page alarm is ALARM while any paging tier is; the ticket
 * alarm while any ticket tier is, and its actions are suppressed while the page alarm fires (and until the
 * slowest ticket tier's short window has cleared after it), so one incident raises one notification.
 *
 * Window alarms treat missing data as not breaching: no traffic spends no budget.
 */
export class BurnRateAlarms extends Construct {
  /** Every tier with its window alarms and composite, fastest first. */
  public readonly tiers: TierAlarms[];
  /** ALARM while any paging tier burns; notifies `pageActions`. */
  public readonly pageAlarm: cloudwatch.CompositeAlarm;
  /** ALARM while any ticket tier burns; notifies `ticketActions`, suppressed while the page alarm fires. Undefined without a ticket tier. */
  public readonly ticketAlarm?: cloudwatch.CompositeAlarm;
  /**
   * The error-budget gate: ALARM while the trailing 7 days alone spent the whole budget of the SLO period (for
   * 99.9 % over 30 days: an error ratio of at least 0.43 % over 7 days). 7 days is the longest window a CloudWatch
   * alarm can evaluate, so a budget spent more slowly than that does not trip it. No actions: deployments watch it.
   */
  public readonly budgetExhaustedAlarm: cloudwatch.Alarm;
  /** Events a window must hold before its error ratio counts (0: no guard). */
  public readonly minimumRequests: number;
  /** The SLI these alarms watch. */
  public readonly sli: IServiceLevelIndicator;
  /** The SLO target. */
  public readonly target: number;
  /** Days the error budget covers. */
  public readonly periodDays: number;

  constructor(scope: Construct, id: string, props: BurnRateAlarmsProps) {
    super(scope, id);

    const periodDays = props.periodDays ?? 30;
    const minimumRequests = props.minimumRequests ?? 100;
    if (!Number.isInteger(minimumRequests) || minimumRequests < 0 || minimumRequests > 1_000_000) {
      throw new Error(`${id}.minimumRequests must be a whole number of requests from 0 (no guard) to 1000000, got ${minimumRequests}`);
    }
    this.minimumRequests = minimumRequests;
    const tierConfig = props.tiers ?? DEFAULT_BURN_RATE_TIERS;
    const sloPeriodSeconds = periodDays * SECONDS_PER_DAY;
    validateSloTarget(`${id}.target`, props.target, sloPeriodSeconds);
    validateTiers(`${id}.tiers`, tierConfig);

    this.sli = props.sli;
    this.target = props.target;
    this.periodDays = periodDays;
    const sloText = `${props.sli.name} SLO: ${percent(props.target)} of ${props.sli.description} over ${periodDays} days`;

    this.tiers = resolveTiers(tierConfig, props.target, sloPeriodSeconds).map((tier) => {
      if (!tier.reachable) {
        Annotations.of(this).addWarningV2(
          `ha:slo:unreachableTier:${tier.name}`,
          `${sloText}: the ${tier.name} tier (${tier.burnRate}× the budget) would need an error ratio of ${percent(tier.burnRate * (1 - props.target))}; ` +
            'its threshold is capped at 100 %, so it fires only on a total outage',
        );
      }
      const window = (seconds: number, which: 'Long' | 'Short') =>
        new cloudwatch.Alarm(this, `${tier.name}${which}Window`, {
          alarmDescription:
            `${sloText}. ${tier.name} burn, ${which.toLowerCase()} window: error ratio over ${formatDuration(seconds)} at or above ` +
            `${percent(tier.threshold)} (${tier.burnRate}× the budget; at this rate the ${periodDays}-day budget lasts ` +
            `${formatDuration(timeToExhaustionSeconds(tier.burnRate, sloPeriodSeconds))})${guardText(minimumRequests)}. No actions: the composite alarms notify.`,
          metric: this.guardedErrorRatio(Duration.seconds(seconds)),
          threshold: tier.threshold,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          // One period that is the whole window: the alarm sees the ratio aggregated over the window.
          evaluationPeriods: 1,
          datapointsToAlarm: 1,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        });
      const longWindow = window(tier.longWindowSeconds, 'Long');
      const shortWindow = window(tier.shortWindowSeconds, 'Short');
      const composite = new cloudwatch.CompositeAlarm(this, `${tier.name}Burn`, {
        alarmDescription:
          `${sloText}. ${tier.name} burn (${tier.severity}): ${tier.burnRate}× the budget over both ${formatDuration(tier.longWindowSeconds)} ` +
          `and ${formatDuration(tier.shortWindowSeconds)}, i.e. ${percent(tier.budgetConsumed)} of the budget spent in ${formatDuration(tier.longWindowSeconds)}.`,
        alarmRule: cloudwatch.AlarmRule.allOf(
          cloudwatch.AlarmRule.fromAlarm(longWindow, cloudwatch.AlarmState.ALARM),
          cloudwatch.AlarmRule.fromAlarm(shortWindow, cloudwatch.AlarmState.ALARM),
        ),
      });
      return { tier, longWindow, shortWindow, composite };
    });

    const gateWindow = Duration.days(7);
    const gateThreshold = Math.min(1, (1 - props.target) * (periodDays / 7));
    this.budgetExhaustedAlarm = new cloudwatch.Alarm(this, 'BudgetExhausted', {
      alarmDescription:
        `${sloText}. Error-budget gate: the last 7 days alone spent the whole ${periodDays}-day budget (error ratio over 7 days at or above ` +
        `${percent(gateThreshold)})${guardText(minimumRequests)}. A deployment alarm: a deployment started while it fires rolls back. ` +
        'To ship the fix that restores reliability, deploy with the gate overridden (docs/slo.md, "Error budget policy").',
      metric: this.guardedErrorRatio(gateWindow),
      threshold: gateThreshold,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    const pageTiers = this.tiers.filter((t) => t.tier.severity === BurnRateSeverity.PAGE);
    const ticketTiers = this.tiers.filter((t) => t.tier.severity === BurnRateSeverity.TICKET);

    this.pageAlarm = new cloudwatch.CompositeAlarm(this, 'Page', {
      alarmDescription:
        `PAGE. ${sloText}. The error budget is burning fast enough to be gone within ` +
        `${formatDuration(timeToExhaustionSeconds(Math.min(...pageTiers.map((t) => t.tier.burnRate)), sloPeriodSeconds))}: ` +
        `${pageTiers.map((t) => `${t.tier.burnRate}× over ${formatDuration(t.tier.longWindowSeconds)}`).join(' or ')}. ` +
        'Check the dashboard, recent deployments and the load balancer 5xx and latency graphs.',
      alarmRule: cloudwatch.AlarmRule.anyOf(...pageTiers.map((t) => cloudwatch.AlarmRule.fromAlarm(t.composite, cloudwatch.AlarmState.ALARM))),
    });
    for (const action of props.pageActions ?? []) this.pageAlarm.addAlarmAction(action);

    if (ticketTiers.length > 0) {
      // After a page clears, the ticket tiers' long windows still hold the incident; their short windows
      // clear within the longest of them, so suppressing that long means one incident, one notification.
      const extension = Math.max(...ticketTiers.map((t) => t.tier.shortWindowSeconds));
      this.ticketAlarm = new cloudwatch.CompositeAlarm(this, 'Ticket', {
        alarmDescription:
          `TICKET. ${sloText}. The error budget is burning faster than it refills: ` +
          `${ticketTiers.map((t) => `${t.tier.burnRate}× over ${formatDuration(t.tier.longWindowSeconds)}`).join(' or ')}. ` +
          'Investigate in working hours; suppressed while the page alarm fires.',
        alarmRule: cloudwatch.AlarmRule.anyOf(...ticketTiers.map((t) => cloudwatch.AlarmRule.fromAlarm(t.composite, cloudwatch.AlarmState.ALARM))),
        actionsSuppressor: this.pageAlarm,
        // A slow tier rarely fires before the fast one; waiting 2 min for the page covers the case where both start together.
        actionsSuppressorWaitPeriod: Duration.minutes(2),
        actionsSuppressorExtensionPeriod: Duration.seconds(extension),
      });
      for (const action of props.ticketActions ?? []) this.ticketAlarm.addAlarmAction(action);
    }
  }

  /**
   * The SLI's error ratio over a window, read as 0 when the window holds fewer than `minimumRequests` events.
   */
  public guardedErrorRatio(window: Duration): cloudwatch.IMetric {
    const ratio = this.sli.errorRatio(window);
    if (this.minimumRequests === 0) return ratio;
    const w = windowId(window);
    return new cloudwatch.MathExpression({
      expression: `IF(volume_${w} >= ${this.minimumRequests}, errors_${w}, 0)`,
      usingMetrics: { [`volume_${w}`]: this.sli.eventCount(window), [`errors_${w}`]: ratio },
      period: window,
      label: `${this.sli.name} error ratio (${describeWindow(window)}, 0 under ${this.minimumRequests} events)`,
    });
  }

  /** The window alarms of a tier by name (`Fast`, `Medium`, `Slow`). */
  public tier(name: string): TierAlarms {
    const found = this.tiers.find((t) => t.tier.name === name);
    if (!found) throw new Error(`no burn-rate tier named "${name}"; tiers are ${this.tiers.map((t) => t.tier.name).join(', ')}`);
    return found;
  }

  /** The error budget left over the SLO period, in percent (100 = untouched, negative = overspent). */
  public metricErrorBudgetRemaining(): cloudwatch.IMetric {
    const budget = 1 - this.target;
    return new cloudwatch.MathExpression({
      expression: `100 * (1 - ratio_budget / ${round(budget)})`,
      usingMetrics: { ratio_budget: this.sli.errorRatio(Duration.days(this.periodDays)) },
      period: Duration.days(this.periodDays),
      label: `${this.sli.name} error budget remaining (%)`,
    });
  }

  /** The burn rate over a window: the error ratio divided by the budget (1 = on track to spend exactly the budget). */
  public metricBurnRate(window: Duration): cloudwatch.IMetric {
    return new cloudwatch.MathExpression({
      expression: `ratio_${windowId(window)} / ${round(1 - this.target)}`,
      usingMetrics: { [`ratio_${windowId(window)}`]: this.sli.errorRatio(window) },
      period: window,
      label: `${this.sli.name} burn rate (${describeWindow(window)})`,
    });
  }
}

function round(value: number): number {
  return Math.round(value * 1e10) / 1e10;
}

function guardText(minimumRequests: number): string {
  return minimumRequests > 0 ? `; windows with fewer than ${minimumRequests} events read 0` : '';
}

function percent(fraction: number): string {
  return `${round(fraction * 100)} %`;
}
