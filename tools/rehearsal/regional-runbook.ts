/**
 * The failover runbook as HaDrSite synthesises it (an SSM Automation document, constructs/dr/failover-runbook.ts),
 * read from the template and executed step by step against the local stand-ins, in the document's own order:
 *
 *   CheckForce              Force=true (a planned switchover) jumps to the promotion
 *   AssertPrimaryDown       the external probe's alarm must be in ALARM, else the runbook stops (the guard)
 *   ReadPrimaryHealthCheck  + AssertPrimaryUnhealthy: Route 53's health check must call the primary unhealthy
 *   PromoteReplica          pg_promote on the cross-region replica (PromoteReadReplica)
 *   WaitForPromotion        until it accepts writes
 *   RaiseMinimumCapacity    + ScaleService + WaitForTasks: the standby service at the document's desiredCount
 *   ReadDnsHealthCheck      + AssertDnsFailedOver: the failover record answers the standby
 *   OutputStandbyEndpoint
 *
 * A step the rehearsal does not know is an error: a new step in the document must get a stand-in here.
 */
import type { CfnTemplate } from '../../constructs/checks/template';

export interface RunbookStep {
  readonly name: string;
  readonly action: string;
  readonly api?: string;
}

export interface RunbookSettings {
  readonly document: string;
  readonly steps: readonly RunbookStep[];
  /** Logical ID of the alarm AssertPrimaryDown reads. */
  readonly primaryDownAlarm: string;
  /** Tasks ScaleService asks for. */
  readonly desiredCount: number;
}

/** The external probe's alarm as the guard reads it, with the probe's schedule. */
export interface ProbeAlarmSettings {
  readonly alarm: string;
  /** Seconds between probe runs (the canary's rate). */
  readonly rateSeconds: number;
  readonly periodSeconds: number;
  readonly evaluationPeriods: number;
  readonly datapointsToAlarm: number;
}

type Resource = { Type?: string; Properties?: Record<string, unknown> };
type MainStep = { name?: unknown; action?: unknown; inputs?: Record<string, unknown> };

const KNOWN = [
  'CheckForce',
  'AssertPrimaryDown',
  'ReadPrimaryHealthCheck',
  'AssertPrimaryUnhealthy',
  'PromoteReplica',
  'WaitForPromotion',
  'RaiseMinimumCapacity',
  'ScaleService',
  'WaitForTasks',
  'ReadDnsHealthCheck',
  'AssertDnsFailedOver',
  'OutputStandbyEndpoint',
] as const;
export type KnownStep = (typeof KNOWN)[number];

/** Reads the one Automation document's steps, the alarm its guard asserts and the desired count it scales to. */
export function runbookFromTemplate(template: CfnTemplate, stackName = 'the template'): RunbookSettings {
  const docs = Object.entries((template.Resources ?? {}) as Record<string, Resource>).filter(
    ([, r]) => r.Type === 'AWS::SSM::Document' && r.Properties?.DocumentType === 'Automation',
  );
  if (docs.length !== 1) throw new Error(`${stackName} must have exactly one AWS::SSM::Document of DocumentType Automation (the failover runbook), found ${docs.length}`);
  const [id, doc] = docs[0];
  const content = doc.Properties?.Content as { mainSteps?: MainStep[] } | undefined;
  const mainSteps = content?.mainSteps;
  if (!Array.isArray(mainSteps) || mainSteps.length === 0) throw new Error(`${id}.Content has no mainSteps`);
  const steps = mainSteps.map((s, i) => {
    if (typeof s.name !== 'string' || typeof s.action !== 'string') throw new Error(`${id}.Content.mainSteps[${i}] has no literal name and action`);
    if (!(KNOWN as readonly string[]).includes(s.name)) throw new Error(`${id} has step ${s.name} (${s.action}), which the rehearsal has no stand-in for: add one in tools/rehearsal/regional-runbook.ts`);
    return { name: s.name, action: s.action, ...(typeof s.inputs?.Api === 'string' ? { api: s.inputs.Api } : {}) };
  });
  const assert = mainSteps.find((s) => s.name === 'AssertPrimaryDown');
  const alarmRef = (assert?.inputs?.AlarmNames as { Ref?: unknown }[] | undefined)?.[0]?.Ref;
  if (typeof alarmRef !== 'string') throw new Error(`${id}: AssertPrimaryDown must name its alarm with a Ref, got ${JSON.stringify(assert?.inputs?.AlarmNames)}`);
  const scale = mainSteps.find((s) => s.name === 'ScaleService');
  const desired = scale?.inputs?.desiredCount;
  if (typeof desired !== 'number' || !Number.isInteger(desired) || desired < 1) throw new Error(`${id}: ScaleService must set a literal desiredCount, got ${JSON.stringify(desired)}`);
  return { document: id, steps, primaryDownAlarm: alarmRef, desiredCount: desired };
}

