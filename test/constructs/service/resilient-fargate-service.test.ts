import { App, Duration, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { ContainerUser, MultiAzNetwork, ResilientFargateService, ResilientFargateServiceProps } from '@ha-reference/constructs';
import { Annotations, newApp, newStack } from '../../support/synth';

const ZONES = ['us-east-1a', 'us-east-1b', 'us-east-1c'];
const IMAGE = ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/nginx:stable');

function build(props: Partial<ResilientFargateServiceProps> = {}, app: App = newApp()) {
  const stack = newStack(app);
  const network = new MultiAzNetwork(stack, 'Network', { availabilityZones: ZONES });
  const service = new ResilientFargateService(stack, 'Service', {
    vpc: network.vpc,
    taskSubnets: network.appSubnets,
    loadBalancerSubnets: network.publicSubnets,
    image: IMAGE,
    ...props,
  });
  return { stack, network, service, template: Template.fromStack(stack) };
}

function attributes(template: Template, type: string, key: string): Record<string, string> {
  const [resource] = Object.values(template.findResources(type));
  return Object.fromEntries((resource.Properties[key] as Array<{ Key: string; Value: string }>).map((a) => [a.Key, a.Value]));
}

describe('ResilientFargateService with defaults', () => {
  let stack: Stack;
  let network: MultiAzNetwork;
  let service: ResilientFargateService;
  let template: Template;

  beforeAll(() => {
    ({ stack, network, service, template } = build());
  });

  describe('tasks', () => {
    it('runs 3 tasks in the private subnets of all three zones, without public IPs', () => {
      const appSubnets = network.vpc.selectSubnets(network.appSubnets).subnetIds.map((id) => stack.resolve(id));
      template.hasResourceProperties('AWS::ECS::Service', {
        LaunchType: 'FARGATE',
        DesiredCount: 3,
        NetworkConfiguration: { AwsvpcConfiguration: { AssignPublicIp: 'DISABLED', Subnets: appSubnets } },
      });
      expect(appSubnets).toHaveLength(3);
    });

    it('deploys with 100 % minimum healthy, 200 % maximum and a circuit breaker that rolls back', () => {
      template.hasResourceProperties('AWS::ECS::Service', {
        DeploymentConfiguration: {
          MinimumHealthyPercent: 100,
          MaximumPercent: 200,
          DeploymentCircuitBreaker: { Enable: true, Rollback: true },
        },
      });
    });

    it('rebalances tasks across zones when a zone recovers', () => {
      template.hasResourceProperties('AWS::ECS::Service', { AvailabilityZoneRebalancing: 'ENABLED' });
    });

    it('runs on a cluster with Container Insights', () => {
      template.hasResourceProperties('AWS::ECS::Cluster', {
        ClusterSettings: [{ Name: 'containerInsights', Value: 'enhanced' }],
      });
    });

    it('stops within the stop timeout, runs non-root on a read-only root filesystem, with no container health check of its own', () => {
      template.hasResourceProperties('AWS::ECS::TaskDefinition', {
        Cpu: '512',
        Memory: '1024',
        ContainerDefinitions: [
          Match.objectLike({
            ReadonlyRootFilesystem: true,
            User: '1000:1000',
            StopTimeout: 30,
            HealthCheck: Match.absent(),
            MountPoints: [{ ContainerPath: '/tmp', SourceVolume: 'tmp', ReadOnly: false }],
            PortMappings: [Match.objectLike({ ContainerPort: 8080 })],
          }),
        ],
        Volumes: [{ Name: 'tmp' }],
      });
    });

    it('logs to an encrypted log group with a retention, without blocking the application', () => {
      const logGroup = stack.resolve(service.logGroup.logGroupName);
      template.hasResourceProperties('AWS::ECS::TaskDefinition', {
        ContainerDefinitions: [
          Match.objectLike({
            LogConfiguration: { LogDriver: 'awslogs', Options: Match.objectLike({ 'awslogs-group': logGroup, mode: 'non-blocking' }) },
          }),
        ],
      });
      template.hasResourceProperties('AWS::Logs::LogGroup', {
        RetentionInDays: 90,
        KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('ServiceKey'), 'Arn'] },
      });
    });
  });

  describe('load balancer', () => {
    it('is internet-facing in the public subnets of all three zones', () => {
      const publicSubnets = network.vpc.selectSubnets(network.publicSubnets).subnetIds.map((id) => stack.resolve(id));
      template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
        Scheme: 'internet-facing',
        Type: 'application',
        Subnets: publicSubnets,
      });
      expect(publicSubnets).toHaveLength(3);
    });

    it('drops invalid headers, is deletion-protected, allows zonal shift and logs access', () => {
      const attrs = attributes(template, 'AWS::ElasticLoadBalancingV2::LoadBalancer', 'LoadBalancerAttributes');
      expect(attrs).toMatchObject({
        'routing.http.drop_invalid_header_fields.enabled': 'true',
        'deletion_protection.enabled': 'true',
        'zonal_shift.config.enabled': 'true',
        'access_logs.s3.enabled': 'true',
      });
    });

    it('takes a dead task out of rotation within 10 s: a probe every 5 s, 2 failures', () => {
      template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
        TargetType: 'ip',
        Port: 8080,
        HealthCheckPath: '/',
        HealthCheckIntervalSeconds: 5,
        HealthCheckTimeoutSeconds: 4,
        HealthyThresholdCount: 2,
        UnhealthyThresholdCount: 2,
        Matcher: { HttpCode: '200' },
      });
      const [tg] = Object.values(template.findResources('AWS::ElasticLoadBalancingV2::TargetGroup'));
      expect(tg.Properties.HealthCheckIntervalSeconds * tg.Properties.UnhealthyThresholdCount).toBeLessThanOrEqual(10);
    });

    it('drains a stopping task for 30 s, not the AWS default of 300 s', () => {
      expect(attributes(template, 'AWS::ElasticLoadBalancingV2::TargetGroup', 'TargetGroupAttributes')).toMatchObject({
        'deregistration_delay.timeout_seconds': '30',
      });
    });

    it('serves plain HTTP without a certificate, and warns about it', () => {
      template.resourceCountIs('AWS::ElasticLoadBalancingV2::Listener', 1);
      // Production goes through the canary's weighted rule; the default action answers only what no rule matches.
      template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
        Port: 80,
        Protocol: 'HTTP',
        DefaultActions: [Match.objectLike({ Type: 'fixed-response', FixedResponseConfig: Match.objectLike({ StatusCode: '503' }) })],
      });
      template.hasResourceProperties('AWS::ElasticLoadBalancingV2::ListenerRule', {
        Priority: 50000,
        Actions: [Match.objectLike({ Type: 'forward' })],
      });
      Annotations.fromStack(stack).hasWarning('/Test/Service', Match.stringLikeRegexp('no certificate given'));
    });

    it('writes access logs to a TLS-only, encrypted, private bucket that expires them', () => {
      template.hasResourceProperties('AWS::S3::Bucket', {
        BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
        LifecycleConfiguration: { Rules: [Match.objectLike({ ExpirationInDays: 90, Status: 'Enabled' })] },
      });
      template.hasResourceProperties('AWS::S3::BucketPolicy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
    });
  });

  describe('security groups', () => {
    it('let the internet reach the load balancer on 80 and 443 only', () => {
      const lbGroup = stack.resolve(service.loadBalancerSecurityGroup.securityGroupId);
      const [group] = Object.entries(template.findResources('AWS::EC2::SecurityGroup')).filter(([id]) => id === lbGroup['Fn::GetAtt'][0]).map(([, r]) => r);
      const ingress = group.Properties.SecurityGroupIngress.map((r: { FromPort: number; ToPort: number; CidrIp: string }) => [r.CidrIp, r.FromPort, r.ToPort]);
      expect(ingress).toEqual(expect.arrayContaining([['0.0.0.0/0', 443, 443], ['0.0.0.0/0', 80, 80]]));
      expect(ingress).toHaveLength(2);
    });

    it('let only the load balancer reach the tasks, on the container port', () => {
      const lbGroup = stack.resolve(service.loadBalancerSecurityGroup.securityGroupId);
      const serviceGroup = stack.resolve(service.serviceSecurityGroup.securityGroupId);
      const rules = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress')).filter(
        (r) => JSON.stringify(r.Properties.GroupId) === JSON.stringify(serviceGroup),
      );
      expect(rules.map((r) => [r.Properties.SourceSecurityGroupId, r.Properties.FromPort, r.Properties.ToPort])).toEqual([[lbGroup, 8080, 8080]]);
      const [serviceGroupResource] = Object.entries(template.findResources('AWS::EC2::SecurityGroup')).filter(([id]) => id === serviceGroup['Fn::GetAtt'][0]).map(([, r]) => r);
      expect(serviceGroupResource.Properties.SecurityGroupIngress).toBeUndefined();
    });
  });

  describe('autoscaling', () => {
    it('never scales below the desired count', () => {
      template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', { MinCapacity: 3, MaxCapacity: 12 });
    });

    it('tracks CPU and requests per target', () => {
      template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
        PolicyType: 'TargetTrackingScaling',
        TargetTrackingScalingPolicyConfiguration: Match.objectLike({
          PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' },
          TargetValue: 60,
        }),
      });
      template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
        TargetTrackingScalingPolicyConfiguration: Match.objectLike({
          PredefinedMetricSpecification: Match.objectLike({ PredefinedMetricType: 'ALBRequestCountPerTarget' }),
          TargetValue: 1000,
        }),
      });
    });
  });
});

