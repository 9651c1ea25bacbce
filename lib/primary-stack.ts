import { Annotations, CfnOutput, Duration, Stack, StackProps, Validations } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as events from 'aws-cdk-lib/aws-events';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { Construct } from 'constructs';
import {
  ApplicationSignalsSlos,
  ChaosExperiments,
  DatabaseBackupPlan,
  DatabaseRestoreTesting,
  InfrastructureAlarms,
  MultiAzDatabase,
  MultiAzDeployment,
  MultiAzNetwork,
  ResilientFargateService,
  ServiceDashboard,
  SloAlarms,
  ZonalAutoshift,
  ZonalOutlierAlarms,
} from '@ha-reference/constructs';
import { blockedWindowsForCron, postgresMaxConnections } from '@ha-reference/constructs/pure';
import type { HaConfig } from './config';
import type { DisasterRecoveryTargets } from './dr-stack';
import { addService, addSloAlarms } from './service-tier';

export interface PrimaryStackProps extends StackProps {
  readonly config: HaConfig;
  /**
   * Image of the service.
   * @default - built from app/Dockerfile by `cdk deploy`
   */
  readonly image?: ecs.ContainerImage;
  /**
   * The DR region's key and vault (normally `drStack.targets`). Without them nothing leaves this region.
   * @default - no cross-region backup replication and no copy action, with a synth warning
   */
  readonly disasterRecovery?: DisasterRecoveryTargets;
}

/** The serving region: network, service and database. Wiring only; the logic lives in @ha-reference/constructs. */
export class PrimaryStack extends Stack {
  /** Output read by the DR site stack (pilot light, warm standby): the replica's source. A contract: do not rename. */
  public static readonly DATABASE_ARN_OUTPUT = 'DatabaseArn';
  /** Output read by the DR site stack: the load balancer its canary probes. A contract: do not rename. */
  public static readonly LOAD_BALANCER_DNS_OUTPUT = 'LoadBalancerDnsName';
  /** Output read by the DR site stack: the master secret, whose replica in the DR region its tasks read. A contract: do not rename. */
  public static readonly DATABASE_SECRET_ARN_OUTPUT = 'DatabaseSecretArn';
  public readonly network: MultiAzNetwork;
  public readonly service: ResilientFargateService;
  public readonly database: MultiAzDatabase;
  public readonly backupPlan: DatabaseBackupPlan;
  public readonly restoreTesting: DatabaseRestoreTesting;
  public readonly slo: SloAlarms;
  public readonly infrastructureAlarms: InfrastructureAlarms;
  public readonly dashboard: ServiceDashboard;
  public readonly chaos: ChaosExperiments;
  public readonly zonalOutliers: ZonalOutlierAlarms;
  public readonly zonalAutoshift: ZonalAutoshift;

