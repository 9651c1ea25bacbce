import { App, Stack } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { MultiAzNetwork, ResilientFargateService } from '@ha-reference/constructs';
import { newApp, newStack } from '../../support/synth';

export const ZONES = ['us-east-1a', 'us-east-1b', 'us-east-1c'];

export interface ServiceFixture {
  readonly app: App;
  readonly stack: Stack;
  readonly network: MultiAzNetwork;
  readonly service: ResilientFargateService;
}

/** A small stack with the project's own network and service, for the SLO constructs to watch. */
export function serviceFixture(app: App = newApp()): ServiceFixture {
  const stack = newStack(app);
  const network = new MultiAzNetwork(stack, 'Network', { availabilityZones: ZONES, natGateways: ZONES.length });
  const service = new ResilientFargateService(stack, 'Service', {
    vpc: network.vpc,
    taskSubnets: network.appSubnets,
    loadBalancerSubnets: network.publicSubnets,
    image: ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/nginx:stable'),
    encryptionKey: network.encryptionKey,
  });
  return { app, stack, network, service };
}
