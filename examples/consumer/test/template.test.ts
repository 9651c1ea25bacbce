/**
 * What `cdk synth` produced for this app, read back from cdk.out: the constructs honoured every prop this app
 * gave (imported VPC, image, port, health path, topics, the two drills), and both rule packs ran.
 * Run after `npm run build && npm run synth`: `npm test` (node's own test runner, no other dependency).
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { HEALTH_PATH, HEALTHY_CODES, IMAGE, NETWORK, PORT, TICKET_TOPIC_ARN } from '../src/web-stack';

const root = path.join(__dirname, '..', '..');
const cdkOut = path.join(root, 'cdk.out');
const read = (file: string) => JSON.parse(readFileSync(path.join(cdkOut, file), 'utf8'));
const json = read('ConsumerWeb.template.json');
const template = Template.fromJSON(json);
const resources = Object.entries(json.Resources as Record<string, { Type: string; Properties?: Record<string, any> }>);
const ofType = (type: string) => resources.filter(([, r]) => r.Type === type);
const peerMinimum = (name: string) => {
  const range: string = require('@ha-reference/constructs/package.json').peerDependencies[name];
  return range.replace(/^[\^~>=\s]+/, '');
};

describe('the installed packages', () => {
  it('are the minimum of the package peer range, one copy each', () => {
    for (const name of ['aws-cdk-lib', 'constructs', 'cdk-nag']) {
      assert.equal(require(`${name}/package.json`).version, peerMinimum(name), `${name} is not the peer range's minimum`);
      assert.ok(!existsSync(path.join(root, 'node_modules', '@ha-reference', 'constructs', 'node_modules', name)), `a nested copy of ${name}`);
    }
  });
});

describe('the imported VPC', () => {
  it('holds everything: no VPC, subnet or NAT gateway of its own', () => {
    for (const type of ['AWS::EC2::VPC', 'AWS::EC2::Subnet', 'AWS::EC2::NatGateway', 'AWS::EC2::InternetGateway']) template.resourceCountIs(type, 0);
    const groups = ofType('AWS::EC2::SecurityGroup');
    assert.ok(groups.length >= 3);
    for (const [id, group] of groups) assert.equal(group.Properties?.VpcId, NETWORK.vpcId, `${id} is not in the imported VPC`);
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', { VpcId: NETWORK.vpcId });
  });

  it('gives its public subnets to the load balancer, its private ones to the tasks, its isolated ones to the database', () => {
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', { Scheme: 'internet-facing', Subnets: NETWORK.publicSubnetIds });
    template.hasResourceProperties('AWS::ECS::Service', {
      NetworkConfiguration: { AwsvpcConfiguration: { AssignPublicIp: 'DISABLED', Subnets: NETWORK.privateSubnetIds } },
    });
    template.hasResourceProperties('AWS::RDS::DBSubnetGroup', { SubnetIds: NETWORK.isolatedSubnetIds });
  });
});

describe('the service', () => {
  it('runs the public image on its own port, as the image says, with a writable root', () => {
    const [[, task]] = ofType('AWS::ECS::TaskDefinition');
    const [container] = task.Properties!.ContainerDefinitions;
    assert.equal(container.Image, IMAGE);
    assert.deepEqual(container.PortMappings, [{ ContainerPort: PORT, Protocol: 'tcp' }]);
    assert.equal(container.User, undefined);
    assert.equal(container.ReadonlyRootFilesystem, false);
    assert.equal(container.HealthCheck, undefined, 'no liveness command was given, so none may be invented');
    assert.equal(task.Properties!.Cpu, '256');
  });

  it('is probed on its own health path and codes, every 5 s, and spread over 3 tasks', () => {
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      Port: PORT,
      HealthCheckPath: HEALTH_PATH,
      Matcher: { HttpCode: HEALTHY_CODES },
      HealthCheckIntervalSeconds: 5,
      UnhealthyThresholdCount: 2,
    });
    template.hasResourceProperties('AWS::ECS::Service', {
      DesiredCount: 3,
      DeploymentConfiguration: Match.objectLike({ MinimumHealthyPercent: 100, DeploymentCircuitBreaker: { Enable: true, Rollback: true } }),
    });
  });
});

describe('the database', () => {
  it('is a Multi-AZ PostgreSQL instance reachable from the tasks only', () => {
    template.hasResourceProperties('AWS::RDS::DBInstance', { Engine: 'postgres', MultiAZ: true, DBInstanceClass: 'db.m7g.large', BackupRetentionPeriod: 7 });
    const ingress = ofType('AWS::EC2::SecurityGroupIngress').filter(([, r]) => r.Properties?.FromPort === 5433);
    assert.equal(ingress.length, 1);
    assert.ok(ingress[0][1].Properties?.SourceSecurityGroupId, 'the database port must be open to a security group, not a range');
  });
});

describe('the alarms', () => {
  it('page this team\'s own topic and ticket to the imported one; the constructs create no topic of their own', () => {
    const topics = ofType('AWS::SNS::Topic');
    assert.deepEqual(topics.map(([id]) => id).filter((id) => id.startsWith('Pager')).length, 1);
    assert.equal(topics.length, 1, `only this app's pager topic, got ${topics.map(([id]) => id).join(', ')}`);
    const [[pagerId]] = topics;
    const actions = ofType('AWS::CloudWatch::CompositeAlarm')
      .concat(ofType('AWS::CloudWatch::Alarm'))
      .flatMap(([, alarm]) => alarm.Properties?.AlarmActions ?? []);
    assert.ok(actions.some((a: unknown) => JSON.stringify(a) === JSON.stringify({ Ref: pagerId })), 'no alarm pages the pager topic');
    assert.ok(actions.includes(TICKET_TOPIC_ARN), 'no alarm tickets to the imported topic');
  });
});

describe('the chaos experiments', () => {
  it('are the two asked for, task loss and database failover, each stopped by the fast-burn alarm', () => {
    const experiments = ofType('AWS::FIS::ExperimentTemplate');
    assert.equal(experiments.length, 2);
    const actionIds = experiments.flatMap(([, e]) => Object.values(e.Properties!.Actions as Record<string, { ActionId: string }>).map((a) => a.ActionId)).sort();
    assert.deepEqual(actionIds, ['aws:ecs:stop-task', 'aws:rds:reboot-db-instances']);
    for (const [id, e] of experiments) {
      const stops = e.Properties!.StopConditions as Array<{ Source: string }>;
      assert.ok(stops.length > 0 && stops.every((s) => s.Source === 'aws:cloudwatch:alarm'), `${id} has no alarm stop condition`);
    }
  });

  it('are not scheduled', () => {
    template.resourceCountIs('AWS::Scheduler::Schedule', 0);
    template.resourceCountIs('AWS::Scheduler::ScheduleGroup', 0);
    template.resourceCountIs('AWS::Events::Rule', 0);
  });
});

describe('the rule packs', () => {
  it('both ran at synth time, AwsSolutions and Resilience, and passed', () => {
    const plugins = read('validation-report.json').pluginReports as Array<{ pluginName: string; conclusion: string; violations: Array<{ ruleName: string; severity: string; description: string }> }>;
    const byName = new Map(plugins.map((p) => [p.pluginName, p]));
    for (const name of ['AwsSolutions', 'Resilience']) assert.equal(byName.get(name)?.conclusion, 'success', `${name} did not run or failed`);
    assert.deepEqual(byName.get('AwsSolutions')!.violations, []);
    const summary = byName.get('Resilience')!.violations.find((v) => v.ruleName === 'Resilience-Summary');
    assert.match(summary?.description ?? '', /^19 resilience rules checked \d+ resources: 0 errors/);
  });
});