describe('ResilientFargateService for an image of its own', () => {
  function container(template: Template) {
    const [task] = Object.values(template.findResources('AWS::ECS::TaskDefinition'));
    return task.Properties.ContainerDefinitions[0];
  }

  it('runs a liveness command when given one', () => {
    const { template } = build({ livenessCommand: ['CMD', 'node', 'healthcheck.js'] });
    expect(container(template).HealthCheck).toEqual({ Command: ['CMD', 'node', 'healthcheck.js'], Interval: 10, Timeout: 5, Retries: 3, StartPeriod: 30 });
  });

  it("runs as the image's own user on a writable root filesystem when told to (the public nginx image)", () => {
    const { template } = build({ user: ContainerUser.FROM_IMAGE, readonlyRootFilesystem: false, containerPort: 80 });
    expect(container(template).User).toBeUndefined();
    expect(container(template).ReadonlyRootFilesystem).toBe(false);
    expect(container(template).PortMappings).toEqual([expect.objectContaining({ ContainerPort: 80 })]);
  });

  it('runs as the given user', () => {
    const { template } = build({ user: ContainerUser.of('101:101') });
    expect(container(template).User).toBe('101:101');
  });

  it('probes the given path and counts the given codes as healthy', () => {
    const { template } = build({ healthCheck: { path: '/healthz', healthyHttpCodes: '200-299' } });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', { HealthCheckPath: '/healthz', Matcher: { HttpCode: '200-299' } });
  });
});

