import { Annotations, CfnOutput, Duration, Fn, Stack, StackProps, Validations } from 'aws-cdk-lib';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import {
  AlarmTopic,
  CrossRegionReplica,
  DnsFailover,
  ExternalProbe,
  InfrastructureAlarms,
  MultiAzNetwork,
  RegionFailoverRunbook,
  ResilientFargateService,
  ServiceDashboard,
  SloAlarms,
} from '@ha-reference/constructs';
import { postgresMaxConnections } from '@ha-reference/constructs/pure';
import { HEALTH_PATHS } from '../app/src/contract';
import type { HaConfig } from './config';
import type { DisasterRecoveryTargets } from './dr-stack';
import { addService, addSloAlarms } from './service-tier';

/** What the DR site needs from the primary stack: values read with Fn::GetStackOutput at deploy time. */
export interface PrimarySource {
  /** Region of the primary stack. */
  readonly region: string;
  /** ARN of the primary DB instance: the source of the cross-region read replica. */
  readonly databaseArn: string;
  /** ARN of the primary's master secret: its replica in this region has the same ARN but for the region. */
  readonly databaseSecretArn: string;
  /** DNS name of the primary load balancer: what the canary probes from this region. */
  readonly loadBalancerDnsName: string;
}

export interface DrSiteStackProps extends StackProps {
  readonly config: HaConfig;
  /** The DR key (from the HaDr stack): encrypts the replica of the master secret. */
  readonly disasterRecovery: DisasterRecoveryTargets;
  /** The primary database and load balancer (from the HaPrimary stack). */
  readonly primary: PrimarySource;
  /**
   * Image of the service.
   * @default - built from app/Dockerfile by `cdk deploy`
   */
  readonly image?: ecs.ContainerImage;
}

/**
 * The standby site in the DR region for `dr.strategy` `pilot-light` and `warm-standby`: the network, a cross-region
 * read replica of the primary database, the service behind its own load balancer pointed at the replica (0 tasks for
 * pilot light; one per zone for warm standby, serving reads in read-only mode), its SLO alarms and dashboard, the
 * replica-lag alarm, and a paging topic in this region (so the page survives the primary region). Wiring only: the
 * logic lives in @ha-reference/constructs.
 *
 * Order: HaDr (key, vault) → HaPrimary (database, secret) → HaDrSite (replica of that database). The values from
 * HaPrimary are read with Fn::GetStackOutput, so there are no exports and no cycle; see docs/disaster-recovery.md.
 */
export class DrSiteStack extends Stack {
  public readonly network: MultiAzNetwork;
  public readonly replica: CrossRegionReplica;
  public readonly service: ResilientFargateService;
  public readonly slo: SloAlarms;
  /** Warm standby only: a pilot-light service has no task whose health could be watched. */
  public readonly infrastructureAlarms?: InfrastructureAlarms;
  public readonly dashboard: ServiceDashboard;
  public readonly alarmTopic: AlarmTopic;
  /** The canary here that probes the primary's readiness, and its paging alarm. */
  public readonly primaryProbe: ExternalProbe;
  /** With `dns` configured: the PRIMARY and SECONDARY records and the health check on the primary. */
  public readonly dnsFailover?: DnsFailover;
  /** The SSM Automation runbook that promotes the replica and scales the standby service, guarded against split brain. */
  public readonly failoverRunbook: RegionFailoverRunbook;

  /** Minutes between canary runs, and failed runs in a row that page: detection ≈ rate × failures. */
  public static readonly CANARY_RATE_MINUTES = 1;
  public static readonly CANARY_FAILURES_TO_ALARM = 3;

  /** Seconds of replica lag that page: the RPO a promotion would lose if the primary region died now. */
  public static readonly REPLICA_LAG_ALARM_SECONDS = 300;