function positive(value: unknown, what: string): number {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n) || n <= 0) throw new Error(`${what} must be a positive literal number in the template, got ${JSON.stringify(value)}`);
  return n;
}

/** Synthetics schedule expressions: rate(N minute|minutes|hour|hours). */
export function rateSeconds(expression: unknown): number {
  const m = typeof expression === 'string' ? /^rate\((\d+) (minute|minutes|hour|hours)\)$/.exec(expression) : null;
  if (!m) throw new Error(`expected a Synthetics schedule like "rate(1 minute)", got ${JSON.stringify(expression)}`);
  return Number(m[1]) * (m[2].startsWith('hour') ? 3600 : 60);
}

/** The guard's alarm and the probe behind it (the canary its CanaryName dimension names). */
export function probeAlarmFromTemplate(template: CfnTemplate, alarmId: string): ProbeAlarmSettings {
  const resources = (template.Resources ?? {}) as Record<string, Resource>;
  const alarm = resources[alarmId];
  if (alarm?.Type !== 'AWS::CloudWatch::Alarm') throw new Error(`${alarmId} is not an AWS::CloudWatch::Alarm in the template`);
  const p = alarm.Properties ?? {};
  const dims = (p.Dimensions ?? []) as { Name?: string; Value?: { Ref?: string } }[];
  const canaryRef = dims.find((d) => d.Name === 'CanaryName')?.Value?.Ref;
  const canary = canaryRef ? resources[canaryRef] : undefined;
  if (canary?.Type !== 'AWS::Synthetics::Canary') throw new Error(`${alarmId} must watch a canary of the template (dimension CanaryName with a Ref), got ${JSON.stringify(dims)}`);
  const evaluationPeriods = positive(p.EvaluationPeriods, `${alarmId}.EvaluationPeriods`);
  return {
    alarm: alarmId,
    rateSeconds: rateSeconds((canary.Properties?.Schedule as { Expression?: unknown } | undefined)?.Expression),
    periodSeconds: positive(p.Period, `${alarmId}.Period`),
    evaluationPeriods,
    datapointsToAlarm: p.DatapointsToAlarm === undefined ? evaluationPeriods : positive(p.DatapointsToAlarm, `${alarmId}.DatapointsToAlarm`),
  };
}

/** What each step does locally; the executor only sequences them. */
export type StepActions = Readonly<Record<Exclude<KnownStep, 'CheckForce'>, () => Promise<string>>>;

export interface StepRecord {
  readonly step: string;
  readonly at: number;
  readonly detail: string;
  readonly ok: boolean;
}

/**
 * Runs the document's steps in order. CheckForce with `force` jumps to PromoteReplica (the document's branch); a step
 * that throws stops the execution (as a failed Automation step does) and is recorded with its reason.
 */
export async function executeRunbook(settings: RunbookSettings, actions: StepActions, force: boolean, record: (r: StepRecord) => void): Promise<boolean> {
  let i = 0;
  while (i < settings.steps.length) {
    const step = settings.steps[i];
    if (step.name === 'CheckForce') {
      record({ step: 'CheckForce', at: Date.now(), detail: force ? 'Force=true: planned switchover, straight to PromoteReplica' : 'Force=false: the guard runs', ok: true });
      i = force ? settings.steps.findIndex((s) => s.name === 'PromoteReplica') : i + 1;
      if (i < 0) throw new Error('the document has no PromoteReplica step to branch to');
      continue;
    }
    try {
      const detail = await actions[step.name as Exclude<KnownStep, 'CheckForce'>]();
      record({ step: step.name, at: Date.now(), detail, ok: true });
    } catch (err) {
      record({ step: step.name, at: Date.now(), detail: `failed, the execution stops: ${(err as Error).message}`, ok: false });
      return false;
    }
    i++;
  }
  return true;
}
