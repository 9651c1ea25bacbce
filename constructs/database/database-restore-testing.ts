import { Duration, Names, Stack, Validations } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { checkDuration } from '../common/validate';

export interface DatabaseRestoreTestingProps {
  /** ARN of the RDS DB instance or Multi-AZ DB cluster whose recovery points are restored. */
  readonly resourceArn: string;
  /** Vaults whose recovery points are eligible (the plan's vault in this region). */
  readonly vaults: backup.IBackupVault[];
  /** Network the restored copy is created in. */
  readonly vpc: ec2.IVpc;
  /** DB subnet group for the restored copy (the source's isolated subnets; there may be no default VPC). */
  readonly subnetGroupName: string;
  /**
   * When a restore test starts (EventBridge cron, UTC).
   * @default 'cron(0 7 ? * SUN *)' - weekly, Sunday 07:00 UTC
   */
  readonly scheduleExpression?: string;
  /**
   * Hours a scheduled test may wait to start before AWS Backup cancels it.
   * @default Duration.hours(8)
   */
  readonly startWindow?: Duration;
  /**
   * How long the restored copy is kept for validation before AWS Backup deletes it (1-168 hours).
   * @default Duration.hours(2)
   */
  readonly validationWindow?: Duration;
  /**
   * Age of the newest recovery point a test may pick.
   * @default Duration.days(7)
   */
  readonly selectionWindow?: Duration;
}

/**
 * AWS Backup restore testing for one database: on a schedule, AWS Backup restores the latest recovery point into
 * the database's isolated subnets behind a security group that admits nobody, records whether the restore
 * succeeded and how long it took, and deletes the copy after the validation window. A backup that has never been
 * restored is a hope, not a backup.
 */
export class DatabaseRestoreTesting extends Construct {
  public readonly plan: backup.CfnRestoreTestingPlan;
  public readonly selection: backup.CfnRestoreTestingSelection;
  /** Role AWS Backup uses to create (and delete) the restored copy. */
  public readonly role: iam.Role;
  /** Security group of the restored copy: no ingress, no egress. */
  public readonly securityGroup: ec2.SecurityGroup;
  /** Name of the restore testing plan (for the CLI and the console). */
  public readonly planName: string;

  constructor(scope: Construct, id: string, props: DatabaseRestoreTestingProps) {
    super(scope, id);

    const scheduleExpression = props.scheduleExpression ?? 'cron(0 7 ? * SUN *)';
    const startWindow = props.startWindow ?? Duration.hours(8);
    const validationWindow = props.validationWindow ?? Duration.hours(2);
    const selectionWindow = props.selectionWindow ?? Duration.days(7);

    checkDuration('validationWindow', validationWindow, 'hours', 1, 168);
    checkDuration('startWindow', startWindow, 'hours', 1, 168);
    checkDuration('selectionWindow', selectionWindow, 'days', 1, 365);
    if (props.vaults.length === 0) throw new Error('vaults must name at least one backup vault, got none');

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'Restore-tested database copies: no one may connect',
      allowAllOutbound: false,
    });

    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('backup.amazonaws.com'),
      description: 'Lets AWS Backup restore test copies of the database and delete them afterwards',
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSBackupServiceRolePolicyForRestores')],
    });
    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores]',
      reason: 'AWSBackupServiceRolePolicyForRestores is the policy AWS Backup documents for restore jobs, including restore tests; it creates and deletes the restored resources',
    });

    // Names allow letters, digits and underscores only, at most 50 characters; unique per stack and path.
    this.planName = Names.uniqueResourceName(this, { maxLength: 50, separator: '_' }).replace(/[^A-Za-z0-9_]/g, '_');
    this.plan = new backup.CfnRestoreTestingPlan(this, 'Plan', {
      restoreTestingPlanName: this.planName,
      scheduleExpression,
      startWindowHours: startWindow.toHours(),
      recoveryPointSelection: {
        algorithm: 'LATEST_WITHIN_WINDOW',
        includeVaults: props.vaults.map((vault) => vault.backupVaultArn),
        recoveryPointTypes: ['SNAPSHOT'],
        selectionWindowDays: selectionWindow.toDays(),
      },
    });

    this.selection = new backup.CfnRestoreTestingSelection(this, 'Selection', {
      restoreTestingPlanName: this.planName,
      restoreTestingSelectionName: 'Database',
      protectedResourceType: 'RDS',
      protectedResourceArns: [props.resourceArn],
      iamRoleArn: this.role.roleArn,
      validationWindowHours: validationWindow.toHours(),
      // Keys are case-insensitive; values are strings (a list is a JSON array). Without them the copy would go to
      // the default VPC, which a hardened account does not have.
      restoreMetadataOverrides: {
        dbsubnetgroupname: props.subnetGroupName,
        vpcsecuritygroupids: Stack.of(this).toJsonString([this.securityGroup.securityGroupId]),
      },
    });
    this.selection.addResourceDependency(this.plan);
  }

  /** Restore jobs (tests included) of this account and region that failed (AWS/Backup). @default Sum over 1 day */
  public metricRestoreJobsFailed(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.backupMetric('NumberOfRestoreJobsFailed', props);
  }

  /** Restore jobs (tests included) of this account and region that completed (AWS/Backup). @default Sum over 1 day */
  public metricRestoreJobsCompleted(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.backupMetric('NumberOfRestoreJobsCompleted', props);
  }

  private backupMetric(metricName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'AWS/Backup',
      metricName,
      dimensionsMap: { ResourceType: 'RDS' },
      statistic: cloudwatch.Stats.SUM,
      period: Duration.days(1),
      ...props,
    });
  }
}
