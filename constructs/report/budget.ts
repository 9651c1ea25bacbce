/**
 * The error budget: the nines table, and the budget of each SLO the templates declare.
 */
import { get, num, props, resourcesOfType, str } from '../pure';
import { downtimeMinutesPerMonth, MINUTES_PER_MONTH, MINUTES_PER_YEAR } from './availability';
import type { LoadedStack } from './load';

export interface NinesRow {
  readonly availability: number;
  readonly downtimeMinutesPerMonth: number;
  readonly downtimeHoursPerYear: number;
}

export interface SloBudget {
  readonly stack: string;
  readonly resource: string;
  readonly name: string;
  readonly target: number;
  readonly budgetMinutesPerMonth: number;
  /** Share of the budget the infrastructure estimate alone consumes (composite downtime / budget). */
  readonly consumedByInfrastructure: number | null;
  /** Where the target was read. */
  readonly source: string;
}

export interface ErrorBudget {
  readonly ninesTable: readonly NinesRow[];
  readonly slos: readonly SloBudget[];
}

export const NINES = [0.99, 0.995, 0.999, 0.9995, 0.9999, 0.99999];

export function ninesTable(levels: readonly number[] = NINES): NinesRow[] {
  return levels.map((availability) => ({
    availability,
    downtimeMinutesPerMonth: downtimeMinutesPerMonth(availability),
    downtimeHoursPerYear: ((1 - availability) * MINUTES_PER_YEAR) / 60,
  }));
}

/**
 * SLOs declared in the templates: CloudWatch Application Signals SLOs (`Goal.AttainmentGoal`, in percent,
 * 99 by default), and alarms whose description states an SLO target ("SLO 99.9 %").
 */
export function errorBudget(stacks: readonly LoadedStack[], composite: number | null): ErrorBudget {
  const slos: SloBudget[] = [];
  const add = (stack: string, resource: string, name: string, target: number, source: string) => {
    const budget = (1 - target) * MINUTES_PER_MONTH;
    slos.push({
      stack,
      resource,
      name,
      target,
      budgetMinutesPerMonth: budget,
      consumedByInfrastructure: composite === null || target >= 1 ? null : (1 - composite) / (1 - target),
      source,
    });
  };
  for (const stack of stacks) {
    const { template } = stack;
    for (const [id, slo] of resourcesOfType(template, 'AWS::ApplicationSignals::ServiceLevelObjective')) {
      const goal = num(get(props(slo), 'Goal', 'AttainmentGoal'), template);
      const target = (typeof goal === 'number' ? goal : 99) / 100;
      const name = str(props(slo).Name, template);
      add(stack.name, id, typeof name === 'string' ? name : id, target, 'Application Signals SLO (AttainmentGoal)');
    }
    const seen = new Set<string>();
    for (const [id, alarm] of resourcesOfType(template, 'AWS::CloudWatch::Alarm', 'AWS::CloudWatch::CompositeAlarm')) {
      const description = props(alarm).AlarmDescription;
      if (typeof description !== 'string') continue;
      const match = /\bSLO\b[^%\d]{0,40}(\d{2}(?:\.\d+)?)\s?%/i.exec(description) ?? /(\d{2}(?:\.\d+)?)\s?%[^.]{0,40}\bSLO\b/i.exec(description);
      if (!match) continue;
      const target = Number(match[1]) / 100;
      const name = sloName(description);
      const key = `${stack.name}/${name}/${target}`;
      if (seen.has(key) || !(target > 0.5 && target < 1)) continue;
      seen.add(key);
      add(stack.name, id, name, target, 'alarm description');
    }
  }
  return { ninesTable: ninesTable(), slos };
}

function sloName(description: string): string {
  const named = /\b(availability|latency|error[- ]rate|freshness|durability)\b/i.exec(description);
  return named ? `${named[1].toLowerCase()} SLO` : 'SLO';
}
