/**
 * The public API of the package: every construct, and every type their props and fields use.
 * This is what jsii compiles for other languages; TypeScript-only helpers (the SLO arithmetic, the
 * config checks, the resilience rules and the template readers) are in `./pure`.
 */

// Network
export { MultiAzNetwork, type MultiAzNetworkProps } from './network/multi-az-network';

// Service
export { ContainerUser, ResilientFargateService, type ResilientFargateServiceProps, type TargetHealthCheckOptions, type DeploymentOptions } from './service/resilient-fargate-service';

// Database and backups
export { MultiAzDatabase, MultiAzDeployment, type MultiAzDatabaseProps, type BackupReplicationOptions, type SecretReplicaOptions } from './database/multi-az-database';
export { DatabaseBackupPlan, BackupJobKind, type DatabaseBackupPlanProps, type BackupCopyTarget } from './database/database-backup-plan';
export { DatabaseRestoreTesting, type DatabaseRestoreTestingProps } from './database/database-restore-testing';
export { CrossRegionReplica, type CrossRegionReplicaProps } from './database/cross-region-replica';
export { DrBackupVault, type DrBackupVaultProps, type DrVaultLockOptions } from './database/dr-backup-vault';

// SLOs and alarms
export { AlarmTopic, type AlarmTopicProps } from './slo/alarm-topic';
export { BurnRateSeverity, type BurnRateTier, type ResolvedTier } from './slo/burn-rate';
export { ServiceLevelIndicators, type IServiceLevelIndicator } from './slo/sli';
export {
  type SloConfig,
  type AvailabilitySloConfig,
  type LatencySloConfig,
  type ResolvedSloConfig,
  type ResolvedAvailabilitySlo,
  type ResolvedLatencySlo,
} from './slo/slo-config';
export { BurnRateAlarms, type BurnRateAlarmsProps, type TierAlarms } from './slo/burn-rate-alarms';
export { SloAlarms, type SloAlarmsProps, type ErrorSpikeOptions } from './slo/slo-alarms';
export { InfrastructureAlarms, type InfrastructureAlarmsProps, type IDatabaseMetrics } from './slo/infrastructure-alarms';
export { ServiceDashboard, type ServiceDashboardProps } from './slo/service-dashboard';
export { ApplicationSignalsSlos, type ApplicationSignalsSlosProps } from './slo/application-signals-slos';

// Zone evacuation: zonal autoshift with practice runs, gray-failure alarms
export { ZonalAutoshift, type ZonalAutoshiftProps } from './zonal/zonal-autoshift';
export { ZonalOutlierAlarms, type ZonalOutlierAlarmsProps, type ZoneOutlierAlarms } from './zonal/zonal-outlier-alarms';

// Regional disaster recovery: DNS failover between regions, monitoring from outside the watched region, the failover runbook
export { DnsFailover, type DnsFailoverProps, type FailoverHealthCheckOptions } from './dr/dns-failover';
export { ExternalProbe, type ExternalProbeProps } from './dr/external-probe';
export { RegionFailoverRunbook, type RegionFailoverRunbookProps } from './dr/failover-runbook';

// Chaos experiments
export { FisExperiment, EmptyTargetResolutionMode, type FisExperimentProps, type FisTarget, type FisTargetFilter, type FisAction } from './chaos/fis-experiment';
export { ExperimentName } from './chaos/schedule-rules';
export {
  ChaosExperiments,
  type ChaosExperimentsProps,
  type ChaosDatabaseTarget,
  type ChaosZoneTarget,
  type ChaosScheduleOptions,
  type ChaosCronExpressions,
  type ChaosHypotheses,
  type ChaosExperimentTemplates,
  type ChaosSchedules,
} from './chaos/chaos-experiments';

// Resilience rule pack (cdk-nag)
export { ResilienceChecks, type ResilienceChecksProps } from './checks/resilience-checks';
