import * as path from 'node:path';
import { Duration, IgnoreMode, Resource, Stack, Validations } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { ContainerUser, MultiAzNetwork, ResilientFargateService, SloAlarms } from '@ha-reference/constructs';
import { DB_POOL_MAX, DEREGISTRATION_DELAY_SECONDS, HEALTH_PATHS, SERVICE_PORT, STOP_TIMEOUT_SECONDS } from '../app/src/contract';
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

/** The database a service tier talks to: the primary's writer, or the DR region's replica. */
export interface ServiceDatabase {
  readonly hostname: string;
  readonly port: number;
  readonly databaseName: string;
  /** The master secret (in the tier's own region): the execution role injects it, the task role re-reads it. */
  readonly secret: secretsmanager.ISecret;
}

export interface ServiceTierOptions {
  readonly config: HaConfig;
  readonly network: MultiAzNetwork;
  readonly database: ServiceDatabase;
  /** Tasks at all times: the primary's desired count, one per zone (warm standby) or 0 (pilot light). */
  readonly desiredCount: number;
  /** The HTTPS listener's certificate ARN, in the tier's region. @default - HTTP only */
  readonly certificateArn?: string;
  /** @default - built from app/Dockerfile by `cdk deploy` */
  readonly image?: ecs.ContainerImage;
}

/**
 * The sample service as both regions run it: the image, the Fargate service behind its load balancer, the database
 * settings and credentials, and the deep health check hidden from the internet. Built in `scope` itself (not a
 * construct of its own), so the primary stack's logical IDs stay what they were.
 */
export function addService(scope: Construct, options: ServiceTierOptions): ResilientFargateService {
  const { config, network, database } = options;
  const image =
    options.image ??
    ecs.ContainerImage.fromAsset(REPO_ROOT, {
      file: 'app/Dockerfile',
      platform: Platform.LINUX_AMD64,
      ignoreMode: IgnoreMode.GLOB,
      exclude: IMAGE_ASSET_EXCLUDES,
    });
  const service = new ResilientFargateService(scope, 'Service', {
    vpc: network.vpc,
    taskSubnets: network.appSubnets,
    loadBalancerSubnets: network.publicSubnets,
    image,
    containerPort: SERVICE_PORT,
    livenessCommand: ['CMD', 'node', 'dist/healthcheck.js'],
    // The image's unprivileged "node" user (app/Dockerfile), on the read-only root the service is built for.
    user: ContainerUser.of('1000:1000'),
    readonlyRootFilesystem: true,
    healthCheck: { path: HEALTH_PATHS.ready, healthyHttpCodes: '200' },
    deregistrationDelay: Duration.seconds(DEREGISTRATION_DELAY_SECONDS),
    stopTimeout: Duration.seconds(STOP_TIMEOUT_SECONDS),
    cpu: config.service.cpu,
    memoryLimitMiB: config.service.memoryMiB,
    desiredCount: options.desiredCount,
    maxCount: config.service.maxCount,
    certificate: options.certificateArn ? acm.Certificate.fromCertificateArn(scope, 'Certificate', options.certificateArn) : undefined,
    encryptionKey: network.encryptionKey,
    environment: {
      NODE_ENV: 'production',
      PORT: String(SERVICE_PORT),
      // The writer endpoint (its DNS name follows a Multi-AZ failover), or the replica's (read-only until promoted:
      // the service serves reads and answers writes 503 read_only, and notices the promotion by itself).
      DB_HOST: database.hostname,
      DB_PORT: String(database.port),
      DB_NAME: database.databaseName,
      // The database forces TLS (rds.force_ssl=1); the service also verifies the server certificate and host name.
      DB_TLS: 'verify-full',
      // The password rotates (every 7 days) and ECS injects DB_SECRET only at task start: the service re-reads the
      // secret (task role) on a schedule and on an authentication failure, so running tasks survive a rotation.
      DB_SECRET_ARN: database.secret.secretArn,
      // Checked against the instance class's max_connections in config.ts (pool × maxCount × 2 must fit).
      DB_POOL_MAX: String(DB_POOL_MAX),
    },
    // The secret JSON (username, password), read by the execution role at task start only.
    secrets: { DB_SECRET: ecs.Secret.fromSecretsManager(database.secret) },
    deployment: {
      strategy: DEPLOYMENT_STRATEGY[config.deployment.strategy],
      trafficStepPercent: config.deployment.trafficStepPercent,
      stepBakeTime: Duration.minutes(config.deployment.stepBakeMinutes),
      bakeTime: config.deployment.strategy === 'rolling' ? undefined : Duration.minutes(config.deployment.bakeMinutes),
    },
  });
  // The deep check reports the database's state: for operators and tools inside the VPC, not for the internet.
  // The load balancer answers it itself (the service bounds it anyway: one shared probe a second per task).
  service.listener.addAction('HideDeepHealth', {
    priority: 1,
    conditions: [elbv2.ListenerCondition.pathPatterns([HEALTH_PATHS.deep])],
    action: elbv2.ListenerAction.fixedResponse(404, {
      contentType: 'application/json',
      messageBody: JSON.stringify({ error: { code: 'not_found', message: 'no such resource' } }),
    }),
  });
  database.secret.grantRead(service.taskDefinition.taskRole);
  grantImportedSecretKey(service, database.secret);
  Validations.of(service.taskDefinition).acknowledge({
    id: 'AwsSolutions::AwsSolutions-ECS2',
    reason:
      'the environment holds only NODE_ENV, PORT, DB_HOST, DB_PORT, DB_NAME, DB_TLS, DB_SECRET_ARN (the ARN of the secret, not its value) and DB_POOL_MAX, which are not secret; the database credentials reach the container as the ECS secret DB_SECRET from Secrets Manager',
  });
  return service;
}