describe('ResilientFargateService with existing resources', () => {
  it('runs in an existing cluster and creates none', () => {
    const app = newApp();
    const stack = newStack(app);
    const network = new MultiAzNetwork(stack, 'Network', { availabilityZones: ZONES });
    const cluster = new ecs.Cluster(stack, 'Shared', { vpc: network.vpc });
    const service = new ResilientFargateService(stack, 'Service', { vpc: network.vpc, image: IMAGE, cluster });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::ECS::Cluster', 1);
    template.hasResourceProperties('AWS::ECS::Service', { Cluster: stack.resolve(cluster.clusterName) });
    expect(service.cluster).toBe(cluster);
  });

  it('writes access logs to an existing bucket and creates none', () => {
    const app = newApp();
    const stack = newStack(app);
    const network = new MultiAzNetwork(stack, 'Network', { availabilityZones: ZONES });
    const bucket = s3.Bucket.fromBucketName(stack, 'Logs', 'central-alb-logs');
    const service = new ResilientFargateService(stack, 'Service', { vpc: network.vpc, image: IMAGE, accessLogBucket: bucket });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::S3::Bucket', 0);
    expect(attributes(template, 'AWS::ElasticLoadBalancingV2::LoadBalancer', 'LoadBalancerAttributes')).toMatchObject({
      'access_logs.s3.enabled': 'true',
      'access_logs.s3.bucket': 'central-alb-logs',
    });
    expect(service.accessLogBucket).toBe(bucket);
  });

  it('serves an imported VPC', () => {
    const app = newApp();
    const stack = newStack(app);
    const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', {
      vpcId: 'vpc-0a1b2c3d4e5f60718',
      vpcCidrBlock: '10.10.0.0/16',
      availabilityZones: ZONES,
      publicSubnetIds: ['subnet-0000000000000000a', 'subnet-0000000000000000b', 'subnet-0000000000000000c'],
      privateSubnetIds: ['subnet-1000000000000000a', 'subnet-1000000000000000b', 'subnet-1000000000000000c'],
    });
    new ResilientFargateService(stack, 'Service', { vpc, image: IMAGE });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::ECS::Service', {
      NetworkConfiguration: { AwsvpcConfiguration: Match.objectLike({ Subnets: ['subnet-1000000000000000a', 'subnet-1000000000000000b', 'subnet-1000000000000000c'] }) },
    });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      Subnets: ['subnet-0000000000000000a', 'subnet-0000000000000000b', 'subnet-0000000000000000c'],
    });
  });
});

