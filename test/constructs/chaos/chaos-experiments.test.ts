import { App, CfnElement, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { ChaosExperiments, ChaosExperimentsProps, ExperimentName, MultiAzNetwork, ResilientFargateService } from '@ha-reference/constructs';
import { newApp, newStack } from '../../support/synth';

const ZONES = ['us-east-1a', 'us-east-1b', 'us-east-1c'];
const DB_ARN = 'arn:aws:rds:us-east-1:111111111111:db:orders';

function build(overrides: Partial<ChaosExperimentsProps> = {}, app: App = newApp(), options: { evacuate?: boolean } = {}) {
  const stack = newStack(app);
  const network = new MultiAzNetwork(stack, 'Network', { availabilityZones: ZONES });
  const service = new ResilientFargateService(stack, 'Service', {
    vpc: network.vpc,
    taskSubnets: network.appSubnets,
    image: ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/nginx:stable'),
  });
  const pageAlarm = new cloudwatch.Alarm(stack, 'PageAlarm', {
    metric: service.loadBalancer.metrics.httpCodeElb(cloudwatch.Stats.SUM as never),
    threshold: 1,
    evaluationPeriods: 1,
  });
  const zoneSubnets = network.privateSubnetsIn(ZONES[0]);
  const chaos = new ChaosExperiments(stack, 'Chaos', {
    stopConditionAlarms: [pageAlarm],
    service: service.service,
    database: { instanceArn: DB_ARN },
    zone: { availabilityZone: ZONES[0], subnets: zoneSubnets, vpc: network.vpc, ...(options.evacuate ? { evacuate: service.loadBalancer } : {}) },
    // Scheduled and with the hypotheses of the reference app (lib/primary-stack.ts); the construct's own defaults differ.
    schedule: { enabled: true },
    hypotheses: {
      taskLoss: 'the load balancer routes around them within 10 s, ECS replaces them, and the availability SLO holds.',
      databaseFailover:
        'the service rides through the 60-120 s failover with fast 503s and retries, no acknowledged write is lost, and the availability SLO holds.',
      azLoss: 'the load balancer stops sending to that zone within 10 s, the other zones carry the load, and the availability SLO holds.',
    },
    ...overrides,
  });
  return { stack, network, service, pageAlarm, chaos, zoneSubnets, template: Template.fromStack(stack) };
}

type Resource = { Properties: Record<string, any> };
const experimentWith = (template: Template, actionId: string): Resource => {
  const found = Object.values(template.findResources('AWS::FIS::ExperimentTemplate')).filter((r) =>
    Object.values(r.Properties.Actions as Record<string, { ActionId: string }>).some((a) => a.ActionId === actionId),
  );
  expect(found).toHaveLength(1);
  return found[0] as Resource;
};
const policyOf = (template: Template, stack: Stack, role: { roleName: string }): any[] => {
  const roleRef = stack.resolve(role.roleName);
  const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((p) =>
    (p.Properties.Roles as unknown[]).some((r) => JSON.stringify(r) === JSON.stringify(roleRef)),
  );
  return policies.flatMap((p) => p.Properties.PolicyDocument.Statement);
};

const scheduleTarget = (b: ReturnType<typeof build>, template: Template, name: 'taskLoss' | 'azLoss') => {
  const logicalId = b.stack.getLogicalId(b.chaos.schedules[name]!.node.defaultChild as CfnElement);
  return template.toJSON().Resources[logicalId].Properties.Target;
};

describe('ChaosExperiments with a database and a zone', () => {
  let built: ReturnType<typeof build>;
  let template: Template;

  beforeAll(() => {
    built = build();
    template = built.template;
  });

  it('creates three experiment templates', () => {
    template.resourceCountIs('AWS::FIS::ExperimentTemplate', 3);
  });

  it('stops every experiment on the page alarm and logs every experiment to the encrypted log group', () => {
    const alarmArn = built.stack.resolve(built.pageAlarm.alarmArn);
    const logGroupArn = built.stack.resolve(built.chaos.logGroup.logGroupArn);
    for (const experiment of Object.values(template.findResources('AWS::FIS::ExperimentTemplate'))) {
      expect(experiment.Properties.StopConditions).toEqual([{ Source: 'aws:cloudwatch:alarm', Value: alarmArn }]);
      expect(experiment.Properties.LogConfiguration).toEqual({ LogSchemaVersion: 2, CloudWatchLogsConfiguration: { LogGroupArn: logGroupArn } });
      expect(experiment.Properties.ExperimentOptions).toEqual({ AccountTargeting: 'single-account', EmptyTargetResolutionMode: 'fail' });
    }
    expect(logGroupArn).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^ChaosLogs/), 'Arn'] });
    template.hasResourceProperties('AWS::Logs::LogGroup', { KmsKeyId: Match.anyValue(), RetentionInDays: 365 });
  });

  it('stops one task of this service only', () => {
    const experiment = experimentWith(template, 'aws:ecs:stop-task');
    expect(experiment.Properties.Targets.ServiceTasks).toEqual({
      ResourceType: 'aws:ecs:task',
      SelectionMode: 'COUNT(1)',
      Parameters: {
        cluster: built.stack.resolve(built.service.cluster.clusterName),
        service: built.stack.resolve(built.service.service.serviceName),
      },
    });
    expect(experiment.Properties.Actions.StopTasks).toMatchObject({ ActionId: 'aws:ecs:stop-task', Targets: { Tasks: 'ServiceTasks' } });
  });

  it('fails the database instance over with forceFailover', () => {
    const experiment = experimentWith(template, 'aws:rds:reboot-db-instances');
    expect(experiment.Properties.Targets.Database).toEqual({ ResourceType: 'aws:rds:db', SelectionMode: 'ALL', ResourceArns: [DB_ARN] });
    expect(experiment.Properties.Actions.Failover).toMatchObject({ Parameters: { forceFailover: 'true' }, Targets: { DBInstances: 'Database' } });
  });

  it('cuts all connectivity of the task and database subnets of one zone for 5 minutes', () => {
    const experiment = experimentWith(template, 'aws:network:disrupt-connectivity');
    expect(experiment.Properties.Actions.DisruptZone).toMatchObject({ Parameters: { scope: 'all', duration: 'PT5M' }, Targets: { Subnets: 'ZoneSubnets' } });
    const arns = JSON.stringify(experiment.Properties.Targets.ZoneSubnets.ResourceArns);
    expect(experiment.Properties.Targets.ZoneSubnets.ResourceArns).toHaveLength(2);
    for (const subnet of built.zoneSubnets) expect(arns).toContain(JSON.stringify(built.stack.resolve(subnet.subnetId)));
    expect(built.zoneSubnets.every((s) => s.availabilityZone === 'us-east-1a')).toBe(true);
  });

  it('does not promise a database failover from the zone cut', () => {
    // Network ACLs do not carry RDS Multi-AZ replication or RDS's own health checks, so cutting a zone's
    // subnets does not make RDS fail over; the failover has its own experiment.
    const experiment = experimentWith(template, 'aws:network:disrupt-connectivity');
    expect(experiment.Properties.Description).not.toMatch(/database fails over/i);
    expect(experiment.Properties.Description).toMatch(/does not fail the database over/);
  });

  it('gives each experiment a role that only FIS of this account can assume', () => {
    const roles = Object.values(template.findResources('AWS::IAM::Role')).filter((r) =>
      JSON.stringify(r.Properties.AssumeRolePolicyDocument).includes('fis.amazonaws.com'),
    );
    expect(roles).toHaveLength(3);
    for (const role of roles) {
      expect(role.Properties.AssumeRolePolicyDocument.Statement[0].Condition).toEqual({ StringEquals: { 'aws:SourceAccount': '111111111111' } });
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    }
  });

  it('lets the task-loss role stop tasks of this cluster only', () => {
    const statements = policyOf(template, built.stack, built.chaos.experiments.taskLoss!.role);
    const stop = statements.find((s) => s.Sid === 'StopServiceTasks');
    expect([...stop.Action].sort()).toEqual(['ecs:DescribeTasks', 'ecs:StopTask']);
    expect(JSON.stringify(stop.Resource)).toContain(':task/');
    expect(JSON.stringify(stop.Resource)).toContain(JSON.stringify(built.stack.resolve(built.service.cluster.clusterName)));
    const list = statements.find((s) => s.Sid === 'FindServiceTasks');
    expect(list.Condition).toEqual({ ArnEquals: { 'ecs:cluster': built.stack.resolve(built.service.cluster.clusterArn) } });
    expect(statements.flatMap((s) => [s.Action].flat())).not.toContain('rds:RebootDBInstance');
  });

  it('lets the failover role reboot this database only', () => {
    const statements = policyOf(template, built.stack, built.chaos.experiments.databaseFailover!.role);
    const failover = statements.find((s) => s.Sid === 'FailOverDatabase');
    expect([...failover.Action].sort()).toEqual(['rds:DescribeDBInstances', 'rds:RebootDBInstance']);
    expect(failover.Resource).toBe(DB_ARN);
  });

  it('lets the zone role swap network ACLs of the zone subnets only, and touch only ACLs FIS tagged', () => {
    const statements = policyOf(template, built.stack, built.chaos.experiments.azLoss!.role);
    const swap = statements.find((s) => s.Sid === 'SwapZoneSubnetAcls');
    expect(swap.Resource).toHaveLength(3);
    expect(statements.find((s) => s.Sid === 'ChangeTemporaryAcl').Condition).toEqual({ StringEquals: { 'ec2:ResourceTag/managedByFIS': 'true' } });
    expect(statements.find((s) => s.Sid === 'CreateTemporaryAcl').Condition).toEqual({ StringEquals: { 'aws:RequestTag/managedByFIS': 'true' } });
  });

  it('never grants a wildcard action', () => {
    for (const policy of Object.values(template.findResources('AWS::IAM::Policy'))) {
      for (const statement of policy.Properties.PolicyDocument.Statement) {
        for (const action of [statement.Action].flat()) expect(action).not.toMatch(/\*$/);
      }
    }
  });

  it('schedules each experiment weekly in business hours on its own weekday, with a flexible window', () => {
    template.resourceCountIs('AWS::Scheduler::Schedule', 3);
    const expressions = Object.values(template.findResources('AWS::Scheduler::Schedule')).map((s) => s.Properties.ScheduleExpression);
    expect(expressions.sort()).toEqual(['cron(0 10 ? * THU *)', 'cron(0 10 ? * TUE *)', 'cron(0 10 ? * WED *)']);
    template.allResourcesProperties('AWS::Scheduler::Schedule', {
      ScheduleExpressionTimezone: 'America/New_York',
      FlexibleTimeWindow: { Mode: 'FLEXIBLE', MaximumWindowInMinutes: 15 },
      State: 'ENABLED',
    });
  });

  it('starts the experiment through fis:startExperiment with retries and a dead-letter queue', () => {
    const queueArn = built.stack.resolve(built.chaos.deadLetterQueue!.queueArn);
    const schedule = scheduleTarget(built, template, 'taskLoss');
    expect(JSON.stringify(schedule.Arn)).toContain(':scheduler:::aws-sdk:fis:startExperiment');
    expect(schedule).toMatchObject({
      RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 3600 },
      DeadLetterConfig: { Arn: queueArn },
    });
    expect(JSON.stringify(schedule.Input)).toContain('ExperimentTemplateId');
    expect(JSON.stringify(schedule.Input)).toContain('-<aws.scheduler.scheduled-time>');
    template.hasResourceProperties('AWS::SQS::Queue', { KmsMasterKeyId: Match.anyValue(), MessageRetentionPeriod: 1209600 });
  });

  it('lets each schedule start only its own template and pass only its role', () => {
    const schedule = scheduleTarget(built, template, 'taskLoss');
    const roleName = schedule.RoleArn['Fn::GetAtt'][0];
    const statements = Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((p) => JSON.stringify(p.Properties.Roles).includes(roleName))
      .flatMap((p) => p.Properties.PolicyDocument.Statement);
    const start = statements.find((s) => s.Action === 'fis:StartExperiment');
    expect(JSON.stringify(start.Resource)).toContain(JSON.stringify(built.stack.resolve(built.chaos.experiments.taskLoss!.experimentTemplateId)));
    expect(JSON.stringify(start.Resource)).not.toContain(JSON.stringify(built.stack.resolve(built.chaos.experiments.azLoss!.experimentTemplateId)));
    const pass = statements.find((s) => s.Action === 'iam:PassRole');
    expect(pass.Resource).toEqual(built.stack.resolve(built.chaos.experiments.taskLoss!.role.roleArn));
  });

  it('matches the snapshot', () => {
    const experiments = template.findResources('AWS::FIS::ExperimentTemplate');
    const schedules = template.findResources('AWS::Scheduler::Schedule');
    expect({ experiments, schedules }).toMatchSnapshot();
  });
});

