import * as path from 'node:path';
import { Duration, IgnoreMode, Stack, StackProps, Validations } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import { Construct } from 'constructs';
import { MultiAzNetwork } from '../constructs/network/multi-az-network';
import { ResilientFargateService } from '../constructs/service/resilient-fargate-service';
import { DEREGISTRATION_DELAY_SECONDS, HEALTH_PATHS, SERVICE_PORT, STOP_TIMEOUT_SECONDS } from '../app/src/contract';
import type { HaConfig } from './config';

/** Repository root: the image's build context (the workspace lock file lives there). */
const REPO_ROOT = path.join(__dirname, '..');

/**
 * Everything the image is built from. The asset hash covers only these paths, so a change to tests,
 * docs or infrastructure code never rebuilds or redeploys the image.
 */
export const IMAGE_ASSET_INCLUDES = ['package.json', 'package-lock.json', 'app/package.json', 'app/tsconfig*.json', 'app/Dockerfile', 'app/src/**'];
// Glob excludes apply to directories before their contents: re-include `app` and `app/src` themselves too.
export const IMAGE_ASSET_EXCLUDES = ['**', '.*', '!app', '!app/src', ...IMAGE_ASSET_INCLUDES.map((p) => `!${p}`)];

export interface PrimaryStackProps extends StackProps {
  readonly config: HaConfig;
  /**
   * Image of the service.
   * @default - built from app/Dockerfile by `cdk deploy`
   */
  readonly image?: ecs.ContainerImage;
}

/** The serving region: network and service. Wiring only; the logic lives in constructs/. */
export class PrimaryStack extends Stack {
  public readonly network: MultiAzNetwork;
  public readonly service: ResilientFargateService;

  constructor(scope: Construct, id: string, props: PrimaryStackProps) {
    super(scope, id, props);
    const { config } = props;

    this.network = new MultiAzNetwork(this, 'Network', {
      availabilityZones: [...config.availabilityZones],
      natGateways: config.natGateways,
    });

    const image =
      props.image ??
      ecs.ContainerImage.fromAsset(REPO_ROOT, {
        file: 'app/Dockerfile',
        platform: Platform.LINUX_AMD64,
        ignoreMode: IgnoreMode.GLOB,
        exclude: IMAGE_ASSET_EXCLUDES,
      });

    this.service = new ResilientFargateService(this, 'Service', {
      vpc: this.network.vpc,
      taskSubnets: this.network.appSubnets,
      loadBalancerSubnets: this.network.publicSubnets,
      image,
      containerPort: SERVICE_PORT,
      livenessCommand: ['CMD', 'node', 'dist/healthcheck.js'],
      healthCheck: { path: HEALTH_PATHS.ready },
      deregistrationDelay: Duration.seconds(DEREGISTRATION_DELAY_SECONDS),
      stopTimeout: Duration.seconds(STOP_TIMEOUT_SECONDS),
      cpu: config.service.cpu,
      memoryLimitMiB: config.service.memoryMiB,
      desiredCount: config.service.desiredCount,
      maxCount: config.service.maxCount,
      certificate: config.certificateArn ? acm.Certificate.fromCertificateArn(this, 'Certificate', config.certificateArn) : undefined,
      encryptionKey: this.network.encryptionKey,
      environment: { NODE_ENV: 'production', PORT: String(SERVICE_PORT) },
    });
    Validations.of(this.service.taskDefinition).acknowledge({
      id: 'AwsSolutions::AwsSolutions-ECS2',
      reason: 'the environment holds only NODE_ENV and PORT, which are not secret; credentials reach the container as ECS secrets from Secrets Manager',
    });
  }
}