  constructor(scope: Construct, id: string, props: DrSiteStackProps) {
    super(scope, id, props);
    const { config, disasterRecovery: dr, primary } = props;
    const zones = [...config.dr.availabilityZones];

    this.network = new MultiAzNetwork(this, 'Network', { availabilityZones: zones, natGateways: zones.length });

    this.replica = new CrossRegionReplica(this, 'Replica', {
      vpc: this.network.vpc,
      vpcSubnets: this.network.dataSubnets,
      sourceDatabaseArn: primary.databaseArn,
      sourceRegion: primary.region,
      port: config.database.port,
      instanceClass: config.dr.replicaInstanceClass,
      backupRetention: Duration.days(config.database.backupRetentionDays),
      lagAlarmThreshold: Duration.seconds(DrSiteStack.REPLICA_LAG_ALARM_SECONDS),
    });

    // The replica of the primary's master secret: same name and suffix, this region (Secrets Manager keeps the ARN
    // but for the region: https://docs.aws.amazon.com/secretsmanager/latest/userguide/replicate-secrets.html),
    // encrypted with the DR key. A rotation in the primary region reaches it by itself.
    const arn = (i: number) => Fn.select(i, Fn.split(':', primary.databaseSecretArn));
    const secret = secretsmanager.Secret.fromSecretAttributes(this, 'DatabaseSecret', {
      secretCompleteArn: Fn.join(':', [arn(0), arn(1), arn(2), this.region, arn(4), arn(5), arn(6)]),
      encryptionKey: kms.Key.fromKeyArn(this, 'DrKey', dr.replicationKeyArn),
    });

    const warm = config.dr.strategy === 'warm-standby';
    // What the primary serves, which the probe and the health check ask for.
    const protocol = config.certificateArn ? 'HTTPS' : 'HTTP';
    this.service = addService(this, {
      config,
      network: this.network,
      database: { hostname: this.replica.endpoint.hostname, port: this.replica.port, databaseName: config.database.databaseName, secret },
      // Warm standby: one task per zone, serving reads while the replica is read-only; pilot light: none until the
      // failover scales it.
      desiredCount: warm ? zones.length : 0,
      certificateArn: config.dr.certificateArn,
      image: props.image,
    });
    this.replica.allowConnectionsFrom(this.service.serviceSecurityGroup, 'PostgreSQL from the standby service tasks');
    if (!warm) {
      Validations.of(this.service.service).acknowledge({
        id: 'Resilience-ServiceTasksPerZone',
        reason: 'pilot light: the standby service runs no task until a regional failover scales it to the primary\'s capacity (docs/disaster-recovery.md)',
      });
    }

    Validations.of(this.service.loadBalancer).acknowledge({
      id: 'Resilience-ExternalProbe',
      reason:
        'standby site: users reach this load balancer only after a regional failover, when the runbook has promoted the replica ' +
        'and its own SLO alarms page from this region; a probe from the primary region would read this stack\'s output, which ' +
        'HaPrimary (deployed first) cannot, and losing this region before a failover costs no request',
    });

    this.alarmTopic = new AlarmTopic(this, 'Paging', {
      displayName: 'HA reference: DR region paging',
      emailAddresses: config.alarmEmail ? [config.alarmEmail] : [],
    });
    this.slo = addSloAlarms(this, this.service, config, this.alarmTopic.topic);
    this.replica.lagAlarm.addAlarmAction(new cloudwatchActions.SnsAction(this.alarmTopic.topic));
    if (warm) {
      const maxConnections = postgresMaxConnections(config.dr.replicaInstanceClass);
      this.infrastructureAlarms = new InfrastructureAlarms(this, 'InfrastructureAlarms', {
        loadBalancer: this.service.loadBalancer,
        targetGroup: this.service.targetGroup,
        alternateTargetGroup: this.service.alternateTargetGroup,
        service: this.service.service,
        availabilityZones: zones,
        database: this.replica,
        databaseMaxConnections: maxConnections === undefined ? undefined : Math.floor(0.8 * maxConnections),
        topic: this.slo.ticketTopic,
      });
    }
    this.dashboard = new ServiceDashboard(this, 'Dashboard', {
      slo: this.slo,
      loadBalancer: this.service.loadBalancer,
      targetGroup: this.service.targetGroup,
      alternateTargetGroup: this.service.alternateTargetGroup,
      service: this.service.service,
      availabilityZones: zones,
      database: this.replica,
      infrastructureAlarms: this.infrastructureAlarms,
      errorBudgetPolicy: 'docs/disaster-recovery.md',
    });

    // Monitoring from outside the region it watches: a canary here probes the primary's readiness endpoint every
    // minute; its alarm pages through this region's topic, so the page still goes out when the primary region is gone.
    const url = Fn.join('', [`${protocol.toLowerCase()}://`, primary.loadBalancerDnsName, HEALTH_PATHS.ready]);
    this.primaryProbe = new ExternalProbe(this, 'PrimaryProbe', {
      url,
      // Ask by the name users call (Host, and SNI over HTTPS): the certificate is for it, not the load balancer's name.
      hostname: config.dns?.recordName,
      rate: Duration.minutes(DrSiteStack.CANARY_RATE_MINUTES),
      failuresToAlarm: DrSiteStack.CANARY_FAILURES_TO_ALARM,
      topic: this.alarmTopic.topic,
      watchedRegion: primary.region,
      runbook: 'this alarm is the guard of the failover runbook (output FailoverCommand, docs/failover-runbook.md)',
    });

    new CfnOutput(this, 'ReplicaIdentifier', { value: this.replica.identifier, description: 'Identifier of the cross-region read replica (aws rds promote-read-replica)' });
    new CfnOutput(this, 'ReplicaEndpoint', { value: this.replica.endpoint.hostname, description: 'Endpoint of the cross-region read replica' });
    new CfnOutput(this, 'LoadBalancerDnsName', { value: this.service.loadBalancer.loadBalancerDnsName, description: 'DNS name of the standby load balancer' });

    if (config.dns) {
      // Route 53 is global: the records and the health check live here, beside the standby they fail over to, so
      // the stack that owns them survives the primary region. The health check probes readiness through the primary
      // load balancer: it fails when no task there is ready (the region cannot serve), not when the database fails
      // over within the region (readiness does not follow the database, docs/service.md).
      this.dnsFailover = new DnsFailover(this, 'DnsFailover', {
        hostedZone: route53.HostedZone.fromHostedZoneAttributes(this, 'Zone', { hostedZoneId: config.dns.hostedZoneId, zoneName: config.dns.zoneName }),
        recordName: config.dns.recordName,
        primaryDnsName: primary.loadBalancerDnsName,
        secondaryDnsName: this.service.loadBalancer.loadBalancerDnsName,
        healthCheck: { path: HEALTH_PATHS.ready, protocol },
      });
      new CfnOutput(this, 'RecordName', { value: config.dns.recordName, description: 'Name users call: Route 53 answers with the primary load balancer while it is healthy, else the standby' });
      new CfnOutput(this, 'PrimaryHealthCheckId', { value: this.dnsFailover.healthCheck.healthCheckId, description: 'Route 53 health check on the primary (aws route53 get-health-check-status)' });
    } else {
      Annotations.of(this).addWarningV2(
        'ha:noDnsFailover',
        'no DNS failover: users keep calling the primary load balancer and nothing moves them to the DR region; after a promotion, give users the standby load balancer (output LoadBalancerDnsName) yourself, or set dns (docs/disaster-recovery.md, "Lost region")',
      );
    }

    // Failover as code (docs/failover-runbook.md): refuses unless the probe from here sees the primary down (and, with
    // dns, Route 53's health check agrees), then promotes the replica and scales the standby to the primary's capacity.
    this.failoverRunbook = new RegionFailoverRunbook(this, 'Failover', {
      replicaIdentifier: this.replica.identifier,
      service: this.service.service,
      desiredCount: config.service.desiredCount,
      maxCount: config.service.maxCount,
      primaryDownAlarm: this.primaryProbe.alarm,
      healthCheckId: this.dnsFailover?.healthCheck.healthCheckId,
      loadBalancer: this.service.loadBalancer,
    });
    new CfnOutput(this, 'FailoverCommand', { value: this.failoverRunbook.startCommand, description: 'Starts the regional failover runbook (docs/failover-runbook.md)' });
  }
}

/** The primary stack's outputs as Fn::GetStackOutput references (the DR site stack must depend on the primary). */
export function primarySource(stackName: string, region: string, outputs: { database: string; databaseSecret: string; loadBalancer: string }): PrimarySource {
  return {
    region,
    databaseArn: Fn.getStackOutput(stackName, outputs.database, region),
    databaseSecretArn: Fn.getStackOutput(stackName, outputs.databaseSecret, region),
    loadBalancerDnsName: Fn.getStackOutput(stackName, outputs.loadBalancer, region),
  };
}