describe('ChaosExperiments variants', () => {
  it('fails a Multi-AZ DB cluster over with failover-db-cluster', () => {
    const clusterArn = 'arn:aws:rds:us-east-1:111111111111:cluster:orders';
    const { template } = build({ database: { clusterArn } });
    const experiment = experimentWith(template, 'aws:rds:failover-db-cluster');
    expect(experiment.Properties.Targets.Database).toEqual({ ResourceType: 'aws:rds:cluster', SelectionMode: 'ALL', ResourceArns: [clusterArn] });
    expect(experiment.Properties.Actions.Failover.Targets).toEqual({ Clusters: 'Database' });
  });

  it('builds only the task-loss experiment without a database or zone', () => {
    const { template } = build({ database: undefined, zone: undefined });
    template.resourceCountIs('AWS::FIS::ExperimentTemplate', 1);
    template.resourceCountIs('AWS::Scheduler::Schedule', 1);
  });

  it('builds only the database failover for a database-only drill, without a service', () => {
    const { template, chaos } = build({ service: undefined, zone: undefined });
    template.resourceCountIs('AWS::FIS::ExperimentTemplate', 1);
    experimentWith(template, 'aws:rds:reboot-db-instances');
    expect(chaos.experiments.taskLoss).toBeUndefined();
    expect(chaos.experiments.databaseFailover).toBeDefined();
  });

  it("claims no service's numbers unless given its hypotheses", () => {
    const { template } = build({ hypotheses: undefined });
    const descriptions = Object.values(template.findResources('AWS::FIS::ExperimentTemplate')).map((r) => r.Properties.Description as string);
    expect(descriptions.sort()).toEqual([
      expect.stringMatching(/^Cut all network traffic .* for 5 min\. Hypothesis: the load balancer stops sending to that zone, the other zones carry the load, and the availability SLO holds\. The cut does not fail/),
      'Fail the database over to its standby. Hypothesis: the service rides through the failover, no acknowledged write is lost, and the availability SLO holds.',
      'Stop 1 task(s) of the service. Hypothesis: the load balancer routes around them, ECS replaces them, and the availability SLO holds.',
    ]);
    expect(descriptions.join(' ')).not.toMatch(/\d+ s\b/);
  });

  it('schedules nothing unless asked: the templates are started by hand', () => {
    const { template, chaos } = build({ schedule: undefined });
    template.resourceCountIs('AWS::FIS::ExperimentTemplate', 3);
    template.resourceCountIs('AWS::Scheduler::Schedule', 0);
    expect(JSON.stringify(template.findResources('AWS::IAM::Role'))).not.toContain('scheduler.amazonaws.com');
    expect(chaos.deadLetterQueue).toBeUndefined();
    expect(chaos.schedules).toEqual({});
  });

  it('keeps the templates but schedules nothing when the schedule is off', () => {
    const { template } = build({ schedule: { enabled: false } });
    template.resourceCountIs('AWS::FIS::ExperimentTemplate', 3);
    template.resourceCountIs('AWS::Scheduler::Schedule', 0);
    template.resourceCountIs('AWS::SQS::Queue', 0);
  });

  it('schedules only the chosen experiments, in the chosen zone and time', () => {
    const { template } = build({
      schedule: { enabled: true, experiments: [ExperimentName.TASK_LOSS], timeZone: 'Europe/Berlin', cron: { taskLoss: 'cron(30 14 ? * MON *)' } },
    });
    template.resourceCountIs('AWS::Scheduler::Schedule', 1);
    template.hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpression: 'cron(30 14 ? * MON *)', ScheduleExpressionTimezone: 'Europe/Berlin' });
  });

  it('synthesises clean under AwsSolutions checks', () => {
    const app = newApp();
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    build({}, app);
    expect(() => app.synth()).not.toThrow();
  });
});

