import { Arn, ArnFormat, Duration, Fn, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { acknowledgeWildcardResources } from '../common/acknowledge';
import { checkInt } from '../common/validate';

export interface RegionFailoverRunbookProps {
  /**
   * DB instance identifier of the cross-region read replica in this stack's region: what `PromoteReadReplica` takes
   * (`CrossRegionReplica.identifier`). The role may promote and describe this instance only.
   */
  readonly replicaIdentifier: string;
  /**
   * The standby ECS service in this region (its cluster is `service.cluster`). The role may update and describe this
   * service only; `RegisterScalableTarget` is for its `ecs:service:DesiredCount` dimension.
   */
  readonly service: ecs.IBaseService;
  /** Tasks the promoted region must run: the primary's desired count. An integer from 1 to 5000. */
  readonly desiredCount: number;
  /**
   * Tasks autoscaling may scale the promoted service to (the scalable target's maximum after the failover): the
   * primary's maximum. An integer from `desiredCount` to 5000.
   * @default - 4 × desiredCount (`ResilientFargateService`'s default)
   */
  readonly maxCount?: number;
  /**
   * Alarm in this region that is in ALARM while the primary region is down, as seen from outside it (the DR site's
   * canary alarm). The runbook refuses to promote unless it is in ALARM, or the operator passes `Force=true`.
   */
  readonly primaryDownAlarm: cloudwatch.IAlarm;
  /**
   * ID of the Route 53 health check that decides the PRIMARY failover record (an endpoint health check: Route 53
   * gives no per-checker status of a calculated one). When given, the runbook also refuses unless Route 53 considers
   * the primary unhealthy, and checks again at the end that DNS answers with the secondary.
   * @default - no DNS check; the execution outputs the standby load balancer's DNS name (`loadBalancer`) instead
   */
  readonly healthCheckId?: string;
  /**
   * The standby load balancer: its DNS name is an output of every execution, for the operator to hand to users when
   * there is no DNS failover.
   * @default - no endpoint output
   */
  readonly loadBalancer?: elbv2.ILoadBalancerV2;
  /**
   * Automated backups of the promoted database (`PromoteReadReplica` `BackupRetentionPeriod`): a whole number of days
   * from 1 to 35, so the new primary has point-in-time restore from its first minute.
   * @default Duration.days(14)
   */
  readonly backupRetention?: Duration;
  /**
   * Name of the Automation document. Give one only if a person must type it; two copies of the stack in one account
   * and region then need different names.
   * @default - CloudFormation names it
   */
  readonly documentName?: string;
}

/** Steps of the document, in order: the guard first. Step names are what an execution's history shows. */
const STEP = {
  guard: 'CheckForce',
  assertPrimaryDown: 'AssertPrimaryDown',
  readPrimaryHealth: 'ReadPrimaryHealthCheck',
  assertPrimaryUnhealthy: 'AssertPrimaryUnhealthy',
  promote: 'PromoteReplica',
  waitPromoted: 'WaitForPromotion',
  raiseMinimum: 'RaiseMinimumCapacity',
  scale: 'ScaleService',
  waitTasks: 'WaitForTasks',
  readDnsHealth: 'ReadDnsHealthCheck',
  assertDnsFailedOver: 'AssertDnsFailedOver',
  outputEndpoint: 'OutputStandbyEndpoint',
} as const;

/** Promotion takes minutes (RDS reboots the instance); an hour is Automation's default wait. */
const PROMOTION_TIMEOUT_SECONDS = 3600;
/** Fargate tasks start in a minute or two; this many seconds before the step fails and says so. */
const TASKS_TIMEOUT_SECONDS = 1800;
/** Route 53 considers an endpoint healthy when more than 18% of its checkers report it healthy. */
const HEALTHY_SHARE = 0.18;

/**
 * Python (aws:executeScript, `python3.11`) that decides whether Route 53 considers the primary unhealthy, from the
 * checker observations of `GetHealthCheckStatus`: each checker's `StatusReport.Status` begins with `Success` or
 * `Failure`; Route 53 considers the endpoint healthy when more than 18% report success
 * (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/dns-failover-determining-health-of-endpoints.html).
 */
const ASSERT_UNHEALTHY_SCRIPT = `def handler(events, context):
    observations = events.get("Observations") or []
    if not observations:
        raise Exception("no Route 53 health checker reports on the primary's health check: cannot tell whether DNS has failed over")
    healthy = [o for o in observations if str(o.get("StatusReport", {}).get("Status", "")).startswith("Success")]
    share = len(healthy) / len(observations)
    if share > ${HEALTHY_SHARE}:
        raise Exception(
            "%d of %d Route 53 health checkers report the primary healthy (more than 18%%): Route 53 considers it healthy and "
            "the failover record still answers with the primary. %s" % (len(healthy), len(observations), events.get("Advice", ""))
        )
    return {"HealthyCheckers": len(healthy), "Checkers": len(observations)}
`;

/** Python that hands the standby load balancer's DNS name to the execution's outputs. */
const OUTPUT_ENDPOINT_SCRIPT = `def handler(events, context):
    return {"DnsName": events["DnsName"]}
`;

/**
 * Failover as code: an SSM Automation runbook, deployed in the DR region, that promotes the cross-region read replica
 * and brings the standby service to the primary's capacity, guarded so it cannot split the brain.
 *
 * 1. Guard: refuses unless `primaryDownAlarm` is in ALARM and, with `healthCheckId`, Route 53 considers the primary
 *    unhealthy. `Force=true` skips the guard for a planned switchover: the operator must have stopped writes in the
 *    primary first (docs/failover-runbook.md).
 * 2. Promotes the replica (`PromoteReadReplica` with `BackupRetentionPeriod`) and waits until it is `available`.
 * 3. Registers the service's scalable target with `MinCapacity` = `desiredCount` (so autoscaling cannot scale the
 *    promoted region back to the standby's minimum), sets the service's desired count, and waits for the tasks.
 * 4. With `healthCheckId`: checks that Route 53 still considers the primary unhealthy, so the failover record answers
 *    with the secondary. The standby load balancer's DNS name (`loadBalancer`) is an output.
 *
 * It runs as its own role: SSM (this account only) may assume it; it may promote and describe the one replica, update
 * and describe the one service, register that service's desired-count target, read the one alarm and health check.
 * Start it with `startCommand`; the caller needs `ssm:StartAutomationExecution` on the document and `iam:PassRole`
 * on `role`.
 */
export class RegionFailoverRunbook extends Construct {
  /** The Automation document. */
  public readonly document: ssm.CfnDocument;
  /** The role every step runs as. */
  public readonly role: iam.Role;
  /** Name of the document (what `start-automation-execution --document-name` takes). */
  public readonly documentName: string;
  /** ARN of the document. */
  public readonly documentArn: string;
  /** The AWS CLI command line that starts a failover (add `Force=true` for a planned switchover). */
  public readonly startCommand: string;
  /** `desiredCount`. */
  public readonly desiredCount: number;
  /** `maxCount`, resolved. */
  public readonly maxCount: number;

  constructor(scope: Construct, id: string, props: RegionFailoverRunbookProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const desiredCount = props.desiredCount;
    const maxCount = props.maxCount ?? desiredCount * 4;
    const backupRetention = props.backupRetention ?? Duration.days(14);

    if (Token.isUnresolved(desiredCount) || Token.isUnresolved(maxCount)) {
      throw new Error('desiredCount and maxCount must be numbers known at synth: the wait step lists the task counts it accepts');
    }
    checkInt('desiredCount', desiredCount, 1, 5000);
    checkInt('maxCount', maxCount, desiredCount, 5000);
    if (!backupRetention.isUnresolved() && (!Number.isInteger(backupRetention.toDays({ integral: false })) || backupRetention.toDays() < 1 || backupRetention.toDays() > 35)) {
      throw new Error(`backupRetention must be a whole number of days from 1 to 35, got ${backupRetention.toHumanString()}`);
    }
    // https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_PromoteReadReplica.html (DBInstanceIdentifier)
    const replicaId = props.replicaIdentifier;
    if (!Token.isUnresolved(replicaId) && (!/^[a-zA-Z](?!.*--)[a-zA-Z0-9-]{0,62}$/.test(replicaId) || replicaId.endsWith('-'))) {
      throw new Error(`replicaIdentifier must be an RDS DB instance identifier (a letter, then up to 62 letters, digits or single hyphens, not ending in a hyphen), got "${props.replicaIdentifier}"`);
    }
    if (props.healthCheckId !== undefined && !Token.isUnresolved(props.healthCheckId) && !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(props.healthCheckId)) {
      throw new Error(`healthCheckId must be a Route 53 health check ID (a UUID such as "abcdef11-2222-3333-4444-555555fedcba"), got "${props.healthCheckId}"`);
    }
    // https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_CreateDocument.html (Name; reserved prefixes)
    if (props.documentName !== undefined && !Token.isUnresolved(props.documentName)) {
      if (!/^[a-zA-Z0-9_.-]{3,128}$/.test(props.documentName) || /^(aws|amazon|amzn)/i.test(props.documentName)) {
        throw new Error(`documentName must be 3 to 128 letters, digits, "_", "-" or "." and not begin with "aws", "amazon" or "amzn", got "${props.documentName}"`);
      }
    }
    // An imported alarm's region is in its ARN; an alarm of this app's, in its stack's environment.
    const alarmArn = props.primaryDownAlarm.alarmArn;
    const alarmRegion = Token.isUnresolved(alarmArn) ? props.primaryDownAlarm.env.region : Arn.split(alarmArn, ArnFormat.COLON_RESOURCE_NAME).region;
    if (!Token.isUnresolved(alarmRegion) && !Token.isUnresolved(stack.region) && alarmRegion !== stack.region) {
      throw new Error(`primaryDownAlarm must be an alarm of this stack's region (${stack.region}), where the runbook reads it, got one in ${alarmRegion}`);
    }
    const serviceRegion = props.service.env.region;
    if (!Token.isUnresolved(serviceRegion) && !Token.isUnresolved(stack.region) && serviceRegion !== stack.region) {
      throw new Error(`service must be a service of this stack's region (${stack.region}), got one in ${serviceRegion}`);
    }
    this.desiredCount = desiredCount;
    this.maxCount = maxCount;

    const replicaArn = stack.formatArn({ service: 'rds', resource: 'db', resourceName: props.replicaIdentifier, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    const clusterName = props.service.cluster.clusterName;
    const serviceName = props.service.serviceName;
    const composite = props.primaryDownAlarm instanceof cloudwatch.CompositeAlarm;

    // The role. SSM Automation assumes it for every step; only for executions in this account (confused deputy:
    // https://docs.aws.amazon.com/systems-manager/latest/userguide/cross-service-confused-deputy-prevention.html).
    this.role = new iam.Role(this, 'Role', {
      description: `Runs the regional failover runbook ${this.node.path}: promotes one replica, scales one service`,
      assumedBy: new iam.ServicePrincipal('ssm.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': stack.account } } }),
    });
    this.role.addToPolicy(new iam.PolicyStatement({ sid: 'ReadPrimaryDownAlarm', actions: ['cloudwatch:DescribeAlarms'], resources: [props.primaryDownAlarm.alarmArn] }));
    if (props.healthCheckId) {
      this.role.addToPolicy(
        new iam.PolicyStatement({
          sid: 'ReadPrimaryHealthCheck',
          actions: ['route53:GetHealthCheckStatus'],
          // Route 53 health checks are global: no region or account in the ARN.
          resources: [stack.formatArn({ service: 'route53', region: '', account: '', resource: 'healthcheck', resourceName: props.healthCheckId })],
        }),
      );
    }
    this.role.addToPolicy(new iam.PolicyStatement({ sid: 'PromoteReplica', actions: ['rds:PromoteReadReplica', 'rds:DescribeDBInstances'], resources: [replicaArn] }));
    // The service's ARN in the long format, which IAM authorises (service/<cluster>/<service>), whatever format
    // `serviceArn` of an imported service has (@aws-cdk/aws-ecs:arnFormatIncludesClusterName):
    // https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs-account-settings.html#ecs-resource-ids
    const serviceArn = stack.formatArn({ service: 'ecs', resource: 'service', resourceName: `${clusterName}/${serviceName}`, arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
    this.role.addToPolicy(new iam.PolicyStatement({ sid: 'ScaleService', actions: ['ecs:UpdateService', 'ecs:DescribeServices'], resources: [serviceArn] }));
    // A scalable target's ARN ends in an ID that Application Auto Scaling assigns (not the service's resource ID), so
    // no policy can name it at synth; the statement is limited to ECS desired counts in this region and account. The
    // one service follows from Application Auto Scaling checking that the caller may ecs:DescribeServices and
    // ecs:UpdateService the target service, which this role may for the one service only:
    // https://docs.aws.amazon.com/autoscaling/application/userguide/security_iam_permission_validation.html
    // https://docs.aws.amazon.com/autoscaling/application/userguide/security_iam_id-based-policy-examples.html
    const scalableTargets = stack.formatArn({ service: 'application-autoscaling', resource: 'scalable-target', resourceName: '*', arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'RaiseMinimumCapacity',
        actions: ['application-autoscaling:RegisterScalableTarget'],
        resources: [scalableTargets],
        conditions: {
          StringEquals: { 'application-autoscaling:service-namespace': 'ecs', 'application-autoscaling:scalable-dimension': 'ecs:service:DesiredCount' },
        },
      }),
    );
    acknowledgeWildcardResources(
      this.role.node.findChild('DefaultPolicy'),
      [scalableTargets],
      'a scalable target ARN ends in an ID Application Auto Scaling assigns at registration, unknown at synth; the statement is limited to ECS desired counts, and Application Auto Scaling checks that the caller may ecs:UpdateService the target service, which this role may for the one standby service only',
    );

    // The wait accepts desiredCount and up to 200 more: a short list, and no failover scales out by 200 tasks while
    // it waits.
    const desiredValues = Array.from({ length: Math.min(maxCount - desiredCount, 200) + 1 }, (_, i) => String(desiredCount + i));
    const dnsAdvice = 'For a planned switchover, make the primary fail its health check (or invert it) so that Route 53 answers with the secondary; see docs/failover-runbook.md.';
    const healthSteps = (read: string, assert: string, advice: string, next: string) => [
      {
        name: read,
        action: 'aws:executeAwsApi',
        inputs: { Service: 'route53', Api: 'GetHealthCheckStatus', HealthCheckId: props.healthCheckId },
        outputs: [{ Name: 'Observations', Selector: '$.HealthCheckObservations', Type: 'MapList' }],
        nextStep: assert,
      },
      {
        name: assert,
        action: 'aws:executeScript',
        inputs: { Runtime: 'python3.11', Handler: 'handler', Script: ASSERT_UNHEALTHY_SCRIPT, InputPayload: { Observations: `{{ ${read}.Observations }}`, Advice: advice } },
        outputs: [
          { Name: 'HealthyCheckers', Selector: '$.Payload.HealthyCheckers', Type: 'Integer' },
          { Name: 'Checkers', Selector: '$.Payload.Checkers', Type: 'Integer' },
        ],
        nextStep: next,
      },
    ];

    const tail: Record<string, unknown>[] = [];
    if (props.healthCheckId) {
      tail.push(...healthSteps(STEP.readDnsHealth, STEP.assertDnsFailedOver, dnsAdvice, STEP.outputEndpoint));
    }
    if (props.loadBalancer) {
      tail.push({
        name: STEP.outputEndpoint,
        action: 'aws:executeScript',
        inputs: { Runtime: 'python3.11', Handler: 'handler', Script: OUTPUT_ENDPOINT_SCRIPT, InputPayload: { DnsName: props.loadBalancer.loadBalancerDnsName } },
        outputs: [{ Name: 'DnsName', Selector: '$.Payload.DnsName', Type: 'String' }],
      });
    }
    // Each step names the next one explicitly; the last one ends the execution.
    const last = tail[tail.length - 1];
    if (last) {
      delete last.nextStep;
      last.isEnd = true;
    }

    const guard = [
      {
        name: STEP.guard,
        action: 'aws:branch',
        inputs: {
          Choices: [{ NextStep: STEP.promote, Variable: '{{ Force }}', BooleanEquals: true }],
          Default: STEP.assertPrimaryDown,
        },
      },
      {
        name: STEP.assertPrimaryDown,
        action: 'aws:assertAwsResourceProperty',
        inputs: {
          Service: 'cloudwatch',
          Api: 'DescribeAlarms',
          AlarmNames: [props.primaryDownAlarm.alarmName],
          // A metric alarm and a composite alarm are listed apart; asking for the one type makes a wrong type fail
          // the assertion (no alarm to read) instead of passing it.
          AlarmTypes: [composite ? 'CompositeAlarm' : 'MetricAlarm'],
          PropertySelector: composite ? '$.CompositeAlarms[0].StateValue' : '$.MetricAlarms[0].StateValue',
          DesiredValues: ['ALARM'],
        },
        nextStep: props.healthCheckId ? STEP.readPrimaryHealth : STEP.promote,
      },
      ...(props.healthCheckId ? healthSteps(STEP.readPrimaryHealth, STEP.assertPrimaryUnhealthy, 'The primary is not down: do not promote. For a planned switchover, stop writes in the primary and run with Force=true.', STEP.promote) : []),
    ];

    const failover = [
      {
        name: STEP.promote,
        action: 'aws:executeAwsApi',
        // The response already shows DBInstanceStatus "modifying": the wait below cannot see the replica's old
        // "available" (https://docs.aws.amazon.com/cli/latest/reference/rds/promote-read-replica.html, example output).
        inputs: { Service: 'rds', Api: 'PromoteReadReplica', DBInstanceIdentifier: props.replicaIdentifier, BackupRetentionPeriod: backupRetention.toDays() },
        outputs: [{ Name: 'Status', Selector: '$.DBInstance.DBInstanceStatus', Type: 'String' }],
        nextStep: STEP.waitPromoted,
      },
      {
        name: STEP.waitPromoted,
        action: 'aws:waitForAwsResourceProperty',
        timeoutSeconds: PROMOTION_TIMEOUT_SECONDS,
        inputs: {
          Service: 'rds',
          Api: 'DescribeDBInstances',
          DBInstanceIdentifier: props.replicaIdentifier,
          PropertySelector: '$.DBInstances[0].DBInstanceStatus',
          DesiredValues: ['available'],
        },
        nextStep: STEP.raiseMinimum,
      },
      {
        name: STEP.raiseMinimum,
        action: 'aws:executeAwsApi',
        // Updating a registered target changes only what is given; Application Auto Scaling moves the current capacity
        // into the new range (https://docs.aws.amazon.com/autoscaling/application/APIReference/API_RegisterScalableTarget.html).
        inputs: {
          Service: 'application-autoscaling',
          Api: 'RegisterScalableTarget',
          ServiceNamespace: 'ecs',
          ResourceId: Fn.join('/', ['service', clusterName, serviceName]),
          ScalableDimension: 'ecs:service:DesiredCount',
          MinCapacity: desiredCount,
          MaxCapacity: maxCount,
        },
        nextStep: STEP.scale,
      },
      {
        name: STEP.scale,
        action: 'aws:executeAwsApi',
        inputs: { Service: 'ecs', Api: 'UpdateService', cluster: clusterName, service: serviceName, desiredCount },
        nextStep: STEP.waitTasks,
      },
      {
        name: STEP.waitTasks,
        action: 'aws:waitForAwsResourceProperty',
        timeoutSeconds: TASKS_TIMEOUT_SECONDS,
        // Any count from desiredCount up: autoscaling may already have scaled out under the arriving load.
        inputs: { Service: 'ecs', Api: 'DescribeServices', cluster: clusterName, services: [serviceName], PropertySelector: '$.services[0].runningCount', DesiredValues: desiredValues },
        ...(tail.length > 0 ? { nextStep: (tail[0] as { name: string }).name } : { isEnd: true }),
      },
    ];

    const outputs = [
      `${STEP.promote}.Status`,
      ...(props.healthCheckId ? [`${STEP.assertDnsFailedOver}.HealthyCheckers`, `${STEP.assertDnsFailedOver}.Checkers`] : []),
      ...(props.loadBalancer ? [`${STEP.outputEndpoint}.DnsName`] : []),
    ];

    this.document = new ssm.CfnDocument(this, 'Document', {
      documentType: 'Automation',
      documentFormat: 'JSON',
      // A fixed name cannot be replaced in place: a change becomes a new version of the same document.
      updateMethod: 'NewVersion',
      name: props.documentName,
      content: {
        schemaVersion: '0.3',
        description: [
          '# Regional failover: promote the DR replica and scale the standby service',
          '',
          `Refuses unless the alarm **${Token.isUnresolved(props.primaryDownAlarm.alarmName) ? 'primaryDownAlarm' : props.primaryDownAlarm.alarmName}** is in ALARM${props.healthCheckId ? ' and Route 53 considers the primary unhealthy' : ''}: promoting while the primary still takes writes splits the brain.`,
          'Force=true skips that guard for a planned switchover: stop writes in the primary first (docs/failover-runbook.md).',
          `Then promotes the replica, sets the service's minimum and desired count to ${desiredCount} and waits for the tasks.`,
        ].join('\n'),
        assumeRole: this.role.roleArn,
        parameters: {
          Force: {
            type: 'Boolean',
            default: false,
            description: 'Skip the guard (primary down) for a planned switchover. You must have stopped writes in the primary region first.',
          },
        },
        mainSteps: [...guard, ...failover, ...tail],
        outputs,
      },
    });
    this.documentName = this.document.ref;
    this.documentArn = stack.formatArn({ service: 'ssm', resource: 'document', resourceName: this.document.ref, arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
    this.startCommand = Fn.join('', [
      `aws ssm start-automation-execution --region ${stack.region} --document-name `,
      this.document.ref,
      " --document-version '$LATEST' --parameters Force=false",
    ]);
  }
}
