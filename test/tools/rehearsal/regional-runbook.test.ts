import { beforeAll, describe, expect, it } from 'vitest';
import { executeRunbook, probeAlarmFromTemplate, rateSeconds, runbookFromTemplate, type RunbookSettings, type StepActions, type StepRecord } from '../../../tools/rehearsal/regional-runbook';
import { loadRegionalTemplates, type RegionalTemplates } from '../../../tools/rehearsal/regional-template';
import type { CfnTemplate } from '../../../constructs/checks/template';

describe('the failover runbook read from the synthesised HaDrSite', () => {
  let t: RegionalTemplates;
  beforeAll(() => {
    t = loadRegionalTemplates('warm-standby');
  });

  it('lists the Automation document\'s steps in its order, the guard first', () => {
    const rb = runbookFromTemplate(t.drSite, 'HaDrSite');
    expect(rb.steps.map((s) => s.name)).toEqual([
      'CheckForce', 'AssertPrimaryDown', 'ReadPrimaryHealthCheck', 'AssertPrimaryUnhealthy', 'PromoteReplica', 'WaitForPromotion',
      'RaiseMinimumCapacity', 'ScaleService', 'WaitForTasks', 'ReadDnsHealthCheck', 'AssertDnsFailedOver', 'OutputStandbyEndpoint',
    ]);
    expect(rb.steps.find((s) => s.name === 'PromoteReplica')?.api).toBe('PromoteReadReplica');
    expect(rb.desiredCount).toBe(3);
  });

  it('reads the guard alarm: the external probe every minute, 3 failed runs', () => {
    const rb = runbookFromTemplate(t.drSite, 'HaDrSite');
    expect(probeAlarmFromTemplate(t.drSite, rb.primaryDownAlarm)).toMatchObject({ alarm: rb.primaryDownAlarm, rateSeconds: 60, datapointsToAlarm: 3 });
  });
});

describe('runbookFromTemplate on a fixture', () => {
  const doc = (steps: { name: string; action: string; inputs?: Record<string, unknown> }[]): CfnTemplate =>
    ({ Resources: { Doc: { Type: 'AWS::SSM::Document', Properties: { DocumentType: 'Automation', Content: { mainSteps: steps } } } } }) as CfnTemplate;

  it('refuses a step it has no stand-in for, naming it', () => {
    expect(() => runbookFromTemplate(doc([{ name: 'DeleteEverything', action: 'aws:executeAwsApi' }]))).toThrow(/step DeleteEverything .*no stand-in/);
  });

  it('fails without a document, and without a literal desiredCount', () => {
    expect(() => runbookFromTemplate({ Resources: {} } as CfnTemplate, 'HaDrSite')).toThrow(/HaDrSite must have exactly one AWS::SSM::Document/);
    expect(() => runbookFromTemplate(doc([{ name: 'AssertPrimaryDown', action: 'a', inputs: { AlarmNames: [{ Ref: 'A' }] } }, { name: 'ScaleService', action: 'a', inputs: {} }]))).toThrow(/desiredCount/);
  });

  it('reads Synthetics rates', () => {
    expect([rateSeconds('rate(1 minute)'), rateSeconds('rate(5 minutes)'), rateSeconds('rate(1 hour)')]).toEqual([60, 300, 3600]);
    expect(() => rateSeconds('cron(0 * * * ? *)')).toThrow(/rate\(1 minute\)/);
  });
});

describe('executeRunbook', () => {
  const settings: RunbookSettings = {
    document: 'Doc',
    primaryDownAlarm: 'A',
    desiredCount: 3,
    steps: ['CheckForce', 'AssertPrimaryDown', 'ReadPrimaryHealthCheck', 'AssertPrimaryUnhealthy', 'PromoteReplica', 'WaitForPromotion', 'ScaleService', 'OutputStandbyEndpoint'].map((name) => ({ name, action: 'x' })),
  };
  const actions = (done: string[], failAt?: string): StepActions =>
    new Proxy({} as StepActions, {
      get: (_, name: string) => async () => {
        if (name === failAt) throw new Error(`${name} says no`);
        done.push(name);
        return 'ok';
      },
    });

  it('stops at a failing guard: nothing after it runs, no promotion', async () => {
    const done: string[] = [];
    const records: StepRecord[] = [];
    expect(await executeRunbook(settings, actions(done, 'AssertPrimaryDown'), false, (r) => records.push(r))).toBe(false);
    expect(done).toEqual([]);
    expect(records.at(-1)).toMatchObject({ step: 'AssertPrimaryDown', ok: false, detail: expect.stringMatching(/says no/) });
  });

  it('runs every step in order when the guard passes; Force=true skips the guard to PromoteReplica', async () => {
    const all: string[] = [];
    expect(await executeRunbook(settings, actions(all), false, () => undefined)).toBe(true);
    expect(all).toEqual(['AssertPrimaryDown', 'ReadPrimaryHealthCheck', 'AssertPrimaryUnhealthy', 'PromoteReplica', 'WaitForPromotion', 'ScaleService', 'OutputStandbyEndpoint']);
    const forced: string[] = [];
    expect(await executeRunbook(settings, actions(forced, 'AssertPrimaryDown'), true, () => undefined)).toBe(true);
    expect(forced).toEqual(['PromoteReplica', 'WaitForPromotion', 'ScaleService', 'OutputStandbyEndpoint']);
  });
});
