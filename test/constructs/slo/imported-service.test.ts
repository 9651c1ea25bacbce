import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { beforeAll, describe, expect, it } from 'vitest';
import { InfrastructureAlarms, ServiceDashboard, SloAlarms } from '@ha-reference/constructs';
import { newStack } from '../../support/synth';

const ZONES = ['us-east-1a', 'us-east-1b', 'us-east-1c'];
const LB_ARN = 'arn:aws:elasticloadbalancing:us-east-1:111111111111:loadbalancer/app/orders/50dc6c495c0c9188';
const TG_ARN = 'arn:aws:elasticloadbalancing:us-east-1:111111111111:targetgroup/orders/73e2d6bc24d8a067';

/** A service that another stack or another team deployed: everything is imported by its attributes. */
function importedService() {
  const stack = newStack();
  const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', { vpcId: 'vpc-0a1b2c3d4e5f60718', availabilityZones: ZONES });
  const cluster = ecs.Cluster.fromClusterAttributes(stack, 'Cluster', { clusterName: 'shop', vpc });
  const service = ecs.FargateService.fromFargateServiceAttributes(stack, 'Service', { cluster, serviceName: 'orders' });
  const loadBalancer = elbv2.ApplicationLoadBalancer.fromApplicationLoadBalancerAttributes(stack, 'Lb', {
    loadBalancerArn: LB_ARN,
    securityGroupId: 'sg-0a1b2c3d4e5f60718',
    vpc,
  });
  const targetGroup = elbv2.ApplicationTargetGroup.fromTargetGroupAttributes(stack, 'Tg', { targetGroupArn: TG_ARN, loadBalancerArns: LB_ARN });
  return { stack, service, loadBalancer, targetGroup };
}

describe('the monitoring constructs on an imported service', () => {
  let template: Template;
  let slo: SloAlarms;

  beforeAll(() => {
    // GIVEN a service that is not defined in this app
    const { stack, service, loadBalancer, targetGroup } = importedService();

    // WHEN the SLO alarms, the infrastructure alarms and the dashboard watch it
    slo = new SloAlarms(stack, 'Slo', { loadBalancer, targetGroup, service });
    const infrastructure = new InfrastructureAlarms(stack, 'Infra', { loadBalancer, targetGroup, service, availabilityZones: ZONES });
    new ServiceDashboard(stack, 'Dashboard', { slo, loadBalancer, targetGroup, service, infrastructureAlarms: infrastructure });
    template = Template.fromStack(stack);
  });

  it('builds the SLO alarms and wires no deployment alarms into the imported service', () => {
    template.resourceCountIs('AWS::ECS::Service', 0);
    expect(Object.keys(template.findResources('AWS::CloudWatch::Alarm')).length).toBeGreaterThan(0);
  });

  it('watches the running tasks by the service and cluster names', () => {
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
    const tasks = alarms.find((a) => JSON.stringify(a.Properties).includes('RunningTaskCount'));
    expect(JSON.stringify(tasks?.Properties)).toContain('{"Name":"ClusterName","Value":"shop"},{"Name":"ServiceName","Value":"orders"}');
  });

  it('graphs the CPU and memory of the imported service', () => {
    const [dashboard] = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
    const body = JSON.stringify(dashboard.Properties.DashboardBody);
    expect(body).toContain('\\"AWS/ECS\\",\\"CPUUtilization\\",\\"ClusterName\\",\\"shop\\",\\"ServiceName\\",\\"orders\\"');
    expect(body).toContain('\\"AWS/ECS\\",\\"MemoryUtilization\\",\\"ClusterName\\",\\"shop\\",\\"ServiceName\\",\\"orders\\"');
  });

  it('points at no error budget policy unless given one', () => {
    const [dashboard] = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
    expect(JSON.stringify(dashboard.Properties.DashboardBody)).not.toContain('Error budget policy');
  });

  it('refuses deployment alarms it cannot wire, naming its own prop', () => {
    const { stack, service, loadBalancer, targetGroup } = importedService();
    expect(() => new SloAlarms(stack, 'Slo', { loadBalancer, targetGroup, service, enableDeploymentAlarms: true })).toThrow(
      /enableDeploymentAlarms needs a service defined in this app \(an ecs.BaseService\): the deployment configuration of an imported `service` cannot be changed here/,
    );
  });
});