/**
 * Secrets Manager decrypts a secret with the caller's permission on its key
 * (https://docs.aws.amazon.com/secretsmanager/latest/userguide/security-encryption.html#security-encryption-authz).
 * `grantRead` puts that permission in the key's policy, which an imported key (the DR key, read by ARN) does not let it
 * change, and adds nothing to the roles: so for an imported key both roles get kms:Decrypt here, through Secrets
 * Manager of this region and for this secret only (its encryption context).
 */
function grantImportedSecretKey(service: ResilientFargateService, secret: secretsmanager.ISecret): void {
  const key = secret.encryptionKey;
  if (!key || Resource.isOwnedResource(key)) return;
  const statement = new iam.PolicyStatement({
    sid: 'DecryptTheSecret',
    actions: ['kms:Decrypt'],
    resources: [key.keyArn],
    conditions: {
      StringEquals: { 'kms:ViaService': `secretsmanager.${Stack.of(service).region}.amazonaws.com`, 'kms:EncryptionContext:SecretARN': secret.secretArn },
    },
  });
  service.taskDefinition.obtainExecutionRole().addToPrincipalPolicy(statement);
  service.taskDefinition.taskRole.addToPrincipalPolicy(statement);
}

/**
 * Page on fast error-budget burn; the fast windows are also the deployment alarms, so a bad deploy rolls itself back.
 * @param pageTopic the region's paging topic when it already has one
 */
export function addSloAlarms(scope: Construct, service: ResilientFargateService, config: HaConfig, pageTopic?: sns.ITopic): SloAlarms {
  return new SloAlarms(scope, 'Slo', {
    loadBalancer: service.loadBalancer,
    targetGroup: service.targetGroup,
    alternateTargetGroup: service.alternateTargetGroup,
    service: service.service,
    slo: config.slo,
    alarmEmail: config.alarmEmail,
    budgetGate: config.deployment.budgetGate,
    pageTopic,
  });
}

const DEPLOYMENT_STRATEGY: Record<HaConfig['deployment']['strategy'], ecs.DeploymentStrategy> = {
  canary: ecs.DeploymentStrategy.CANARY,
  linear: ecs.DeploymentStrategy.LINEAR,
  blueGreen: ecs.DeploymentStrategy.BLUE_GREEN,
  rolling: ecs.DeploymentStrategy.ROLLING,
};
