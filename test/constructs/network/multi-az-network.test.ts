import { Match, Template } from 'aws-cdk-lib/assertions';
import * as logs from 'aws-cdk-lib/aws-logs';
import { beforeAll, describe, expect, it } from 'vitest';
import { MultiAzNetwork } from '@ha-reference/constructs';
import { Annotations, newStack } from '../../support/synth';

const ZONES = ['us-east-1a', 'us-east-1b', 'us-east-1c'];

describe('MultiAzNetwork with defaults', () => {
  let template: Template;
  let network: MultiAzNetwork;

  beforeAll(() => {
    // GIVEN a stack WHEN the network is built over three zones with defaults
    const stack = newStack();
    network = new MultiAzNetwork(stack, 'Network', { availabilityZones: ZONES });
    template = Template.fromStack(stack);
  });

  it('creates three tiers of subnets in every zone', () => {
    template.resourceCountIs('AWS::EC2::Subnet', 9);
    for (const zone of ZONES) {
      const subnets = template.findResources('AWS::EC2::Subnet', { Properties: { AvailabilityZone: zone } });
      expect(Object.keys(subnets)).toHaveLength(3);
    }
    expect(network.vpc.selectSubnets(network.publicSubnets).subnets).toHaveLength(3);
    expect(network.vpc.selectSubnets(network.appSubnets).subnets).toHaveLength(3);
    expect(network.vpc.selectSubnets(network.dataSubnets).subnets).toHaveLength(3);
  });

  it('puts one NAT gateway in each zone and routes each private subnet to its own zone', () => {
    template.resourceCountIs('AWS::EC2::NatGateway', 3);
    const nats = template.findResources('AWS::EC2::NatGateway');
    const natSubnets = Object.values(nats).map((n) => JSON.stringify(n.Properties.SubnetId));
    expect(new Set(natSubnets).size).toBe(3);
    // Every default route of an App subnet points at a distinct NAT gateway.
    const natRoutes = template.findResources('AWS::EC2::Route', { Properties: { NatGatewayId: Match.anyValue() } });
    const targets = Object.values(natRoutes).map((r) => JSON.stringify(r.Properties.NatGatewayId));
    expect(targets).toHaveLength(3);
    expect(new Set(targets).size).toBe(3);
  });

  it('gives the isolated data subnets no route at all, while each app subnet has its default route', () => {
    const routes = Object.values(template.findResources('AWS::EC2::Route'));
    const routesOf = (tier: typeof network.dataSubnets) =>
      network.vpc.selectSubnets(tier).subnets.map((subnet) => {
        const table = JSON.stringify(network.vpc.stack.resolve(subnet.routeTable.routeTableId));
        return routes.filter((r) => JSON.stringify(r.Properties.RouteTableId) === table).length;
      });
    expect(routesOf(network.dataSubnets)).toEqual([0, 0, 0]);
    expect(routesOf(network.appSubnets)).toEqual([1, 1, 1]);
  });

  it('names the task and database subnets of one zone', () => {
    const subnets = network.privateSubnetsIn('us-east-1b');
    expect(subnets.map((s) => s.availabilityZone)).toEqual(['us-east-1b', 'us-east-1b']);
    const ids = subnets.map((s) => s.subnetId);
    expect(ids).toContain(network.vpc.selectSubnets({ ...network.appSubnets, availabilityZones: ['us-east-1b'] }).subnetIds[0]);
    expect(ids).toContain(network.vpc.selectSubnets({ ...network.dataSubnets, availabilityZones: ['us-east-1b'] }).subnetIds[0]);
  });

  it('never assigns public IPs on launch', () => {
    const subnets = template.findResources('AWS::EC2::Subnet');
    for (const subnet of Object.values(subnets)) {
      expect(subnet.Properties.MapPublicIpOnLaunch).toBe(false);
    }
  });

  it('sends all flow logs to a KMS-encrypted log group with a retention', () => {
    template.hasResourceProperties('AWS::EC2::FlowLog', {
      ResourceType: 'VPC',
      TrafficType: 'ALL',
      LogDestinationType: 'cloud-watch-logs',
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      RetentionInDays: 365,
      KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('NetworkKey'), 'Arn'] },
    });
  });

  it('rotates the log key and lets only CloudWatch Logs of this region use it for log groups', () => {
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'logs.us-east-1.amazonaws.com' },
            Condition: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': Match.anyValue() } },
          }),
        ]),
      },
    });
  });

  it('adds an S3 gateway endpoint', () => {
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      VpcEndpointType: 'Gateway',
      ServiceName: Match.objectLike({ 'Fn::Join': Match.arrayWith([Match.arrayWith(['.s3'])]) }),
    });
  });

  it('issues no warning', () => {
    Annotations.fromStack(network.vpc.stack as never).hasNoWarning('*', Match.anyValue());
  });
});

describe('MultiAzNetwork with fewer NAT gateways than zones', () => {
  it('builds them and warns what is given up', () => {
    const stack = newStack();
    new MultiAzNetwork(stack, 'Network', { availabilityZones: ZONES, natGateways: 1, flowLogRetention: logs.RetentionDays.ONE_MONTH });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::EC2::NatGateway', 1);
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
    Annotations.fromStack(stack).hasWarning('/Test/Network', Match.stringLikeRegexp('natGateways is 1 for 3 Availability Zones.*lose it when that zone fails'));
  });
});

describe('MultiAzNetwork rejects impossible props', () => {
  it.each([
    [{ availabilityZones: ['us-east-1a'] }, /availabilityZones must list at least 2 zones, got 1/],
    [{ availabilityZones: ['us-east-1a', 'us-east-1a'] }, /availabilityZones must not repeat a zone, got "us-east-1a" twice/],
    [{ availabilityZones: ZONES, natGateways: 0 }, /natGateways must be an integer between 1 and the number of zones \(3\), got 0/],
    [{ availabilityZones: ZONES, natGateways: 5 }, /natGateways must be an integer between 1 and the number of zones \(3\), got 5/],
  ])('%j', (props, message) => {
    expect(() => new MultiAzNetwork(newStack(), 'Network', props)).toThrow(message);
  });
});
