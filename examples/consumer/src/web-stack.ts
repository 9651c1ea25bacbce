/**
 * A web service on a VPC the platform team already runs: the constructs take the imported VPC, a public
 * image with its own port and health path, this team's topics, and build only the drills asked for.
 */
import { Duration, Stack, StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { ChaosExperiments, ContainerUser, MultiAzDatabase, ResilientFargateService, SloAlarms } from '@ha-reference/constructs';

/** The existing network, as the platform team publishes it (three zones; public, private and isolated subnets). */
export const NETWORK = {
  vpcId: 'vpc-0a1b2c3d4e5f60718',
  vpcCidrBlock: '10.20.0.0/16',
  availabilityZones: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'],
  publicSubnetIds: ['subnet-0a000000000000001', 'subnet-0a000000000000002', 'subnet-0a000000000000003'],
  privateSubnetIds: ['subnet-0b000000000000001', 'subnet-0b000000000000002', 'subnet-0b000000000000003'],
  isolatedSubnetIds: ['subnet-0c000000000000001', 'subnet-0c000000000000002', 'subnet-0c000000000000003'],
};

/** The image, its port and the path the load balancer probes. */
export const IMAGE = 'public.ecr.aws/nginx/nginx:stable';
export const PORT = 80;
/** A file nginx serves out of the box: a 200 means nginx itself answers, not only that the port is open. */
export const HEALTH_PATH = '/index.html';
export const HEALTHY_CODES = '200-299';
/** The platform team's ticket topic, in this account. */
export const TICKET_TOPIC_ARN = 'arn:aws:sns:eu-west-1:123456789012:platform-tickets';

export class WebStack extends Stack {
  constructor(scope: Construct, id: string, props: StackProps) {
    super(scope, id, props);

    const vpc = ec2.Vpc.fromVpcAttributes(this, 'Vpc', NETWORK);

    const web = new ResilientFargateService(this, 'Web', {
      vpc,
      image: ecs.ContainerImage.fromRegistry(IMAGE),
      containerPort: PORT,
      // nginx starts as root (it binds port 80, then drops to its worker user) and writes its cache under /var.
      user: ContainerUser.FROM_IMAGE,
      readonlyRootFilesystem: false,
      healthCheck: { path: HEALTH_PATH, healthyHttpCodes: HEALTHY_CODES },
      cpu: 256,
      memoryLimitMiB: 512,
      desiredCount: 3,
      maxCount: 9,
    });

    const database = new MultiAzDatabase(this, 'Database', {
      vpc,
      instanceClass: 'db.m7g.large',
      backupRetention: Duration.days(7),
    });
    database.allowConnectionsFrom(web.serviceSecurityGroup, 'PostgreSQL from the web tasks');

    // This team's pager topic, with its own key that CloudWatch may use, and the platform's ticket topic.
    const pagerKey = new kms.Key(this, 'PagerKey', { enableKeyRotation: true, description: 'Encrypts the web team pager topic' });
    pagerKey.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
      }),
    );
    const pager = new sns.Topic(this, 'Pager', { masterKey: pagerKey, enforceSSL: true, displayName: 'web pager' });
    pager.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [pager.topicArn],
        conditions: { StringEquals: { 'aws:SourceAccount': this.account } },
      }),
    );
    pager.addSubscription(new subscriptions.EmailSubscription('web-oncall@example.com'));
    const tickets = sns.Topic.fromTopicArn(this, 'Tickets', TICKET_TOPIC_ARN);

    const slo = new SloAlarms(this, 'Slo', {
      loadBalancer: web.loadBalancer,
      targetGroup: web.targetGroup,
      service: web.service,
      slo: { availability: { target: 0.995 }, latency: { target: 0.99, thresholdMs: 500 } },
      pageTopic: pager,
      ticketTopic: tickets,
    });

    // Two drills, started by hand: lose a task, fail the database over. No zone drill, no schedule.
    new ChaosExperiments(this, 'Chaos', {
      stopConditionAlarms: [slo.availability.tier('Fast').longWindow],
      service: web.service,
      database: { instanceArn: database.resourceArn },
    });
  }
}
