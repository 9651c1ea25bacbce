import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { Duration, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as route53 from 'aws-cdk-lib/aws-route53';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { DnsFailover, RegionFailoverRunbook, type RegionFailoverRunbookProps } from '@ha-reference/constructs';
import { newApp } from '../../support/synth';
import { ACCOUNT, documentOf, DR_REGION, drSiteFixture, HEALTH_CHECK_ID, type DocumentContent, type DrSiteFixture, type Step } from './fixture';

type CfnJson = { Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>; Outputs?: Record<string, unknown> };

const stepNames = (content: DocumentContent) => content.mainSteps.map((s) => s.name);
const step = (content: DocumentContent, name: string): Step => {
  const found = content.mainSteps.find((s) => s.name === name);
  if (!found) throw new Error(`no step ${name} in ${stepNames(content).join(', ')}`);
  return found;
};

/**
 * The steps an execution runs, in order, when every step succeeds: from the first step, each step's nextStep (or the
 * next in the list when it names none), an aws:branch taking the choice `force` selects, until a step isEnd.
 */
function walk(content: DocumentContent, force: boolean): string[] {
  const visited: string[] = [];
  let index = 0;
  while (index >= 0 && index < content.mainSteps.length) {
    const current = content.mainSteps[index]!;
    if (visited.includes(current.name)) throw new Error(`the steps loop at ${current.name}`);
    visited.push(current.name);
    if (current.isEnd) break;
    let next = current.nextStep;
    if (current.action === 'aws:branch') {
      const { Choices, Default } = current.inputs as { Choices: { NextStep: string; Variable: string; BooleanEquals: boolean }[]; Default: string };
      const choice = Choices.find((c) => c.Variable === '{{ Force }}' && c.BooleanEquals === force);
      next = choice ? choice.NextStep : Default;
    }
    index = next === undefined ? index + 1 : content.mainSteps.findIndex((s) => s.name === next);
    if (next !== undefined && index < 0) throw new Error(`${current.name} names a next step ${next} that does not exist`);
  }
  return visited;
}

describe('RegionFailoverRunbook (pilot-light DR site, with a Route 53 health check and the standby load balancer)', () => {
  let site: DrSiteFixture;
  let template: CfnJson;
  let content: DocumentContent;
  let properties: Record<string, unknown>;

  beforeAll(() => {
    site = drSiteFixture();
    template = Template.fromStack(site.stack).toJSON() as CfnJson;
    ({ content, properties } = documentOf(template));
  });

  it('is an Automation document of schema 0.3 that runs as its own role', () => {
    expect(properties.DocumentType).toBe('Automation');
    expect(properties.DocumentFormat).toBe('JSON');
    expect(properties.UpdateMethod).toBe('NewVersion');
    expect(content.schemaVersion).toBe('0.3');
    expect(content.assumeRole).toEqual(site.stack.resolve(site.runbook.role.roleArn));
  });

  it('takes one parameter, Force, a Boolean that defaults to false', () => {
    expect(content.parameters).toEqual({ Force: expect.objectContaining({ type: 'Boolean', default: false }) });
    expect(content.parameters.Force!.description).toMatch(/stopped writes in the primary/);
  });

  it('has its steps in order: the guard first, then promotion, scaling and the DNS check', () => {
    expect(stepNames(content)).toEqual([
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
    ]);
  });

  it('runs the guard before anything that changes a resource unless Force is true', () => {
    // GIVEN the document's step graph WHEN an execution takes each branch THEN
    expect(walk(content, false)).toEqual(stepNames(content));
    const forced = walk(content, true);
    expect(forced).toEqual(['CheckForce', ...stepNames(content).slice(stepNames(content).indexOf('PromoteReplica'))]);
    // Every step that calls a write API comes after the guard on the unforced path.
    const unforced = walk(content, false);
    for (const write of ['PromoteReplica', 'RaiseMinimumCapacity', 'ScaleService']) {
      expect(unforced.indexOf(write)).toBeGreaterThan(unforced.indexOf('AssertPrimaryUnhealthy'));
    }
    expect(content.mainSteps.at(-1)!.isEnd).toBe(true);
  });

  it('refuses unless the primary-down alarm is in ALARM', () => {
    expect(step(content, 'AssertPrimaryDown')).toMatchObject({
      action: 'aws:assertAwsResourceProperty',
      inputs: {
        Service: 'cloudwatch',
        Api: 'DescribeAlarms',
        AlarmNames: [site.stack.resolve(site.alarm.alarmName)],
        AlarmTypes: ['MetricAlarm'],
        PropertySelector: '$.MetricAlarms[0].StateValue',
        DesiredValues: ['ALARM'],
      },
    });
  });

  it('reads the Route 53 health check before promoting, and again at the end', () => {
    for (const [read, assert] of [
      ['ReadPrimaryHealthCheck', 'AssertPrimaryUnhealthy'],
      ['ReadDnsHealthCheck', 'AssertDnsFailedOver'],
    ] as const) {
      expect(step(content, read)).toMatchObject({
        action: 'aws:executeAwsApi',
        inputs: { Service: 'route53', Api: 'GetHealthCheckStatus', HealthCheckId: HEALTH_CHECK_ID },
        outputs: [{ Name: 'Observations', Selector: '$.HealthCheckObservations', Type: 'MapList' }],
      });
      expect(step(content, assert)).toMatchObject({ action: 'aws:executeScript', inputs: { Runtime: 'python3.11', InputPayload: { Observations: `{{ ${read}.Observations }}` } } });
    }
  });

  it('promotes the replica with backups on, and waits until it is available', () => {
    const replica = site.stack.resolve(site.replica.identifier);
    expect(step(content, 'PromoteReplica').inputs).toEqual({ Service: 'rds', Api: 'PromoteReadReplica', DBInstanceIdentifier: replica, BackupRetentionPeriod: 14 });
    expect(step(content, 'WaitForPromotion')).toMatchObject({
      action: 'aws:waitForAwsResourceProperty',
      timeoutSeconds: 3600,
      inputs: { Service: 'rds', Api: 'DescribeDBInstances', DBInstanceIdentifier: replica, PropertySelector: '$.DBInstances[0].DBInstanceStatus', DesiredValues: ['available'] },
    });
  });

  it('raises the scalable target minimum to the primary capacity before setting the desired count', () => {
    const cluster = site.stack.resolve(site.service.cluster.clusterName);
    const service = site.stack.resolve(site.service.service.serviceName);
    expect(step(content, 'RaiseMinimumCapacity').inputs).toEqual({
      Service: 'application-autoscaling',
      Api: 'RegisterScalableTarget',
      ServiceNamespace: 'ecs',
      ResourceId: { 'Fn::Join': ['/', ['service', cluster, service]] },
      ScalableDimension: 'ecs:service:DesiredCount',
      MinCapacity: 3,
      MaxCapacity: 12,
    });
    expect(step(content, 'ScaleService').inputs).toEqual({ Service: 'ecs', Api: 'UpdateService', cluster, service, desiredCount: 3 });
    expect(step(content, 'WaitForTasks')).toMatchObject({
      action: 'aws:waitForAwsResourceProperty',
      inputs: { Service: 'ecs', Api: 'DescribeServices', cluster, services: [service], PropertySelector: '$.services[0].runningCount' },
    });
    // Any running count the scalable target allows, from the minimum up.
    expect((step(content, 'WaitForTasks').inputs as { DesiredValues: string[] }).DesiredValues).toEqual(['3', '4', '5', '6', '7', '8', '9', '10', '11', '12']);
  });

  it('gives the standby load balancer DNS name as an output', () => {
    expect(step(content, 'OutputStandbyEndpoint').inputs).toMatchObject({ InputPayload: { DnsName: site.stack.resolve(site.service.loadBalancer.loadBalancerDnsName) } });
    expect(content.outputs).toEqual(['PromoteReplica.Status', 'AssertDnsFailedOver.HealthyCheckers', 'AssertDnsFailedOver.Checkers', 'OutputStandbyEndpoint.DnsName']);
  });

  it('exposes the command line that starts it', () => {
    expect(site.stack.resolve(site.runbook.startCommand)).toEqual({
      'Fn::Join': ['', [`aws ssm start-automation-execution --region ${DR_REGION} --document-name `, { Ref: documentOf(template).id }, " --document-version '$LATEST' --parameters Force=false"]],
    });
    expect(site.stack.resolve(site.runbook.documentName)).toEqual({ Ref: documentOf(template).id });
  });

  describe('every AWS API step calls a real API with real parameter names (botocore service models)', () => {
    const API_ACTIONS = ['aws:executeAwsApi', 'aws:assertAwsResourceProperty', 'aws:waitForAwsResourceProperty'];
    const STEP_KEYS = new Set(['Service', 'Api', 'PropertySelector', 'DesiredValues']);
    let models: { input: string[]; required: string[]; inputTypes: Record<string, string>; output: unknown; error?: string }[];
    let apiSteps: Step[];

    beforeAll(() => {
      apiSteps = content.mainSteps.filter((s) => API_ACTIONS.includes(s.action));
      models = botocoreModels(apiSteps.map((s) => ({ service: String(s.inputs.Service), api: String(s.inputs.Api) })));
    });

    it('names an operation of a botocore service', () => {
      expect(apiSteps.map((s) => s.name)).toEqual(['AssertPrimaryDown', 'ReadPrimaryHealthCheck', 'PromoteReplica', 'WaitForPromotion', 'RaiseMinimumCapacity', 'ScaleService', 'WaitForTasks', 'ReadDnsHealthCheck']);
      apiSteps.forEach((s, i) => expect(models[i]!.error, `${s.name}: ${s.inputs.Service} ${s.inputs.Api}`).toBeUndefined());
    });

    it('passes only the operation input members, every required one, with the right types', () => {
      apiSteps.forEach((s, i) => {
        const model = models[i]!;
        const given = Object.keys(s.inputs).filter((k) => !STEP_KEYS.has(k));
        expect(given.filter((k) => !model.input.includes(k)), `${s.name}: members that ${s.inputs.Api} does not take`).toEqual([]);
        expect(model.required.filter((k) => !given.includes(k)), `${s.name}: required members of ${s.inputs.Api} missing`).toEqual([]);
        for (const key of given) {
          const value = s.inputs[key];
          const type = model.inputTypes[key];
          if (type === 'list') expect(Array.isArray(value), `${s.name}.${key} is a list`).toBe(true);
          if (type === 'integer') expect(Number.isInteger(value), `${s.name}.${key} is an integer`).toBe(true);
        }
      });
    });

    it('selects properties that the operation output has', () => {
      apiSteps.forEach((s, i) => {
        const selectors = [s.inputs.PropertySelector, ...(s.outputs ?? []).map((o) => o.Selector)].filter((x): x is string => typeof x === 'string');
        if (s.action !== 'aws:executeAwsApi') expect(s.inputs.PropertySelector, `${s.name} has a PropertySelector`).toEqual(expect.any(String));
        for (const selector of selectors) expect(selectIn(models[i]!.output, selector), `${s.name}: ${selector} in the ${s.inputs.Api} output`).toBeDefined();
      });
    });

    it('fails for a misspelt operation or member (the check can fail)', () => {
      const [wrong] = botocoreModels([{ service: 'rds', api: 'PromoteReplica' }]);
      expect(wrong!.error).toMatch(/no operation PromoteReplica/);
      const [ecs] = botocoreModels([{ service: 'ecs', api: 'UpdateService' }]);
      expect(ecs!.input).toContain('desiredCount');
      expect(ecs!.input).not.toContain('DesiredCount');
    });
  });

  describe('the health-check script, run by a real Python', () => {
    const script = () => (step(content, 'AssertPrimaryUnhealthy').inputs as { Script: string }).Script;
    const observations = (healthy: number, total: number) =>
      Array.from({ length: total }, (_, i) => ({ Region: 'us-east-1', IPAddress: `15.177.0.${i}`, StatusReport: { Status: i < healthy ? 'Success: HTTP Status Code 200, OK' : 'Failure: Connection timed out.' } }));

    it('passes when at most 18% of the checkers see the primary healthy (Route 53 considers it unhealthy)', () => {
      // 2 of 16 is 12.5%; 3 of 16 is 18.75%.
      expect(runHandler(script(), { Observations: observations(2, 16), Advice: '' })).toEqual({ ok: { HealthyCheckers: 2, Checkers: 16 } });
      expect(runHandler(script(), { Observations: observations(0, 8), Advice: '' })).toEqual({ ok: { HealthyCheckers: 0, Checkers: 8 } });
    });

    it('fails when more than 18% see it healthy, saying what to do', () => {
      const result = runHandler(script(), { Observations: observations(3, 16), Advice: 'Run with Force=true.' });
      expect(result.error).toMatch(/3 of 16 Route 53 health checkers report the primary healthy \(more than 18%\).*Run with Force=true\./);
    });

    it('fails when no checker reports', () => {
      expect(runHandler(script(), { Observations: [], Advice: '' }).error).toMatch(/no Route 53 health checker reports/);
    });

    it('hands the load balancer DNS name through', () => {
      const echo = (step(content, 'OutputStandbyEndpoint').inputs as { Script: string }).Script;
      expect(runHandler(echo, { DnsName: 'standby-123.us-west-2.elb.amazonaws.com' })).toEqual({ ok: { DnsName: 'standby-123.us-west-2.elb.amazonaws.com' } });
    });
  });
});

describe('RegionFailoverRunbook without a health check or load balancer', () => {
  it('guards with the alarm alone, and ends when the tasks run', () => {
    const { stack } = drSiteFixture({ healthCheckId: undefined, loadBalancer: undefined });
    const template = Template.fromStack(stack).toJSON() as CfnJson;
    const { content } = documentOf(template);
    expect(stepNames(content)).toEqual(['CheckForce', 'AssertPrimaryDown', 'PromoteReplica', 'WaitForPromotion', 'RaiseMinimumCapacity', 'ScaleService', 'WaitForTasks']);
    expect(walk(content, false)).toEqual(stepNames(content));
    expect(step(content, 'WaitForTasks').isEnd).toBe(true);
    expect(content.outputs).toEqual(['PromoteReplica.Status']);
    expect(JSON.stringify(template)).not.toContain('route53:GetHealthCheckStatus');
  });

  it('outputs the load balancer DNS name after the tasks when there is no health check', () => {
    const { stack } = drSiteFixture({ healthCheckId: undefined });
    const { content } = documentOf(Template.fromStack(stack).toJSON() as CfnJson);
    expect(stepNames(content).slice(-2)).toEqual(['WaitForTasks', 'OutputStandbyEndpoint']);
    expect(walk(content, true)).toEqual(['CheckForce', 'PromoteReplica', 'WaitForPromotion', 'RaiseMinimumCapacity', 'ScaleService', 'WaitForTasks', 'OutputStandbyEndpoint']);
  });
});

describe('RegionFailoverRunbook with a composite alarm', () => {
  it('reads the composite alarm state', () => {
    const app = newApp();
    const stack = new Stack(app, 'Composite', { env: { account: ACCOUNT, region: DR_REGION } });
    const { service } = importedService(stack);
    const child = cloudwatch.Alarm.fromAlarmName(stack, 'Child', 'probe');
    const alarm = new cloudwatch.CompositeAlarm(stack, 'Down', { alarmRule: cloudwatch.AlarmRule.fromAlarm(child, cloudwatch.AlarmState.ALARM) });
    new RegionFailoverRunbook(stack, 'Failover', { replicaIdentifier: 'replica', service, desiredCount: 3, primaryDownAlarm: alarm });
    const { content } = documentOf(Template.fromStack(stack).toJSON() as CfnJson);
    expect(step(content, 'AssertPrimaryDown').inputs).toMatchObject({ AlarmTypes: ['CompositeAlarm'], PropertySelector: '$.CompositeAlarms[0].StateValue' });
    // maxCount defaults to 4 × desiredCount.
    expect(step(content, 'RaiseMinimumCapacity').inputs).toMatchObject({ MinCapacity: 3, MaxCapacity: 12 });
  });
});

describe('RegionFailoverRunbook with an imported service', () => {
  it.each([true, false])('names the service in the long ARN format IAM authorises (arnFormatIncludesClusterName %s)', (flag) => {
    const app = newApp({ '@aws-cdk/aws-ecs:arnFormatIncludesClusterName': flag });
    const stack = new Stack(app, 'Imported', { env: { account: ACCOUNT, region: DR_REGION } });
    const { service, alarm } = importedService(stack);
    new RegionFailoverRunbook(stack, 'Failover', { replicaIdentifier: 'replica', service, desiredCount: 3, primaryDownAlarm: alarm });
    const [policy] = Object.values(Template.fromStack(stack).findResources('AWS::IAM::Policy'));
    const statement = (policy!.Properties.PolicyDocument.Statement as { Sid: string; Resource: unknown }[]).find((s) => s.Sid === 'ScaleService')!;
    expect(statement.Resource).toBe(`arn:aws:ecs:${DR_REGION}:${ACCOUNT}:service/standby/web`);
  });
});

describe('RegionFailoverRunbook with the DNS failover of the DR site', () => {
  it('reads the health check DnsFailover creates, and may read only that one', () => {
    const app = newApp();
    const stack = new Stack(app, 'Dns', { env: { account: ACCOUNT, region: DR_REGION } });
    const { service, alarm } = importedService(stack);
    const dns = new DnsFailover(stack, 'DnsFailover', {
      hostedZone: route53.HostedZone.fromHostedZoneAttributes(stack, 'Zone', { hostedZoneId: 'Z0123456789ABCDEFGHIJ', zoneName: 'example.com' }),
      recordName: 'api.example.com',
      primaryDnsName: 'primary-123.us-east-1.elb.amazonaws.com',
      secondaryDnsName: 'standby-456.us-west-2.elb.amazonaws.com',
      healthCheck: { path: '/health/ready' },
    });
    new RegionFailoverRunbook(stack, 'Failover', { replicaIdentifier: 'replica', service, desiredCount: 3, primaryDownAlarm: alarm, healthCheckId: dns.healthCheck.healthCheckId });
    const template = Template.fromStack(stack).toJSON() as CfnJson;
    const healthCheck = stack.resolve(dns.healthCheck.healthCheckId);
    const { content } = documentOf(template);
    expect(step(content, 'ReadPrimaryHealthCheck').inputs.HealthCheckId).toEqual(healthCheck);
    expect(step(content, 'ReadDnsHealthCheck').inputs.HealthCheckId).toEqual(healthCheck);
    const [policy] = Object.values(template.Resources).filter((r) => r.Type === 'AWS::IAM::Policy');
    const statement = ((policy!.Properties!.PolicyDocument as { Statement: { Sid: string; Resource: unknown }[] }).Statement).find((s) => s.Sid === 'ReadPrimaryHealthCheck')!;
    expect(statement.Resource).toEqual({ 'Fn::Join': ['', ['arn:aws:route53:::healthcheck/', healthCheck]] });
  });
});

describe('RegionFailoverRunbook under AwsSolutions checks', () => {
  it('synthesises with no unacknowledged finding', () => {
    const app = newApp();
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    drSiteFixture({}, app);
    expect(() => app.synth()).not.toThrow();
  });

  it('acknowledges only the scalable-target wildcard: another wildcard on the role fails synthesis', () => {
    const app = newApp();
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    const { runbook } = drSiteFixture({}, app);
    runbook.role.addToPolicy(new iam.PolicyStatement({ actions: ['rds:DescribeDBInstances'], resources: ['*'] }));
    expect(() => app.synth()).toThrow(/AwsSolutions-IAM5\[Resource::\*\]/);
  });
});

describe('RegionFailoverRunbook rejects impossible props', () => {
  it.each<[Partial<RegionFailoverRunbookProps>, RegExp]>([
    [{ desiredCount: 0 }, /desiredCount must be an integer between 1 and 5000, got 0/],
    [{ desiredCount: 2.5 }, /desiredCount must be an integer between 1 and 5000, got 2.5/],
    [{ desiredCount: 6, maxCount: 4 }, /maxCount must be an integer between 6 and 5000, got 4/],
    [{ backupRetention: Duration.days(40) }, /backupRetention must be a whole number of days from 1 to 35, got 40 days/],
    [{ backupRetention: Duration.hours(36) }, /backupRetention must be a whole number of days from 1 to 35, got 1 day 12 hours/],
    [{ replicaIdentifier: 'my_replica' }, /replicaIdentifier must be an RDS DB instance identifier .* got "my_replica"/],
    [{ replicaIdentifier: '1replica' }, /replicaIdentifier must be an RDS DB instance identifier .* got "1replica"/],
    [{ replicaIdentifier: 'replica-' }, /replicaIdentifier must be an RDS DB instance identifier .* got "replica-"/],
    [{ healthCheckId: 'primary' }, /healthCheckId must be a Route 53 health check ID .* got "primary"/],
    [{ documentName: 'AWS-Failover' }, /documentName must be .* not begin with "aws", "amazon" or "amzn", got "AWS-Failover"/],
    [{ documentName: 'ab' }, /documentName must be 3 to 128 .* got "ab"/],
  ])('%j', (props, message) => {
    const app = newApp();
    const stack = new Stack(app, 'Bad', { env: { account: ACCOUNT, region: DR_REGION } });
    const { service, alarm } = importedService(stack);
    expect(() => new RegionFailoverRunbook(stack, 'Failover', { replicaIdentifier: 'replica', service, desiredCount: 3, primaryDownAlarm: alarm, ...props })).toThrow(message);
  });

  it('rejects an alarm of another region', () => {
    const app = newApp();
    const stack = new Stack(app, 'Bad', { env: { account: ACCOUNT, region: DR_REGION } });
    const { service } = importedService(stack);
    const alarm = cloudwatch.Alarm.fromAlarmArn(stack, 'Elsewhere', `arn:aws:cloudwatch:us-east-1:${ACCOUNT}:alarm:probe`);
    expect(() => new RegionFailoverRunbook(stack, 'Failover', { replicaIdentifier: 'replica', service, desiredCount: 3, primaryDownAlarm: alarm })).toThrow(
      /primaryDownAlarm must be an alarm of this stack's region \(us-west-2\), where the runbook reads it, got one in us-east-1/,
    );
  });
});

/** An imported cluster, service and alarm: enough for the runbook, nothing else synthesised. */
function importedService(stack: Stack): { service: ecs.IBaseService; alarm: cloudwatch.IAlarm } {
  const cluster = ecs.Cluster.fromClusterArn(stack, 'Cluster', `arn:aws:ecs:${DR_REGION}:${ACCOUNT}:cluster/standby`);
  const service = ecs.FargateService.fromFargateServiceAttributes(stack, 'Service', { cluster, serviceName: 'web' });
  const alarm = cloudwatch.Alarm.fromAlarmArn(stack, 'Alarm', `arn:aws:cloudwatch:${DR_REGION}:${ACCOUNT}:alarm:primary-down`);
  return { service, alarm };
}

/** A Python with botocore: Debian's (apt python3-botocore), else the first on PATH. */
function pythonWithBotocore(): string {
  for (const python of ['/usr/bin/python3', 'python3']) {
    if (spawnSync(python, ['-c', 'import botocore'], { encoding: 'utf8' }).status === 0) return python;
  }
  throw new Error('these tests read the AWS API models of botocore: install it (apt-get install python3-botocore)');
}

function botocoreModels(requests: { service: string; api: string }[]) {
  const run = spawnSync(pythonWithBotocore(), [path.join(__dirname, 'botocore-model.py')], { input: JSON.stringify(requests), encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (run.status !== 0) throw new Error(`botocore-model.py failed: ${run.stderr}`);
  return JSON.parse(run.stdout) as { input: string[]; required: string[]; inputTypes: Record<string, string>; output: unknown; error?: string }[];
}

/** Follows a JSONPath of the simple form the document uses (`$.A[0].B`, `$.A`) through an output shape tree. */
function selectIn(shape: unknown, selector: string): unknown {
  const parts = selector.replace(/^\$\.?/, '').split('.').filter(Boolean);
  let node: unknown = shape;
  for (const part of parts) {
    const [, name, index] = /^([^[]+)(\[\d+\])?$/.exec(part) ?? [];
    if (!name || node === null || typeof node !== 'object' || Array.isArray(node)) return undefined;
    node = (node as Record<string, unknown>)[name];
    if (index) node = Array.isArray(node) ? node[0] : undefined;
    if (node === undefined) return undefined;
  }
  return node;
}

/** Runs an aws:executeScript handler with a real Python: its return value, or the message it raised. */
function runHandler(script: string, events: unknown): { ok?: unknown; error?: string } {
  const driver = [
    'import json, sys',
    'namespace = {}',
    'exec(sys.argv[1], namespace)',
    'try:',
    '    print(json.dumps({"ok": namespace["handler"](json.loads(sys.argv[2]), None)}))',
    'except Exception as error:',
    '    print(json.dumps({"error": str(error)}))',
  ].join('\n');
  const run = spawnSync('python3', ['-c', driver, script, JSON.stringify(events)], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`python failed: ${run.stderr}`);
  return JSON.parse(run.stdout) as { ok?: unknown; error?: string };
}