  constructor(scope: Construct, id: string, props: PrimaryStackProps) {
    super(scope, id, props);
    const { config } = props;
    const dr = props.disasterRecovery;

    this.network = new MultiAzNetwork(this, 'Network', {
      availabilityZones: [...config.availabilityZones],
      natGateways: config.natGateways,
    });

    this.database = new MultiAzDatabase(this, 'Database', {
      vpc: this.network.vpc,
      vpcSubnets: this.network.dataSubnets,
      deployment: config.database.deployment === 'cluster' ? MultiAzDeployment.CLUSTER : MultiAzDeployment.INSTANCE,
      engineVersion: config.database.engineVersion,
      instanceClass: config.database.instanceClass,
      allocatedStorageGiB: config.database.allocatedStorageGiB,
      maxAllocatedStorageGiB: config.database.maxAllocatedStorageGiB,
      port: config.database.port,
      databaseName: config.database.databaseName,
      backupRetention: Duration.days(config.database.backupRetentionDays),
      // RDS replicates the automated backups of a Multi-AZ DB instance only; a cluster relies on the copy below.
      backupReplication:
        dr && config.database.deployment === 'instance'
          ? { region: dr.region, kmsKeyArn: dr.replicationKeyArn, retention: Duration.days(config.dr.replicatedBackupRetentionDays) }
          : undefined,
      // A standby site reads the master secret in its own region, and RDS cannot create a read replica of a database
      // whose password it manages itself: the secret is Secrets Manager's then, replicated and rotated.
      secretReplicas: dr && config.dr.strategy !== 'backup-restore' ? [{ region: dr.region, kmsKeyArn: dr.replicationKeyArn }] : undefined,
    });

    this.backupPlan = new DatabaseBackupPlan(this, 'DatabaseBackup', {
      resourceArn: this.database.resourceArn,
      schedule: events.Schedule.expression(config.backup.scheduleExpression),
      retention: Duration.days(config.backup.retentionDays),
      copyTo: dr
        ? { vault: backup.BackupVault.fromBackupVaultArn(this, 'DrVault', dr.backupVaultArn), retention: Duration.days(config.backup.copyRetentionDays) }
        : undefined,
    });

    this.restoreTesting = new DatabaseRestoreTesting(this, 'DatabaseRestoreTest', {
      resourceArn: this.database.resourceArn,
      vaults: [this.backupPlan.vault],
      vpc: this.network.vpc,
      subnetGroupName: this.database.subnetGroup.subnetGroupName,
      scheduleExpression: config.backup.restoreTestScheduleExpression,
      validationWindow: Duration.hours(config.backup.restoreTestValidationWindowHours),
    });

    if (!dr) {
      Annotations.of(this).addWarningV2(
        'ha:noDisasterRecovery',
        'no disasterRecovery targets given: backups stay in this region and do not survive a regional outage',
      );
    }

    this.service = addService(this, {
      config,
      network: this.network,
      database: { hostname: this.database.endpoint.hostname, port: this.database.port, databaseName: this.database.databaseName, secret: this.database.secret },
      desiredCount: config.service.desiredCount,
      certificateArn: config.certificateArn,
      image: props.image,
    });
    this.database.allowConnectionsFrom(this.service.serviceSecurityGroup, 'PostgreSQL from the service tasks');

    this.slo = addSloAlarms(this, this.service, config);
    if (config.slo.applicationSignals) {
      new ApplicationSignalsSlos(this, 'ApplicationSignalsSlos', {
        loadBalancer: this.service.loadBalancer,
        targetGroup: this.service.targetGroup,
        slo: config.slo,
      });
    }
    const maxConnections = postgresMaxConnections(config.database.instanceClass);
    this.infrastructureAlarms = new InfrastructureAlarms(this, 'InfrastructureAlarms', {
      loadBalancer: this.service.loadBalancer,
      targetGroup: this.service.targetGroup,
      alternateTargetGroup: this.service.alternateTargetGroup,
      service: this.service.service,
      availabilityZones: [...config.availabilityZones],
      database: this.database,
      // 80 % of the class's max_connections leaves time to act before connections are refused; for a class the
      // table does not know, the construct's default applies.
      databaseMaxConnections: maxConnections === undefined ? undefined : Math.floor(0.8 * maxConnections),
      topic: this.slo.ticketTopic,
    });
    // Gray failure: a zone that serves more errors or more slowly than the others while its health checks pass.
    this.zonalOutliers = new ZonalOutlierAlarms(this, 'ZonalOutliers', {
      loadBalancer: this.service.loadBalancer,
      availabilityZones: [...config.availabilityZones],
      topic: config.zonalShift.outlierAlarms === 'page' ? this.slo.pageTopic : this.slo.ticketTopic,
    });
    this.dashboard = new ServiceDashboard(this, 'Dashboard', {
      slo: this.slo,
      loadBalancer: this.service.loadBalancer,
      targetGroup: this.service.targetGroup,
      alternateTargetGroup: this.service.alternateTargetGroup,
      zonalOutliers: this.zonalOutliers,
      service: this.service.service,
      availabilityZones: [...config.availabilityZones],
      database: this.database,
      infrastructureAlarms: this.infrastructureAlarms,
      errorBudgetPolicy: 'docs/slo.md',
    });

    this.chaos = new ChaosExperiments(this, 'Chaos', {
      // FIS documents stop conditions as metric alarms; whether it accepts a composite alarm is not documented,
      // so the experiments stop on the fast-burn long-window alarms of both SLOs (docs/chaos.md).
      stopConditionAlarms: [this.slo.availability.tier('Fast').longWindow, this.slo.latency.tier('Fast').longWindow],
      service: this.service.service,
      tasksToStop: Math.max(1, Math.floor(config.service.desiredCount / config.availabilityZones.length)),
      database: this.database.cluster ? { clusterArn: this.database.resourceArn } : { instanceArn: this.database.resourceArn },
      // The zone drill also evacuates the zone (a zonal shift of the load balancer a minute in), except in a 1-minute
      // outage, which leaves no time to notice and shift: docs/chaos.md.
      zone: {
        availabilityZone: config.chaos.zone,
        subnets: this.network.privateSubnetsIn(config.chaos.zone),
        vpc: this.network.vpc,
        evacuate: config.chaos.zoneOutageMinutes >= 2 ? this.service.loadBalancer : undefined,
      },
      zoneOutageMinutes: config.chaos.zoneOutageMinutes,
      // The numbers this stack is built for: 10 s detection (5 s × 2 health checks), Multi-AZ instance failover.
      hypotheses: {
        taskLoss: 'the load balancer routes around them within 10 s, ECS replaces them, and the availability SLO holds.',
        databaseFailover:
          'the service rides through the 60-120 s failover with fast 503s and retries, no acknowledged write is lost, and the availability SLO holds.',
        azLoss: 'the load balancer stops sending to that zone within 10 s, the other zones carry the load, and the availability SLO holds.',
      },
      schedule: {
        enabled: config.chaos.schedule,
        experiments: config.chaos.scheduledExperiments,
        timeZone: config.chaos.timeZone,
        cron: config.chaos.cron,
      },
      encryptionKey: this.network.encryptionKey,
    });

    // Practice runs stay away from the chaos schedule (an hour before each experiment to two after, at every UTC
    // offset of its time zone), from deployments (a blocking alarm) and from any SLO or zone trouble.
    const chaosWindows = config.chaos.schedule
      ? config.chaos.scheduledExperiments.flatMap((name) => {
          const windows = blockedWindowsForCron(config.chaos.cron[name], config.chaos.timeZone, 60, 120);
          if (!windows) {
            Annotations.of(this).addWarningV2(
              `ha:zonalShift:chaosWindow:${name}`,
              `chaos.cron.${name} is not a simple weekly cron: no practice-run blocked window is computed for it; add one to zonalShift.blockedWindows`,
            );
          }
          return windows ?? [];
        })
      : [];
    this.zonalAutoshift = new ZonalAutoshift(this, 'ZonalAutoshift', {
      loadBalancer: this.service.loadBalancer,
      outcomeAlarms: [this.slo.pageAlarm],
      blockingAlarms: [this.slo.ticketAlarm, this.zonalOutliers.anyZoneAlarm],
      service: this.service.service,
      blockedWindows: [...new Set([...chaosWindows, ...config.zonalShift.blockedWindows])],
      blockedDates: config.zonalShift.blockedDates,
      autoshift: config.zonalShift.autoshift,
    });

    // What the standby site in the DR region reads (Fn::GetStackOutput); only with one, so the backup-restore
    // template stays as it was.
    if (config.dr.strategy !== 'backup-restore') {
      new CfnOutput(this, PrimaryStack.DATABASE_ARN_OUTPUT, {
        value: this.database.resourceArn,
        description: 'ARN of the primary DB instance: source of the cross-region read replica (HaDrSite)',
      });
      new CfnOutput(this, PrimaryStack.DATABASE_SECRET_ARN_OUTPUT, {
        value: this.database.secret.secretArn,
        description: 'ARN of the master secret: its replica in the DR region has the same ARN but for the region (HaDrSite)',
      });
      new CfnOutput(this, PrimaryStack.LOAD_BALANCER_DNS_OUTPUT, {
        value: this.service.loadBalancer.loadBalancerDnsName,
        description: 'DNS name of the primary load balancer: probed by the canary in the DR region (HaDrSite)',
      });
    } else {
      Validations.of(this.service.loadBalancer).acknowledge({
        id: 'Resilience-ExternalProbe',
        reason:
          `dr.strategy backup-restore: the DR region runs no site and no canary, so nothing outside ${this.region} probes this load ` +
          'balancer and a regional outage pages nobody (lost-region detection "none: manual" in the report); pilot-light and ' +
          'warm-standby add the DR-region canary that clears this (docs/disaster-recovery.md, "Strategies")',
      });
    }
  }
}