describe('ResilientFargateService with an internal load balancer', () => {
  let stack: Stack;
  let network: MultiAzNetwork;
  let service: ResilientFargateService;
  let template: Template;

  beforeAll(() => {
    const app = newApp();
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    stack = newStack(app);
    network = new MultiAzNetwork(stack, 'Network', { availabilityZones: ZONES });
    service = new ResilientFargateService(stack, 'Service', { vpc: network.vpc, image: IMAGE, internetFacing: false });
    template = Template.fromStack(stack);
    expect(() => app.synth()).not.toThrow();
  });

  it('is internal, in the private subnets of every zone', () => {
    const privateSubnets = network.vpc.selectSubnets({ subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS }).subnetIds.map((id) => stack.resolve(id));
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', { Scheme: 'internal', Subnets: privateSubnets });
    expect(privateSubnets).toHaveLength(3);
  });

  it('accepts 80 and 443 from the VPC only, never from the internet', () => {
    const lbGroup = stack.resolve(service.loadBalancerSecurityGroup.securityGroupId);
    const [group] = Object.entries(template.findResources('AWS::EC2::SecurityGroup')).filter(([id]) => id === lbGroup['Fn::GetAtt'][0]).map(([, r]) => r);
    const vpcCidr = stack.resolve(network.vpc.vpcCidrBlock);
    const ingress = group.Properties.SecurityGroupIngress.map((r: { FromPort: number; CidrIp: unknown }) => [r.CidrIp, r.FromPort]);
    expect(ingress).toEqual(expect.arrayContaining([[vpcCidr, 443], [vpcCidr, 80]]));
    expect(ingress).toHaveLength(2);
    expect(JSON.stringify(group.Properties.SecurityGroupIngress)).not.toContain('0.0.0.0/0');
  });
});

describe('ResilientFargateService with a certificate', () => {
  it('serves HTTPS with a modern policy and redirects HTTP to it', () => {
    const app = newApp();
    const stack = newStack(app);
    const network = new MultiAzNetwork(stack, 'Network', { availabilityZones: ZONES });
    const certificate = acm.Certificate.fromCertificateArn(stack, 'Cert', 'arn:aws:acm:us-east-1:111111111111:certificate/abc');
    new ResilientFargateService(stack, 'Service', { vpc: network.vpc, image: IMAGE, certificate });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 443,
      Protocol: 'HTTPS',
      Certificates: [{ CertificateArn: 'arn:aws:acm:us-east-1:111111111111:certificate/abc' }],
      SslPolicy: Match.stringLikeRegexp('^ELBSecurityPolicy-TLS13'),
      DefaultActions: [Match.objectLike({ Type: 'fixed-response' })],
    });
    // The production rule lives on the HTTPS listener.
    const https = Object.keys(template.findResources('AWS::ElasticLoadBalancingV2::Listener', { Properties: { Port: 443 } }))[0];
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::ListenerRule', { ListenerArn: { Ref: https }, Priority: 50000 });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 80,
      DefaultActions: [{ Type: 'redirect', RedirectConfig: { Protocol: 'HTTPS', Port: '443', StatusCode: 'HTTP_301' } }],
    });
    Annotations.fromStack(stack).hasNoWarning('/Test/Service', Match.anyValue());
  });
});

describe('ResilientFargateService under AwsSolutions checks', () => {
  it('synthesises with no unacknowledged finding', () => {
    const app = newApp();
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    build({}, app);
    expect(() => app.synth()).not.toThrow();
  });
});

describe('ContainerUser', () => {
  it('rejects what is not a user or user:group', () => {
    expect(() => ContainerUser.of('root; rm -rf /')).toThrow(/user must be a user or user:group, by name or id \(such as "1000:1000"\), got "root; rm -rf \/"/);
  });
});

