import { Annotations, Duration, RemovalPolicy, Size, Token, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { ICertificate } from 'aws-cdk-lib/aws-certificatemanager';
import { Construct } from 'constructs';
import { allowCloudWatchLogsToUseKey } from '../common/log-encryption';
import { checkDuration, checkInt, checkRange } from '../common/validate';
import { newEncryptionKey } from '../common/encryption-key';

/** The user a container runs as. */
export class ContainerUser {
  /**
   * The user the image declares (its `USER`), which is root when it declares none. For images that must
   * start as root, such as the public nginx image (it binds port 80 and drops to a worker user itself).
   */
  public static readonly FROM_IMAGE = new ContainerUser(undefined);

  /** A user and optionally a group, by name or id: `1000`, `1000:1000`, `app`, `app:app`. */
  public static of(user: string): ContainerUser {
    if (!Token.isUnresolved(user) && !/^[A-Za-z0-9_][A-Za-z0-9_.-]*(:[A-Za-z0-9_][A-Za-z0-9_.-]*)?$/.test(user)) {
      throw new Error(`user must be a user or user:group, by name or id (such as "1000:1000"), got ${JSON.stringify(user)}`);
    }
    return new ContainerUser(user);
  }

  /** The `user` of the container definition; undefined for {@link ContainerUser.FROM_IMAGE}. */
  public readonly user?: string;

  private constructor(user: string | undefined) {
    this.user = user;
  }
}

/** How the load balancer decides a task is healthy. */
export interface TargetHealthCheckOptions {
  /**
   * Path the load balancer probes. Point it at a readiness endpoint, one that fails while a task starts
   * or drains, where the service has one.
   * @default '/'
   */
  readonly path?: string;
  /**
   * HTTP codes that mean healthy: a code (`200`), a list (`200,204`) or a range (`200-299`).
   * @default '200'
   */
  readonly healthyHttpCodes?: string;
  /**
   * Time between probes. Interval × unhealthyThreshold is how long a dead task keeps receiving traffic.
   * @default Duration.seconds(5)
   */
  readonly interval?: Duration;
  /**
   * Time to wait for an answer; must be shorter than the interval.
   * @default Duration.seconds(4)
   */
  readonly timeout?: Duration;
  /**
   * Consecutive successes before a task receives traffic.
   * @default 2
   */
  readonly healthyThreshold?: number;
  /**
   * Consecutive failures before a task is taken out of rotation.
   * @default 2
   */
  readonly unhealthyThreshold?: number;
}

/**
 * How a new revision reaches production.
 *
 * The default is ECS's native canary: the new revision starts beside the old one at full size, takes
 * `trafficStepPercent` of production traffic for `stepBakeTime`, then all of it, and both revisions keep running for
 * `bakeTime` before the old one stops. A deployment alarm (the SLO fast-burn short windows, the 5xx spike, the
 * error-budget gate) that fires at any point until then rolls traffic back to the old revision, which is still
 * running. https://docs.aws.amazon.com/AmazonECS/latest/developerguide/canary-deployment-implementation.html
 */
export interface DeploymentOptions {
  /**
   * The ECS deployment strategy. `CANARY`, `LINEAR` and `BLUE_GREEN` add an alternate target group, a production
   * listener rule that forwards to both with weights, and a role ECS assumes to move those weights.
   * `ROLLING` replaces tasks in place (minimum 100 %, maximum 200 %) with the circuit breaker and alarms, no bake.
   * @default ecs.DeploymentStrategy.CANARY
   */
  readonly strategy?: ecs.DeploymentStrategy;
  /**
   * Share of production traffic, in percent, the new revision takes first (canary) or per step (linear).
   * Canary: a multiple of 0.1 from 0.1 to 100; linear: from 3 to 100 (ECS limits).
   * @default 10 for a canary, 25 for a linear deployment
   */
  readonly trafficStepPercent?: number;
  /**
   * Time the canary share (or each linear step) is held before more traffic moves: long enough for the 5xx spike
   * alarm (2 of 3 minutes) and the fast-burn 5-minute window to judge the new revision on its share. 0-1440 minutes.
   * @default Duration.minutes(5)
   */
  readonly stepBakeTime?: Duration;
  /**
   * Time both revisions keep running after all traffic has moved, while the deployment alarms still roll back
   * to the old revision (at once: it is still running). Whole minutes, 0-1440. Ignored by `ROLLING`.
   * @default Duration.minutes(10)
   */
  readonly bakeTime?: Duration;
}

export interface ResilientFargateServiceProps {
  /** Network to run in. */
  readonly vpc: ec2.IVpc;
  /**
   * Subnets for the tasks: private, one per Availability Zone.
   * @default - the VPC's private subnets with egress
   */
  readonly taskSubnets?: ec2.SubnetSelection;
  /**
   * Subnets for the load balancer.
   * @default - the VPC's public subnets when internet-facing, its private subnets with egress when internal
   */
  readonly loadBalancerSubnets?: ec2.SubnetSelection;
  /**
   * Whether the load balancer is reachable from the internet. An internal one accepts HTTP and HTTPS from
   * the VPC's IPv4 range only.
   * @default true
   */
  readonly internetFacing?: boolean;
  /**
   * ECS cluster to run the service in (its VPC must be `vpc`).
   * @default - a new cluster with Container Insights (enhanced)
   */
  readonly cluster?: ecs.ICluster;
  /**
   * Container image of the service. With the default `user` (1000:1000) and read-only root filesystem, `/tmp`
   * is writable only if the image creates it owned by that user and declares it with `VOLUME ["/tmp"]`;
   * otherwise ECS creates the bind volume owned by root (see the sample app's Dockerfile).
   */
  readonly image: ecs.ContainerImage;
  /**
   * Port the container listens on.
   * @default 8080
   */
  readonly containerPort?: number;
  /**
   * Command of the container health check, run inside the container (liveness, not readiness:
   * a failing container is replaced, so it must not depend on the database), such as
   * `['CMD', 'node', 'healthcheck.js']` or `['CMD-SHELL', 'curl -fsS http://localhost:8080/live || exit 1']`.
   * The program must exist in the image.
   * @default - no container health check: the load balancer health check alone takes failing tasks out
   */
  readonly livenessCommand?: string[];
  /**
   * The user the container runs as.
   * @default ContainerUser.of('1000:1000') - an unprivileged user; the image's files must be readable by it
   */
  readonly user?: ContainerUser;
  /**
   * Mount the container's root filesystem read-only. `/tmp` stays writable (a task-storage volume)
   * either way.
   * @default true
   */
  readonly readonlyRootFilesystem?: boolean;
  /**
   * Load balancer health check.
   * @default - readiness path every 5 s, 4 s timeout, 2 to become healthy, 2 to become unhealthy
   */
  readonly healthCheck?: TargetHealthCheckOptions;
  /**
   * Time the load balancer keeps in-flight requests of a deregistered task alive.
   * @default Duration.seconds(30)
   */
  readonly deregistrationDelay?: Duration;
  /**
   * Time between SIGTERM and SIGKILL. Must cover the service's own drain after SIGTERM. Fargate allows 2-120 s.
   * @default Duration.seconds(30)
   */
  readonly stopTimeout?: Duration;
  /**
   * CPU units of a task.
   * @default 512
   */
  readonly cpu?: number;
  /**
   * Memory of a task in MiB.
   * @default 1024
   */
  readonly memoryLimitMiB?: number;
  /**
   * CPU architecture the image is built for.
   * @default ecs.CpuArchitecture.X86_64
   */
  readonly cpuArchitecture?: ecs.CpuArchitecture;
  /**
   * Tasks running at all times; at least one per Availability Zone, or 0 for a pilot-light standby that runs no task
   * until a failover scales it (autoscaling's floor is then 0 too: the failover raises both).
   * @default 3
   */
  readonly desiredCount?: number;
  /**
   * Autoscaling ceiling.
   * @default - four times the desired count (four per zone for a desired count of 0)
   */
  readonly maxCount?: number;
  /**
   * Average CPU utilisation autoscaling keeps the tasks at.
   * @default 60
   */
  readonly targetCpuUtilizationPercent?: number;
  /**
   * Requests per task per minute autoscaling keeps the tasks at.
   * @default 1000
   */
  readonly requestsPerTargetPerMinute?: number;
  /**
   * Plain environment of the container. Never secrets: pass those in `secrets`.
   * @default - none
   */
  readonly environment?: Record<string, string>;
  /**
   * Secrets injected into the container at start (Secrets Manager or SSM).
   * @default - none
   */
  readonly secrets?: Record<string, ecs.Secret>;
  /**
   * Certificate for the HTTPS listener. Without one the load balancer serves plain HTTP.
   * @default - HTTP only, with a synth warning
   */
  readonly certificate?: ICertificate;
  /**
   * Key that encrypts the container log group.
   * @default - a new customer-managed key with rotation
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * Retention of the container logs. They are operational (one line per request, lifecycle events), read in
   * incident reviews within weeks; three SLO windows is enough and a year of request lines costs four times
   * as much (docs/controls.md). Raise it where your compliance regime counts request logs as audit records.
   * @default logs.RetentionDays.THREE_MONTHS
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Bucket for the load balancer access logs. Load balancer access logs need SSE-S3 (not SSE-KMS), and the
   * bucket's policy must let the load balancer write (for an imported bucket it is not changed here).
   * @default - a new versioned, TLS-only bucket with SSE-S3 that expires the logs after `accessLogExpirationDays`
   */
  readonly accessLogBucket?: s3.IBucket;
  /**
   * Days load balancer access logs are kept in the bucket this construct creates (ignored with `accessLogBucket`).
   * @default 90
   */
  readonly accessLogExpirationDays?: number;
  /**
   * Protect the load balancer from deletion.
   * @default true
   */
  readonly deletionProtection?: boolean;
  /**
   * How new revisions are deployed.
   * @default - a canary: 10 % of traffic for 5 minutes, then all, then 10 minutes of bake with both revisions running
   */
  readonly deployment?: DeploymentOptions;
}

const PORT_RANGE = { min: 1, max: 65535 };

/** A traffic share ECS accepts: a multiple of 0.1 from `min` to 100. */
function checkStepPercent(prop: string, value: number, min: number): void {
  checkRange(prop, value, min, 100);
  if (!Token.isUnresolved(value) && Math.abs(Math.round(value * 10) - value * 10) > 1e-9) {
    throw new Error(`${prop} must be a multiple of 0.1 (ECS shifts traffic in tenths of a percent), got ${value}`);
  }
}

/** A bake time ECS accepts: whole minutes from 0 to 1440. */
function checkMinutes(prop: string, value: Duration): void {
  if (value.isUnresolved()) return;
  const minutes = value.toSeconds({ integral: false }) / 60;
  if (!Number.isInteger(minutes) || minutes < 0 || minutes > 1440) {
    throw new Error(`${prop} must be a whole number of minutes from 0 to 1440, got ${Number(minutes.toFixed(3))} minutes`);
  }
}

/**
 * A Fargate service spread over every Availability Zone of the network behind an Application Load
 * Balancer (internet-facing or internal), with fast health checks, fast draining, rolling deployments that never
 * drop below the desired count and roll back on failure, and autoscaling on CPU and requests.
 */
export class ResilientFargateService extends Construct {
  /** The cluster the service runs in: the one given in props, or the one created here. */
  public readonly cluster: ecs.ICluster;
  public readonly taskDefinition: ecs.FargateTaskDefinition;
  public readonly container: ecs.ContainerDefinition;
  public readonly service: ecs.FargateService;
  public readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  /** The listener that forwards to the service (HTTPS with a certificate, HTTP otherwise). */
  public readonly listener: elbv2.ApplicationListener;
  /**
   * The target group the service starts in. With a canary, linear or blue/green strategy ECS moves production to
   * `alternateTargetGroup` on one deployment and back on the next: read metrics from both (`targetGroups`).
   */
  public readonly targetGroup: elbv2.ApplicationTargetGroup;
  /** The second target group of a canary, linear or blue/green strategy; undefined for `ROLLING`. */
  public readonly alternateTargetGroup?: elbv2.ApplicationTargetGroup;
  /** Every target group that serves production at some time: `targetGroup`, and `alternateTargetGroup` when there is one. */
  public readonly targetGroups: elbv2.ApplicationTargetGroup[];
  /** The listener rule ECS shifts traffic on (its forward weights); undefined for `ROLLING`. */
  public readonly productionListenerRule?: elbv2.ApplicationListenerRule;
  /** The role ECS assumes to register tasks and move the listener rule's weights; undefined for `ROLLING`. */
  public readonly deploymentRole?: iam.Role;
  /** The deployment strategy. */
  public readonly deploymentStrategy: ecs.DeploymentStrategy;
  /** Bake time after all traffic has moved, in minutes (0 for `ROLLING`). */
  public readonly bakeTimeMinutes: number;
  public readonly loadBalancerSecurityGroup: ec2.SecurityGroup;
  public readonly serviceSecurityGroup: ec2.SecurityGroup;
  public readonly logGroup: logs.LogGroup;
  /** The bucket the load balancer writes access logs to: the one given in props, or the one created here. */
  public readonly accessLogBucket: s3.IBucket;
  public readonly scaling: ecs.ScalableTaskCount;
  /** Tasks running at all times. */
  public readonly desiredCount: number;

  constructor(scope: Construct, id: string, props: ResilientFargateServiceProps) {
    super(scope, id);

    const containerPort = props.containerPort ?? 8080;
    const healthPath = props.healthCheck?.path ?? '/';
    const healthyHttpCodes = props.healthCheck?.healthyHttpCodes ?? '200';
    const interval = props.healthCheck?.interval ?? Duration.seconds(5);
    const timeout = props.healthCheck?.timeout ?? Duration.seconds(4);
    const healthyThreshold = props.healthCheck?.healthyThreshold ?? 2;
    const unhealthyThreshold = props.healthCheck?.unhealthyThreshold ?? 2;
    const deregistrationDelay = props.deregistrationDelay ?? Duration.seconds(30);
    const stopTimeout = props.stopTimeout ?? Duration.seconds(30);
    const cpu = props.cpu ?? 512;
    const memoryLimitMiB = props.memoryLimitMiB ?? 1024;
    const desiredCount = props.desiredCount ?? 3;
    const targetCpu = props.targetCpuUtilizationPercent ?? 60;
    const requestsPerTarget = props.requestsPerTargetPerMinute ?? 1000;
    const internetFacing = props.internetFacing ?? true;
    const taskSubnets = props.taskSubnets ?? { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS };
    const loadBalancerSubnets = props.loadBalancerSubnets ?? { subnetType: internetFacing ? ec2.SubnetType.PUBLIC : ec2.SubnetType.PRIVATE_WITH_EGRESS };
    const livenessCommand = props.livenessCommand;
    const user = (props.user ?? ContainerUser.of('1000:1000')).user;
    const readonlyRootFilesystem = props.readonlyRootFilesystem ?? true;
    const accessLogExpirationDays = props.accessLogExpirationDays ?? 90;
    const deletionProtection = props.deletionProtection ?? true;
    const strategy = props.deployment?.strategy ?? ecs.DeploymentStrategy.CANARY;
    const trafficShifting = strategy !== ecs.DeploymentStrategy.ROLLING;
    const trafficStepPercent = props.deployment?.trafficStepPercent ?? (strategy === ecs.DeploymentStrategy.LINEAR ? 25 : 10);
    const stepBakeTime = props.deployment?.stepBakeTime ?? Duration.minutes(5);
    const bakeTime = props.deployment?.bakeTime ?? Duration.minutes(10);

    // Validate early, skipping tokens: a message that names the prop, the value and what is allowed.
    const zoneCount = props.vpc.selectSubnets(taskSubnets).availabilityZones.length;
    checkInt('containerPort', containerPort, PORT_RANGE.min, PORT_RANGE.max);
    checkInt('healthCheck.healthyThreshold', healthyThreshold, 2, 10);
    checkInt('healthCheck.unhealthyThreshold', unhealthyThreshold, 2, 10);
    checkDuration('healthCheck.interval', interval, 'seconds', 5, 300);
    checkDuration('healthCheck.timeout', timeout, 'seconds', 2, 120);
    if (!interval.isUnresolved() && !timeout.isUnresolved() && timeout.toSeconds() >= interval.toSeconds()) {
      throw new Error(`healthCheck.timeout must be shorter than healthCheck.interval (${interval.toSeconds()} s), got ${timeout.toSeconds()} s`);
    }
    checkDuration('deregistrationDelay', deregistrationDelay, 'seconds', 0, 3600);
    checkDuration('stopTimeout', stopTimeout, 'seconds', 2, 120);
    checkInt('desiredCount', desiredCount, 0, 5000);
    if (!Token.isUnresolved(desiredCount) && desiredCount !== 0 && desiredCount < zoneCount) {
      throw new Error(
        `desiredCount must be at least the number of Availability Zones of the task subnets (${zoneCount}) so every zone runs a task, or 0 for a pilot-light standby, got ${desiredCount}`,
      );
    }
    const maxCount = props.maxCount ?? (desiredCount === 0 ? zoneCount : desiredCount) * 4;
    checkInt('maxCount', maxCount, Math.max(desiredCount, zoneCount), 5000);
    checkInt('targetCpuUtilizationPercent', targetCpu, 10, 90);
    checkInt('requestsPerTargetPerMinute', requestsPerTarget, 1, 1_000_000);
    checkInt('accessLogExpirationDays', accessLogExpirationDays, 1, 3650);
    if (!Token.isUnresolved(healthyHttpCodes) && !/^\d{3}(-\d{3})?(,\d{3}(-\d{3})?)*$/.test(healthyHttpCodes)) {
      throw new Error(`healthCheck.healthyHttpCodes must be HTTP codes such as "200", "200,204" or "200-299", got ${JSON.stringify(healthyHttpCodes)}`);
    }
    if (livenessCommand && livenessCommand.length === 0) {
      throw new Error('livenessCommand must hold a command such as ["CMD", "node", "healthcheck.js"], got an empty list');
    }
    if (strategy === ecs.DeploymentStrategy.CANARY) checkStepPercent('deployment.trafficStepPercent', trafficStepPercent, 0.1);
    if (strategy === ecs.DeploymentStrategy.LINEAR) checkStepPercent('deployment.trafficStepPercent', trafficStepPercent, 3);
    checkMinutes('deployment.stepBakeTime', stepBakeTime);
    checkMinutes('deployment.bakeTime', bakeTime);
    if (props.deployment?.bakeTime !== undefined && !trafficShifting) {
      throw new Error('deployment.bakeTime needs a CANARY, LINEAR or BLUE_GREEN deployment.strategy (ECS bakes only while both revisions run), got ROLLING');
    }
    if (zoneCount < 2) {
      Annotations.of(this).addWarningV2('ha:singleZoneService', `the task subnets span ${zoneCount} Availability Zone: the service does not survive the loss of that zone`);
    }

    const encryptionKey =
      props.encryptionKey ??
      newEncryptionKey(this, 'Key', 'Encrypts the service logs');
    allowCloudWatchLogsToUseKey(encryptionKey);

    this.cluster =
      props.cluster ??
      new ecs.Cluster(this, 'Cluster', {
        vpc: props.vpc,
        containerInsightsV2: ecs.ContainerInsights.ENHANCED,
      });

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      encryptionKey,
      retention: props.logRetention ?? logs.RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.taskDefinition = new ecs.FargateTaskDefinition(this, 'Task', {
      cpu,
      memoryLimitMiB,
      runtimePlatform: {
        cpuArchitecture: props.cpuArchitecture ?? ecs.CpuArchitecture.X86_64,
        operatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
      },
    });
    // The root filesystem is read-only; /tmp is the one writable place, on task storage. ECS creates the bind
    // volume owned by root 0755 unless the image declares /tmp with VOLUME (owned by the task's user).
    this.taskDefinition.addVolume({ name: 'tmp' });

    this.container = this.taskDefinition.addContainer('App', {
      image: props.image,
      essential: true,
      // A hard limit equal to the task's memory: the container may use all of it, and a leak ends in this
      // container being stopped (OOM, exit 137, replaced) rather than in an unbounded claim on the task.
      memoryLimitMiB,
      readonlyRootFilesystem,
      user,
      portMappings: [{ containerPort, protocol: ecs.Protocol.TCP }],
      environment: props.environment,
      secrets: props.secrets,
      stopTimeout,
      healthCheck: livenessCommand
        ? {
            command: livenessCommand,
            interval: Duration.seconds(10),
            timeout: Duration.seconds(5),
            retries: 3,
            startPeriod: Duration.seconds(30),
          }
        : undefined,
      logging: ecs.LogDrivers.awsLogs({
        logGroup: this.logGroup,
        streamPrefix: 'app',
        // Never block the application on a slow log pipeline; the buffer absorbs bursts.
        mode: ecs.AwsLogDriverMode.NON_BLOCKING,
        maxBufferSize: Size.mebibytes(25),
      }),
    });
    this.container.addMountPoints({ containerPath: '/tmp', sourceVolume: 'tmp', readOnly: false });
    const executionPolicy = this.taskDefinition.executionRole?.node.tryFindChild('DefaultPolicy');
    if (executionPolicy) {
      Validations.of(executionPolicy).acknowledge({
        id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
        reason: 'ecr:GetAuthorizationToken has no resource-level permissions (IAM reference for Amazon ECR); every other action of the execution role is scoped to one repository or log group',
      });
    }

    this.loadBalancerSecurityGroup = new ec2.SecurityGroup(this, 'LoadBalancerSecurityGroup', {
      vpc: props.vpc,
      description: internetFacing
        ? 'Internet-facing load balancer: HTTP and HTTPS in, the service port out'
        : 'Internal load balancer: HTTP and HTTPS from the VPC, the service port out',
      allowAllOutbound: false,
    });
    this.serviceSecurityGroup = new ec2.SecurityGroup(this, 'ServiceSecurityGroup', {
      vpc: props.vpc,
      description: 'Service tasks: only the load balancer may connect',
      allowAllOutbound: true,
    });
    if (internetFacing) {
      this.loadBalancerSecurityGroup.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS from the internet');
      this.loadBalancerSecurityGroup.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(80), 'HTTP from the internet (redirected or served)');
      Validations.of(this.loadBalancerSecurityGroup).acknowledge({
        id: 'AwsSolutions::AwsSolutions-EC23',
        reason: 'internet-facing load balancer: it must accept 80 and 443 from any address; it accepts no other port and forwards only to the service port',
      });
    } else {
      const vpcRange = ec2.Peer.ipv4(props.vpc.vpcCidrBlock);
      this.loadBalancerSecurityGroup.addIngressRule(vpcRange, ec2.Port.tcp(443), 'HTTPS from the VPC');
      this.loadBalancerSecurityGroup.addIngressRule(vpcRange, ec2.Port.tcp(80), 'HTTP from the VPC (redirected or served)');
      if (Token.isUnresolved(props.vpc.vpcCidrBlock)) {
        // cdk-nag reports a rule it cannot evaluate as an error; here it meets a reference, not an open range.
        Validations.of(this.loadBalancerSecurityGroup).acknowledge({
          id: 'AwsSolutions::AwsSolutions-EC23',
          reason: "internal load balancer: 80 and 443 are open only to the VPC's own IPv4 range, a reference to the VPC's CidrBlock that cdk-nag cannot resolve at synth time; no rule allows 0.0.0.0/0",
        });
      }
    }
    this.serviceSecurityGroup.addIngressRule(this.loadBalancerSecurityGroup, ec2.Port.tcp(containerPort), 'Traffic and health checks from the load balancer');
    this.loadBalancerSecurityGroup.addEgressRule(this.serviceSecurityGroup, ec2.Port.tcp(containerPort), 'Forward to the service tasks');

    this.service = new ecs.FargateService(this, 'Service', {
      cluster: this.cluster,
      taskDefinition: this.taskDefinition,
      desiredCount,
      vpcSubnets: taskSubnets,
      securityGroups: [this.serviceSecurityGroup],
      assignPublicIp: false,
      // Never fewer healthy tasks than desired during a deployment; new ones start beside the old.
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      circuitBreaker: { enable: true, rollback: true },
      deploymentStrategy: strategy,
      bakeTime: trafficShifting ? bakeTime : undefined,
      canaryConfiguration:
        strategy === ecs.DeploymentStrategy.CANARY ? { stepPercent: trafficStepPercent, stepBakeTime } : undefined,
      linearConfiguration:
        strategy === ecs.DeploymentStrategy.LINEAR ? { stepPercent: trafficStepPercent, stepBakeTime } : undefined,
      healthCheckGracePeriod: Duration.seconds(60),
      enableECSManagedTags: true,
      propagateTags: ecs.PropagatedTagSource.SERVICE,
    });
    // Moves tasks back into a zone that recovers, so one zone does not end up carrying the service.
    (this.service.node.defaultChild as ecs.CfnService).availabilityZoneRebalancing = 'ENABLED';

    this.accessLogBucket = props.accessLogBucket ?? this.createAccessLogBucket(accessLogExpirationDays);

    this.loadBalancer = new elbv2.ApplicationLoadBalancer(this, 'LoadBalancer', {
      vpc: props.vpc,
      vpcSubnets: loadBalancerSubnets,
      internetFacing,
      securityGroup: this.loadBalancerSecurityGroup,
      dropInvalidHeaderFields: true,
      deletionProtection,
      http2Enabled: true,
    });
    // Lets ARC zonal shift (manual or autoshift) move traffic out of an impaired zone.
    this.loadBalancer.setAttribute('zonal_shift.config.enabled', 'true');
    this.loadBalancer.logAccessLogs(this.accessLogBucket, 'alb');

    const newTargetGroup = (id: string) =>
      new elbv2.ApplicationTargetGroup(this, id, {
        vpc: props.vpc,
        port: containerPort,
        protocol: elbv2.ApplicationProtocol.HTTP,
        targetType: elbv2.TargetType.IP,
        deregistrationDelay,
        healthCheck: {
          path: healthPath,
          protocol: elbv2.Protocol.HTTP,
          interval,
          timeout,
          healthyThresholdCount: healthyThreshold,
          unhealthyThresholdCount: unhealthyThreshold,
          healthyHttpCodes,
        },
      });
    this.targetGroup = newTargetGroup('TargetGroup');
    this.alternateTargetGroup = trafficShifting ? newTargetGroup('AlternateTargetGroup') : undefined;
    this.targetGroups = this.alternateTargetGroup ? [this.targetGroup, this.alternateTargetGroup] : [this.targetGroup];
    this.deploymentStrategy = strategy;
    this.bakeTimeMinutes = trafficShifting ? bakeTime.toMinutes() : 0;

    // With traffic shifting, production goes through one listener rule whose forward weights ECS moves between the
    // two target groups; the listener's default action is never reached (the rule matches every path). ECS does not
    // support a production rule that mixes forward with other actions, so the rule only forwards; fixed responses the
    // stack adds (a hidden path) are rules of their own.
    // https://docs.aws.amazon.com/AmazonECS/latest/developerguide/alb-resources-for-blue-green.html
    const defaultAction = trafficShifting
      ? elbv2.ListenerAction.fixedResponse(503, {
          contentType: 'application/json',
          messageBody: JSON.stringify({ error: { code: 'no_route', message: 'no production rule matched' } }),
        })
      : undefined;
    const defaultTargetGroups = trafficShifting ? undefined : [this.targetGroup];

    if (props.certificate) {
      this.listener = this.loadBalancer.addListener('Https', {
        port: 443,
        protocol: elbv2.ApplicationProtocol.HTTPS,
        certificates: [props.certificate],
        sslPolicy: elbv2.SslPolicy.RECOMMENDED_TLS,
        open: false,
        defaultTargetGroups,
        defaultAction,
      });
      this.loadBalancer.addListener('HttpRedirect', {
        port: 80,
        protocol: elbv2.ApplicationProtocol.HTTP,
        open: false,
        defaultAction: elbv2.ListenerAction.redirect({ protocol: 'HTTPS', port: '443', permanent: true }),
      });
    } else {
      Annotations.of(this).addWarningV2(
        'ha:httpOnly',
        'no certificate given: the load balancer serves plain HTTP on port 80. Pass `certificate` to serve HTTPS and redirect HTTP.',
      );
      this.listener = this.loadBalancer.addListener('Http', {
        port: 80,
        protocol: elbv2.ApplicationProtocol.HTTP,
        open: false,
        defaultTargetGroups,
        defaultAction,
      });
    }

    if (this.alternateTargetGroup) {
      const alternate = this.alternateTargetGroup;
      this.productionListenerRule = new elbv2.ApplicationListenerRule(this, 'ProductionRule', {
        listener: this.listener,
        // The last priority ALB allows, so a caller's own rules (1-49999) are evaluated first.
        priority: 50000,
        conditions: [elbv2.ListenerCondition.pathPatterns(['/*'])],
        action: elbv2.ListenerAction.weightedForward([
          { targetGroup: this.targetGroup, weight: 100 },
          { targetGroup: alternate, weight: 0 },
        ]),
      });
      this.deploymentRole = this.createDeploymentRole(this.listener, this.productionListenerRule, [this.targetGroup, alternate]);
      this.targetGroup.addTarget(
        this.service.loadBalancerTarget({
          containerName: this.container.containerName,
          containerPort,
          alternateTarget: new ecs.AlternateTarget('AlternateTarget', {
            alternateTargetGroup: alternate,
            productionListener: ecs.ListenerRuleConfiguration.applicationListenerRule(this.productionListenerRule),
            role: this.deploymentRole,
          }),
        }),
      );
    } else {
      this.targetGroup.addTarget(this.service);
    }

    this.desiredCount = desiredCount;
    this.scaling = this.service.autoScaleTaskCount({ minCapacity: desiredCount, maxCapacity: maxCount });
    this.scaling.scaleOnCpuUtilization('Cpu', {
      targetUtilizationPercent: targetCpu,
      scaleOutCooldown: Duration.seconds(60),
      scaleInCooldown: Duration.seconds(300),
    });
    // One request policy per target group: production alternates between them, and target tracking scales out when
    // any policy asks. A target group without targets publishes no RequestCountPerTarget; Application Auto Scaling
    // scales in only when every policy agrees, so the idle one may hold scale-in back (over-provisioned, never short).
    this.targetGroups.forEach((targetGroup, i) =>
      this.scaling.scaleOnRequestCount(i === 0 ? 'Requests' : 'RequestsAlternate', {
        requestsPerTarget,
        targetGroup,
        scaleOutCooldown: Duration.seconds(60),
        scaleInCooldown: Duration.seconds(300),
      }),
    );
  }

  /**
   * The role ECS assumes during a traffic-shifting deployment, scoped to this service's listener, rule and target
   * groups (the actions of the AWS managed policy AmazonECSInfrastructureRolePolicyForLoadBalancers, without its
   * account-wide resources).
   * https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AmazonECSInfrastructureRolePolicyForLoadBalancers.html
   */
  private createDeploymentRole(
    listener: elbv2.ApplicationListener,
    rule: elbv2.ApplicationListenerRule,
    targetGroups: elbv2.ApplicationTargetGroup[],
  ): iam.Role {
    const role = new iam.Role(this, 'DeploymentRole', {
      assumedBy: new iam.ServicePrincipal('ecs.amazonaws.com'),
      description: 'Assumed by ECS during canary, linear and blue/green deployments of this service: registers tasks and moves the production rule weights',
    });
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'DescribeLoadBalancing',
        actions: [
          'elasticloadbalancing:DescribeListeners',
          'elasticloadbalancing:DescribeRules',
          'elasticloadbalancing:DescribeTargetGroups',
          'elasticloadbalancing:DescribeTargetHealth',
        ],
        resources: ['*'],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'RegisterTasks',
        actions: ['elasticloadbalancing:RegisterTargets', 'elasticloadbalancing:DeregisterTargets'],
        resources: targetGroups.map((tg) => tg.targetGroupArn),
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ShiftTraffic',
        actions: ['elasticloadbalancing:ModifyListener', 'elasticloadbalancing:ModifyRule'],
        resources: [listener.listenerArn, rule.listenerRuleArn],
      }),
    );
    const policy = role.node.tryFindChild('DefaultPolicy');
    if (policy) {
      Validations.of(policy).acknowledge({
        id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
        reason:
          'the four elasticloadbalancing:Describe* actions have no resource-level permissions (Service Authorization Reference for Elastic Load Balancing V2); registering tasks and moving weights are scoped to this service\'s two target groups, listener and production rule',
      });
    }
    return role;
  }

  /** The access-log bucket this construct owns: SSE-S3 (load balancer access logs do not support SSE-KMS), TLS only. */
  private createAccessLogBucket(expirationDays: number): s3.Bucket {
    const bucket = new s3.Bucket(this, 'AccessLogs', {
      // Load balancer access logs support SSE-S3 only, not SSE-KMS.
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: true,
      lifecycleRules: [
        { expiration: Duration.days(expirationDays), noncurrentVersionExpiration: Duration.days(7) },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(bucket).acknowledge({
      id: 'AwsSolutions::AwsSolutions-S1',
      reason: 'this bucket holds the load balancer access logs, which record every request; logging access to the log bucket itself would need a further bucket with the same finding',
    });
    return bucket;
  }
}
