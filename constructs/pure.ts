/**
 * TypeScript-only helpers, `@ha-reference/constructs/pure`: plain functions and data with no CDK
 * imports, so a config parser or an offline report can load them without aws-cdk-lib.
 *
 * - SLO arithmetic (burn rates, budgets, windows) and SLO config resolution with its validation;
 * - chaos schedule checks (cron, time zones, durations);
 * - the RDS for PostgreSQL connection table;
 * - the resilience rules as pure functions of a CloudFormation template, and the template readers
 *   they share with the report.
 *
 * Not part of the jsii API (free functions and constants do not cross languages): the constructs in
 * the main entry point use these, and other languages get their effect through the constructs' props.
 */

export * from './slo/burn-rate';
export * from './slo/slo-config';
export * from './chaos/schedule-rules';
export * from './zonal/practice-windows';
export * from './database/postgres-connections';

export * from './checks/rule';
export * from './checks/template';
export * from './checks/backup';
export * from './checks/resilience-rules';
export * from './checks/rules/alarm-actions';
export * from './checks/rules/auto-scaling-group-zones';
export * from './checks/rules/database-backup-retention';
export * from './checks/rules/database-cross-region-backup';
export * from './checks/rules/database-multi-az';
export * from './checks/rules/external-probe';
export * from './checks/rules/fis-stop-condition';
export * from './checks/rules/load-balancer-autoshift';
export * from './checks/rules/load-balancer-zones';
export * from './checks/rules/log-group-retention';
export * from './checks/rules/nat-gateway-per-zone';
export * from './checks/rules/service-deployment-bake';
export * from './checks/rules/service-alarms';
export * from './checks/rules/service-deployment-rollback';
export * from './checks/rules/service-minimum-healthy';
export * from './checks/rules/service-tasks-per-zone';
export * from './checks/rules/stateful-retention';
export * from './checks/rules/target-group-deregistration-delay';
export * from './checks/rules/target-group-health-check';
