import { App, Duration, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { MultiAzNetwork, ResilientFargateService, ResilientFargateServiceProps } from '@ha-reference/constructs';
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

    it('checks container liveness, stops within the stop timeout, runs non-root on a read-only root filesystem', () => {
      template.hasResourceProperties('AWS::ECS::TaskDefinition', {
        Cpu: '512',
        Memory: '1024',
        ContainerDefinitions: [
          Match.objectLike({
            ReadonlyRootFilesystem: true,
            User: '1000:1000',
            StopTimeout: 30,
            HealthCheck: Match.objectLike({ Command: ['CMD-SHELL', 'curl -fsS http://localhost:8080/health/live || exit 1'], Retries: 3 }),
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

    it('takes a dead task out of rotation within 10 s: readiness path every 5 s, 2 failures', () => {
      template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
        TargetType: 'ip',
        Port: 8080,
        HealthCheckPath: '/health/ready',
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
      template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
        Port: 80,
        Protocol: 'HTTP',
        DefaultActions: [Match.objectLike({ Type: 'forward' })],
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
      DefaultActions: [Match.objectLike({ Type: 'forward' })],
    });
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
  ])('%j', (props, message) => {
    expect(() => build(props as Partial<ResilientFargateServiceProps>)).toThrow(message);
  });
});
