import { App, Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { CrossRegionReplica, MultiAzNetwork, RegionFailoverRunbook, ResilientFargateService, type RegionFailoverRunbookProps } from '@ha-reference/constructs';
import { newApp } from '../../support/synth';

export const DR_REGION = 'us-west-2';
export const PRIMARY_REGION = 'us-east-1';
export const ACCOUNT = '111111111111';
export const HEALTH_CHECK_ID = 'abcdef11-2222-3333-4444-555555fedcba';
const ZONES = ['us-west-2a', 'us-west-2b', 'us-west-2c'];

export interface DrSiteFixture {
  readonly app: App;
  readonly stack: Stack;
  readonly replica: CrossRegionReplica;
  readonly service: ResilientFargateService;
  readonly alarm: cloudwatch.Alarm;
  readonly runbook: RegionFailoverRunbook;
}

/**
 * A pilot-light DR site built from the library's own constructs, as lib/dr-site-stack.ts builds it: a network, a
 * cross-region read replica, a standby service with no task, a canary-style "primary down" alarm, and the runbook.
 */
export function drSiteFixture(runbook: Partial<RegionFailoverRunbookProps> = {}, app: App = newApp()): DrSiteFixture {
  const stack = new Stack(app, 'DrSite', { env: { account: ACCOUNT, region: DR_REGION } });
  const network = new MultiAzNetwork(stack, 'Network', { availabilityZones: ZONES, natGateways: ZONES.length });
  const replica = new CrossRegionReplica(stack, 'Replica', {
    vpc: network.vpc,
    vpcSubnets: network.dataSubnets,
    sourceDatabaseArn: `arn:aws:rds:${PRIMARY_REGION}:${ACCOUNT}:db:primary-database`,
    sourceRegion: PRIMARY_REGION,
    port: 5433,
  });
  const service = new ResilientFargateService(stack, 'Service', {
    vpc: network.vpc,
    taskSubnets: network.appSubnets,
    loadBalancerSubnets: network.publicSubnets,
    image: ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/nginx:stable'),
    encryptionKey: network.encryptionKey,
    desiredCount: 0,
  });
  const alarm = new cloudwatch.Alarm(stack, 'PrimaryProbeAlarm', {
    metric: new cloudwatch.Metric({ namespace: 'CloudWatchSynthetics', metricName: 'SuccessPercent', dimensionsMap: { CanaryName: 'ha-primary-probe' }, period: Duration.minutes(1) }),
    threshold: 100,
    comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
    evaluationPeriods: 3,
    treatMissingData: cloudwatch.TreatMissingData.BREACHING,
  });
  const failover = new RegionFailoverRunbook(stack, 'Failover', {
    replicaIdentifier: replica.identifier,
    service: service.service,
    desiredCount: 3,
    maxCount: 12,
    primaryDownAlarm: alarm,
    healthCheckId: HEALTH_CHECK_ID,
    loadBalancer: service.loadBalancer,
    ...runbook,
  });
  return { app, stack, replica, service, alarm, runbook: failover };
}

/** One step of an Automation document. */
export interface Step {
  readonly name: string;
  readonly action: string;
  readonly inputs: Record<string, unknown>;
  readonly outputs?: { Name: string; Selector: string; Type: string }[];
  readonly nextStep?: string;
  readonly isEnd?: boolean;
  readonly timeoutSeconds?: number;
}

/** The content of the one AWS::SSM::Document in a template, as CloudFormation receives it (intrinsics unresolved). */
export interface DocumentContent {
  readonly schemaVersion: string;
  readonly description: string;
  readonly assumeRole: unknown;
  readonly parameters: Record<string, { type: string; default?: unknown; description?: string }>;
  readonly mainSteps: Step[];
  readonly outputs?: string[];
}

export function documentOf(template: { Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }> }): { id: string; properties: Record<string, unknown>; content: DocumentContent } {
  const documents = Object.entries(template.Resources).filter(([, r]) => r.Type === 'AWS::SSM::Document');
  if (documents.length !== 1) throw new Error(`expected one AWS::SSM::Document, found ${documents.length}`);
  const [id, resource] = documents[0]!;
  // Content is JSON: through a JSON round trip it is exactly what CloudFormation receives.
  const content = JSON.parse(JSON.stringify(resource.Properties!.Content)) as DocumentContent;
  return { id, properties: resource.Properties!, content };
}