describe('ChaosExperiments zone loss with evacuation', () => {
  it('a minute into the outage shifts the load balancer away from the zone until the outage ends', () => {
    const { template, stack, service } = build({ zoneOutageMinutes: 10 }, newApp(), { evacuate: true });
    const azLoss = experimentWith(template, 'aws:arc:start-zonal-autoshift');
    const actions = azLoss.Properties.Actions;
    expect(actions.NoticeZoneLoss).toMatchObject({ ActionId: 'aws:fis:wait', Parameters: { duration: 'PT1M' } });
    expect(actions.NoticeZoneLoss.Targets).toBeUndefined();
    expect(actions.EvacuateZone).toMatchObject({
      StartAfter: ['NoticeZoneLoss'],
      Parameters: { availabilityZoneIdentifier: ZONES[0], managedResourceTypes: 'ALB', zonalAutoshiftStatus: 'ANY', duration: 'PT9M' },
      Targets: { ManagedResources: 'ZonalShiftResources' },
    });
    expect(actions.DisruptZone.Parameters.duration).toBe('PT10M');
    expect(azLoss.Properties.Targets.ZonalShiftResources).toEqual({
      ResourceType: 'aws:arc:zonal-shift-managed-resource',
      SelectionMode: 'ALL',
      ResourceArns: [stack.resolve(service.loadBalancer.loadBalancerArn)],
    });
  });

  it('without a load balancer to evacuate, the drill is the outage only', () => {
    const { template } = build();
    const templates = Object.values(template.findResources('AWS::FIS::ExperimentTemplate'));
    expect(JSON.stringify(templates)).not.toContain('aws:arc:start-zonal-autoshift');
  });

  it('refuses to evacuate in a 1-minute outage, which leaves no time to notice and shift', () => {
    expect(() => build({ zoneOutageMinutes: 1 }, newApp(), { evacuate: true })).toThrow(/zone.evacuate needs zoneOutageMinutes of at least 2 .* got 1/);
  });
});