describe('ResilientFargateService rejects impossible props', () => {
  it.each([
    [{ desiredCount: 2 }, /desiredCount must be at least the number of Availability Zones of the task subnets \(3\) .* got 2/],
    [{ desiredCount: 3, maxCount: 2 }, /maxCount must be an integer between 3 and 5000, got 2/],
    [{ healthCheck: { interval: Duration.seconds(5), timeout: Duration.seconds(5) } }, /healthCheck.timeout must be shorter than healthCheck.interval \(5 s\), got 5 s/],
    [{ healthCheck: { interval: Duration.seconds(1) } }, /healthCheck.interval must be a whole number of seconds from 5 to 300, got 1 seconds/],
    [{ healthCheck: { unhealthyThreshold: 1 } }, /healthCheck.unhealthyThreshold must be an integer between 2 and 10, got 1/],
    [{ stopTimeout: Duration.seconds(300) }, /stopTimeout must be a whole number of seconds from 2 to 120, got 300 seconds/],
    [{ deregistrationDelay: Duration.hours(2) }, /deregistrationDelay must be a whole number of seconds from 0 to 3600, got 7200 seconds/],
    [{ containerPort: 70000 }, /containerPort must be an integer between 1 and 65535, got 70000/],
    [{ targetCpuUtilizationPercent: 95 }, /targetCpuUtilizationPercent must be an integer between 10 and 90, got 95/],
    [{ healthCheck: { healthyHttpCodes: 'ok' } }, /healthCheck.healthyHttpCodes must be HTTP codes such as "200", "200,204" or "200-299", got "ok"/],
    [{ livenessCommand: [] }, /livenessCommand must hold a command/],
  ])('%j', (props, message) => {
    expect(() => build(props as Partial<ResilientFargateServiceProps>)).toThrow(message);
  });
});

describe('ResilientFargateService deployment strategies', () => {
  it('a rolling strategy forwards from the listener to one target group, with no bake', () => {
    const { template, service } = build({ deployment: { strategy: ecs.DeploymentStrategy.ROLLING } });
    template.resourceCountIs('AWS::ElasticLoadBalancingV2::TargetGroup', 1);
    template.resourceCountIs('AWS::ElasticLoadBalancingV2::ListenerRule', 0);
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', { DefaultActions: [Match.objectLike({ Type: 'forward' })] });
    template.hasResourceProperties('AWS::ECS::Service', { DeploymentConfiguration: Match.objectLike({ Strategy: 'ROLLING', BakeTimeInMinutes: Match.absent() }) });
    expect(service.alternateTargetGroup).toBeUndefined();
    expect(service.targetGroups).toHaveLength(1);
    expect(service.bakeTimeMinutes).toBe(0);
  });

  it('blue/green bakes with the given time and no traffic steps', () => {
    const { template } = build({ deployment: { strategy: ecs.DeploymentStrategy.BLUE_GREEN, bakeTime: Duration.minutes(15) } });
    template.hasResourceProperties('AWS::ECS::Service', {
      DeploymentConfiguration: Match.objectLike({ Strategy: 'BLUE_GREEN', BakeTimeInMinutes: 15, CanaryConfiguration: Match.absent(), LinearConfiguration: Match.absent() }),
    });
    template.resourceCountIs('AWS::ElasticLoadBalancingV2::TargetGroup', 2);
  });

  it.each([
    [{ strategy: ecs.DeploymentStrategy.CANARY, trafficStepPercent: 0 }, /deployment.trafficStepPercent must be between 0.1 and 100, got 0/],
    [{ strategy: ecs.DeploymentStrategy.CANARY, trafficStepPercent: 12.34 }, /deployment.trafficStepPercent must be a multiple of 0.1 .* got 12.34/],
    [{ strategy: ecs.DeploymentStrategy.LINEAR, trafficStepPercent: 2 }, /deployment.trafficStepPercent must be between 3 and 100, got 2/],
    [{ bakeTime: Duration.seconds(90) }, /deployment.bakeTime must be a whole number of minutes from 0 to 1440, got 1.5 minutes/],
    [{ stepBakeTime: Duration.days(2) }, /deployment.stepBakeTime must be a whole number of minutes from 0 to 1440, got 2880 minutes/],
    [{ strategy: ecs.DeploymentStrategy.ROLLING, bakeTime: Duration.minutes(5) }, /deployment.bakeTime needs a CANARY, LINEAR or BLUE_GREEN deployment.strategy/],
  ])('rejects %j', (deployment, message) => {
    expect(() => build({ deployment })).toThrow(message);
  });
});