describe('ChaosExperiments rejects impossible props', () => {
  it.each<[string, Partial<ChaosExperimentsProps>, RegExp]>([
    ['an invalid cron', { schedule: { cron: { taskLoss: 'cron(0 10 * * TUE)' } } }, /schedule.cron.taskLoss must have 6 fields .* got "cron\(0 10 \* \* TUE\)"/],
    ['an unknown time zone', { schedule: { timeZone: 'Mars/Olympus' } }, /schedule.timeZone must be an IANA time zone name .* got "Mars\/Olympus"/],
    ['an outage over 12 hours', { zoneOutageMinutes: 721 }, /zoneOutageMinutes must be a whole number of minutes from 1 to 720 .* got 721/],
    ['no stop condition', { stopConditionAlarms: [] }, /stopConditionAlarms must hold 1 to 5 alarms .* got 0/],
    ['both database kinds', { database: { instanceArn: DB_ARN, clusterArn: 'arn:aws:rds:us-east-1:1:cluster:x' } }, /exactly one of instanceArn and clusterArn/],
    ['zero tasks to stop', { tasksToStop: 0 }, /tasksToStop must be a whole number of at least 1, got 0/],
    ['no target at all', { service: undefined, database: undefined, zone: undefined }, /ChaosExperiments needs at least one target: pass service \(task loss\), database \(failover\) or zone \(zone loss\)/],
    ['scheduling an experiment that was not built', { database: undefined, schedule: { experiments: [ExperimentName.DATABASE_FAILOVER] } }, /schedule.experiments names "databaseFailover", which was not built/],
  ])('%s', (_name, props, message) => {
    expect(() => build(props)).toThrow(message);
  });
});
